/* gemm_gpu.h: ops/gemm.h on device buffers through the context's cuBLAS
 * handle (its stream): C = alpha * op(A) * op(B) + beta * C, row-major. */
#ifndef DN_GEMM_GPU_H
#define DN_GEMM_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The arguments of gemm(); 0, or -1 when cuBLAS refused the call. */
int gemm_gpu(gpu_ctx *g, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc);

#ifdef __cplusplus
}
#endif

#endif
