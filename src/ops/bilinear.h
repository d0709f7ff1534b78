/* bilinear.h: bilinear resizing of feature maps and its adjoint, for
 * distillation between maps of different sizes. Half-pixel centres, as
 * PyTorch's interpolate(mode="bilinear", align_corners=False):
 * source = (dest + 0.5) * in / out - 0.5, clamped below at 0. */
#ifndef DN_BILINEAR_H
#define DN_BILINEAR_H

#include "hd.h"

/* Where output index dest of `out` samples an axis of `in` values: between
 * lo and hi, hi with weight w_hi (lo with 1 - w_hi). Shared with the kernels. */
typedef struct {
    int lo, hi;
    float w_hi;
} bilinear_tap;

DN_HD bilinear_tap bilinear_source_tap(int dest, int in, int out)
{
    float s = (dest + 0.5f) * (float)in / (float)out - 0.5f;
    if (s < 0) s = 0;
    bilinear_tap t = {(int)s, 0, 0};
    if (t.lo > in - 1) t.lo = in - 1;
    t.hi = t.lo + 1 < in ? t.lo + 1 : in - 1;
    t.w_hi = s - t.lo;
    return t;
}

/* out (planes x oh x ow) = resize of in (planes x h x w). */
void bilinear_resize(const float *in, int planes, int h, int w, float *out, int oh, int ow);
/* din += the adjoint of the resize applied to dout (planes x oh x ow). */
void bilinear_resize_backward(const float *dout, int planes, int h, int w, float *din, int oh, int ow);

#endif
