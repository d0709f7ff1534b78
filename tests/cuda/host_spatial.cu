/* The spatial and routing bodies, run on the CPU, against the CPU layers of
 * one-layer (or few-layer) networks built from cfg text. */
#include <string.h>

#include "activation_body.cuh"
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
    host_for_each((long)out.size(), upsample_forward_body{{w, h, stride, scale}, x.data(), out.data()});
    check_close(out, output_of(l), 0, "upsample forward");
    std::vector<float> delta = random_vector(out.size(), -1, 1, 13), want = random_vector(x.size(), -1, 1, 14);
    std::vector<float> got = want;
    run_backward(net, 0, x.data(), delta, want.data());
    host_for_each((long)planes * w * h, upsample_backward_body{{w, h, stride, scale}, delta.data(), got.data()});
    check_close(got, want, 0, "upsample backward");
    free_network(net);
}

TEST(upsample_bodies_equal_the_cpu_layer_with_its_stride_and_scale)
{
    check_upsample(5, 3, 2, 2, 1);
    check_upsample(7, 1, 3, 3, 0.5f);
    check_upsample(1, 1, 4, 4, -1.25f);
}

/* Fills the outputs of every layer before `last` with random values, as the
 * sources a shortcut or route reads. */
static void random_sources(network *net, int last)
{
    for (int i = 0; i < last; ++i) {
        layer *s = &net->layers[i];
        random_fill(s->output, s->batch * s->outputs, -3, 3, 20 + i);
    }
}

/* The last layer of cfg is a [shortcut] from layer 0. */
static void check_shortcut(const char *cfg, activation a)
{
    network *net = build_net(cfg);
    if (!net) return;
    int last = net->n - 1;
    layer *l = &net->layers[last], *from = &net->layers[0], *prev = &net->layers[last - 1];
    random_sources(net, last);
    shortcut_map m = shortcut_map_of(l->w, l->h, l->c, from->out_w, from->out_h, from->out_c);
    size_t n = (size_t)l->batch * l->outputs, nf = (size_t)from->batch * from->outputs;
    std::vector<float> out(n), pre(n);
    run_forward(net, last, prev->output);
    host_for_each((long)n, shortcut_forward_body{m, prev->output, from->output, pre.data(), out.data(), a});
    check_close(out, output_of(l), 0, "shortcut forward");

    std::vector<float> delta = random_vector(n, -1, 1, 30), want_in = random_vector(n, -1, 1, 31);
    std::vector<float> want_from = random_vector(nf, -1, 1, 32), got_in = want_in, got_from = want_from;
    memcpy(from->delta, want_from.data(), nf * sizeof(float));
    run_backward(net, last, prev->output, delta, want_in.data());
    std::vector<float> got_delta = delta;
    host_for_each((long)n, gradient_body{pre.data(), out.data(), a, got_delta.data()});
    host_for_each((long)n, axpy_body{1, got_delta.data(), got_in.data()});
    host_for_each((long)nf, shortcut_from_delta_body{m, got_delta.data(), got_from.data()});
    check_close(got_delta, std::vector<float>(l->delta, l->delta + n), 0, "shortcut delta");
    check_close(got_in, want_in, 0, "shortcut input delta");
    check_close(got_from, std::vector<float>(from->delta, from->delta + nf), 0, "shortcut from delta");
    free_network(net);
}

TEST(shortcut_bodies_equal_the_cpu_layer_for_equal_and_different_shapes)
{
    /* same shape */
    check_shortcut("[net]\nbatch=3\nwidth=5\nheight=3\nchannels=4\n[upsample]\nstride=1\n"
                   "[upsample]\nstride=1\n[shortcut]\nfrom=0\nactivation=swish\n", ACT_SWISH);
    /* from larger: 7x6 onto 4x3 (stride 1 across, 2 down) */
    check_shortcut("[net]\nbatch=3\nwidth=7\nheight=6\nchannels=4\n[upsample]\nstride=1\n"
                   "[maxpool]\nsize=2\nstride=2\n[shortcut]\nfrom=0\nactivation=leaky\n", ACT_LEAKY);
    /* from smaller with more channels: 3x3x4 onto 6x6x2 */
    check_shortcut("[net]\nbatch=3\nwidth=6\nheight=6\nchannels=4\n[maxpool]\nsize=2\nstride=2\n"
                   "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n[upsample]\nstride=2\n"
                   "[shortcut]\nfrom=0\nactivation=logistic\n", ACT_LOGISTIC);
    /* from with fewer channels: 4x4x2 onto 4x4x6 */
    check_shortcut("[net]\nbatch=3\nwidth=4\nheight=4\nchannels=2\n[upsample]\nstride=1\n"
                   "[route]\nlayers=0,0,0\n[shortcut]\nfrom=0\nactivation=mish\n", ACT_MISH);
}

/* The last layer of cfg is a [route]; its sources' slices are copied one
 * launch per source, as a GPU route layer would. */
static void check_route(const char *cfg, const int *sources, int n_sources, int groups, int group_id)
{
    network *net = build_net(cfg);
    if (!net) return;
    int last = net->n - 1, batch = net->layers[last].batch;
    layer *l = &net->layers[last];
    random_sources(net, last);
    run_forward(net, last, net->layers[last - 1].output);
    std::vector<float> out((size_t)batch * l->outputs), delta = random_vector(out.size(), -1, 1, 40);
    std::vector<std::vector<float>> got(n_sources);
    for (int i = 0; i < n_sources; ++i) {
        layer *s = &net->layers[sources[i]];
        got[i] = random_vector((size_t)batch * s->outputs, -1, 1, 41 + i);
        memcpy(s->delta, got[i].data(), got[i].size() * sizeof(float));
    }
    run_backward(net, last, net->layers[last - 1].output, delta, net->layers[last - 1].delta);
    long offset = 0;
    for (int i = 0; i < n_sources; ++i) {
        layer *s = &net->layers[sources[i]];
        long part = s->outputs / groups;
        route_slice r = {s->outputs, group_id * part, l->outputs, offset, part};
        host_for_each(batch * part, route_forward_body{r, s->output, out.data()});
        host_for_each(batch * part, route_backward_body{r, delta.data(), got[i].data()});
        offset += part;
    }
    check_close(out, output_of(l), 0, "route forward");
    for (int i = 0; i < n_sources; ++i) {
        const layer *s = &net->layers[sources[i]];
        check_close(got[i], std::vector<float>(s->delta, s->delta + got[i].size()), 0, "route backward");
    }
    free_network(net);
}

TEST(route_bodies_equal_the_cpu_layer_with_and_without_groups)
{
    const int two[] = {0, 1};
    check_route("[net]\nbatch=3\nwidth=5\nheight=3\nchannels=6\n[upsample]\nstride=1\n"
                "[maxpool]\nsize=2\nstride=1\n[route]\nlayers=0,1\ngroups=3\ngroup_id=2\n", two, 2, 3, 2);
    check_route("[net]\nbatch=3\nwidth=3\nheight=1\nchannels=4\n[upsample]\nstride=1\n"
                "[route]\nlayers=0\ngroups=2\ngroup_id=1\n[route]\nlayers=0,1\n", two, 2, 1, 0);
}

TEST(dropout_bodies_with_a_host_drawn_mask_equal_the_cpu_layer)
{
    network *net = build_net("[net]\nbatch=3\nwidth=51\nheight=5\nchannels=3\n[dropout]\nprobability=0.3\n");
    if (!net) return;
    layer *l = &net->layers[0];
    size_t n = (size_t)l->batch * l->inputs;
    std::vector<float> x = random_vector(n, -1, 1, 70), mask(n), out(n);
    /* the mask as dropout.c draws it, from the same rng state */
    rng_state r = net->rng;
    for (float &m : mask) m = rng_uniform(&r) < 0.3f ? 0.0f : 1.0f / (1.0f - 0.3f);
    run_forward(net, 0, x.data());
    host_for_each((long)n, dropout_forward_body{x.data(), mask.data(), out.data()});
    check_close(out, output_of(l), 0, "dropout forward");
    std::vector<float> delta = random_vector(n, -1, 1, 71), want = random_vector(n, -1, 1, 72), got = want;
    run_backward(net, 0, x.data(), delta, want.data());
    host_for_each((long)n, dropout_backward_body{mask.data(), delta.data(), got.data()});
    check_close(got, want, 0, "dropout backward");
    free_network(net);
}
