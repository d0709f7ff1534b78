/* conv_gpu.h: a convolutional layer's im2col + gemm path on device buffers
 * (what src/layers/convolutional.c does on the CPU, groups included). The
 * depthwise path of that layer is depthwise_gpu.h; the cuDNN one conv_cudnn.h. */
#ifndef DN_CONV_GPU_H
#define DN_CONV_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "im2col.h"

/* A layer's convolution: geo is ONE GROUP of one image (geo.c = input
 * channels / groups), as conv_state.geo. Layouts: input [batch][groups *
 * geo.c][h][w], output [batch][filters][out_h][out_w], weights [filters]
 * [geo.c][ksize_y][ksize_x]. */
typedef struct {
    conv_geometry geo;
    int groups, filters, batch;
} conv_shape_gpu;

/* 1x1, stride 1, no padding: the input is its own column matrix. */
int conv_is_pointwise(const conv_geometry *geo);
/* Floats of workspace conv_forward_gpu / conv_backward_gpu need (0 when pointwise). */
size_t conv_workspace_gpu(const conv_shape_gpu *s);

/* out = weights * in (overwritten; no bias). 0 or -1. */
int conv_forward_gpu(gpu_ctx *g, const conv_shape_gpu *s, const float *in, const float *weights, float *out,
                     float *workspace);
/* Adds delta * in^T into weight_grad and, when in_delta is not NULL, the
 * input gradient into in_delta. 0 or -1. */
int conv_backward_gpu(gpu_ctx *g, const conv_shape_gpu *s, const float *in, const float *weights,
                      const float *delta, float *weight_grad, float *in_delta, float *workspace);

#ifdef __cplusplus
}
#endif

#endif
