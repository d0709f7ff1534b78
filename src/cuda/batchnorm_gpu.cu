/* batchnorm_gpu.cu: launches of the batch norm bodies (batchnorm_body.cuh). */
#include "batchnorm_body.cuh"
#include "batchnorm_gpu.h"
#include "gpu_launch.cuh"

void bn_forward_gpu(gpu_ctx *g, const bn_tensors *t, float *x, int train, float momentum)
{
    if (train) gpu_for_each(g, t->channels, bn_statistics_body{*t, x, momentum});
    long n = (long)t->batch * t->channels * t->spatial;
    if (train)
        gpu_for_each(g, n, bn_normalise_body{*t, t->mean, t->var, x});
    else
        gpu_for_each(g, n, bn_normalise_body{*t, t->rolling_mean, t->rolling_var, x});
}

void bn_backward_gpu(gpu_ctx *g, const bn_tensors *t, float *delta, int train, float *scale_grad,
                     float *bias_grad)
{
    gpu_for_each(g, t->channels, bn_grad_sums_body{*t, delta, scale_grad, bias_grad});
    gpu_for_each(g, (long)t->batch * t->channels * t->spatial, bn_input_grad_body{*t, train, delta});
}

void add_bias_gpu(gpu_ctx *g, float *x, const float *bias, int batch, int channels, int spatial)
{
    gpu_for_each(g, (long)batch * channels * spatial, add_bias_body{x, bias, channels, spatial});
}

void backward_bias_gpu(gpu_ctx *g, float *bias_grad, const float *delta, int batch, int channels, int spatial)
{
    gpu_for_each(g, channels, backward_bias_body{bias_grad, delta, batch, channels, spatial});
}
