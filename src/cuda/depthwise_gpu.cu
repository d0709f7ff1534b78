/* depthwise_gpu.cu: launches of the depthwise bodies (depthwise_body.cuh). */
#include "depthwise_body.cuh"
#include "depthwise_gpu.h"
#include "gpu_launch.cuh"

void depthwise_forward_gpu(gpu_ctx *g, const float *in, const float *w, float *out, const conv_geometry *geo,
                           int batch)
{
    long n = (long)batch * geo->c * geo->out_h * geo->out_w;
    gpu_for_each(g, n, depthwise_forward_body{*geo, in, w, out});
}

void depthwise_backward_gpu(gpu_ctx *g, const float *in, const float *w, const float *out_delta,
                            const conv_geometry *geo, int batch, float *w_grad, float *in_delta)
{
    long nw = (long)geo->c * geo->ksize_y * geo->ksize_x;
    gpu_for_each(g, nw, depthwise_backward_weights_body{*geo, batch, in, out_delta, w_grad});
    if (in_delta)
        gpu_for_each(g, (long)batch * geo->c * geo->h * geo->w,
                     depthwise_backward_data_body{*geo, w, out_delta, in_delta});
}
