/* softmax_gpu.h: [softmax] on device buffers, on the context's stream. A
 * batch holds `slices` = batch * groups slices of n values each. */
#ifndef DN_SOFTMAX_GPU_H
#define DN_SOFTMAX_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

void softmax_forward_gpu(gpu_ctx *g, long slices, int n, float temperature, const float *in, float *out);
/* As the network's loss: cost[b] (batch floats on the device) gets image b's
 * cross-entropy, summed in double per image (the layer's cost is their sum);
 * loss_delta (batch*inputs, may be NULL outside training) gets (t - p) / T. */
void softmax_loss_gpu(gpu_ctx *g, int batch, int inputs, float temperature, const float *truth, const float *p,
                      float *loss_delta, float *cost);
/* in_delta += Jacobian(p) delta, then += loss_delta when not NULL. */
void softmax_backward_gpu(gpu_ctx *g, long slices, int n, float temperature, const float *p, const float *delta,
                          const float *loss_delta, float *in_delta);

#ifdef __cplusplus
}
#endif

#endif
