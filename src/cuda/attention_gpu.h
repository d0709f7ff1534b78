/* attention_gpu.h: the element and row passes of [attention] on device
 * buffers, on the context's stream; its gemms go through gemm_gpu. Token
 * buffers are as in src/layers/attention.c: C rows of ld = batch x n columns,
 * images side by side, each in window order. */
#ifndef DN_ATTENTION_GPU_H
#define DN_ATTENTION_GPU_H

#include <stddef.h>

#include "attention_math.h"   /* before extern "C": it includes <math.h> */
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "attention.h"

/* attn_layout (ops/attention.h) on the device, its arrays as ints (the inverse
 * permutation and each token's window added, see attn_layout_flatten). */
typedef struct {
    attn_geom geom;
    const int *perm, *inv, *win, *start, *count, *pair_off;
    int n, windows;
    long pairs;
} attn_layout_gpu;

/* The layout reading attn_layout_flatten's ints at flat (their device copy,
 * or the host array itself for the bodies run on the host). */
static inline attn_layout_gpu attn_layout_gpu_at(const attn_layout *t, const int *flat)
{
    const int *g = flat + 3 * t->n, *w = flat + 6 * t->n;
    attn_layout_gpu d = {{g, g + t->n, g + 2 * t->n, t->wh, t->ww}, flat, flat + t->n, flat + 2 * t->n,
                         w, w + t->windows, w + 2 * t->windows, t->n, t->windows, (long)t->pairs};
    return d;
}

/* dst[c][b * n + token] = src[b][c][perm[token]] (map order -> window order). */
void attn_to_windows_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int C, const float *src, float *dst);
/* The inverse, by gathering through inv: dst[b][c][pos] = (or +=, with add)
 * src[c][b * n + inv[pos]]. */
void attn_to_map_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int C, int add, const float *src,
                     float *dst);
/* Every score row of att (batch x heads x pairs): the head's relative bias
 * (table: heads x entries, or NULL) and the mask added, then softmax. */
void attn_softmax_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, const float *table, int entries,
                      float *att);
/* ds (gradients w.r.t. the probabilities att) becomes the score gradients. */
void attn_softmax_backward_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, const float *att,
                               float *ds);
/* table_grad[h][e] += the score gradients of head h's pairs at offset e. */
void attn_bias_grad_gpu(gpu_ctx *g, const attn_layout_gpu *t, int batch, int heads, int entries, const float *ds,
                        float *table_grad);
/* grad[r] += the sum of row r of m (rows x ld), in double. */
void attn_row_sums_gpu(gpu_ctx *g, int rows, long ld, const float *m, float *grad);

#ifdef __cplusplus
}
#endif

#endif
