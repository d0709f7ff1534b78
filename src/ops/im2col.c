#include "im2col.h"

#include <stddef.h>
#include <string.h>

#include "threadpool.h"

void conv_valid_range(const conv_geometry *g, int x0, int *lo, int *hi)
{
    int s = g->stride_x;
    int l = x0 < 0 ? (-x0 + s - 1) / s : 0;
    int h = g->w - x0 <= 0 ? 0 : (g->w - x0 + s - 1) / s;
    if (h > g->out_w) h = g->out_w;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

typedef struct {
    const conv_geometry *g;
    const float *src;
    float *dst;
    int images;
    size_t image_stride, ld;   /* floats from one image to the next; from one col row to the next */
} unfold_args;

/* One row of `col` per (channel, ky, kx), each image's columns side by side;
 * whole rows stay on one thread. */
static void im2col_rows(void *ctx, int r0, int r1)
{
    const unfold_args *a = ctx;
    const conv_geometry *g = a->g;
    int kk = g->ksize_y * g->ksize_x;
    for (int q = r0 * a->images; q < r1 * a->images; ++q) {
        int r = q / a->images, i = q % a->images;
        int ch = r / kk, ky = (r % kk) / g->ksize_x, kx = r % g->ksize_x;
        const float *im = a->src + i * a->image_stride + (size_t)ch * g->h * g->w;
        float *out = a->dst + (size_t)r * a->ld + (size_t)i * g->out_h * g->out_w;
        int x0 = kx * g->dilation - g->pad_x, lo, hi;
        conv_valid_range(g, x0, &lo, &hi); /* the same for every row */
        for (int oy = 0; oy < g->out_h; ++oy) {
            int y = oy * g->stride_y - g->pad_y + ky * g->dilation;
            float *o = out + oy * g->out_w;
            if (y < 0 || y >= g->h) {
                for (int ox = 0; ox < g->out_w; ++ox) o[ox] = 0;
                continue;
            }
            const float *row = im + (size_t)y * g->w;
            for (int ox = 0; ox < lo; ++ox) o[ox] = 0;
            if (g->stride_x == 1)
                memcpy(o + lo, row + lo + x0, (size_t)(hi - lo) * sizeof(float));
            else
                for (int ox = lo; ox < hi; ++ox) o[ox] = row[ox * g->stride_x + x0];
            for (int ox = hi; ox < g->out_w; ++ox) o[ox] = 0;
        }
    }
}

void im2col_images(const float *im, int images, size_t image_stride, const conv_geometry *g, float *col)
{
    unfold_args a = {g, im, col, images, image_stride, (size_t)images * g->out_h * g->out_w};
    parallel_for(g->c * g->ksize_y * g->ksize_x, 1, im2col_rows, &a);
}

void im2col(const float *im, const conv_geometry *g, float *col) { im2col_images(im, 1, 0, g, col); }

/* One input channel of one image per task, so no two threads add into the same pixel. */
static void col2im_channels(void *ctx, int c0, int c1)
{
    const unfold_args *a = ctx;
    const conv_geometry *g = a->g;
    int kk = g->ksize_y * g->ksize_x;
    for (int q = c0; q < c1; ++q) {
        int ch = q / a->images, i = q % a->images;
        float *im = a->dst + i * a->image_stride + (size_t)ch * g->h * g->w;
        for (int k = 0; k < kk; ++k) {
            int ky = k / g->ksize_x, kx = k % g->ksize_x;
            const float *col = a->src + ((size_t)ch * kk + k) * a->ld + (size_t)i * g->out_h * g->out_w;
            int x0 = kx * g->dilation - g->pad_x, lo, hi;
            conv_valid_range(g, x0, &lo, &hi);
            for (int oy = 0; oy < g->out_h; ++oy) {
                int y = oy * g->stride_y - g->pad_y + ky * g->dilation;
                if (y < 0 || y >= g->h) continue;
                float *row = im + (size_t)y * g->w;
                const float *c = col + oy * g->out_w;
                for (int ox = lo; ox < hi; ++ox) row[ox * g->stride_x + x0] += c[ox];
            }
        }
    }
}

void col2im_add_images(const float *col, const conv_geometry *g, float *im, int images, size_t image_stride)
{
    unfold_args a = {g, col, im, images, image_stride, (size_t)images * g->out_h * g->out_w};
    parallel_for(g->c * images, 1, col2im_channels, &a);
}

void col2im_add(const float *col, const conv_geometry *g, float *im) { col2im_add_images(col, g, im, 1, 0); }
