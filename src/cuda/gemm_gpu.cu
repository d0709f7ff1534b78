/* gemm_gpu.cu: the row-major gemm of ops/gemm.h through column-major cuBLAS. */
#include "gemm_gpu.h"
#include "gpu_launch.cuh"

#ifdef DN_GPU_EMU
extern "C" {
#include "gemm.h"
}

/* the emulated device's cuBLAS is the CPU gemm */
int gemm_gpu(gpu_ctx *g, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
    (void)g;
    gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return 0;
}
#else

/* A row-major M x N matrix is, read column-major, its N x M transpose. So
 * row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: cuBLAS is
 * given B first and A second, each with its own flag, and the sizes N, M. */
int gemm_gpu(gpu_ctx *g, int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
             const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return 0;
    cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    return gpu_blas_ok(cublasSgemm(g->blas, op_b, op_a, N, M, K, &alpha, B, ldb, A, lda, &beta, C, ldc),
                       "cublasSgemm");
}
#endif
