/* bilinear.h: bilinear resizing of feature maps and its adjoint, for
 * distillation between maps of different sizes. Half-pixel centres, as
 * PyTorch's interpolate(mode="bilinear", align_corners=False):
 * source = (dest + 0.5) * in / out - 0.5, clamped below at 0. */
#ifndef DN_BILINEAR_H
#define DN_BILINEAR_H

/* out (planes x oh x ow) = resize of in (planes x h x w). */
void bilinear_resize(const float *in, int planes, int h, int w, float *out, int oh, int ow);
/* din += the adjoint of the resize applied to dout (planes x oh x ow). */
void bilinear_resize_backward(const float *dout, int planes, int h, int w, float *din, int oh, int ow);

#endif
