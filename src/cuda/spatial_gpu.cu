/* spatial_gpu.cu: launches of the spatial and routing bodies (spatial_body.cuh). */
#include "activation_body.cuh"
#include "blas_body.cuh"
#include "gpu_launch.cuh"
#include "spatial_body.cuh"
#include "spatial_gpu.h"

void maxpool_forward_gpu(gpu_ctx *g, maxpool_shape s, int planes, const float *in, float *out, int *argmax)
{
    gpu_for_each(g, (long)planes * s.out_w * s.out_h, maxpool_forward_body{s, in, out, argmax});
}

void maxpool_backward_gpu(gpu_ctx *g, maxpool_shape s, int planes, const int *argmax, const float *delta,
                          float *in_delta)
{
    gpu_for_each(g, (long)planes * s.w * s.h, maxpool_backward_body{s, argmax, delta, in_delta});
}

void avgpool_forward_gpu(gpu_ctx *g, int planes, int plane, const float *in, float *out)
{
    gpu_for_each(g, planes, avgpool_forward_body{plane, in, out});
}

void avgpool_backward_gpu(gpu_ctx *g, int planes, int plane, const float *delta, float *in_delta)
{
    gpu_for_each(g, (long)planes * plane, avgpool_backward_body{plane, delta, in_delta});
}

void upsample_forward_gpu(gpu_ctx *g, int planes, int w, int h, int stride, float scale, const float *in,
                          float *out)
{
    long n = (long)planes * w * h * stride * stride;
    gpu_for_each(g, n, upsample_forward_body{{w, h, stride, scale}, in, out});
}

void upsample_backward_gpu(gpu_ctx *g, int planes, int w, int h, int stride, float scale, const float *delta,
                           float *in_delta)
{
    gpu_for_each(g, (long)planes * w * h, upsample_backward_body{{w, h, stride, scale}, delta, in_delta});
}

void shortcut_forward_gpu(gpu_ctx *g, int batch, int w, int h, int c, int w1, int h1, int c1, activation a,
                          const float *in, const float *from, float *pre_act, float *out)
{
    shortcut_map m = shortcut_map_of(w, h, c, w1, h1, c1);
    gpu_for_each(g, (long)batch * w * h * c, shortcut_forward_body{m, in, from, pre_act, out, a});
}

void shortcut_backward_gpu(gpu_ctx *g, int batch, int w, int h, int c, int w1, int h1, int c1, activation a,
                           const float *pre_act, const float *out, float *delta, float *in_delta,
                           float *from_delta)
{
    long n = (long)batch * w * h * c;
    if (a != ACT_LINEAR) gpu_for_each(g, n, gradient_body{pre_act, out, a, delta});
    if (in_delta) gpu_for_each(g, n, axpy_body{1, delta, in_delta});
    if (from_delta)
        gpu_for_each(g, (long)batch * w1 * h1 * c1,
                     shortcut_from_delta_body{shortcut_map_of(w, h, c, w1, h1, c1), delta, from_delta});
}

void route_forward_gpu(gpu_ctx *g, int batch, const float *src, int src_outputs, int src_off, int part,
                       float *dst, int dst_outputs, int dst_off)
{
    route_slice r = {src_outputs, src_off, dst_outputs, dst_off, part};
    gpu_for_each(g, (long)batch * part, route_forward_body{r, src, dst});
}

void route_backward_gpu(gpu_ctx *g, int batch, float *src_delta, int src_outputs, int src_off, int part,
                        const float *dst_delta, int dst_outputs, int dst_off)
{
    route_slice r = {src_outputs, src_off, dst_outputs, dst_off, part};
    gpu_for_each(g, (long)batch * part, route_backward_body{r, dst_delta, src_delta});
}

void dropout_forward_gpu(gpu_ctx *g, size_t n, const float *in, const float *mask, float *out)
{
    gpu_for_each(g, (long)n, dropout_forward_body{in, mask, out});
}

void dropout_backward_gpu(gpu_ctx *g, size_t n, const float *mask, const float *delta, float *in_delta)
{
    gpu_for_each(g, (long)n, dropout_backward_body{mask, delta, in_delta});
}
