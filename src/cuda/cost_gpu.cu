/* cost_gpu.cu: the launch of [cost]'s body (cost_body.cuh). */
#include "cost_body.cuh"
#include "cost_gpu.h"
#include "gpu_launch.cuh"

void cost_gpu(gpu_ctx *g, int batch, int inputs, cost_type type, float scale, const float *x, const float *truth,
              float *delta, float *cost)
{
    gpu_for_each(g, batch, cost_body{x, truth, delta, cost, inputs, type, scale});
}
