/* attention.c: one head of scaled dot-product attention over one window, as
 * gemms (scores, weighted sum and their gradients), and the window layout. */
#include "attention.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"

void attn_layout_free(attn_layout *t)
{
    free(t->start);
    free(t->count);
    free(t->pair_off);
    free(t->perm);
    free(t->ry);
    free(t->rx);
    free(t->group);
    memset(t, 0, sizeof *t);
}

static int layout_alloc(attn_layout *t)
{
    t->start = malloc(sizeof(int) * t->windows);
    t->count = malloc(sizeof(int) * t->windows);
    t->pair_off = malloc(sizeof(size_t) * t->windows);
    t->perm = malloc(sizeof(int) * t->n);
    t->ry = malloc(sizeof(int) * t->n);
    t->rx = malloc(sizeof(int) * t->n);
    t->group = malloc(sizeof(int) * t->n);
    return t->start && t->count && t->pair_off && t->perm && t->ry && t->rx && t->group ? 0 : -1;
}

/* Tokens of window (wy, wx) from `token` on; returns the next free token. */
static int fill_window(attn_layout *t, int wy, int wx, int shift, int token)
{
    int y1 = (wy + 1) * t->wh < t->h ? (wy + 1) * t->wh : t->h;
    int x1 = (wx + 1) * t->ww < t->w ? (wx + 1) * t->ww : t->w;
    for (int y = wy * t->wh; y < y1; ++y)
        for (int x = wx * t->ww; x < x1; ++x, ++token) {
            t->perm[token] = ((y + shift) % t->h) * t->w + (x + shift) % t->w;
            t->ry[token] = y - wy * t->wh;
            t->rx[token] = x - wx * t->ww;
            t->group[token] = shift ? (y >= t->h - shift) * 2 + (x >= t->w - shift) : 0;
        }
    return token;
}

int attn_layout_build(attn_layout *t, int h, int w, int window, int shift)
{
    attn_layout_free(t);
    t->h = h, t->w = w, t->n = h * w;
    t->wh = window > 0 ? window : h;
    t->ww = window > 0 ? window : w;
    if (h <= t->wh && w <= t->ww) shift = 0;   /* one window: nothing to shift (as Swin) */
    int ny = (h + t->wh - 1) / t->wh, nx = (w + t->ww - 1) / t->ww;
    t->windows = ny * nx;
    if (layout_alloc(t)) {
        attn_layout_free(t);
        return -1;
    }
    int token = 0;
    for (int wy = 0; wy < ny; ++wy)
        for (int wx = 0; wx < nx; ++wx) {
            int win = wy * nx + wx;
            t->start[win] = token;
            token = fill_window(t, wy, wx, shift, token);
            t->count[win] = token - t->start[win];
            t->pair_off[win] = t->pairs;
            t->pairs += (size_t)t->count[win] * t->count[win];
        }
    return 0;
}

int attn_bias_entries(const attn_layout *t) { return (2 * t->wh - 1) * (2 * t->ww - 1); }

attn_geom attn_geom_of(const attn_layout *t) { return (attn_geom){t->ry, t->rx, t->group, t->wh, t->ww}; }

void attn_window_forward(const attn_head *a, int win, const float *q, const float *k, const float *v, int ld,
                         float *p, float *o)
{
    int s0 = a->t->start[win], n = a->t->count[win];
    gemm(1, 0, n, n, a->dim, a->scale, q + s0, ld, k + s0, ld, 0, p, n);
    attn_geom g = attn_geom_of(a->t);
    for (int i = 0; i < n; ++i) attn_softmax_row(&g, a->bias, s0, n, i, p + (size_t)i * n);
    gemm(0, 1, a->dim, n, n, 1, v + s0, ld, p, n, 0, o + s0, ld);
}

void attn_window_backward(const attn_head *a, int win, const float *q, const float *k, const float *v,
                          const float *p, const float *do_, int ld, float *ds, float *dq, float *dk, float *dv)
{
    int s0 = a->t->start[win], n = a->t->count[win];
    gemm(1, 0, n, n, a->dim, 1, do_ + s0, ld, v + s0, ld, 0, ds, n);   /* d P */
    for (int i = 0; i < n; ++i) attn_softmax_row_backward(p + (size_t)i * n, ds + (size_t)i * n, n);
    gemm(0, 0, a->dim, n, n, 1, do_ + s0, ld, p, n, 0, dv + s0, ld);
    gemm(0, 1, a->dim, n, n, a->scale, k + s0, ld, ds, n, 0, dq + s0, ld);
    gemm(0, 0, a->dim, n, n, a->scale, q + s0, ld, ds, n, 0, dk + s0, ld);
}

void attn_bias_grad(const attn_layout *t, int win, const float *ds, float *table_grad)
{
    int s0 = t->start[win], n = t->count[win];
    attn_geom g = attn_geom_of(t);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) table_grad[attn_rel_index(&g, s0 + i, s0 + j)] += ds[(size_t)i * n + j];
}

size_t attn_layout_flat_size(const attn_layout *t) { return 6 * (size_t)t->n + 3 * (size_t)t->windows; }

void attn_layout_flatten(const attn_layout *t, int *out)
{
    int n = t->n, W = t->windows, *inv = out + n, *win = out + 2 * n, *per_window = out + 6 * n;
    memcpy(out, t->perm, sizeof(int) * n);
    for (int i = 0; i < n; ++i) inv[t->perm[i]] = i;
    memcpy(out + 3 * n, t->ry, sizeof(int) * n);
    memcpy(out + 4 * n, t->rx, sizeof(int) * n);
    memcpy(out + 5 * n, t->group, sizeof(int) * n);
    for (int w = 0; w < W; ++w) {
        per_window[w] = t->start[w], per_window[W + w] = t->count[w], per_window[2 * W + w] = (int)t->pair_off[w];
        for (int i = t->start[w]; i < t->start[w] + t->count[w]; ++i) win[i] = w;
    }
}
