/* export_attention.c: [attention] as plain ONNX ops over the tokens in map
 * order. Windows, Swin's shift mask and the relative position bias become one
 * constant [heads, n, n] added to the scores: the bias of each pair of tokens
 * of one window and wrap-around group, and -1e30 between all other pairs,
 * whose softmax weight is then 0 as in the layer's windowed softmax
 * (attention_math.h). Global attention without a bias adds nothing. */
#include <math.h>
#include <stdlib.h>

#include "attention.h"
#include "errors.h"
#include "export_ctx.h"
#include "layer_desc.h"

enum { MAX_BIAS_FLOATS = 1 << 26 };   /* 256 MB of constant: beyond that, refuse */

/* The additive score constant, [heads][query][key] in map order. */
static float *pair_bias(const attn_layout *t, const attention_desc *d, int heads)
{
    int n = t->n;
    int *token = dn_calloc((size_t)n, sizeof(int)), *win = dn_calloc((size_t)n, sizeof(int));
    float *b = dn_calloc((size_t)heads * n * n, sizeof(float));
    if (token && win && b) {
        for (int tk = 0; tk < n; ++tk) token[t->perm[tk]] = tk;
        for (int w = 0; w < t->windows; ++w)
            for (int k = 0; k < t->count[w]; ++k) win[t->start[w] + k] = w;
        attn_geom geo = attn_geom_of(t);
        for (int h = 0; h < heads; ++h)
            for (int i = 0; i < n; ++i)
                for (int j = 0; j < n; ++j) {
                    int ti = token[i], tj = token[j];
                    float *v = &b[((size_t)h * n + i) * n + j];
                    if (win[ti] != win[tj] || t->group[ti] != t->group[tj]) *v = -1e30f;
                    else if (d->table) *v = d->table[(size_t)h * d->entries + attn_rel_index(&geo, ti, tj)];
                }
    }
    free(token);
    free(win);
    return b;
}

/* The score constant's name, "" when there is none, NULL on failure. */
static const char *score_bias(export_ctx *x, const layer *l, const attention_desc *d)
{
    attn_layout t = {0};
    if (attn_layout_build(&t, l->h, l->w, d->window, d->shift)) return NULL;
    int plain = t.windows == 1 && !d->table;
    const char *name = "";
    if (!plain && (double)d->heads * t.n * t.n > MAX_BIAS_FLOATS) {
        export_refuse(x, l, "%d heads x (%d x %d tokens)^2 of window mask and bias is too large a constant",
                      d->heads, l->w, l->h);
        name = NULL;
    } else if (!plain) {
        float *b = pair_bias(&t, d, d->heads);
        int64_t dims[3] = {d->heads, t.n, t.n};
        name = b ? onnx_floats(x->g, b, dims, 3) : NULL;
        free(b);
    }
    attn_layout_free(&t);
    return name;
}

/* tokens [B, n, C] times the transpose of rows x C weights, plus the biases. */
static const char *linear(export_ctx *x, const char *tokens, const float *w, const float *b, int rows, int C)
{
    float *wt = dn_calloc((size_t)rows * C, sizeof(float));
    if (!wt) return "";
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < C; ++c) wt[(size_t)c * rows + r] = w[(size_t)r * C + c];
    int64_t wdims[2] = {C, rows}, bdims[1] = {rows};
    const char *y = onnx_op2(x->g, "MatMul", tokens, onnx_floats(x->g, wt, wdims, 2));
    free(wt);
    return onnx_op2(x->g, "Add", y, onnx_floats(x->g, b, bdims, 1));
}

/* softmax(scale q k^T + bias) v per head; q, k, v [B, heads, n, dim]. */
static const char *heads_attend(export_ctx *x, const char *const qkv[3], const char *bias, float scale)
{
    onnx_graph *g = x->g;
    int64_t kt[4] = {0, 1, 3, 2};
    const char *s = onnx_op2(g, "MatMul", qkv[0], onnx_transpose(g, qkv[1], kt, 4));
    s = onnx_op2(g, "Mul", s, onnx_scalar(g, scale));
    if (bias[0]) s = onnx_op2(g, "Add", s, bias);
    onnx_node *p = onnx_node_add(g, "Softmax", &s, 1, 1);
    onnx_attr_int(p, "axis", -1);
    return onnx_op2(g, "MatMul", onnx_out(p, 0), qkv[2]);
}

int export_attention(export_ctx *x, const layer *l, const char *in)
{
    attention_desc d;
    if (attention_describe(l, &d)) return -1;
    const char *bias = score_bias(x, l, &d);
    if (!bias) return -1;
    onnx_graph *g = x->g;
    int C = l->c, n = l->w * l->h, dim = C / d.heads;
    int64_t flat[3] = {x->batch, C, n}, swap[3] = {0, 2, 1};
    const char *tokens = onnx_transpose(g, onnx_reshape(g, in, flat, 3), swap, 3);   /* [B, n, C] */
    const char *qkv = linear(x, tokens, d.wqkv, d.bqkv, 3 * C, C);
    int64_t split5[5] = {x->batch, n, 3, d.heads, dim}, perm5[5] = {2, 0, 3, 1, 4};
    const char *parts = onnx_transpose(g, onnx_reshape(g, qkv, split5, 5), perm5, 5);   /* [3, B, heads, n, dim] */
    onnx_node *split = onnx_node_add(g, "Split", &parts, 1, 3);
    onnx_attr_int(split, "axis", 0);
    int64_t head_dims[4] = {x->batch, d.heads, n, dim};
    const char *qkv3[3];
    for (int i = 0; i < 3; ++i) qkv3[i] = onnx_reshape(g, onnx_out(split, i), head_dims, 4);
    const char *o = heads_attend(x, qkv3, bias, 1 / sqrtf((float)dim));
    int64_t merge_perm[4] = {0, 2, 1, 3}, merged[3] = {x->batch, n, C}, dims[4];
    o = onnx_reshape(g, onnx_transpose(g, o, merge_perm, 4), merged, 3);   /* [B, n, C] */
    const char *y = linear(x, o, d.wo, d.bo, C, C);
    export_out_dims(x, l, dims);
    x->out[l->index] = onnx_reshape(g, onnx_transpose(g, y, swap, 3), dims, 4);
    return 0;
}
