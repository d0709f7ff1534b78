/* im2col_gpu.cu: launches of the im2col bodies (im2col_body.cuh). */
#include "gpu_launch.cuh"
#include "im2col_body.cuh"
#include "im2col_gpu.h"

void im2col_gpu(gpu_ctx *g, const float *im, const conv_geometry *geo, float *col)
{
    long n = (long)geo->c * geo->ksize_y * geo->ksize_x * geo->out_h * geo->out_w;
    gpu_for_each(g, n, im2col_body{*geo, im, col});
}

void col2im_add_gpu(gpu_ctx *g, const float *col, const conv_geometry *geo, float *im)
{
    gpu_for_each(g, (long)geo->c * geo->h * geo->w, col2im_add_body{*geo, col, im});
}
