/* bilinear_gpu.cu: launches of the bilinear resize's bodies (bilinear_body.cuh). */
#include "bilinear_body.cuh"
#include "bilinear_gpu.h"
#include "gpu_launch.cuh"

void bilinear_resize_gpu(gpu_ctx *g, const float *in, int planes, int h, int w, float *out, int oh, int ow)
{
    gpu_for_each(g, (long)planes * oh * ow, bilinear_body{in, out, h, w, oh, ow});
}

void bilinear_resize_backward_gpu(gpu_ctx *g, const float *dout, int planes, int h, int w, float *din, int oh,
                                  int ow)
{
    gpu_for_each(g, (long)planes * h * w, bilinear_backward_body{dout, din, h, w, oh, ow});
}
