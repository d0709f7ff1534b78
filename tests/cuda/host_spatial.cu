/* The spatial and routing bodies, run on the CPU, against the CPU layers of
 * one-layer (or few-layer) networks built from cfg text. */
#include <string.h>

#include "blas_body.cuh"
#include "spatial_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "network.h"
}

static std::vector<float> output_of(const layer *l)
{
    return std::vector<float>(l->output, l->output + (size_t)l->batch * l->outputs);
}

/* Runs layer i of net forward (train mode) on `in`. */
static void run_forward(network *net, int i, float *in)
{
    net->train = 1;
    net->input = in;
    net->input_delta = NULL;
    net->layers[i].ops->forward(&net->layers[i], net);
}

/* Runs layer i backward with its delta set to `delta`, adding into in_delta. */
static void run_backward(network *net, int i, float *in, const std::vector<float> &delta, float *in_delta)
{
    layer *l = &net->layers[i];
    memcpy(l->delta, delta.data(), delta.size() * sizeof(float));
    net->input = in;
    net->input_delta = in_delta;
    l->ops->backward(l, net);
}

/* Values on a coarse grid, so that maxpool windows hold ties. */
static std::vector<float> coarse_vector(size_t n, unsigned seed)
{
    std::vector<float> v = random_vector(n, -2, 2, seed);
    for (float &x : v) x = (float)(int)(x * 2) / 2;
    return v;
}

struct pool_case {
    int w, h, c, size, stride_x, stride_y, padding;   /* padding -1: the default, size-1 */
};

static void check_maxpool(const pool_case &k, int batch)
{
    char cfg[256];
    int pad = k.padding >= 0 ? k.padding : k.size - 1;
    snprintf(cfg, sizeof cfg, "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[maxpool]\nsize=%d\nstride_x=%d\nstride_y=%d\npadding=%d\n",
             batch, k.w, k.h, k.c, k.size, k.stride_x, k.stride_y, pad);
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    maxpool_shape s = {k.w, k.h, l->out_w, l->out_h, k.size, k.stride_x, k.stride_y, pad};
    int planes = batch * k.c;
    std::vector<float> x = coarse_vector((size_t)batch * l->inputs, k.w * 100 + k.size);
    std::vector<float> out((size_t)batch * l->outputs);
    std::vector<int> argmax(out.size());
    run_forward(net, 0, x.data());
    host_for_each((long)out.size(), maxpool_forward_body{s, x.data(), out.data(), argmax.data()});
    check_close(out, output_of(l), 0, "maxpool forward");

    std::vector<float> delta = random_vector(out.size(), -1, 1, 5), want = random_vector(x.size(), -1, 1, 6);
    std::vector<float> got = want;
    run_backward(net, 0, x.data(), delta, want.data());
    host_for_each((long)planes * k.w * k.h, maxpool_backward_body{s, argmax.data(), delta.data(), got.data()});
    check_close(got, want, 0, "maxpool backward");
    free_network(net);
}

TEST(maxpool_bodies_equal_the_cpu_layer_with_darknet_padding_and_ties)
{
    const pool_case cases[] = {
        {6, 6, 3, 2, 2, 2, -1},  /* the usual 2x2/2 */
        {7, 5, 2, 2, 1, 1, -1},  /* 2x2/1: same size out, YOLOv3-tiny */
        {9, 7, 3, 3, 2, 2, 2},   /* 3x3/2 on odd sizes */
        {5, 5, 2, 3, 1, 1, 1},   /* odd total padding: all of it at the end */
        {8, 7, 2, 5, 3, 3, 4},   /* 5x5/3 */
        {7, 8, 2, 3, 1, 2, -1},  /* stride_x != stride_y */
        {3, 3, 2, 2, 2, 2, 5},   /* windows wholly in the padding */
        {1, 1, 4, 2, 2, 2, -1},  /* 1x1 map */
        {51, 5, 1, 5, 2, 1, -1}, /* 51 x 5 */
    };
    for (const pool_case &k : cases) check_maxpool(k, 3);
}

TEST(avgpool_bodies_equal_the_cpu_layer_on_odd_planes)
{
    network *net = build_net("[net]\nbatch=3\nwidth=51\nheight=5\nchannels=3\n[avgpool]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    int planes = 3 * l->c, plane = l->w * l->h;
    std::vector<float> x = random_vector((size_t)planes * plane, -1, 1, 9), out(planes);
    run_forward(net, 0, x.data());
    host_for_each(planes, avgpool_forward_body{plane, x.data(), out.data()});
    check_close(out, output_of(l), 0, "avgpool forward");
    std::vector<float> delta = random_vector(planes, -1, 1, 10), want = random_vector(x.size(), -1, 1, 11);
    std::vector<float> got = want;
    run_backward(net, 0, x.data(), delta, want.data());
    host_for_each((long)x.size(), avgpool_backward_body{plane, delta.data(), got.data()});
    check_close(got, want, 0, "avgpool backward");
    free_network(net);
}

static void check_upsample(int w, int h, int c, int stride, float scale)
{
    char cfg[256];
    snprintf(cfg, sizeof cfg, "[net]\nbatch=3\nwidth=%d\nheight=%d\nchannels=%d\n[upsample]\nstride=%d\nscale=%g\n",
             w, h, c, stride, scale);
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    int planes = 3 * c;
    std::vector<float> x = random_vector((size_t)3 * l->inputs, -1, 1, 12), out((size_t)3 * l->outputs);
    run_forward(net, 0, x.data());
    host_for_each((long)out.size(), upsample_forward_body{w, h, stride, scale, x.data(), out.data()});
    check_close(out, output_of(l), 0, "upsample forward");
    std::vector<float> delta = random_vector(out.size(), -1, 1, 13), want = random_vector(x.size(), -1, 1, 14);
    std::vector<float> got = want;
    run_backward(net, 0, x.data(), delta, want.data());
    host_for_each((long)planes * w * h, upsample_backward_body{w, h, stride, scale, delta.data(), got.data()});
    check_close(got, want, 0, "upsample backward");
    free_network(net);
}

TEST(upsample_bodies_equal_the_cpu_layer_with_its_stride_and_scale)
{
    check_upsample(5, 3, 2, 2, 1);
    check_upsample(7, 1, 3, 3, 0.5f);
    check_upsample(1, 1, 4, 4, -1.25f);
}
