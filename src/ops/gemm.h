/* gemm.h: C = alpha * op(A) * op(B) + beta * C, row-major, like cblas_sgemm.
 * OpenBLAS when built with OPENBLAS=1, else the built-in blocked version. */
#ifndef DN_GEMM_H
#define DN_GEMM_H

void gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc);
/* The built-in version, always available (tests compare the two). */
void gemm_builtin(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A,
                  int lda, const float *B, int ldb, float beta, float *C, int ldc);

#endif
