/* blas_gpu.h: ops/blas.h on device buffers, on the context's stream. */
#ifndef DN_BLAS_GPU_H
#define DN_BLAS_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

void fill_gpu(gpu_ctx *g, float *x, size_t n, float v);
void copy_gpu(gpu_ctx *g, const float *x, float *y, size_t n);
void axpy_gpu(gpu_ctx *g, size_t n, float a, const float *x, float *y);
void scal_gpu(gpu_ctx *g, size_t n, float a, float *x);

#ifdef __cplusplus
}
#endif

#endif
