/* bilinear_gpu.h: ops/bilinear.h on device buffers, on the context's stream. */
#ifndef DN_BILINEAR_GPU_H
#define DN_BILINEAR_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out (planes x oh x ow) = resize of in (planes x h x w), half-pixel centres. */
void bilinear_resize_gpu(gpu_ctx *g, const float *in, int planes, int h, int w, float *out, int oh, int ow);
/* din += the adjoint of the resize applied to dout; deterministic (a gather per input element). */
void bilinear_resize_backward_gpu(gpu_ctx *g, const float *dout, int planes, int h, int w, float *din, int oh,
                                  int ow);

#ifdef __cplusplus
}
#endif

#endif
