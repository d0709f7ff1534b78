/* layernorm_gpu.h: [layernorm] on device buffers (batch x c x spatial), on
 * the context's stream. */
#ifndef DN_LAYERNORM_GPU_H
#define DN_LAYERNORM_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out = gamma * (in - mean) * inv_std + beta over the channels of each
 * position; mean and inv_std (batch*spatial) and x_norm (may be NULL) kept. */
void layernorm_forward_gpu(gpu_ctx *g, int batch, int c, int spatial, float eps, const float *in,
                           const float *gamma, const float *beta, float *out, float *x_norm, float *mean,
                           float *inv_std);
/* beta_grad, gamma_grad += the parameter gradients; in_delta (may be NULL)
 * += the input gradient. */
void layernorm_backward_gpu(gpu_ctx *g, int batch, int c, int spatial, const float *delta, const float *x_norm,
                            const float *gamma, const float *inv_std, float *beta_grad, float *gamma_grad,
                            float *in_delta);

#ifdef __cplusplus
}
#endif

#endif
