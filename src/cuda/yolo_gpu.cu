/* yolo_gpu.cu: the launch of [yolo]'s forward body (yolo_body.cuh). */
#include "gpu_launch.cuh"
#include "yolo_body.cuh"
#include "yolo_gpu.h"

void yolo_forward_gpu(gpu_ctx *g, const float *in, float *out, int batch, int n_mask, int classes, int hw,
                      float scale_x_y)
{
    int channels = n_mask * (classes + 5);
    gpu_for_each(g, (long)batch * channels * hw, yolo_forward_body{in, out, hw, channels, classes + 5, scale_x_y});
}
