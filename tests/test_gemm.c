/* gemm: the built-in kernel and the configured one (OpenBLAS or built-in)
 * against a double-precision triple loop, for every transpose combination,
 * odd sizes that exercise the panel edges, and alpha/beta. */
#include <stdlib.h>

#include "gemm.h"
#include "test.h"

static void reference(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j) {
            double s = 0;
            for (int k = 0; k < K; ++k)
                s += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
            C[i * ldc + j] = (float)(alpha * s + beta * C[i * ldc + j]);
        }
}

TEST(gemm_matches_reference)
{
    const int sizes[][3] = {{1, 1, 1}, {7, 13, 5}, {6, 16, 256}, {73, 257, 300}, {5, 1000, 3}, {130, 17, 520}};
    for (int which = 0; which < 2; ++which)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; ++s)
            for (int t = 0; t < 4; ++t) {
                int M = sizes[s][0], N = sizes[s][1], K = sizes[s][2], ta = t & 1, tb = t >> 1;
                int lda = ta ? M : K, ldb = tb ? K : N;
                float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
                float *C = malloc(sizeof(float) * M * N), *R = malloc(sizeof(float) * M * N);
                random_fill(A, M * K, -1, 1, 1 + s);
                random_fill(B, K * N, -1, 1, 2 + s);
                random_fill(C, M * N, -1, 1, 3 + s);
                for (int i = 0; i < M * N; ++i) R[i] = C[i];
                (which ? gemm : gemm_builtin)(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C, N);
                reference(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, R, N);
                int where = 0;
                double err = max_rel_diff(C, R, M * N, &where);
                CHECK_MSG(err < 1e-4, "%s %dx%dx%d ta=%d tb=%d: element %d off by %g",
                          which ? "gemm" : "gemm_builtin", M, N, K, ta, tb, where, err);
                free(A);
                free(B);
                free(C);
                free(R);
            }
}
