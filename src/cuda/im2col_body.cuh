/* im2col_body.cuh: the bodies of ops/im2col.c. im2col is one thread per
 * column element; col2im is one thread per IMAGE element gathering its taps
 * from the columns, so no two threads write one pixel (no atomics) and the
 * sum is made in the CPU's order (kernel tap by tap): the result is exact. */
#ifndef DN_IM2COL_BODY_CUH
#define DN_IM2COL_BODY_CUH

#include "hd.h"

extern "C" {
#include "im2col.h"
}

/* The output coordinate o with o * stride + k0 == t (t = input + pad), or -1
 * when no output position of this tap reads that input. */
DN_HD int conv_tap_output(int t, int k0, int stride, int out_n)
{
    int s = t - k0;
    if (s < 0 || s % stride) return -1;
    s /= stride;
    return s < out_n ? s : -1;
}

/* col[(ch, ky, kx)][oy][ox]; i runs over c * ksize_y * ksize_x * out_h * out_w. */
struct im2col_body {
    conv_geometry g;
    const float *im;
    float *col;
    DN_HD void operator()(long i) const
    {
        long plane = (long)g.out_h * g.out_w;
        long r = i / plane, p = i % plane;
        int kk = g.ksize_y * g.ksize_x, ch = (int)(r / kk);
        int ky = (int)(r % kk) / g.ksize_x, kx = (int)(r % g.ksize_x);
        int y = (int)(p / g.out_w) * g.stride_y - g.pad_y + ky * g.dilation;
        int x = (int)(p % g.out_w) * g.stride_x - g.pad_x + kx * g.dilation;
        bool inside = y >= 0 && y < g.h && x >= 0 && x < g.w;
        col[i] = inside ? im[((long)ch * g.h + y) * g.w + x] : 0.0f;
    }
};

/* im += col2im(col); i runs over c * h * w. */
struct col2im_add_body {
    conv_geometry g;
    const float *col;
    float *im;
    DN_HD void operator()(long i) const
    {
        long hw = (long)g.h * g.w, plane = (long)g.out_h * g.out_w;
        int ch = (int)(i / hw), y = (int)(i % hw / g.w), x = (int)(i % g.w);
        const float *c = col + (long)ch * g.ksize_y * g.ksize_x * plane;
        float v = im[i];
        for (int ky = 0; ky < g.ksize_y; ++ky) {
            int oy = conv_tap_output(y + g.pad_y, ky * g.dilation, g.stride_y, g.out_h);
            if (oy < 0) continue;
            for (int kx = 0; kx < g.ksize_x; ++kx) {
                int ox = conv_tap_output(x + g.pad_x, kx * g.dilation, g.stride_x, g.out_w);
                if (ox >= 0) v += c[(long)(ky * g.ksize_x + kx) * plane + (long)oy * g.out_w + ox];
            }
        }
        im[i] = v;
    }
};

#endif
