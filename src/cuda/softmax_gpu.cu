/* softmax_gpu.cu: launches of the softmax bodies (softmax_body.cuh). */
#include "blas_body.cuh"
#include "gpu_launch.cuh"
#include "softmax_body.cuh"
#include "softmax_gpu.h"

void softmax_forward_gpu(gpu_ctx *g, long slices, int n, float temperature, const float *in, float *out)
{
    gpu_for_each(g, slices, softmax_forward_body{in, out, n, temperature});
}

void softmax_loss_gpu(gpu_ctx *g, int batch, int inputs, float temperature, const float *truth, const float *p,
                      float *loss_delta, float *cost)
{
    gpu_for_each(g, batch, softmax_loss_body{truth, p, loss_delta, cost, inputs, 1.0f / temperature});
}

void softmax_backward_gpu(gpu_ctx *g, long slices, int n, float temperature, const float *p, const float *delta,
                          const float *loss_delta, float *in_delta)
{
    gpu_for_each(g, slices, softmax_backward_body{p, delta, in_delta, n, 1.0f / temperature});
    if (loss_delta) gpu_for_each(g, slices * n, axpy_body{1, loss_delta, in_delta});
}
