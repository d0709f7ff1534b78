#include "gemm.h"

#include "threadpool.h"

#ifdef DN_OPENBLAS
#include <cblas.h>
#endif

typedef struct {
    int ta, tb, M, N, K;
    float alpha;
    const float *A, *B;
    int lda, ldb;
    float beta;
    float *C;
    int ldc;
} gemm_args;

enum { BLOCK_K = 256, BLOCK_N = 512 };

/* Rows [r0, r1) of C. The inner loop runs along a row of C and a row of B so
 * the compiler vectorises it; K and N are blocked to keep B's panel in cache. */
static void gemm_rows(void *ctx, int r0, int r1)
{
    const gemm_args *g = ctx;
    for (int i = r0; i < r1; ++i) {
        float *c = g->C + (size_t)i * g->ldc;
        if (g->beta == 0)
            for (int j = 0; j < g->N; ++j) c[j] = 0;
        else if (g->beta != 1)
            for (int j = 0; j < g->N; ++j) c[j] *= g->beta;
    }
    for (int j0 = 0; j0 < g->N; j0 += BLOCK_N) {
        int j1 = j0 + BLOCK_N < g->N ? j0 + BLOCK_N : g->N;
        for (int k0 = 0; k0 < g->K; k0 += BLOCK_K) {
            int k1 = k0 + BLOCK_K < g->K ? k0 + BLOCK_K : g->K;
            for (int i = r0; i < r1; ++i) {
                float *restrict c = g->C + (size_t)i * g->ldc;
                for (int k = k0; k < k1; ++k) {
                    float a = g->alpha * (g->ta ? g->A[(size_t)k * g->lda + i]
                                                : g->A[(size_t)i * g->lda + k]);
                    if (g->tb) {
                        for (int j = j0; j < j1; ++j) c[j] += a * g->B[(size_t)j * g->ldb + k];
                    } else {
                        const float *restrict b = g->B + (size_t)k * g->ldb;
                        for (int j = j0; j < j1; ++j) c[j] += a * b[j];
                    }
                }
            }
        }
    }
}

/* C = A * B^T: dot products of rows, contiguous in both operands. */
static void gemm_rows_nt(void *ctx, int r0, int r1)
{
    const gemm_args *g = ctx;
    for (int i = r0; i < r1; ++i) {
        const float *restrict a = g->A + (size_t)i * g->lda;
        float *c = g->C + (size_t)i * g->ldc;
        for (int j = 0; j < g->N; ++j) {
            const float *restrict b = g->B + (size_t)j * g->ldb;
            float s = 0;
            for (int k = 0; k < g->K; ++k) s += a[k] * b[k];
            c[j] = g->alpha * s + (g->beta == 0 ? 0 : g->beta * c[j]);
        }
    }
}

void gemm_builtin(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_args g = {ta, tb, M, N, K, alpha, A, B, lda, ldb, beta, C, ldc};
    int work_per_row = N * (K > 0 ? K : 1);
    int grain = work_per_row > 65536 ? 1 : 65536 / work_per_row;
    parallel_for(M, grain, (!ta && tb) ? gemm_rows_nt : gemm_rows, &g);
}

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc)
{
#ifdef DN_OPENBLAS
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
    gemm_builtin(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
