/* test_attention.c: [attention] and [posembed]. The forward pass against a
 * plain reference written from the definition (per query position: the keys
 * it may see, found from the rolled coordinates, then dot products, softmax
 * and weighted sums in double), for global attention, windows, shifted
 * windows, relative position bias, odd map sizes, partial windows and
 * batch > 1; backward against finite differences; the weights file order and
 * round trip; resizing; and cfg errors naming line and key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

typedef struct {
    int w, h, c, heads, window, shift, relative, batch;
} attn_case;

static network *attention_net(const attn_case *k, const char *extra)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[attention]\nheads=%d\nwindow=%d\nshift=%d\npos_bias=%s\n%s",
             k->batch, k->w, k->h, k->c, k->heads, k->window, k->shift, k->relative ? "relative" : "none",
             extra ? extra : "");
    return build_net(text);
}

/* Random weights large enough that the attention is far from uniform. */
static void randomise(layer *l, unsigned seed)
{
    for (int p = 0; p < l->n_params; ++p) random_fill(l->params[p].val, l->params[p].n, -0.8f, 0.8f, seed + p);
}

/* The reference's view of a position: its rolled coordinates, window, place
 * in the window and wrap-around group. */
typedef struct {
    int window_id, ry, rx, group;
} token_info;

static token_info token_of(const attn_case *k, int w, int h, int y, int x)
{
    int wh = k->window ? k->window : h, ww = k->window ? k->window : w;
    int shift = (h <= wh && w <= ww) ? 0 : k->shift;
    int yr = ((y - shift) % h + h) % h, xr = ((x - shift) % w + w) % w;   /* map -> rolled */
    token_info t = {(yr / wh) * 1000 + xr / ww, yr % wh, xr % ww, 0};
    if (shift) t.group = (yr >= h - shift) * 2 + (xr >= w - shift);
    return t;
}

/* Reference output of image b at every position, into ref (c x h x w). */
static void reference(const attn_case *k, const layer *l, int w, int h, const float *x, double *ref)
{
    int C = k->c, n = w * h, d = C / k->heads, wh = k->window ? k->window : h, ww = k->window ? k->window : w;
    const float *bq = l->stored[0], *W = l->stored[1], *bo = l->stored[2], *Wo = l->stored[3];
    const float *table = k->relative ? l->stored[4] : NULL;
    double *qkv = calloc((size_t)3 * C * n, sizeof *qkv), *o = calloc((size_t)C * n, sizeof *o);
    double *p = calloc((size_t)n, sizeof *p);
    for (int r = 0; r < 3 * C; ++r)
        for (int i = 0; i < n; ++i) {
            double s = bq[r];
            for (int c = 0; c < C; ++c) s += (double)W[r * C + c] * x[c * n + i];
            qkv[(size_t)r * n + i] = s;
        }
    for (int hd = 0; hd < k->heads; ++hd)
        for (int i = 0; i < n; ++i) {
            token_info ti = token_of(k, w, h, i / w, i % w);
            double max = -1e300, sum = 0;
            for (int j = 0; j < n; ++j) {
                token_info tj = token_of(k, w, h, j / w, j % w);
                p[j] = NAN;
                if (ti.window_id != tj.window_id || ti.group != tj.group) continue;
                double s = 0;
                for (int e = 0; e < d; ++e) s += qkv[(size_t)(hd * d + e) * n + i] * qkv[(size_t)(C + hd * d + e) * n + j];
                s /= sqrt(d);
                if (table) s += table[hd * (2 * wh - 1) * (2 * ww - 1) + (ti.ry - tj.ry + wh - 1) * (2 * ww - 1) +
                                      ti.rx - tj.rx + ww - 1];
                p[j] = s;
                max = s > max ? s : max;
            }
            for (int j = 0; j < n; ++j) sum += isnan(p[j]) ? 0 : exp(p[j] - max);
            for (int e = 0; e < d; ++e) {
                double v = 0;
                for (int j = 0; j < n; ++j)
                    if (!isnan(p[j])) v += exp(p[j] - max) / sum * qkv[(size_t)(2 * C + hd * d + e) * n + j];
                o[(size_t)(hd * d + e) * n + i] = v;
            }
        }
    for (int c = 0; c < C; ++c)
        for (int i = 0; i < n; ++i) {
            double s = bo[c];
            for (int e = 0; e < C; ++e) s += (double)Wo[c * C + e] * o[(size_t)e * n + i];
            ref[(size_t)c * n + i] = s;
        }
    free(qkv), free(o), free(p);
}

/* Worst |output - reference| over the batch at the network's current size. */
static double forward_error(const attn_case *k, network *net, unsigned seed)
{
    layer *l = &net->layers[0];
    float *x = random_input(net, seed);
    const float *out = network_predict(net, x);
    double *ref = malloc(sizeof(double) * l->inputs), worst = 0;
    for (int b = 0; b < net->batch; ++b) {
        reference(k, l, l->w, l->h, x + (size_t)b * l->inputs, ref);
        for (int i = 0; i < l->inputs; ++i) worst = fmax(worst, fabs(out[(size_t)b * l->outputs + i] - ref[i]));
    }
    free(ref);
    free(x);
    return worst;
}

static const attn_case cases[] = {
    {4, 4, 8, 2, 0, 0, 0, 2},    /* ViT: every position sees every other */
    {7, 5, 6, 3, 0, 0, 1, 2},    /* odd map, relative bias over the whole map */
    {8, 8, 8, 2, 4, 0, 1, 2},    /* Swin windows */
    {8, 8, 8, 2, 4, 2, 1, 3},    /* shifted windows, batch 3 */
    {7, 5, 4, 1, 3, 1, 1, 2},    /* partial windows at the right and bottom, shifted */
    {3, 3, 4, 2, 4, 2, 1, 1},    /* the map fits in one window: no shift */
};

TEST(attention_forward_matches_plain_reference)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const attn_case *k = &cases[i];
        network *net = attention_net(k, NULL);
        if (!net) continue;
        randomise(&net->layers[0], 7 + (unsigned)i);
        double err = forward_error(k, net, 11 + (unsigned)i);
        CHECK_MSG(err < 1e-4, "case %zu (%dx%d, window %d, shift %d): output differs by %g", i, k->w, k->h,
                  k->window, k->shift, err);
        free_network(net);
    }
}

TEST(attention_windowed_layer_resizes_to_odd_sizes)
{
    const attn_case k = {8, 8, 8, 2, 4, 2, 1, 2};
    network *net = attention_net(&k, NULL);
    if (!net) return;
    randomise(&net->layers[0], 5);
    CHECK(resize_network(net, 10, 6) == 0);
    CHECK(net->layers[0].out_w == 10 && net->layers[0].out_h == 6);
    double err = forward_error(&k, net, 3);
    CHECK_MSG(err < 1e-4, "after resizing to 10 x 6: output differs by %g", err);
    free_network(net);
    /* a relative bias over the whole map (window=0) is made for one size */
    const attn_case g = {4, 4, 4, 1, 0, 0, 1, 1};
    net = attention_net(&g, NULL);
    if (!net) return;
    CHECK(resize_network(net, 6, 6) != 0);
    CHECK_MSG(strstr(dn_last_error(), "position bias") != NULL, "message: %s", dn_last_error());
    CHECK(net->layers[0].out_w == 4);
    free_network(net);
}

TEST(attention_gradient_matches_finite_differences)
{
    static const attn_case grad_cases[] = {
        {4, 3, 4, 2, 0, 0, 1, 2},   /* global with relative bias, odd map */
        {5, 6, 4, 2, 3, 1, 1, 2},   /* shifted partial windows */
    };
    for (size_t i = 0; i < sizeof grad_cases / sizeof grad_cases[0]; ++i) {
        network *net = attention_net(&grad_cases[i], NULL);
        if (!net) continue;
        randomise(&net->layers[0], 21 + (unsigned)i);
        float *x = random_input(net, 4 + (unsigned)i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        free(x);
        free_network(net);
    }
}

/* In a block (layernorm -> attention -> shortcut), gradients still add up. */
TEST(attention_block_gradient_matches_finite_differences)
{
    network *net = build_net("[net]\nbatch=2\nwidth=4\nheight=4\nchannels=4\n"
                             "[posembed]\n[layernorm]\n[attention]\nheads=2\nwindow=2\nshift=1\npos_bias=relative\n"
                             "[shortcut]\nfrom=-3\n");
    if (!net) return;
    randomise(&net->layers[2], 3);
    randomise(&net->layers[0], 4);
    float *x = random_input(net, 9);
    double err = grad_check(net, x, 1e-2);
    CHECK_MSG(err < 2e-2, "gradient error %g", err);
    free(x);
    free_network(net);
}

TEST(attention_weights_file_order_and_round_trip)
{
    const attn_case k = {4, 4, 8, 2, 2, 1, 1, 1};
    network *net = attention_net(&k, NULL);
    if (!net) return;
    layer *l = &net->layers[0];
    int C = 8, entries = 3 * 3;
    CHECK(l->n_stored == 5);
    CHECK(l->stored_n[0] == 3 * C && l->stored_n[1] == 3 * C * C && l->stored_n[2] == C &&
          l->stored_n[3] == C * C && l->stored_n[4] == 2 * entries);
    randomise(l, 31);
    float *x = random_input(net, 2);
    float *before = malloc(sizeof(float) * l->outputs);
    memcpy(before, network_predict(net, x), sizeof(float) * l->outputs);
    char path[] = "/tmp/dn_attn_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    CHECK(save_weights(net, path) == 0);
    network *again = attention_net(&k, NULL);
    if (again) {
        CHECK(load_weights(again, path) == 0);
        const float *after = network_predict(again, x);
        CHECK(max_rel_diff(after, before, l->outputs, NULL) == 0);
        free_network(again);
    }
    unlink(path);
    free(before);
    free(x);
    free_network(net);
}

TEST(posembed_adds_its_embedding_and_refuses_another_size)
{
    network *net = build_net("[net]\nbatch=2\nwidth=3\nheight=2\nchannels=2\n[posembed]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->n_stored == 1 && l->stored_n[0] == 12);
    float *x = random_input(net, 5);
    const float *out = network_predict(net, x);
    double worst = 0;
    for (int b = 0; b < 2; ++b)
        for (int i = 0; i < 12; ++i) worst = fmax(worst, fabs(out[b * 12 + i] - (x[b * 12 + i] + l->stored[0][i])));
    CHECK(worst < 1e-6);
    double err = grad_check(net, x, 1e-2);
    CHECK_MSG(err < 1e-2, "gradient error %g", err);
    CHECK(resize_network(net, 4, 2) != 0);
    free(x);
    free_network(net);
}

TEST(attention_bad_cfgs_are_refused_naming_line_and_key)
{
    static const struct {
        const char *keys;
        int line;
        const char *key;
    } bad[] = {
        {"heads=3\n", 7, "heads"},
        {"shift=2\n", 7, "shift"},
        {"window=4\nshift=4\n", 8, "shift"},
        {"pos_bias=absolute\n", 7, "pos_bias"},
        {"windows=4\n", 7, "windows"},
        {"heads=0\n", 7, "heads"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        char text[512], where[96];
        snprintf(text, sizeof text, "[net]\nbatch=1\nwidth=8\nheight=8\nchannels=8\n[attention]\n%s", bad[i].keys);
        dn_clear_error();
        const char *path = temp_file(text);
        network *net = parse_network_cfg(path);
        unlink(path);
        CHECK_MSG(net == NULL, "case %zu accepted", i);
        free_network(net);
        snprintf(where, sizeof where, "%s:%d", path, bad[i].line);
        CHECK_MSG(strstr(dn_last_error(), where) && strstr(dn_last_error(), bad[i].key),
                  "case %zu: message lacks %s or %s: %s", i, where, bad[i].key, dn_last_error());
    }
}
