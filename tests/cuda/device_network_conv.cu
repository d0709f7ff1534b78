/* Networks of [convolutional], [maxpool] and [avgpool] layers on the GPU
 * against the CPU: every path of the convolution (im2col + gemm, 1x1 without
 * im2col, groups, the direct depthwise kernel, shared weights), batch norm and
 * every activation, darknet's pooling padding, and resizing a GPU network. */
#include <string>

#include "network_test.h"

extern "C" {
#include "activations.h"
}

#define NET(w, h, c, batch, subdivisions)                                                                       \
    "[net]\nbatch=" #batch "\nsubdivisions=" #subdivisions "\nwidth=" #w "\nheight=" #h "\nchannels=" #c         \
    "\nlearning_rate=0.1\nmomentum=0.9\ndecay=0.0005\n"

/* Classifier-shaped: conv + batch norm + leaky, darknet's maxpools (stride 2
 * on an odd size, and size=2 stride=1 that keeps the size), a global average,
 * then connected and softmax; 3 images per pass. */
static const char *const classifier_cfg =
    NET(9, 7, 3, 6, 2)
    "[convolutional]\nfilters=8\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=6\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=1\n"
    "[maxpool]\nsize=3\nstride=2\npadding=1\n"
    "[avgpool]\n"
    "[connected]\noutput=5\nactivation=linear\n"
    "[softmax]\n";

TEST(gpu_conv_classifier_with_batch_norm_maxpool_and_avgpool_trains_as_on_the_cpu)
{
    check_network_on_gpu(classifier_cfg, 1e-4);
}

TEST(gpu_conv_with_groups_dilation_a_rectangular_kernel_and_stride_2_on_odd_sizes_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET(11, 9, 4, 3, 1)
                         "[convolutional]\nfilters=6\ngroups=2\nsize_x=3\nsize_y=5\nstride=2\ndilation=2\npad=1\n"
                         "activation=leaky\n"
                         "[convolutional]\nfilters=6\ngroups=3\nsize=1\nactivation=linear\n"
                         "[convolutional]\nfilters=6\ngroups=3\nsize=1\nactivation=relu\nshare=-1\n"
                         "[convolutional]\nfilters=4\nsize_x=1\nsize_y=3\nstride_x=1\nstride_y=2\npadding=1\n"
                         "batch_normalize=1\nactivation=linear\n"
                         "[avgpool]\n[softmax]\n",
                         1e-4);
}

TEST(gpu_depthwise_conv_with_large_kernels_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET(13, 11, 4, 3, 1)
                         "[convolutional]\nfilters=4\ngroups=4\nsize=7\npad=1\nbatch_normalize=1\nactivation=swish\n"
                         "[convolutional]\nfilters=4\ngroups=4\nsize=5\nstride=2\npad=1\ndilation=2\n"
                         "activation=leaky\n"
                         "[convolutional]\nfilters=5\nsize=1\nactivation=linear\n"
                         "[avgpool]\n[softmax]\n",
                         1e-4);
}

TEST(gpu_conv_trains_as_on_the_cpu_with_every_activation)
{
    for (int a = 0; activation_names[a]; ++a) {
        /* a 3x3 then a 1x1 conv with it, the first with batch norm */
        std::string cfg = std::string(NET(7, 6, 2, 4, 2)) +
                          "[convolutional]\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\nactivation=" +
                          activation_names[a] + "\n[convolutional]\nfilters=3\nsize=1\nactivation=" +
                          activation_names[a] + "\n[avgpool]\n[softmax]\n";
        check_network_on_gpu(cfg.c_str(), 1e-4);
    }
}

/* One training step on both, then every layer's output and the loss agree. */
static void train_both(network *cpu, network *gpu, unsigned seed, const char *what)
{
    int b = cpu->batch * cpu->subdivisions;
    std::vector<float> x = random_vector((size_t)b * cpu->inputs, -1, 1, seed);
    std::vector<float> t = batch_truth(cpu, seed + 1);
    float lc = train_network_step(cpu, x.data(), t.data()), lg = train_network_step(gpu, x.data(), t.data());
    CHECK_MSG(fabs(lc - lg) <= 1e-4 * fmax(1, fabs(lc)), "%s: loss %.9g on the CPU, %.9g on the GPU", what, lc, lg);
    check_layers_agree(cpu, gpu, 1e-4, what);
}

TEST(gpu_conv_network_resized_and_rebatched_on_the_gpu_trains_as_on_the_cpu)
{
    network *cpu = build_net(classifier_cfg), *gpu = build_net(classifier_cfg);
    if (!cpu || !gpu || !test_gpu()) return;
    CHECK_MSG(network_use_gpu(gpu, 0) == 0, "network_use_gpu: %s", dn_last_error());
    if (!gpu->gpu) return;
    train_both(cpu, gpu, 10, "before the resize");
    CHECK(resize_network(cpu, 13, 10) == 0);
    CHECK_MSG(resize_network(gpu, 13, 10) == 0, "resize_network: %s", dn_last_error());
    train_both(cpu, gpu, 20, "resized to 13x10");
    CHECK(set_batch_network(cpu, 2) == 0);
    CHECK_MSG(set_batch_network(gpu, 2) == 0, "set_batch_network: %s", dn_last_error());
    train_both(cpu, gpu, 30, "batch 2");
    check_weights_agree(cpu, gpu, 1e-4, "after the resized steps");
    free_network(cpu);
    free_network(gpu);
}
