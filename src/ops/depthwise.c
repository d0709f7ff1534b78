#include "depthwise.h"

#include <string.h>

#include "threadpool.h"

/* For kernel column kx: input x = ox*stride + x0 is inside the image for ox in [lo, hi). */
typedef struct {
    int x0, lo, hi;
} tap_range;

enum { MAX_KERNEL = 1024 }; /* the cfg parser's limit on size_x */

static void tap_ranges(const conv_geometry *g, tap_range *t)
{
    for (int kx = 0; kx < g->ksize_x; ++kx) {
        t[kx].x0 = kx * g->dilation - g->pad_x;
        conv_valid_range(g, t[kx].x0, &t[kx].lo, &t[kx].hi);
    }
}

typedef struct {
    const float *in, *w, *out_delta;
    float *out, *w_grad, *in_delta;
    const conv_geometry *g;
    int batch;
} dw_job;

static void forward_planes(void *ctx, int p0, int p1)
{
    const dw_job *j = ctx;
    const conv_geometry *g = j->g;
    size_t in_plane = (size_t)g->h * g->w, out_plane = (size_t)g->out_h * g->out_w;
    int kk = g->ksize_y * g->ksize_x;
    tap_range taps[MAX_KERNEL];
    tap_ranges(g, taps);
    for (int p = p0; p < p1; ++p) {
        int ch = p % g->c;
        const float *in = j->in + p * in_plane, *w = j->w + (size_t)ch * kk;
        float *out = j->out + p * out_plane;
        memset(out, 0, out_plane * sizeof(float));
        for (int oy = 0; oy < g->out_h; ++oy) {
            float *restrict o = out + (size_t)oy * g->out_w;
            for (int ky = 0; ky < g->ksize_y; ++ky) {
                int y = oy * g->stride_y - g->pad_y + ky * g->dilation;
                if (y < 0 || y >= g->h) continue;
                const float *restrict row = in + (size_t)y * g->w;
                for (int kx = 0; kx < g->ksize_x; ++kx) {
                    float wv = w[ky * g->ksize_x + kx];
                    int x0 = taps[kx].x0, lo = taps[kx].lo, hi = taps[kx].hi;
                    if (g->stride_x == 1)
                        for (int ox = lo; ox < hi; ++ox) o[ox] += wv * row[ox + x0];
                    else
                        for (int ox = lo; ox < hi; ++ox) o[ox] += wv * row[ox * g->stride_x + x0];
                }
            }
        }
    }
}

void depthwise_forward(const float *in, const float *w, float *out, const conv_geometry *g,
                       int batch)
{
    dw_job j = {in, w, NULL, out, NULL, NULL, g, batch};
    parallel_for(batch * g->c, 1, forward_planes, &j);
}

/* One channel per task over the whole batch, so the weight gradient and the
 * input delta of a channel are written by one thread only. */
static void backward_channels(void *ctx, int c0, int c1)
{
    const dw_job *j = ctx;
    const conv_geometry *g = j->g;
    size_t in_plane = (size_t)g->h * g->w, out_plane = (size_t)g->out_h * g->out_w;
    int kk = g->ksize_y * g->ksize_x, s = g->stride_x;
    tap_range taps[MAX_KERNEL];
    tap_ranges(g, taps);
    for (int ch = c0; ch < c1; ++ch) {
        const float *w = j->w + (size_t)ch * kk;
        float *gw = j->w_grad + (size_t)ch * kk;
        for (int b = 0; b < j->batch; ++b) {
            size_t p = (size_t)b * g->c + ch;
            const float *in = j->in + p * in_plane, *d = j->out_delta + p * out_plane;
            float *id = j->in_delta ? j->in_delta + p * in_plane : NULL;
            for (int oy = 0; oy < g->out_h; ++oy) {
                const float *restrict dr = d + (size_t)oy * g->out_w;
                for (int ky = 0; ky < g->ksize_y; ++ky) {
                    int y = oy * g->stride_y - g->pad_y + ky * g->dilation;
                    if (y < 0 || y >= g->h) continue;
                    const float *restrict row = in + (size_t)y * g->w;
                    float *restrict drow = id ? id + (size_t)y * g->w : NULL;
                    for (int kx = 0; kx < g->ksize_x; ++kx) {
                        int x0 = taps[kx].x0, lo = taps[kx].lo, hi = taps[kx].hi;
                        float acc = 0, wv = w[ky * g->ksize_x + kx];
                        for (int ox = lo; ox < hi; ++ox) acc += dr[ox] * row[ox * s + x0];
                        gw[ky * g->ksize_x + kx] += acc;
                        if (drow)
                            for (int ox = lo; ox < hi; ++ox) drow[ox * s + x0] += wv * dr[ox];
                    }
                }
            }
        }
    }
}

void depthwise_backward(const float *in, const float *w, const float *out_delta,
                        const conv_geometry *g, int batch, float *w_grad, float *in_delta)
{
    dw_job j = {in, w, out_delta, NULL, w_grad, in_delta, g, batch};
    parallel_for(g->c, 1, backward_channels, &j);
}
