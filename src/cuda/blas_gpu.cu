/* blas_gpu.cu: launches of the vector helpers' bodies (blas_body.cuh). */
#include "blas_body.cuh"
#include "blas_gpu.h"
#include "gpu_launch.cuh"

void fill_gpu(gpu_ctx *g, float *x, size_t n, float v) { gpu_for_each(g, (long)n, fill_body{x, v}); }

void copy_gpu(gpu_ctx *g, const float *x, float *y, size_t n)
{
    if (x != y) gpu_for_each(g, (long)n, copy_body{x, y});
}

void axpy_gpu(gpu_ctx *g, size_t n, float a, const float *x, float *y)
{
    gpu_for_each(g, (long)n, axpy_body{a, x, y});
}

void scal_gpu(gpu_ctx *g, size_t n, float a, float *x) { gpu_for_each(g, (long)n, scal_body{a, x}); }
