/* Networks of [connected] and [softmax] layers (and the optimisers) on the GPU against the CPU. */
#include "network_test.h"

TEST(gpu_connected_classifier_with_batch_norm_trains_as_on_the_cpu)
{
    check_network_on_gpu("[net]\nbatch=6\nsubdivisions=2\nwidth=5\nheight=3\nchannels=2\nlearning_rate=0.1\n"
                         "momentum=0.9\ndecay=0.0005\n"
                         "[connected]\noutput=7\nbatch_normalize=1\nactivation=leaky\n"
                         "[connected]\noutput=9\nactivation=mish\n"
                         "[connected]\noutput=4\nactivation=linear\n[softmax]\n",
                         1e-4);
}

TEST(gpu_convolutional_network_trained_with_adam_trains_as_on_the_cpu)
{
    check_network_on_gpu("[net]\nbatch=4\nwidth=6\nheight=6\nchannels=2\nlearning_rate=0.01\n"
                         "decay=0.0005\nadam=1\n"
                         "[convolutional]\nfilters=5\nsize=3\npad=1\nbatch_normalize=1\nactivation=leaky\n"
                         "[connected]\noutput=4\nactivation=linear\n[softmax]\n",
                         1e-4);
}

TEST(a_network_with_a_layer_without_device_passes_stays_on_the_host_and_says_which)
{
    network *net = build_net("[net]\nbatch=2\nwidth=4\nheight=4\nchannels=1\n[maxpool]\nsize=2\nstride=2\n"
                             "[connected]\noutput=2\n");
    if (!net || !test_gpu()) return;
    /* a layer type as one whose device passes are not written */
    layer_ops without = *net->layers[0].ops;
    without.forward_gpu = NULL;
    net->layers[0].ops = &without;
    CHECK(network_use_gpu(net, 0) == -1);
    CHECK_MSG(strstr(dn_last_error(), "[maxpool]") && strstr(dn_last_error(), "-nogpu"), "%s", dn_last_error());
    CHECK(net->gpu == NULL);
    free_network(net);
}
