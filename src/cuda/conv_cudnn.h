/* conv_cudnn.h (CUDNN=1 builds): a convolutional layer's convolution through
 * cuDNN: descriptors and algorithms chosen once per shape, at setup, in a
 * conv_cudnn the layer keeps; the workspace buffer is the caller's (shared
 * by the layers), of conv_cudnn_workspace_bytes() at least. */
#ifndef DN_CONV_CUDNN_H
#define DN_CONV_CUDNN_H

#include "conv_gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct conv_cudnn conv_cudnn;

/* The convolution of shape s on g's stream (NULL, with the error recorded,
 * when cuDNN cannot do it). Deterministic algorithms are preferred. */
conv_cudnn *conv_cudnn_create(gpu_ctx *g, const conv_shape_gpu *s);
void conv_cudnn_free(conv_cudnn *c);
/* Bytes of workspace the chosen algorithms need (forward and both backwards). */
size_t conv_cudnn_workspace_bytes(const conv_cudnn *c);

/* out = weights * in (overwritten). 0 or -1. */
int conv_cudnn_forward(conv_cudnn *c, const float *in, const float *weights, float *out, void *workspace);
/* Adds into weight_grad and, when in_delta is not NULL, into in_delta (as conv_backward_gpu). 0 or -1. */
int conv_cudnn_backward(conv_cudnn *c, const float *in, const float *weights, const float *delta,
                        float *weight_grad, float *in_delta, void *workspace);

#ifdef __cplusplus
}
#endif

#endif
