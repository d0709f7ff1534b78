/* attention_math.h: the per-row formulas of attention (ops/attention.c),
 * shared with the kernel bodies (src/cuda/attention_body.cuh) so both run the
 * same loops: a query's score row with the relative position bias and the
 * shift mask, its softmax and the softmax's gradient. */
#ifndef DN_ATTENTION_MATH_H
#define DN_ATTENTION_MATH_H

#include <math.h>

#include "hd.h"

/* What a score row needs of the window layout (attn_layout's arrays, on the
 * host or their device twins): each window-order token's row and column in
 * its window, its wrap-around group, and the window size. */
typedef struct {
    const int *ry, *rx, *group;
    int wh, ww;
} attn_geom;

/* Index into a head's relative bias table of the pair (query ti, key tj). */
DN_HD int attn_rel_index(const attn_geom *g, int ti, int tj)
{
    return (g->ry[ti] - g->ry[tj] + g->wh - 1) * (2 * g->ww - 1) + (g->rx[ti] - g->rx[tj] + g->ww - 1);
}

/* Row i of the scores of the n tokens from s0 (one window): bias (may be
 * NULL) and mask added, then softmax in place. */
DN_HD void attn_softmax_row(const attn_geom *g, const float *bias, int s0, int n, int i, float *row)
{
    float max = -INFINITY;
    for (int j = 0; j < n; ++j) {
        if (g->group[s0 + i] != g->group[s0 + j]) {
            row[j] = -INFINITY;
            continue;
        }
        if (bias) row[j] += bias[attn_rel_index(g, s0 + i, s0 + j)];
        if (row[j] > max) max = row[j];
    }
    float sum = 0;
    for (int j = 0; j < n; ++j) sum += row[j] = expf(row[j] - max);   /* masked: exp(-inf) = 0 */
    for (int j = 0; j < n; ++j) row[j] /= sum;
}

/* d (the gradient w.r.t. the row's probabilities p) becomes the gradient
 * w.r.t. its scores, in place. */
DN_HD void attn_softmax_row_backward(const float *p, float *d, int n)
{
    float dot = 0;
    for (int j = 0; j < n; ++j) dot += p[j] * d[j];
    for (int j = 0; j < n; ++j) d[j] = p[j] * (d[j] - dot);
}

/* A row's sum in double (the bias gradients). */
DN_HD double attn_row_sum(const float *m, long n)
{
    double sum = 0;
    for (long i = 0; i < n; ++i) sum += m[i];
    return sum;
}

#endif
