/* [maxpool], [avgpool], [upsample], [route], [shortcut]: forward against plain
 * loops, backward against finite differences (route and shortcut behind
 * convolutions so the gradient into their source layers is checked), resizing,
 * inference-only networks and cfg errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"


static int check_shape(const layer *l, int w, int h, int c)
{
    int ok = l->out_w == w && l->out_h == h && l->out_c == c;
    CHECK_MSG(ok, "layer %d ([%s]) is %d x %d x %d, want %d x %d x %d", l->index, l->ops->name, l->out_w,
              l->out_h, l->out_c, w, h, c);
    return ok;
}

/* ---------------- maxpool ---------------- */

typedef struct {
    int w, h, c, size, stride_x, stride_y, padding; /* padding -1: the default */
} pool_case;

static void reference_maxpool(const pool_case *k, int pad, const float *x, int batch, int ow, int oh, float *y)
{
    for (int b = 0; b < batch; ++b)
        for (int ch = 0; ch < k->c; ++ch)
            for (int oy = 0; oy < oh; ++oy)
                for (int ox = 0; ox < ow; ++ox) {
                    double best = -INFINITY;
                    int y0 = oy * k->stride_y - pad / 2, x0 = ox * k->stride_x - pad / 2;
                    for (int yy = y0; yy < y0 + k->size; ++yy)
                        for (int xx = x0; xx < x0 + k->size; ++xx)
                            if (yy >= 0 && yy < k->h && xx >= 0 && xx < k->w)
                                best = fmax(best, x[((b * k->c + ch) * k->h + yy) * k->w + xx]);
                    y[((b * k->c + ch) * oh + oy) * ow + ox] = (float)best;
                }
}

static const pool_case pool_cases[] = {
    {6, 6, 3, 2, 2, 2, -1}, /* the usual 2x2/2 */
    {7, 5, 2, 2, 1, 1, -1}, /* YOLOv3-tiny's 2x2/1: same size out */
    {7, 6, 2, 3, 2, 2, 2},  /* 3x3/2 with one pixel each side, odd width */
    {9, 7, 3, 3, 2, 2, 0},  /* no padding, odd sizes */
    {5, 5, 2, 3, 1, 1, 1},  /* odd total padding: all of it at the end */
    {8, 7, 2, 5, 3, 3, 4},  /* 5x5/3 */
    {7, 8, 2, 3, 1, 2, -1}, /* stride_x != stride_y */
};

static network *pool_net(const pool_case *k, int batch)
{
    char cfg[512], pad[32] = "";
    if (k->padding >= 0) snprintf(pad, sizeof pad, "padding=%d\n", k->padding);
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[maxpool]\nsize=%d\nstride_x=%d\nstride_y=%d\n%s",
             batch, k->w, k->h, k->c, k->size, k->stride_x, k->stride_y, pad);
    return build_net(cfg);
}

TEST(maxpool_forward_matches_reference)
{
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; ++i) {
        const pool_case *k = &pool_cases[i];
        network *net = pool_net(k, 2);
        if (!net) continue;
        layer *l = &net->layers[0];
        int pad = k->padding >= 0 ? k->padding : k->size - 1;
        int ow = (k->w + pad - k->size) / k->stride_x + 1, oh = (k->h + pad - k->size) / k->stride_y + 1;
        if (check_shape(l, ow, oh, k->c)) {
            float *x = random_input(net, 20 + i), *y = malloc(sizeof(float) * 2 * l->outputs);
            float *out = network_predict(net, x);
            reference_maxpool(k, pad, x, 2, ow, oh, y);
            int where = 0;
            double err = max_rel_diff(out, y, 2 * l->outputs, &where);
            CHECK_MSG(err == 0, "case %zu: output %d is %g, want %g", i, where, out[where], y[where]);
            free(x);
            free(y);
        }
        free_network(net);
    }
}

TEST(maxpool_defaults_follow_darknet)
{
    /* size=2 alone: stride 1, padding 1, so the size is kept; [max] is the alias */
    network *net = build_net("[net]\nwidth=5\nheight=4\nchannels=2\n[max]\nsize=2\n"
                         "[maxpool]\nstride=2\n"); /* size = stride: 2x2/2 -> 3 x 2 */
    if (!net) return;
    check_shape(&net->layers[0], 5, 4, 2);
    check_shape(&net->layers[1], 3, 2, 2);
    free_network(net);
}

/* Distinct values at least 0.03 apart, so a finite-difference step of 1e-2
 * never changes which input wins a window. */
static void distinct_fill(float *x, int n, unsigned seed)
{
    random_fill(x, n, 0, 1, seed);
    int *order = malloc(sizeof(int) * n);
    for (int i = 0; i < n; ++i) order[i] = i;
    for (int i = 0; i < n; ++i)     /* rank by the random values */
        for (int j = i + 1; j < n; ++j)
            if (x[order[j]] < x[order[i]]) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    for (int r = 0; r < n; ++r) x[order[r]] = -1.0f + 0.03f * r;
    free(order);
}

TEST(maxpool_backward_matches_finite_differences)
{
    for (size_t i = 0; i < sizeof pool_cases / sizeof pool_cases[0]; ++i) {
        network *net = pool_net(&pool_cases[i], 2);
        if (!net) continue;
        float *x = malloc(sizeof(float) * 2 * net->inputs);
        distinct_fill(x, 2 * net->inputs, 30 + i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 1e-3, "case %zu: gradient error %g", i, err);
        free(x);
        free_network(net);
    }
}

TEST(maxpool_ties_go_to_the_first_tap_and_inference_pools_alike)
{
    /* a constant image: every window ties, and its first tap (top-left) wins */
    network *net = build_net("[net]\nbatch=1\nwidth=6\nheight=4\nchannels=2\n[maxpool]\nsize=2\nstride=2\n");
    if (!net) return;
    float x[48], grad[48] = {0};
    for (int i = 0; i < 48; ++i) x[i] = 0.5f;
    net->train = 1;
    net->input_grad = grad;
    forward_network(net, x);
    for (int i = 0; i < net->layers[0].outputs; ++i) net->layers[0].delta[i] = 1;
    backward_network(net, x);
    for (int i = 0; i < 48; ++i) CHECK_NEAR(grad[i], (i % 6) % 2 == 0 && (i / 6) % 2 == 0, 0);
    /* an inference-only network (no argmax kept) gives the same maxima */
    const char *path = temp_file("[net]\nbatch=1\nwidth=6\nheight=4\nchannels=2\n[maxpool]\nsize=2\nstride=2\n");
    network *frozen = load_network_frozen(path, NULL);
    unlink(path);
    CHECK(frozen != NULL);
    random_fill(x, 48, -1, 1, 4);
    float want[12];
    memcpy(want, network_predict(net, x), sizeof want);
    if (frozen) CHECK(memcmp(network_predict(frozen, x), want, sizeof want) == 0);
    free_network(frozen);
    free_network(net);
}

/* ---------------- avgpool ---------------- */

TEST(avgpool_forward_and_backward)
{
    network *net = build_net("[net]\nbatch=2\nwidth=5\nheight=3\nchannels=4\n[avg]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    check_shape(l, 1, 1, 4);
    float *x = random_input(net, 3);
    float *out = network_predict(net, x);
    for (int p = 0; p < 2 * 4; ++p) {
        double s = 0;
        for (int i = 0; i < 15; ++i) s += x[p * 15 + i];
        CHECK_NEAR(out[p], s / 15, 1e-6);
    }
    CHECK(grad_check(net, x, 1e-2) < 1e-3);
    free(x);
    free_network(net);
}

/* ---------------- upsample ---------------- */

TEST(upsample_forward_and_backward)
{
    const int strides[] = {2, 3};
    const float scales[] = {1, 0.5f};
    for (int t = 0; t < 2; ++t) {
        char cfg[256];
        snprintf(cfg, sizeof cfg, "[net]\nbatch=2\nwidth=4\nheight=3\nchannels=2\n[upsample]\nstride=%d\nscale=%g\n",
                 strides[t], scales[t]);
        network *net = build_net(cfg);
        if (!net) continue;
        int s = strides[t], ow = 4 * s, oh = 3 * s;
        layer *l = &net->layers[0];
        if (check_shape(l, ow, oh, 2)) {
            float *x = random_input(net, 4 + t);
            float *out = network_predict(net, x);
            for (int p = 0; p < 4; ++p)
                for (int y = 0; y < oh; ++y)
                    for (int xx = 0; xx < ow; ++xx)
                        CHECK_NEAR(out[(p * oh + y) * ow + xx], scales[t] * x[(p * 3 + y / s) * 4 + xx / s], 1e-7);
            CHECK(grad_check(net, x, 1e-2) < 1e-3);
            free(x);
        }
        free_network(net);
    }
}

/* ---------------- route ---------------- */

TEST(route_forward_concatenates_relative_and_absolute)
{
    network *net = build_net("[net]\nbatch=2\nwidth=5\nheight=4\nchannels=2\n"
                         "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
                         "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
                         "[route]\nlayers=-2,1\n"          /* layer 0 then layer 1 */
                         "[route]\nlayers=1,-3\n");        /* layer 1 then layer 0 */
    if (!net) return;
    if (check_shape(&net->layers[2], 5, 4, 7) && check_shape(&net->layers[3], 5, 4, 7)) {
        float *x = random_input(net, 5);
        network_predict(net, x);
        const float *a = net->layers[0].output, *b = net->layers[1].output;
        const float *r = net->layers[2].output, *q = net->layers[3].output;
        int hw = 20;
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 7; ++c)
                for (int i = 0; i < hw; ++i) {
                    float want_r = c < 3 ? a[(n * 3 + c) * hw + i] : b[(n * 4 + c - 3) * hw + i];
                    float want_q = c < 4 ? b[(n * 4 + c) * hw + i] : a[(n * 3 + c - 4) * hw + i];
                    CHECK(r[(n * 7 + c) * hw + i] == want_r);
                    CHECK(q[(n * 7 + c) * hw + i] == want_q);
                }
        free(x);
    }
    free_network(net);
}

TEST(route_groups_take_one_channel_slice)
{
    network *net = build_net("[net]\nbatch=2\nwidth=3\nheight=4\nchannels=2\n"
                         "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"
                         "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
                         "[route]\nlayers=0,-1\ngroups=2\ngroup_id=1\n");
    if (!net) return;
    if (check_shape(&net->layers[2], 3, 4, 5)) {
        float *x = random_input(net, 6);
        network_predict(net, x);
        const float *a = net->layers[0].output, *b = net->layers[1].output, *r = net->layers[2].output;
        int hw = 12;
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 5; ++c)
                for (int i = 0; i < hw; ++i) {
                    /* second half of layer 0's 4 channels, then of layer 1's 6 */
                    float want = c < 2 ? a[(n * 4 + 2 + c) * hw + i] : b[(n * 6 + 3 + c - 2) * hw + i];
                    CHECK(r[(n * 5 + c) * hw + i] == want);
                }
        free(x);
    }
    free_network(net);
}

TEST(route_backward_reaches_source_layers)
{
    /* yolov4-tiny's CSP block in miniature */
    network *net = build_net("[net]\nbatch=2\nwidth=4\nheight=4\nchannels=2\n"
                         "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=tanh\n"   /* 0 */
                         "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"                     /* 1 */
                         "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=tanh\n"   /* 2 */
                         "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=tanh\n"   /* 3 */
                         "[route]\nlayers=-1,-2\n"                                        /* 4 */
                         "[convolutional]\nfilters=4\nsize=1\nactivation=tanh\n"          /* 5 */
                         "[route]\nlayers=0,-1\n");                                       /* 6 */
    if (!net) return;
    check_shape(&net->layers[6], 4, 4, 8);
    float *x = random_input(net, 7);
    double err = grad_check(net, x, 1e-2);
    CHECK_MSG(err < 2e-2, "gradient error %g", err);
    free(x);
    free_network(net);
}

/* ---------------- shortcut ---------------- */

/* darknet's rule, written out: add `from` (w1,h1,c1) into out (w2,h2,c2). */
static void reference_shortcut(const float *from, int w1, int h1, int c1, float *out, int w2, int h2, int c2,
                               int batch)
{
    int stride = w1 / w2 < 1 ? 1 : w1 / w2, sample = w2 / w1 < 1 ? 1 : w2 / w1;
    int minw = w1 < w2 ? w1 : w2, minh = h1 < h2 ? h1 : h2, minc = c1 < c2 ? c1 : c2;
    for (int b = 0; b < batch; ++b)
        for (int k = 0; k < minc; ++k)
            for (int j = 0; j < minh; ++j)
                for (int i = 0; i < minw; ++i)
                    out[((b * c2 + k) * h2 + j * sample) * w2 + i * sample] +=
                        from[((b * c1 + k) * h1 + j * stride) * w1 + i * stride];
}

/* Checks the last layer (a shortcut with activation `act`) against the reference. */
static void check_shortcut_forward(network *net, int from_index, const char *act, unsigned seed)
{
    float *x = random_input(net, seed);
    network_predict(net, x);
    layer *s = &net->layers[net->n - 1], *prev = &net->layers[net->n - 2], *from = &net->layers[from_index];
    int n = 2 * s->outputs;
    float *want = malloc(sizeof(float) * n);
    memcpy(want, prev->output, sizeof(float) * n);
    reference_shortcut(from->output, from->out_w, from->out_h, from->out_c, want, s->out_w, s->out_h, s->out_c, 2);
    if (!strcmp(act, "tanh"))
        for (int i = 0; i < n; ++i) want[i] = tanhf(want[i]);
    int where = 0;
    double err = max_rel_diff(s->output, want, n, &where);
    CHECK_MSG(err < 1e-6, "%s: output %d is %g, want %g", act, where, s->output[where], want[where]);
    free(want);
    free(x);
}

static const char *const shortcut_equal =
    "[net]\nbatch=2\nwidth=4\nheight=5\nchannels=2\n"
    "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
    "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
    "[shortcut]\nfrom=-2\nactivation=%s\n";
/* darknet's ResNet case: 8x8x4 added into 4x4x8 */
static const char *const shortcut_down =
    "[net]\nbatch=2\nwidth=8\nheight=8\nchannels=2\n"
    "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=tanh\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
    "[shortcut]\nfrom=0\nactivation=%s\n";
/* the other way: 4x4x8 added into 8x8x4 */
static const char *const shortcut_up =
    "[net]\nbatch=2\nwidth=8\nheight=8\nchannels=2\n"
    "[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
    "[upsample]\nstride=2\n"
    "[convolutional]\nfilters=4\nsize=1\nactivation=tanh\n"
    "[shortcut]\nfrom=-3\nactivation=%s\n";

static network *shortcut_net(const char *fmt, const char *act)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, fmt, act);
    return build_net(cfg);
}

TEST(shortcut_forward_matches_reference)
{
    const char *acts[] = {"linear", "tanh"};
    for (int a = 0; a < 2; ++a) {
        network *net = shortcut_net(shortcut_equal, acts[a]);
        if (net) {
            check_shape(&net->layers[2], 4, 5, 3);
            check_shortcut_forward(net, 0, acts[a], 8);
            free_network(net);
        }
        net = shortcut_net(shortcut_down, acts[a]);
        if (net) {
            check_shape(&net->layers[2], 4, 4, 8);
            check_shortcut_forward(net, 0, acts[a], 9);
            free_network(net);
        }
        net = shortcut_net(shortcut_up, acts[a]);
        if (net) {
            check_shape(&net->layers[3], 8, 8, 4);
            check_shortcut_forward(net, 0, acts[a], 10);
            free_network(net);
        }
    }
}

TEST(shortcut_backward_matches_finite_differences)
{
    const char *const nets[] = {shortcut_equal, shortcut_down, shortcut_up};
    const char *acts[] = {"linear", "swish"}; /* swish keeps its input for the gradient */
    for (int i = 0; i < 3; ++i)
        for (int a = 0; a < 2; ++a) {
            network *net = shortcut_net(nets[i], acts[a]);
            if (!net) continue;
            float *x = random_input(net, 12 + i);
            double err = grad_check(net, x, 1e-2);
            CHECK_MSG(err < 2e-2, "net %d, %s: gradient error %g", i, acts[a], err);
            free(x);
            free_network(net);
        }
}

TEST(shortcut_from_previous_layer_counts_twice)
{
    network *net = build_net("[net]\nbatch=1\nwidth=3\nheight=3\nchannels=2\n"
                         "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=tanh\n"
                         "[shortcut]\nfrom=-1\n");
    if (!net) return;
    float *x = random_input(net, 13);
    float *out = network_predict(net, x);
    for (int i = 0; i < 18; ++i) CHECK_NEAR(out[i], 2 * net->layers[0].output[i], 1e-7);
    CHECK(grad_check(net, x, 1e-2) < 2e-2);
    free(x);
    free_network(net);
}

/* ---------------- resizing and inference-only networks ---------------- */

static const char *const mixed_cfg =
    "[net]\nbatch=2\nwidth=8\nheight=6\nchannels=3\n"
    "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n"   /* 0: W x H x 4 */
    "[maxpool]\nsize=2\nstride=2\n"                                   /* 1: W/2 */
    "[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n"   /* 2: W/2 x 6 */
    "[maxpool]\nsize=2\nstride=1\n"                                   /* 3: W/2 */
    "[route]\nlayers=-1\ngroups=2\ngroup_id=0\n"                      /* 4: W/2 x 3 */
    "[upsample]\nstride=2\n"                                          /* 5: W x 3 */
    "[route]\nlayers=-1,0\n"                                          /* 6: W x 7 */
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"         /* 7: W x 4 */
    "[shortcut]\nfrom=0\nactivation=leaky\n"                          /* 8: W x 4 */
    "[shortcut]\nfrom=2\n"                                            /* 9: from W/2 x 6 */
    "[avgpool]\n";                                                    /* 10: 1 x 1 x 4 */

static void check_mixed_shapes(network *net, int w, int h)
{
    int w2 = (w + 1 - 2) / 2 + 1, h2 = (h + 1 - 2) / 2 + 1;
    const int shapes[][3] = {{w, h, 4}, {w2, h2, 4}, {w2, h2, 6}, {w2, h2, 6}, {w2, h2, 3}, {2 * w2, 2 * h2, 3},
                             {w, h, 7}, {w, h, 4}, {w, h, 4}, {w, h, 4}, {1, 1, 4}};
    for (int i = 0; i < 11; ++i) check_shape(&net->layers[i], shapes[i][0], shapes[i][1], shapes[i][2]);
}

TEST(spatial_layers_resize)
{
    network *net = build_net(mixed_cfg);
    if (!net) return;
    check_mixed_shapes(net, 8, 6);
    float *x = random_input(net, 14);
    network_predict(net, x);
    free(x);
    CHECK_MSG(resize_network(net, 12, 10) == 0, "%s", dn_last_error());
    check_mixed_shapes(net, 12, 10);
    x = random_input(net, 15);
    float *out = network_predict(net, x);
    int finite = 1;
    for (int i = 0; i < 8; ++i) finite &= isfinite(out[i]);
    CHECK(finite);
    /* gradients still flow after the resize (leaky: only a smoke check of the sizes) */
    net->train = 1;
    forward_network(net, x);
    backward_network(net, x);
    free(x);
    /* an odd size makes the upsampled map (2*ceil(w/2)) wider than layer 0: route 6 must refuse */
    dn_clear_error();
    CHECK(resize_network(net, 9, 10) != 0);
    CHECK_MSG(strstr(dn_last_error(), "10 x 10") && strstr(dn_last_error(), "9 x 10"), "message: %s",
              dn_last_error());
    free_network(net);
}

/* A resize that a layer refuses, or a batch too large to address, leaves the
 * network as it was: same shapes, same outputs (it used to run half-resized). */
TEST(failed_resize_or_batch_change_leaves_the_network_as_it_was)
{
    network *net = build_net(mixed_cfg);
    if (!net) return;
    CHECK(set_batch_network(net, 2) == 0);
    float *x = random_input(net, 16);
    int n = net->layers[net->n - 1].outputs * 2;
    float *before = malloc(sizeof(float) * n);
    memcpy(before, network_predict(net, x), sizeof(float) * n);
    dn_clear_error();
    CHECK(resize_network(net, 9, 10) != 0);
    dn_clear_error();
    CHECK(set_batch_network(net, 1 << 30) != 0);
    CHECK_MSG(strstr(dn_last_error(), "too large"), "message: %s", dn_last_error());
    dn_clear_error();
    CHECK(set_batch_network(net, 0) != 0);
    CHECK(net->batch == 2 && net->w == 8 && net->h == 6);
    check_mixed_shapes(net, 8, 6);
    int where;
    CHECK(max_rel_diff(network_predict(net, x), before, n, &where) == 0);
    free(before);
    free(x);
    free_network(net);
}

TEST(spatial_layers_inference_only_network_matches)
{
    const char *path = temp_file(mixed_cfg);
    network *full = load_network(path, NULL, 0), *frozen = load_network_frozen(path, NULL);
    unlink(path);
    CHECK_MSG(full && frozen, "%s", dn_last_error());
    if (full && frozen) {
        CHECK(frozen->layers[6].delta == NULL);
        float *x = random_input(full, 16);
        float *a = network_predict(full, x);
        float *b = network_predict(frozen, x);
        CHECK(max_rel_diff(b, a, full->batch * network_outputs(full), NULL) == 0);
        free(x);
    }
    free_network(full);
    free_network(frozen);
}

/* ---------------- cfg errors ---------------- */

static void expect_error(const char *layers, const char *key, const char *words)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "[net]\nwidth=8\nheight=8\nchannels=2\n"
             "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"
             "[convolutional]\nfilters=6\nsize=3\nstride=2\npad=1\nactivation=linear\n%s",
             layers);
    dn_clear_error();
    network *net = net_from_text(cfg);
    CHECK_MSG(net == NULL, "accepted: %s", layers);
    free_network(net);
    const char *msg = dn_last_error();
    char key_eq[64], quoted[64];
    snprintf(key_eq, sizeof key_eq, "%s=", key);
    snprintf(quoted, sizeof quoted, "'%s'", key);
    CHECK_MSG(strstr(msg, key_eq) || strstr(msg, quoted), "message does not name %s: %s", key, msg);
    CHECK_MSG(!words || strstr(msg, words), "message lacks '%s': %s", words, msg);
}

static void expect_ok(const char *layers)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "[net]\nwidth=8\nheight=8\nchannels=2\n"
                              "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n%s",
             layers);
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "rejected %s: %s", layers, dn_last_error());
    free_network(net);
}

TEST(spatial_layers_cfg_errors)
{
    expect_error("[maxpool]\nsize=2\nmaxpool_depth=1\n", "maxpool_depth", "not supported");
    expect_error("[maxpool]\nsize=2\nantialiasing=1\n", "antialiasing", "not supported");
    expect_error("[maxpool]\nsize=2\nstride=0\n", "stride", NULL);
    expect_error("[maxpool]\nsize=2\npadding=-1\n", "padding", NULL);
    expect_error("[upsample]\nstride=-2\n", "stride", "not supported");
    expect_error("[upsample]\nstride=0\n", "stride", NULL);
    /* layer 0 is 8x8x4, layer 1 is 4x4x6 */
    expect_error("[route]\nlayers=-1,-2\n", "layers", "4 x 4 x 6");
    expect_error("[route]\nlayers=-1,5\n", "layers", "not before");
    expect_error("[route]\nlayers=-1,-9\n", "layers", "does not exist");
    expect_error("[route]\nlayers=a\n", "layers", NULL);
    expect_error("[route]\nlayers=-1\ngroups=4\n", "groups", "divisible");
    expect_error("[route]\nlayers=-1\ngroups=2\ngroup_id=2\n", "group_id", NULL);
    expect_error("[shortcut]\nfrom=-1,-2\n", "from", "only one layer supported");
    expect_error("[shortcut]\nfrom=3\n", "from", NULL);
    expect_error("[shortcut]\nfrom=0\nweights_type=per_channel\n", "weights_type", "not supported");
    expect_error("[shortcut]\nfrom=0\nweights_normalization=softmax\n", "weights_normalization", "not supported");
    expect_error("[shortcut]\nfrom=0\nactivation=foo\n", "activation", NULL);
    expect_error("[shortcut]\nfrom=0\nalpha=2\n", "alpha", NULL); /* unknown keys stay errors */
    /* a missing required key names it too */
    dn_clear_error();
    network *net = net_from_text("[net]\nwidth=4\nheight=4\nchannels=1\n[maxpool]\n[shortcut]\n");
    CHECK(net == NULL && strstr(dn_last_error(), "from"));
    free_network(net);

    expect_ok("[maxpool]\nsize=2\nstride=2\nmaxpool_depth=0\nantialiasing=0\nout_channels=3\n");
    expect_ok("[shortcut]\nfrom=-1\nweights_type=none\nweights_normalization=none\n");
    expect_ok("[route]\nlayers=0\nstream=1\n");
}
