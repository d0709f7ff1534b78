/* layernorm_gpu.cu: launches of the layernorm bodies (layernorm_body.cuh). */
#include "gpu_launch.cuh"
#include "layernorm_body.cuh"
#include "layernorm_gpu.h"

void layernorm_forward_gpu(gpu_ctx *g, int batch, int c, int spatial, float eps, const float *in,
                           const float *gamma, const float *beta, float *out, float *x_norm, float *mean,
                           float *inv_std)
{
    gpu_for_each(g, (long)batch * spatial,
                 layernorm_forward_body{{c, spatial}, in, gamma, beta, out, x_norm, mean, inv_std, eps});
}

void layernorm_backward_gpu(gpu_ctx *g, int batch, int c, int spatial, const float *delta, const float *x_norm,
                            const float *gamma, const float *inv_std, float *beta_grad, float *gamma_grad,
                            float *in_delta)
{
    gpu_for_each(g, c, layernorm_param_grad_body{delta, x_norm, beta_grad, gamma_grad, batch, c, spatial});
    if (in_delta)
        gpu_for_each(g, (long)batch * spatial,
                     layernorm_backward_body{{c, spatial}, delta, x_norm, gamma, inv_std, in_delta});
}
