/* bilinear_body.cuh: the bodies of the bilinear resize and its adjoint
 * (ops/bilinear.h), sharing its source taps. */
#ifndef DN_BILINEAR_BODY_CUH
#define DN_BILINEAR_BODY_CUH

#include "hd.h"   /* first: its template may not be declared inside extern "C" */

extern "C" {
#include "bilinear.h"
}

/* One output element of out (planes x oh x ow) from in (planes x h x w). */
struct bilinear_body {
    const float *in;
    float *out;
    int h, w, oh, ow;
    DN_HD void operator()(long i) const
    {
        const float *plane = in + i / ((long)oh * ow) * h * w;
        bilinear_tap ty = bilinear_source_tap((int)(i / ow % oh), h, oh);
        bilinear_tap tx = bilinear_source_tap((int)(i % ow), w, ow);
        const float *r0 = plane + (long)ty.lo * w, *r1 = plane + (long)ty.hi * w;
        float top = r0[tx.lo] + tx.w_hi * (r0[tx.hi] - r0[tx.lo]);
        float bottom = r1[tx.lo] + tx.w_hi * (r1[tx.hi] - r1[tx.lo]);
        out[i] = top + ty.w_hi * (bottom - top);
    }
};

/* The first dest in [0, out) whose tap's lo is >= v (out if none): lo never
 * decreases with dest, so a binary search finds it. */
DN_HD int bilinear_first_dest(int v, int in, int out)
{
    int a = 0, b = out;
    while (a < b) {
        int m = (a + b) / 2;
        if (bilinear_source_tap(m, in, out).lo >= v) b = m;
        else a = m + 1;
    }
    return a;
}

/* The adjoint as a gather: one input element of din (planes x h x w) adds the
 * output gradients of dout (planes x oh x ow) that its value went into. An
 * output reads source index v iff its tap's lo is v - 1 or v (hi is lo + 1, or
 * lo at the last index), a contiguous range of outputs along each axis. The
 * terms are added in the CPU scatter's order (outputs row-major, then r0 lo,
 * r0 hi, r1 lo, r1 hi), so the sums are the CPU's, with no atomics. */
struct bilinear_backward_body {
    const float *dout;
    float *din;
    int h, w, oh, ow;
    DN_HD void operator()(long i) const
    {
        long p = i / ((long)h * w);
        int iy = (int)(i / w % h), ix = (int)(i % w);
        int y0 = bilinear_first_dest(iy - 1, h, oh), y1 = bilinear_first_dest(iy + 1, h, oh);
        int x0 = bilinear_first_dest(ix - 1, w, ow), x1 = bilinear_first_dest(ix + 1, w, ow);
        float v = din[i];
        for (int y = y0; y < y1; ++y) {
            bilinear_tap ty = bilinear_source_tap(y, h, oh);
            const float *row = dout + (p * oh + y) * ow;
            for (int x = x0; x < x1; ++x) {
                bilinear_tap tx = bilinear_source_tap(x, w, ow);
                float g = row[x], g1 = g * ty.w_hi, g0 = g - g1;
                if (ty.lo == iy) v = add_taps(v, g0, tx, ix);
                if (ty.hi == iy) v = add_taps(v, g1, tx, ix);
            }
        }
        din[i] = v;
    }
    /* v plus g's shares along x that land on index ix, lo's first. */
    DN_HD static float add_taps(float v, float g, bilinear_tap tx, int ix)
    {
        if (tx.lo == ix) v += g * (1 - tx.w_hi);
        if (tx.hi == ix) v += g * tx.w_hi;
        return v;
    }
};

#endif
