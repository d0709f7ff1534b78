/* distill_gpu.cu: launches of the distillation losses' bodies (distill_body.cuh). */
#include "distill_body.cuh"
#include "distill_gpu.h"
#include "gpu_launch.cuh"

void cwd_gpu(gpu_ctx *g, const float *s, const float *t, float *grad, int batch, int c, int hw, int spatial,
             float tau, float weight, double *work, float *cost)
{
    long rows = (long)batch * (spatial ? hw : c);
    gpu_for_each(g, rows, cwd_row_body{s, t, grad, work, c, hw, spatial, tau, weight});
    gpu_for_each(g, 1, cwd_cost_body{work, rows, spatial ? hw : c, tau, weight, cost});
}

void fd_gpu(gpu_ctx *g, const float *s, const float *t, float *grad, int batch, int c, int hw, int smooth_l1,
            float beta, float weight, double *work, float *cost)
{
    long rows = (long)batch * c;
    double scale = (double)weight / ((double)c * hw);
    gpu_for_each(g, rows, fd_row_body{s, t, grad, work, hw, smooth_l1, beta, scale});
    gpu_for_each(g, 1, fd_cost_body{work, rows, scale, cost});
}

void kd_softmax_gpu(gpu_ctx *g, const float *x, float *out, int batch, int n)
{
    gpu_for_each(g, batch, kd_softmax_body{x, out, n});
}

void kd_softmax_backward_gpu(gpu_ctx *g, const float *p, const float *d, float *in, int batch, int n)
{
    gpu_for_each(g, batch, kd_softmax_backward_body{p, d, in, n});
}

void kd_gpu(gpu_ctx *g, const float *x, const float *t, const float *y, int truth_stride, float *grad,
            int batch, int n, int nkd, float T, float alpha, float gamma, double *work, float *out)
{
    gpu_for_each(g, batch, kd_image_body{x, t, y, grad, work, n, truth_stride, nkd, T, alpha, gamma});
    gpu_for_each(g, 1, kd_cost_body{work, batch, out});
}
