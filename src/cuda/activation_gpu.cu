/* activation_gpu.cu: launches of the activation bodies (activation_body.cuh). */
#include "activation_body.cuh"
#include "activation_gpu.h"
#include "gpu_launch.cuh"

void activate_gpu(gpu_ctx *g, float *x, size_t n, activation a)
{
    if (a != ACT_LINEAR) gpu_for_each(g, (long)n, activate_body{x, a});
}

void gradient_gpu(gpu_ctx *g, const float *in, const float *out, size_t n, activation a, float *delta)
{
    if (a != ACT_LINEAR) gpu_for_each(g, (long)n, gradient_body{in, out, a, delta});
}
