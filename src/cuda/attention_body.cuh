/* attention_body.cuh: [attention]'s passes besides its gemms
 * (src/layers/attention.c, ops/attention.c): the layout's gathers, one thread
 * per element, and the score rows, one thread per row, with the CPU's
 * formulas (attention_math.h). */
#ifndef DN_ATTENTION_BODY_CUH
#define DN_ATTENTION_BODY_CUH

#include "attention_gpu.h"

/* Element i of the window-order buffer (C x batch * n). */
struct attn_to_windows_body {
    const float *src;
    float *dst;
    const int *perm;
    int C, n;
    long ld;
    DN_HD void operator()(long i) const
    {
        long c = i / ld, col = i % ld, b = col / n;
        dst[i] = src[(b * C + c) * n + perm[col % n]];
    }
};

/* Element i of the map-order buffer (batch x C x n); the CPU scatters through
 * perm, this gathers through its inverse: the same single store or add. */
struct attn_to_map_body {
    const float *src;
    float *dst;
    const int *inv;
    int C, n, add;
    long ld;
    DN_HD void operator()(long i) const
    {
        long r = i / n, b = r / C, c = r % C;
        float v = src[c * ld + b * n + inv[i % n]];
        dst[i] = add ? dst[i] + v : v;
    }
};

/* Row r of batch x heads x n score rows: where it lies, its window's first token and size. */
struct attn_score_rows {
    attn_layout_gpu t;
    DN_HD long place(long r, int *s0, int *count, int *i) const
    {
        long bh = r / t.n;
        int token = (int)(r % t.n), win = t.win[token];
        *s0 = t.start[win], *count = t.count[win], *i = token - *s0;
        return bh * t.pairs + t.pair_off[win] + (long)*i * *count;
    }
};

struct attn_softmax_body {
    attn_score_rows rows;
    const float *table;
    int heads, entries;
    float *att;
    DN_HD void operator()(long r) const
    {
        int s0, count, i;
        long off = rows.place(r, &s0, &count, &i);
        const float *bias = table ? table + (r / rows.t.n % heads) * entries : NULL;
        attn_softmax_row(&rows.t.geom, bias, s0, count, i, att + off);
    }
};

struct attn_softmax_backward_body {
    attn_score_rows rows;
    const float *att;
    float *ds;
    DN_HD void operator()(long r) const
    {
        int s0, count, i;
        long off = rows.place(r, &s0, &count, &i);
        attn_softmax_row_backward(att + off, ds + off, count);
    }
};

/* Entry e of head h's table: the CPU adds every pair's gradient to its entry
 * image by image, window by window, query by query; for one entry each query
 * has at most one key (its offset fixed), so this gathers in that order. */
struct attn_bias_grad_body {
    attn_layout_gpu t;
    const float *ds;
    float *table_grad;
    int batch, heads, entries;
    DN_HD void operator()(long k) const
    {
        int h = (int)(k / entries), e = (int)(k % entries), span = 2 * t.geom.ww - 1;
        int dy = e / span - (t.geom.wh - 1), dx = e % span - (t.geom.ww - 1);
        for (int b = 0; b < batch; ++b)
            for (int win = 0; win < t.windows; ++win) {
                int s0 = t.start[win], n = t.count[win];
                int rows = t.geom.ry[s0 + n - 1] + 1, cols = t.geom.rx[s0 + n - 1] + 1;   /* row-major tokens */
                const float *d = ds + ((long)b * heads + h) * t.pairs + t.pair_off[win];
                for (int i = 0; i < n; ++i) {
                    int y = t.geom.ry[s0 + i] - dy, x = t.geom.rx[s0 + i] - dx;
                    if (y >= 0 && y < rows && x >= 0 && x < cols) table_grad[k] += d[(long)i * n + y * cols + x];
                }
            }
    }
};

struct attn_row_sums_body {
    const float *m;
    float *grad;
    long ld;
    DN_HD void operator()(long r) const { grad[r] += (float)attn_row_sum(m + r * ld, ld); }
};

#endif
