/* Effective receptive fields (src/analysis/erf.c): hand-derived maps of
 * linear conv stacks, the ReLU'd channel selection, images run in a batch,
 * forward/backward stopping at the target layer, area fractions, rendering;
 * and the core change ERF needs: backward after an inference-mode forward. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "erf.h"
#include "image.h"
#include "network.h"
#include "test.h"

enum { S = 9, C = 3 }; /* input side and colours of the small cases */

static network *erf_net(int batch, const char *layers)
{
    char cfg[2048];
    snprintf(cfg, sizeof cfg, "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n%s", batch, S, S, C, layers);
    return build_net(cfg);
}

static float *conv_weights(network *net, int i) { return net->layers[i].stored[1]; } /* no batch norm */
static float *conv_biases(network *net, int i) { return net->layers[i].stored[0]; }

/* The ERF of one image (input in [0, 1]) for `target`, as floats. */
static void erf_of(network *net, int target, erf_grad mode, unsigned seed, float *map)
{
    float *x = random_input(net, seed);
    for (int i = 0; i < net->batch * net->inputs; ++i) x[i] = 0.5f + 0.5f * x[i];
    double sum[S * S] = {0};
    CHECK_MSG(erf_add_batch(net, target, x, 1, mode, sum) == 0, "erf_add_batch: %s", dn_last_error());
    for (int p = 0; p < S * S; ++p) map[p] = (float)sum[p];
    free(x);
}

/* expected[c][dy][dx] of a k x k pattern centred on the 9 x 9 input: the map
 * is the sum over c of |pattern|, zero elsewhere. */
static void check_centred(const float *map, const double *pattern, int k, int channels, const char *what)
{
    int r = k / 2, bad = 0;
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x) {
            int dy = y - S / 2 + r, dx = x - S / 2 + r;
            double want = 0;
            if (dy >= 0 && dy < k && dx >= 0 && dx < k)
                for (int c = 0; c < channels; ++c) want += fabs(pattern[(c * k + dy) * k + dx]);
            if (fabs(map[y * S + x] - want) > 1e-5 * (1 + want) && !bad++)
                CHECK_MSG(0, "%s: map(%d, %d) = %g, want %g", what, x, y, map[y * S + x], want);
        }
}

TEST(erf_one_conv_is_its_kernel)
{
    /* one filter, linear: d out(4,4) / d x[c][4+ky-1][4+kx-1] = w[c][ky][kx] */
    network *net = erf_net(1, "[convolutional]\nfilters=1\nsize=3\nstride=1\npad=1\nactivation=linear\n");
    if (!net) return;
    float *w = conv_weights(net, 0);
    double pattern[C * 9], positive[C * 9];
    for (int i = 0; i < C * 9; ++i) {
        w[i] = (float)((i * 7 % 11) - 5) / 4; /* mixed signs */
        pattern[i] = w[i];
        positive[i] = w[i] > 0 ? w[i] : 0;
    }
    conv_biases(net, 0)[0] = 100; /* centre output > 0 for any input in [0, 1] */
    float map[S * S];
    erf_of(net, 0, ERF_GRAD_ABS, 1, map);
    check_centred(map, pattern, 3, C, "abs");
    erf_of(net, 0, ERF_GRAD_RELU, 1, map);
    check_centred(map, positive, 3, C, "relu");
    free_network(net);
}

TEST(erf_two_convs_give_the_full_correlation)
{
    /* in C -> 2 -> 2 channels, linear: the gradient of sum_f out2[f](4,4) is
     * sum_{f,m} w2[f][m] (*) w1[m][c], a 5x5 pattern per colour */
    network *net = erf_net(1, "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n"
                              "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n");
    if (!net) return;
    float *w1 = conv_weights(net, 0), *w2 = conv_weights(net, 1);
    random_fill(w1, 2 * C * 9, -1, 1, 3);
    random_fill(w2, 2 * 2 * 9, -1, 1, 4);
    conv_biases(net, 1)[0] = conv_biases(net, 1)[1] = 1000;
    double pattern[C * 25] = {0};
    for (int f = 0; f < 2; ++f)
        for (int m = 0; m < 2; ++m)
            for (int c = 0; c < C; ++c)
                for (int y2 = 0; y2 < 3; ++y2)
                    for (int x2 = 0; x2 < 3; ++x2)
                        for (int y1 = 0; y1 < 3; ++y1)
                            for (int x1 = 0; x1 < 3; ++x1)
                                pattern[(c * 5 + y1 + y2) * 5 + x1 + x2] +=
                                    (double)w2[((f * 2 + m) * 3 + y2) * 3 + x2] * w1[((m * C + c) * 3 + y1) * 3 + x1];
    float map[S * S];
    erf_of(net, 1, ERF_GRAD_ABS, 2, map);
    check_centred(map, pattern, 5, C, "two convs");
    /* the first layer as the target: its own kernels, summed over its two filters */
    double first[C * 9] = {0};
    for (int m = 0; m < 2; ++m)
        for (int i = 0; i < C * 9; ++i) first[i] += w1[m * C * 9 + i];
    conv_biases(net, 0)[0] = conv_biases(net, 0)[1] = 1000;
    erf_of(net, 0, ERF_GRAD_ABS, 2, map);
    check_centred(map, first, 3, C, "first layer");
    free_network(net);
}

TEST(erf_counts_only_channels_positive_at_the_centre)
{
    /* filter 0 is positive at the centre, filter 1 negative: only filter 0's kernel shows */
    network *net = erf_net(1, "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n");
    if (!net) return;
    float *w = conv_weights(net, 0);
    random_fill(w, 2 * C * 9, -0.1f, 0.1f, 5);
    conv_biases(net, 0)[0] = 10;
    conv_biases(net, 0)[1] = -10;
    double pattern[C * 9];
    for (int i = 0; i < C * 9; ++i) pattern[i] = w[i];
    float map[S * S];
    erf_of(net, 0, ERF_GRAD_ABS, 6, map);
    check_centred(map, pattern, 3, C, "relu selection");
    /* and nothing at all when no channel is positive */
    conv_biases(net, 0)[0] = -10;
    erf_of(net, 0, ERF_GRAD_ABS, 6, map);
    float total = 0;
    for (int p = 0; p < S * S; ++p) total += map[p];
    CHECK(total == 0);
    free_network(net);
}

TEST(erf_stops_at_the_target_layer)
{
    /* layers after the target must run neither forward nor backward: garbage
     * in their deltas and a loss at the end change nothing */
    network *net = erf_net(1, "[convolutional]\nfilters=1\nsize=3\nstride=1\npad=1\nactivation=linear\n"
                              "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n"
                              "[cost]\ntype=sse\n");
    if (!net) return;
    float *w = conv_weights(net, 0);
    double pattern[C * 9];
    random_fill(w, C * 9, -1, 1, 7);
    for (int i = 0; i < C * 9; ++i) pattern[i] = w[i];
    conv_biases(net, 0)[0] = 100;
    for (int i = 1; i < net->n; ++i)
        for (int k = 0; k < net->layers[i].outputs; ++k) net->layers[i].delta[k] = 3;
    float map[S * S];
    erf_of(net, 0, ERF_GRAD_ABS, 8, map);
    check_centred(map, pattern, 3, C, "target before a loss");
    CHECK(net->layers[1].delta[0] == 3); /* untouched */
    CHECK(erf_default_layer(net) == 1);
    free_network(net);
}

static const char deep_layers[] =
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=1\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=relu\n";

TEST(erf_batch_images_are_independent)
{
    /* batch norm in inference mode: three images in one batch give the sum of
     * the three run alone */
    network *one = erf_net(1, deep_layers), *three = erf_net(3, deep_layers);
    if (!one || !three) return;
    for (int i = 0; i < one->n; ++i)
        for (int t = 0; t < one->layers[i].n_stored; ++t)
            memcpy(three->layers[i].stored[t], one->layers[i].stored[t], sizeof(float) * one->layers[i].stored_n[t]);
    float *x = random_input(three, 9);
    double alone[S * S] = {0}, together[S * S] = {0};
    for (int b = 0; b < 3; ++b)
        CHECK(erf_add_batch(one, 2, x + b * one->inputs, 1, ERF_GRAD_ABS, alone) == 0);
    CHECK(erf_add_batch(three, 2, x, 3, ERF_GRAD_ABS, together) == 0);
    double total = 0, worst = 0;
    for (int p = 0; p < S * S; ++p) {
        total += alone[p];
        worst = fmax(worst, fabs(alone[p] - together[p]));
    }
    CHECK_MSG(total > 0, "empty ERF");
    CHECK_MSG(worst <= 1e-5 * (1 + total), "batch of 3 differs from 3 alone by %g", worst);
    /* only the first n images count: n = 1 gives image 0 alone */
    double first[S * S] = {0}, first_alone[S * S] = {0};
    CHECK(erf_add_batch(three, 2, x, 1, ERF_GRAD_ABS, first) == 0);
    CHECK(erf_add_batch(one, 2, x, 1, ERF_GRAD_ABS, first_alone) == 0);
    for (int p = 0; p < S * S; ++p) CHECK_NEAR(first[p], first_alone[p], 1e-5);
    free(x);
    free_network(one);
    free_network(three);
}

TEST(erf_refuses_bad_targets)
{
    network *net = erf_net(1, "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\nactivation=linear\n"
                              "[cost]\ntype=sse\n");
    if (!net) return;
    dn_clear_error();
    CHECK(erf_check_layer(net, 7) == -1 && strstr(dn_last_error(), "layer 7"));
    dn_clear_error();
    CHECK(erf_check_layer(net, -1) == -1 && strstr(dn_last_error(), "layer -1"));
    dn_clear_error();
    CHECK(erf_check_layer(net, 1) == -1 && strstr(dn_last_error(), "loss"));
    dn_clear_error();
    CHECK(erf_check_layer(net, 0) == 0);
    free_network(net);
    const char *path = temp_file("[net]\nwidth=9\nheight=9\nchannels=3\n"
                                 "[convolutional]\nfilters=2\nsize=3\nstride=1\npad=1\n");
    network *frozen = load_network_frozen(path, NULL);
    unlink(path);
    CHECK(frozen != NULL);
    if (frozen) {
        dn_clear_error();
        CHECK(erf_check_layer(frozen, 0) == -1 && strstr(dn_last_error(), "inference only"));
        dn_clear_error();
    }
    free_network(frozen);
}

TEST(erf_from_files_averages_and_skips_bad_images)
{
    network *net = erf_net(2, "[convolutional]\nfilters=1\nsize=3\nstride=1\npad=1\nactivation=linear\n");
    if (!net) return;
    float *w = conv_weights(net, 0);
    double pattern[C * 9];
    random_fill(w, C * 9, -1, 1, 10);
    for (int i = 0; i < C * 9; ++i) pattern[i] = w[i];
    conv_biases(net, 0)[0] = 100;
    char a[64], b[64];
    snprintf(a, sizeof a, "/tmp/dn_erf_%d_a.png", (int)getpid());
    snprintf(b, sizeof b, "/tmp/dn_erf_%d_b.png", (int)getpid());
    image *im = make_image_fill(13, 7, 3, 0.25f); /* letterboxed to 9 x 9 */
    CHECK(im && save_image(im, a) == 0 && save_image(im, b) == 0);
    free_image(im);
    char *paths[] = {a, "/nonexistent/erf.png", b};
    float map[S * S];
    int used = -1;
    dn_set_log_level(DN_LOG_ERROR); /* the skip warning */
    CHECK_MSG(erf_from_files(net, 0, paths, 3, ERF_GRAD_ABS, map, &used, NULL, NULL) == 0, "%s", dn_last_error());
    CHECK(used == 2);
    check_centred(map, pattern, 3, C, "mean over files"); /* a linear net: the same for every image */
    char *none[] = {"/nonexistent/erf.png"};
    CHECK(erf_from_files(net, 0, none, 1, ERF_GRAD_ABS, map, &used, NULL, NULL) == -1 && used == 0);
    dn_set_log_level(DN_LOG_WARN); /* as test_main sets it */
    dn_clear_error();
    unlink(a);
    unlink(b);
    free_network(net);
}

TEST(erf_area_fractions_of_hand_made_maps)
{
    float map[100] = {0}, out[ERF_N_LEVELS];
    map[37] = 5; /* one hot pixel: 1/100 at every level */
    CHECK(erf_area_fractions(map, 100, erf_levels, ERF_N_LEVELS, out) == 0);
    for (int k = 0; k < ERF_N_LEVELS; ++k) CHECK_NEAR(out[k], 0.01, 1e-7);
    for (int i = 0; i < 100; ++i) map[i] = 0.3f; /* uniform: t of the area */
    CHECK(erf_area_fractions(map, 100, erf_levels, ERF_N_LEVELS, out) == 0);
    for (int k = 0; k < ERF_N_LEVELS; ++k) CHECK_NEAR(out[k], erf_levels[k], 1e-6);
    float four[4] = {2, 4, 1, 3}; /* sorted 4 3 2 1 of 10: 2 -> 1, 3 -> 1, 5 -> 2, 9.9 -> 4 values */
    CHECK(erf_area_fractions(four, 4, erf_levels, ERF_N_LEVELS, out) == 0);
    CHECK_NEAR(out[0], 0.25, 1e-7);
    CHECK_NEAR(out[1], 0.25, 1e-7);
    CHECK_NEAR(out[2], 0.5, 1e-7);
    CHECK_NEAR(out[3], 1.0, 1e-7);
    float zeros[5] = {0};
    CHECK(erf_area_fractions(zeros, 5, erf_levels, ERF_N_LEVELS, out) == 0 && out[2] == 0);
}

TEST(erf_log_scale_and_render)
{
    float m[3] = {0, 9, 99};
    erf_log_scale(m, 3);
    CHECK_NEAR(m[0], 0, 1e-7);
    CHECK_NEAR(m[1], 0.5, 1e-6);
    CHECK_NEAR(m[2], 1, 1e-7);
    float lo[3], hi[3];
    erf_colormap(0, lo);
    erf_colormap(1, hi);
    CHECK(lo[2] > lo[1] && hi[0] > hi[2]); /* purple to yellow */
    float map[S * S] = {0};
    map[(S / 2) * S + S / 2] = 1;
    image *im = erf_render(map, S, S, "title", "caption");
    CHECK(im != NULL);
    if (!im) return;
    int zoom = 29; /* the smallest factor that makes 9 pixels at least 256 */
    CHECK(im->w == S * zoom && im->h > S * zoom);
    int top = (im->h - S * zoom) / 2, cx = S / 2 * zoom + zoom / 2;
    for (int k = 0; k < 3; ++k) {
        CHECK_NEAR(*image_at(im, cx, top + cx, k), hi[k], 1e-6);  /* the hot centre */
        CHECK_NEAR(*image_at(im, 3, top + 3, k), lo[k], 1e-6);    /* a cold corner */
    }
    image *grey = make_image_fill(5, 4, 1, 0.2f);
    const image *parts[2] = {im, grey};
    image *strip = images_side_by_side(parts, 2, 8);
    CHECK(strip && strip->w == im->w + 8 + 5 && strip->h == im->h && strip->c == 3);
    if (strip) {
        CHECK_NEAR(*image_at(strip, cx, top + cx, 0), hi[0], 1e-6);
        CHECK_NEAR(*image_at(strip, im->w + 8 + 2, 1, 1), 0.2, 1e-6); /* grey, all channels */
        CHECK_NEAR(*image_at(strip, im->w + 3, 1, 2), 1.0, 1e-6);      /* white gap */
        CHECK_NEAR(*image_at(strip, im->w + 9, 10, 0), 1.0, 1e-6);     /* white below the short one */
    }
    free_image(strip);
    free_image(grey);
    free_image(im);
}

TEST(backward_after_inference_forward_matches_finite_differences)
{
    /* what ERF relies on: with net->train = 0, backward is the gradient of
     * the inference forward (batch norm with rolling statistics as constants,
     * activations that need their input, layer norm, shortcut) */
    network *net = erf_net(2, "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=swish\n"
                              "[layernorm]\n"
                              "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=gelu\n"
                              "[convolutional]\nfilters=4\nsize=1\nstride=1\npad=0\nactivation=mish\n"
                              "[shortcut]\nfrom=-2\nactivation=swish\n"
                              "[connected]\nbatch_normalize=1\noutput=3\nactivation=tanh\n");
    if (!net) return;
    /* rolling statistics far from the batch ones, so a train-mode gradient would not match */
    int bn[3][2] = {{0, 4}, {2, 4}, {5, 3}};
    for (int k = 0; k < 3; ++k) {
        layer *l = &net->layers[bn[k][0]];
        int conv = l->n_stored == 5, n = bn[k][1];
        float *mean = l->stored[conv ? 2 : 3], *var = l->stored[conv ? 3 : 4];
        random_fill(mean, n, -0.5f, 0.5f, 20 + k);
        random_fill(var, n, 0.5f, 3.0f, 30 + k);
    }
    float *x = random_input(net, 11);
    double worst = grad_check_mode(net, x, 1e-3, 0);
    CHECK_MSG(worst < 2e-2, "inference-mode gradients off by %g", worst);
    free(x);
    free_network(net);
}
