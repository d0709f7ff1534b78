/* [attention]: multi-head self-attention over the positions of a feature map
 * (ViT's and Swin's token mixer). Each of the H x W positions is a token of C
 * features; per image
 *   [q; k; v] = Wqkv x + bqkv              (3C x C, one gemm over all tokens)
 *   per head h (C / heads features each) and window:
 *     P = softmax(q_h^T k_h / sqrt(C / heads) + bias + mask),   o_h = v_h P^T
 *   y = Wo o + bo                          (C x C)
 * Output shape = input shape; add the block's input with a [shortcut].
 *
 * Keys: heads (1; must divide the channels), window (0: every position sees
 * every other, ViT; W > 0: W x W windows, Swin), shift (0; Swin's shifted
 * windows, usually window/2 in every second block: the map is rolled by
 * -shift before the partition and tokens that wrapped around attend only to
 * each other), pos_bias=none|relative (a learned bias per head for each
 * relative offset inside a window, Swin's table; with window=0 it spans the
 * map, so the network cannot then be resized). A map not divisible by the
 * window gets smaller windows at its right and bottom; a map that fits in one
 * window is not shifted (as Swin).
 *
 * Weights file (our own layer type), in this order: qkv biases [3C], qkv
 * weights [3C][C] (rows: the C queries, then keys, then values; head h owns
 * rows h*C/heads.. of each), output biases [C], output weights [C][C], then
 * with pos_bias=relative the table [heads][(2wh-1)(2ww-1)], indexed by
 * (dy + wh - 1)(2ww - 1) + dx + ww - 1 with (dy, dx) = query - key position.
 * Initial weights as PyTorch's nn.Linear (uniform, +-1/sqrt(C)), biases 0, the
 * table N(0, 0.02^2) truncated at 2 sd (Swin). No dropout or drop-path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "batchnorm.h"
#include "errors.h"
#include "gemm.h"
#include "layer_desc.h"
#include "network.h"
#include "threadpool.h"
#ifdef DN_GPU
#include <limits.h>

#include "attention_gpu.h"
#include "batchnorm_gpu.h"
#include "gemm_gpu.h"
#include "gpu.h"
#endif

enum { BIAS_NONE, BIAS_RELATIVE };

typedef struct {
    int heads, window, shift, pos_bias, C, entries;
    float *wqkv, *bqkv, *wo, *bo;     /* 3C x C, 3C, C x C, C */
    float *wqkv_grad, *bqkv_grad, *wo_grad, *bo_grad;
    float *table, *table_grad;        /* heads x entries */
    attn_layout t;
    int ld;                           /* batch x tokens: row stride of the token buffers */
    /* kept from forward for backward; token buffers are C-major, columns image by image in window order */
    float *x, *qkv, *att, *o;         /* C x ld, 3C x ld, batch x heads x pairs, C x ld */
    float *dqkv, *dout, *ds;          /* backward scratch (in net->workspace) */
#ifdef DN_GPU
    gpu_buffer x_gpu, qkv_gpu, att_gpu, o_gpu;   /* device twins */
    gpu_buffer layout_ints;                      /* the device layout's arrays */
    attn_layout_gpu td;
#endif
} attention_state;

static int entries_for(int h, int w, int window)
{
    int wh = window > 0 ? window : h, ww = window > 0 ? window : w;
    return (2 * wh - 1) * (2 * ww - 1);
}

static int check_keys(layer *l, cfg_section *sec, attention_state *s)
{
    if (l->c % s->heads)
        return cfg_fail(sec, "heads", "%d heads do not divide the %d input channels", s->heads, l->c);
    if (s->shift && !s->window) return cfg_fail(sec, "shift", "shift=%d needs window=", s->shift);
    if (s->shift >= s->window && s->shift)
        return cfg_fail(sec, "shift", "shift=%d must be smaller than window=%d", s->shift, s->window);
    if ((double)l->c * l->c * 4 > (1 << 30))
        return cfg_fail(sec, "attention", "%d channels give too many weights", l->c);
    return 0;
}

/* One parameter per tensor of the weights file, in its order. */
static float *add_stored_param(layer *l, network *net, int n, int decay, float **grad)
{
    float *val = layer_add_param(l, net, n, decay);
    if (!val) return NULL;
    *grad = l->params[l->n_params - 1].grad;
    layer_store(l, val, n);
    return val;
}

static int alloc_params(layer *l, attention_state *s, network *net)
{
    int C = s->C;
    if (!(s->bqkv = add_stored_param(l, net, 3 * C, 0, &s->bqkv_grad)) ||
        !(s->wqkv = add_stored_param(l, net, 3 * C * C, 1, &s->wqkv_grad)) ||
        !(s->bo = add_stored_param(l, net, C, 0, &s->bo_grad)) ||
        !(s->wo = add_stored_param(l, net, C * C, 1, &s->wo_grad)))
        return -1;
    if (s->pos_bias == BIAS_RELATIVE && !(s->table = add_stored_param(l, net, s->heads * s->entries, 0, &s->table_grad)))
        return -1;
    return 0;
}

static int attention_parse(layer *l, cfg_section *sec, network *net)
{
    attention_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    static const char *const biases[] = {"none", "relative", NULL};
    s->heads = cfg_int_range(sec, "heads", 1, 1, 1 << 16);
    s->window = cfg_int_range(sec, "window", 0, 0, 1 << 16);
    s->shift = cfg_int_range(sec, "shift", 0, 0, 1 << 16);
    s->pos_bias = cfg_enum(sec, "pos_bias", biases, BIAS_NONE);
    if (cfg_failed(sec) || check_keys(l, sec, s)) return -1;
    s->C = l->c;
    s->entries = entries_for(l->h, l->w, s->window);
    return alloc_params(l, s, net);
}

static void attention_init_weights(layer *l, network *net)
{
    attention_state *s = l->priv;
    float scale = 1 / sqrtf((float)s->C);
    for (int i = 0; i < 3 * s->C * s->C; ++i) s->wqkv[i] = rng_range(&net->rng, -scale, scale);
    for (int i = 0; i < s->C * s->C; ++i) s->wo[i] = rng_range(&net->rng, -scale, scale);
    for (int i = 0; s->table && i < s->heads * s->entries; ++i) {
        float v = rng_normal(&net->rng);
        s->table[i] = 0.02f * (v > 2 ? 2 : v < -2 ? -2 : v);
    }
}

static int alloc_buffers(layer *l, attention_state *s, network *net)
{
    size_t cols = (size_t)s->ld, C = (size_t)s->C, att = (size_t)l->batch * s->heads * s->t.pairs;
    if (!(s->x = dn_realloc(s->x, C * cols, sizeof(float))) ||
        !(s->qkv = dn_realloc(s->qkv, 3 * C * cols, sizeof(float))) ||
        !(s->o = dn_realloc(s->o, C * cols, sizeof(float))) || !(s->att = dn_realloc(s->att, att, sizeof(float))))
        return -1;
    /* forward: the projected output before it goes back to map order; backward: dy (later dx), do,
     * d[q;k;v] and the score gradients */
    l->workspace = net->trainable ? 5 * C * cols + att : C * cols;
    return 0;
}

static int attention_setup(layer *l, network *net)
{
    attention_state *s = l->priv;
    if (l->c != s->C)
        return dn_error("[attention] layer %d has weights for %d channels but gets %d", l->index, s->C, l->c);
    if (s->table && entries_for(l->h, l->w, s->window) != s->entries)
        return dn_error("[attention] layer %d has a position bias for a %d x %d map (window=0) but gets %d x %d",
                        l->index, s->t.w, s->t.h, l->w, l->h);
    if (attn_layout_build(&s->t, l->h, l->w, s->window, s->shift))
        return dn_error("[attention] layer %d: out of memory for the window layout", l->index);
    l->out_w = l->w, l->out_h = l->h, l->out_c = l->c;
    s->ld = l->batch * s->t.n;
    l->flops = 8.0 * s->C * s->C * s->t.n + 4.0 * s->C * (double)s->t.pairs;
    return alloc_buffers(l, s, net);
}

/* ---- map order <-> window order ---- */

typedef struct {
    const layer *l;
    const attention_state *s;
    const float *src;
    float *dst;
} perm_job;

/* rows r = image * C + channel: dst[c][b * n + token] = src[b][c][perm[token]] */
static void gather_rows(void *ctx, int r0, int r1)
{
    const perm_job *j = ctx;
    const attention_state *s = j->s;
    int n = s->t.n;
    for (int r = r0; r < r1; ++r) {
        int b = r / s->C, c = r % s->C;
        const float *src = j->src + (size_t)r * n;
        float *dst = j->dst + (size_t)c * s->ld + (size_t)b * n;
        for (int i = 0; i < n; ++i) dst[i] = src[s->t.perm[i]];
    }
}

/* the inverse, adding: dst[b][c][perm[token]] += src[c][b * n + token] */
static void scatter_add_rows(void *ctx, int r0, int r1)
{
    const perm_job *j = ctx;
    const attention_state *s = j->s;
    int n = s->t.n;
    for (int r = r0; r < r1; ++r) {
        int b = r / s->C, c = r % s->C;
        const float *src = j->src + (size_t)c * s->ld + (size_t)b * n;
        float *dst = j->dst + (size_t)r * n;
        for (int i = 0; i < n; ++i) dst[s->t.perm[i]] += src[i];
    }
}

static void permute(const layer *l, const attention_state *s, const float *src, float *dst, parallel_fn fn)
{
    perm_job j = {l, s, src, dst};
    parallel_for(l->batch * s->C, 1 + 4096 / (s->t.n + 1), fn, &j);
}

/* grad[r] += sum of row r of m */
static void add_row_sums(const float *m, float *grad, int rows, int ld)
{
    for (int r = 0; r < rows; ++r) grad[r] += (float)attn_row_sum(m + (size_t)r * ld, ld);
}

/* ---- the heads, one (image, head, window) per item ---- */

static attn_head head_of(const attention_state *s, int h)
{
    int dim = s->C / s->heads;
    return (attn_head){&s->t, dim, 1 / sqrtf((float)dim), s->table ? s->table + (size_t)h * s->entries : NULL};
}

/* Item k -> image b, head h, window win; returns the offset of the head's rows and the image's columns. */
static size_t item_place(const attention_state *s, int k, int *h, int *win, size_t *att_off)
{
    int b = k / (s->heads * s->t.windows), rest = k % (s->heads * s->t.windows);
    *h = rest / s->t.windows, *win = rest % s->t.windows;
    *att_off = ((size_t)b * s->heads + *h) * s->t.pairs + s->t.pair_off[*win];
    return (size_t)*h * (s->C / s->heads) * s->ld + (size_t)b * s->t.n;
}

/* Items [k0, k1): attention forward, or its backward into dqkv and ds. */
static void run_items(const attention_state *s, int k0, int k1, int backward)
{
    size_t plane = (size_t)s->C * s->ld;
    for (int k = k0; k < k1; ++k) {
        int h, win;
        size_t att_off, off = item_place(s, k, &h, &win, &att_off);
        attn_head a = head_of(s, h);
        const float *q = s->qkv + off, *key = q + plane, *v = q + 2 * plane;
        float *dq = backward ? s->dqkv + off : NULL;
        if (!backward) attn_window_forward(&a, win, q, key, v, s->ld, s->att + att_off, s->o + off);
        else attn_window_backward(&a, win, q, key, v, s->att + att_off, s->dout + off, s->ld, s->ds + att_off, dq,
                                  dq + plane, dq + 2 * plane);
    }
}

static void forward_items(void *ctx, int k0, int k1) { run_items(ctx, k0, k1, 0); }
static void backward_items(void *ctx, int k0, int k1) { run_items(ctx, k0, k1, 1); }

static void attention_forward(layer *l, network *net)
{
    attention_state *s = l->priv;
    int C = s->C, ld = s->ld;
    float *y = net->workspace;
    permute(l, s, net->input, s->x, gather_rows);
    gemm(0, 0, 3 * C, ld, C, 1, s->wqkv, C, s->x, ld, 0, s->qkv, ld);
    add_bias(s->qkv, s->bqkv, 1, 3 * C, ld);
    int items = l->batch * s->heads * s->t.windows;
    parallel_for(items, 1, forward_items, s);
    gemm(0, 0, C, ld, C, 1, s->wo, C, s->o, ld, 0, y, ld);
    add_bias(y, s->bo, 1, C, ld);
    memset(l->output, 0, sizeof(float) * l->batch * l->outputs);
    permute(l, s, y, l->output, scatter_add_rows);
}

/* One head per item: no two threads add into the same part of the table. */
static void bias_grad_heads(void *ctx, int h0, int h1)
{
    const attention_state *s = ctx;
    int batch = s->ld / s->t.n;
    for (int h = h0; h < h1; ++h)
        for (int b = 0; b < batch; ++b)
            for (int win = 0; win < s->t.windows; ++win)
                attn_bias_grad(&s->t, win, s->ds + ((size_t)b * s->heads + h) * s->t.pairs + s->t.pair_off[win],
                               s->table_grad + (size_t)h * s->entries);
}

static void attention_backward(layer *l, network *net)
{
    attention_state *s = l->priv;
    if (!l->delta) return;
    int C = s->C, ld = s->ld;
    size_t cols = (size_t)C * ld;
    float *dy = net->workspace;
    s->dout = dy + cols, s->dqkv = dy + 2 * cols, s->ds = dy + 5 * cols;
    permute(l, s, l->delta, dy, gather_rows);
    gemm(0, 1, C, C, ld, 1, dy, ld, s->o, ld, 1, s->wo_grad, C);
    add_row_sums(dy, s->bo_grad, C, ld);
    gemm(1, 0, C, ld, C, 1, s->wo, C, dy, ld, 0, s->dout, ld);
    parallel_for(l->batch * s->heads * s->t.windows, 1, backward_items, s);
    if (s->table) parallel_for(s->heads, 1, bias_grad_heads, s);
    gemm(0, 1, 3 * C, C, ld, 1, s->dqkv, ld, s->x, ld, 1, s->wqkv_grad, C);
    add_row_sums(s->dqkv, s->bqkv_grad, 3 * C, ld);
    if (!net->input_delta) return;
    gemm(1, 0, C, ld, 3 * C, 1, s->wqkv, C, s->dqkv, ld, 0, dy, ld);   /* dx, in window order */
    permute(l, s, dy, net->input_delta, scatter_add_rows);
}

static void attention_free(layer *l)
{
    attention_state *s = l->priv;
    if (!s) return;
    attn_layout_free(&s->t);
    free(s->x);
    free(s->qkv);
    free(s->att);
    free(s->o);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
enum { BQKV, WQKV, BO, WO, TABLE };   /* params, in alloc_params' order */

/* The device layout (its ints in float-sized slots), filled on the host and pushed. */
static int push_layout(const layer *l, gpu_ctx *g, attention_state *s)
{
    if (s->t.pairs > INT_MAX) return dn_error("[attention] layer %d: %zu score pairs per image and head, more than the device layout indexes",
                        l->index, s->t.pairs);
    size_t n = attn_layout_flat_size(&s->t);
    int *ints = dn_calloc(n, sizeof(int));
    int rc = !ints || gpu_buffer_resize(g, &s->layout_ints, n) ? -1 : 0;
    if (!rc) {
        attn_layout_flatten(&s->t, ints);
        rc = gpu_push(g, s->layout_ints.p, (const float *)ints, n);
        s->td = attn_layout_gpu_at(&s->t, (const int *)s->layout_ints.p);
    }
    free(ints);
    return rc;
}

/* Device twins of the host buffers attention_setup sized. */
static int attention_gpu_setup(layer *l, network *net)
{
    attention_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    size_t cols = (size_t)s->C * s->ld;
    return gpu_buffer_resize(g, &s->x_gpu, cols) || gpu_buffer_resize(g, &s->qkv_gpu, 3 * cols) ||
           gpu_buffer_resize(g, &s->o_gpu, cols) ||
           gpu_buffer_resize(g, &s->att_gpu, (size_t)l->batch * s->heads * s->t.pairs) || push_layout(l, g, s);
}

static void attention_gpu_free(layer *l, network *net)
{
    attention_state *s = l->priv;
    gpu_buffer *b[] = {&s->x_gpu, &s->qkv_gpu, &s->att_gpu, &s->o_gpu, &s->layout_ints};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) gpu_buffer_free(net->gpu, b[i]);
}

/* Device buffers of the heads' gemms; the backward ones live in the workspace. */
typedef struct {
    const float *qkv, *dout;
    float *att, *o, *dqkv, *ds;
} head_bufs;

enum { SCORES, WEIGHTED_SUM, PROB_GRAD, QKV_GRAD };

/* One stage of attn_window_forward / _backward's gemms for every (image,
 * head, window), as a loop of small gemms: a strided-batched gemm over the
 * windows of one size is the faster follow-up. */
static int window_gemms_gpu(const attention_state *s, gpu_ctx *g, const head_bufs *d, int stage, int items)
{
    size_t plane = (size_t)s->C * s->ld;
    int ld = s->ld, fail = 0;
    for (int k = 0; k < items && !fail; ++k) {
        int h, win;
        size_t att_off, off = item_place(s, k, &h, &win, &att_off);
        attn_head a = head_of(s, h);
        int n = s->t.count[win], dim = a.dim;
        off += s->t.start[win];
        const float *q = d->qkv + off, *key = q + plane, *v = q + 2 * plane, *p = d->att + att_off;
        if (stage == SCORES) fail = gemm_gpu(g, 1, 0, n, n, dim, a.scale, q, ld, key, ld, 0, d->att + att_off, n);
        if (stage == WEIGHTED_SUM) fail = gemm_gpu(g, 0, 1, dim, n, n, 1, v, ld, p, n, 0, d->o + off, ld);
        if (stage == PROB_GRAD)
            fail = gemm_gpu(g, 1, 0, n, n, dim, 1, d->dout + off, ld, v, ld, 0, d->ds + att_off, n);
        if (stage == QKV_GRAD) {
            float *dq = d->dqkv + off, *ds = d->ds + att_off;
            fail = gemm_gpu(g, 0, 0, dim, n, n, 1, d->dout + off, ld, p, n, 0, dq + 2 * plane, ld) ||
                   gemm_gpu(g, 0, 1, dim, n, n, a.scale, key, ld, ds, n, 0, dq, ld) ||
                   gemm_gpu(g, 0, 0, dim, n, n, a.scale, q, ld, ds, n, 0, dq + plane, ld);
        }
    }
    return fail;
}

static void attention_gpu_forward(layer *l, network *net)
{
    attention_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    int C = s->C, ld = s->ld, items = l->batch * s->heads * s->t.windows;
    const param *p = l->params;
    float *y = net->gpu_workspace;
    head_bufs d = {s->qkv_gpu.p, NULL, s->att_gpu.p, s->o_gpu.p, NULL, NULL};
    attn_to_windows_gpu(g, &s->td, l->batch, C, net->gpu_input, s->x_gpu.p);
    int fail = gemm_gpu(g, 0, 0, 3 * C, ld, C, 1, p[WQKV].val_gpu, C, s->x_gpu.p, ld, 0, s->qkv_gpu.p, ld);
    add_bias_gpu(g, s->qkv_gpu.p, p[BQKV].val_gpu, 1, 3 * C, ld);
    fail = fail || window_gemms_gpu(s, g, &d, SCORES, items);
    attn_softmax_gpu(g, &s->td, l->batch, s->heads, s->table ? p[TABLE].val_gpu : NULL, s->entries, s->att_gpu.p);
    fail = fail || window_gemms_gpu(s, g, &d, WEIGHTED_SUM, items) ||
           gemm_gpu(g, 0, 0, C, ld, C, 1, p[WO].val_gpu, C, s->o_gpu.p, ld, 0, y, ld);
    add_bias_gpu(g, y, p[BO].val_gpu, 1, C, ld);
    attn_to_map_gpu(g, &s->td, l->batch, C, 0, y, l->output_gpu);
    if (fail) net->gpu_failed = 1;
}

/* From the heads' output gradient (d->dout) to d[q;k;v] and the bias table's gradient. */
static int heads_backward_gpu(layer *l, attention_state *s, gpu_ctx *g, const head_bufs *d)
{
    int items = l->batch * s->heads * s->t.windows;
    if (window_gemms_gpu(s, g, d, PROB_GRAD, items)) return -1;
    attn_softmax_backward_gpu(g, &s->td, l->batch, s->heads, d->att, d->ds);
    if (window_gemms_gpu(s, g, d, QKV_GRAD, items)) return -1;
    if (s->table) attn_bias_grad_gpu(g, &s->td, l->batch, s->heads, s->entries, d->ds, l->params[TABLE].grad_gpu);
    return 0;
}

static void attention_gpu_backward(layer *l, network *net)
{
    attention_state *s = l->priv;
    if (!l->delta_gpu) return;
    gpu_ctx *g = net->gpu;
    int C = s->C, ld = s->ld;
    size_t cols = (size_t)C * ld;
    const param *p = l->params;
    float *dy = net->gpu_workspace;
    head_bufs d = {s->qkv_gpu.p, dy + cols, s->att_gpu.p, s->o_gpu.p, dy + 2 * cols, dy + 5 * cols};
    attn_to_windows_gpu(g, &s->td, l->batch, C, l->delta_gpu, dy);
    int fail = gemm_gpu(g, 0, 1, C, C, ld, 1, dy, ld, s->o_gpu.p, ld, 1, p[WO].grad_gpu, C);
    attn_row_sums_gpu(g, C, ld, dy, p[BO].grad_gpu);
    fail = fail || gemm_gpu(g, 1, 0, C, ld, C, 1, p[WO].val_gpu, C, dy, ld, 0, dy + cols, ld) ||
           heads_backward_gpu(l, s, g, &d) ||
           gemm_gpu(g, 0, 1, 3 * C, C, ld, 1, d.dqkv, ld, s->x_gpu.p, ld, 1, p[WQKV].grad_gpu, C);
    attn_row_sums_gpu(g, 3 * C, ld, d.dqkv, p[BQKV].grad_gpu);
    if (net->gpu_input_delta) {
        fail = fail || gemm_gpu(g, 1, 0, C, ld, 3 * C, 1, p[WQKV].val_gpu, C, d.dqkv, ld, 0, dy, ld);
        attn_to_map_gpu(g, &s->td, l->batch, C, 1, dy, net->gpu_input_delta);
    }
    if (fail) net->gpu_failed = 1;
}
#endif

const layer_ops attention_ops = {
    .name = "attention",
    .parse = attention_parse,
    .setup = attention_setup,
    .init_weights = attention_init_weights,
    .forward = attention_forward,
    .backward = attention_backward,
    .free_priv = attention_free,
#ifdef DN_GPU
    .forward_gpu = attention_gpu_forward,
    .backward_gpu = attention_gpu_backward,
    .setup_gpu = attention_gpu_setup,
    .free_gpu = attention_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int attention_describe(const layer *l, attention_desc *out)
{
    if (layer_check_type(l, &attention_ops)) return -1;
    const attention_state *s = l->priv;
    *out = (attention_desc){s->heads, s->window, s->shift, s->wqkv, s->bqkv, s->wo, s->bo, s->table, s->entries};
    return 0;
}
