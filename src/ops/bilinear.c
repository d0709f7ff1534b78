/* bilinear.c: feature-map resizing for distillation (see bilinear.h). */
#include "bilinear.h"

void bilinear_resize(const float *in, int planes, int h, int w, float *out, int oh, int ow)
{
    for (int p = 0; p < planes; ++p) {
        const float *src = in + (long)p * h * w;
        for (int y = 0; y < oh; ++y) {
            bilinear_tap ty = bilinear_source_tap(y, h, oh);
            const float *r0 = src + ty.lo * w, *r1 = src + ty.hi * w;
            for (int x = 0; x < ow; ++x) {
                bilinear_tap tx = bilinear_source_tap(x, w, ow);
                float top = r0[tx.lo] + tx.w_hi * (r0[tx.hi] - r0[tx.lo]);
                float bottom = r1[tx.lo] + tx.w_hi * (r1[tx.hi] - r1[tx.lo]);
                *out++ = top + ty.w_hi * (bottom - top);
            }
        }
    }
}

void bilinear_resize_backward(const float *dout, int planes, int h, int w, float *din, int oh, int ow)
{
    for (int p = 0; p < planes; ++p) {
        float *dst = din + (long)p * h * w;
        for (int y = 0; y < oh; ++y) {
            bilinear_tap ty = bilinear_source_tap(y, h, oh);
            float *r0 = dst + ty.lo * w, *r1 = dst + ty.hi * w;
            for (int x = 0; x < ow; ++x) {
                bilinear_tap tx = bilinear_source_tap(x, w, ow);
                float g = *dout++, g1 = g * ty.w_hi, g0 = g - g1;
                r0[tx.lo] += g0 * (1 - tx.w_hi);
                r0[tx.hi] += g0 * tx.w_hi;
                r1[tx.lo] += g1 * (1 - tx.w_hi);
                r1[tx.hi] += g1 * tx.w_hi;
            }
        }
    }
}
