/* attention.h: scaled dot-product attention of one head over one window of
 * tokens, and the token layout of (shifted) windows over an H x W map, as
 * Swin Transformer partitions it. Pure math on float arrays; the [attention]
 * layer (src/layers/attention.c) does the projections and the bookkeeping.
 *
 * Matrices are stored feature-major: a head's queries are `dim` rows of
 * tokens (row stride `ld`), so one window's queries are the columns
 * [start, start + count) of those rows and every product is one gemm. */
#ifndef DN_ATTENTION_H
#define DN_ATTENTION_H

#include <stddef.h>

#include "attention_math.h"

/* Token order "window order": windows row-major over the (cyclically shifted)
 * map, tokens row-major inside a window. With a shift s, window-order token
 * (y', x') is map position ((y' + s) mod H, (x' + s) mod W) (Swin's roll by
 * -s), and two tokens of one window attend to each other only when neither or
 * both of them wrapped around in each direction (Swin's attention mask). A map
 * not divisible by the window gets smaller windows at its right and bottom. */
typedef struct {
    int h, w, n;              /* map size; n = h * w tokens */
    int wh, ww;               /* window size (the map's own when it fits in one) */
    int windows;
    int *start, *count;       /* per window: first window-order token, how many */
    size_t *pair_off;         /* per window: offset of its count x count block */
    size_t pairs;             /* sum of count^2 */
    int *perm;                /* window-order token -> map position y * w + x */
    int *ry, *rx;             /* token's row and column inside its window */
    int *group;               /* wrap-around group (0 without shift) */
} attn_layout;

/* window <= 0 or a map that fits in one window: one window, no shift (as Swin,
 * which turns the shift off then). Returns 0 or -1 (out of memory). */
int attn_layout_build(attn_layout *t, int h, int w, int window, int shift);
void attn_layout_free(attn_layout *t);
/* Entries per head of a relative position bias table: (2 wh - 1)(2 ww - 1),
 * indexed by (dy + wh - 1) * (2 ww - 1) + (dx + ww - 1), dy/dx = query - key. */
int attn_bias_entries(const attn_layout *t);
/* The layout as one array of ints, for a device copy: perm, its inverse (map
 * position -> token), each token's window, ry, rx, group (n each), then per
 * window start, count and pair_off (which must fit an int). */
size_t attn_layout_flat_size(const attn_layout *t);
void attn_layout_flatten(const attn_layout *t, int *out);
/* The layout's arrays as the row formulas of attention_math.h take them. */
attn_geom attn_geom_of(const attn_layout *t);

typedef struct {
    const attn_layout *t;
    int dim;                  /* features per head */
    float scale;              /* 1 / sqrt(dim) */
    const float *bias;        /* this head's relative bias table, or NULL */
} attn_head;

/* Window `win`: P = softmax over keys of (scale q^T k + bias + mask), count x
 * count with one row per query; o = v P^T (dim x count, stride ld). q, k, v
 * and o point at the head's first row and the window's first token. */
void attn_window_forward(const attn_head *a, int win, const float *q, const float *k, const float *v, int ld,
                         float *p, float *o);
/* The gradients (any sign, linear in do_): dq, dk, dv (written, stride ld)
 * and ds (count x count, written): the gradient w.r.t. the pre-softmax
 * scores, which attn_bias_grad sums into the bias table's gradient. */
void attn_window_backward(const attn_head *a, int win, const float *q, const float *k, const float *v,
                          const float *p, const float *do_, int ld, float *ds, float *dq, float *dk, float *dv);
/* table_grad[rel(i, j)] += ds[i][j] over the pairs of window `win`. */
void attn_bias_grad(const attn_layout *t, int win, const float *ds, float *table_grad);

#endif
