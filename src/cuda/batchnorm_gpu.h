/* batchnorm_gpu.h: ops/batchnorm.h (one process: no synchronised statistics)
 * on device buffers, on the context's stream. The bn_tensors passed here hold
 * DEVICE pointers, sums included (2 * channels + 1 doubles; backward needs
 * it, forward does not). */
#ifndef DN_BATCHNORM_GPU_H
#define DN_BATCHNORM_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "batchnorm.h"

/* bn_forward: in place; train=1 records the batch statistics in t->mean,
 * t->var and moves the rolling ones (x_norm required). */
void bn_forward_gpu(gpu_ctx *g, const bn_tensors *t, float *x, int train, float momentum);
/* bn_backward: delta in place; adds into scale_grad and bias_grad. */
void bn_backward_gpu(gpu_ctx *g, const bn_tensors *t, float *delta, int train, float *scale_grad,
                     float *bias_grad);

/* add_bias / backward_bias of ops/batchnorm.h (the layers without batch norm). */
void add_bias_gpu(gpu_ctx *g, float *x, const float *bias, int batch, int channels, int spatial);
void backward_bias_gpu(gpu_ctx *g, float *bias_grad, const float *delta, int batch, int channels, int spatial);

#ifdef __cplusplus
}
#endif

#endif
