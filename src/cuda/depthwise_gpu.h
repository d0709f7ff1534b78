/* depthwise_gpu.h: ops/depthwise.h on device buffers, on the context's stream.
 * geo->c is the channel count; in, out are [batch][c][plane]; w is [c][ky][kx]. */
#ifndef DN_DEPTHWISE_GPU_H
#define DN_DEPTHWISE_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "im2col.h"

/* Overwrites out. */
void depthwise_forward_gpu(gpu_ctx *g, const float *in, const float *w, float *out, const conv_geometry *geo,
                           int batch);
/* Adds dL/dw into w_grad and, when in_delta is not NULL, dL/din into in_delta. */
void depthwise_backward_gpu(gpu_ctx *g, const float *in, const float *w, const float *out_delta,
                            const conv_geometry *geo, int batch, float *w_grad, float *in_delta);

#ifdef __cplusplus
}
#endif

#endif
