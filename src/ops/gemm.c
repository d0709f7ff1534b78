/* gemm.c: C = alpha * op(A) * op(B) + beta * C, row-major.
 * With OPENBLAS=1 this is cblas_sgemm. The built-in version packs blocks of A
 * and B into contiguous panels and runs a 6x16 register-blocked kernel written
 * with GCC vector extensions (AVX2/FMA under -march=native, SSE otherwise). */
#include "gemm.h"

#include <pthread.h>
#include <string.h>

#include "threadpool.h"

#ifdef DN_OPENBLAS
#include <cblas.h>
#endif

enum { MR = 6, NR = 16, KC = 256, MC = 72, NC = 256 };

typedef float v8 __attribute__((vector_size(32)));

typedef struct {
    int ta, tb, M, N, K;
    float alpha;
    const float *A, *B;
    int lda, ldb;
    float beta;
    float *C;
    int ldc;
    int parts;      /* OpenBLAS path: how many pieces the product is cut into */
} gemm_args;

static float a_at(const gemm_args *g, int i, int k)
{
    return g->ta ? g->A[(size_t)k * g->lda + i] : g->A[(size_t)i * g->lda + k];
}

static float b_at(const gemm_args *g, int k, int j)
{
    return g->tb ? g->B[(size_t)j * g->ldb + k] : g->B[(size_t)k * g->ldb + j];
}

/* A[i0:i0+mc, k0:k0+kc] as MR-row panels, k-major inside a panel, zero padded. */
static void pack_a(const gemm_args *g, int i0, int mc, int k0, int kc, float *restrict out)
{
    for (int p = 0; p < mc; p += MR)
        for (int k = 0; k < kc; ++k)
            for (int r = 0; r < MR; ++r)
                *out++ = p + r < mc ? g->alpha * a_at(g, i0 + p + r, k0 + k) : 0;
}

/* B[k0:k0+kc, j0:j0+nc] as NR-column panels, k-major inside a panel, zero padded. */
static void pack_b(const gemm_args *g, int k0, int kc, int j0, int nc, float *restrict out)
{
    for (int p = 0; p < nc; p += NR)
        for (int k = 0; k < kc; ++k) {
            if (!g->tb && p + NR <= nc) {
                memcpy(out, g->B + (size_t)(k0 + k) * g->ldb + j0 + p, NR * sizeof(float));
                out += NR;
                continue;
            }
            for (int c = 0; c < NR; ++c) *out++ = p + c < nc ? b_at(g, k0 + k, j0 + p + c) : 0;
        }
}

/* acc(6x16) = a_panel(6 x kc) * b_panel(kc x 16), added into C (rows x cols valid). */
static void kernel(int kc, const float *restrict a, const float *restrict b, float *c, int ldc,
                   int rows, int cols)
{
    v8 acc[MR][2] = {{{0}}};
    for (int k = 0; k < kc; ++k) {
        v8 b0, b1;
        memcpy(&b0, b + k * NR, sizeof b0);
        memcpy(&b1, b + k * NR + 8, sizeof b1);
        for (int r = 0; r < MR; ++r) {
            float av = a[k * MR + r];
            acc[r][0] += av * b0;
            acc[r][1] += av * b1;
        }
    }
    float tile[MR][NR];
    memcpy(tile, acc, sizeof tile);
    for (int r = 0; r < rows; ++r) {
        float *cr = c + (size_t)r * ldc;
        for (int j = 0; j < cols; ++j) cr[j] += tile[r][j];
    }
}

/* One task is one MC x NC tile of C; it packs its own panels (the repeated
 * packing of B costs about 1/MC of the multiply). */
static void gemm_tiles(void *ctx, int t0, int t1)
{
    const gemm_args *g = ctx;
    float bpack[KC * NC] __attribute__((aligned(32)));
    float apack[MC * KC] __attribute__((aligned(32)));
    int n_col_blocks = (g->N + NC - 1) / NC;
    for (int t = t0; t < t1; ++t) {
        int i0 = t / n_col_blocks * MC, j0 = t % n_col_blocks * NC;
        int mc = g->M - i0 < MC ? g->M - i0 : MC, nc = g->N - j0 < NC ? g->N - j0 : NC;
        for (int i = i0; i < i0 + mc; ++i) {
            float *c = g->C + (size_t)i * g->ldc + j0;
            if (g->beta == 0) memset(c, 0, nc * sizeof(float));
            else if (g->beta != 1)
                for (int j = 0; j < nc; ++j) c[j] *= g->beta;
        }
        for (int k0 = 0; k0 < g->K; k0 += KC) {
            int kc = g->K - k0 < KC ? g->K - k0 : KC;
            pack_b(g, k0, kc, j0, nc, bpack);
            pack_a(g, i0, mc, k0, kc, apack);
            for (int p = 0; p < mc; p += MR)
                for (int q = 0; q < nc; q += NR)
                    kernel(kc, apack + p * kc, bpack + q * kc, g->C + (size_t)(i0 + p) * g->ldc + j0 + q,
                           g->ldc, mc - p < MR ? mc - p : MR, nc - q < NR ? nc - q : NR);
        }
    }
}

void gemm_builtin(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_args g = {ta, tb, M, N, K, alpha, A, B, lda, ldb, beta, C, ldc, 0};
    if (M <= 0 || N <= 0) return;
    int tiles = ((M + MC - 1) / MC) * ((N + NC - 1) / NC);
    parallel_for(tiles, 1, gemm_tiles, &g);
}

#ifdef DN_OPENBLAS
/* OpenBLAS runs single-threaded on each part and the library's pool splits
 * the work: OpenBLAS's own threads spin-wait after each call and would fight
 * the pool's threads for the cores in the layers between two gemms. */
static pthread_once_t openblas_once = PTHREAD_ONCE_INIT;
static void openblas_single_thread(void) { openblas_set_num_threads(1); }

static void openblas_part(void *ctx, int p0, int p1)
{
    const gemm_args *g = ctx;
    int parts = g->parts, split_n = g->N >= g->M;
    int len = split_n ? g->N : g->M;
    for (int p = p0; p < p1; ++p) {
        /* part boundaries on multiples of 16 keep the kernels' panels whole */
        int lo = (int)((long)len * p / parts) & ~15;
        int hi = p + 1 == parts ? len : (int)((long)len * (p + 1) / parts) & ~15;
        if (hi <= lo) continue;
        if (split_n)
            cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                        g->M, hi - lo, g->K, g->alpha, g->A, g->lda,
                        g->B + (g->tb ? (size_t)lo * g->ldb : (size_t)lo), g->ldb, g->beta, g->C + lo, g->ldc);
        else
            cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                        hi - lo, g->N, g->K, g->alpha, g->A + (g->ta ? (size_t)lo : (size_t)lo * g->lda),
                        g->lda, g->B, g->ldb, g->beta, g->C + (size_t)lo * g->ldc, g->ldc);
    }
}
#endif

void gemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc)
{
#ifdef DN_OPENBLAS
    pthread_once(&openblas_once, openblas_single_thread);
    /* small products are not worth a hand-off to another thread */
    int parts = (double)M * N * K < 1e6 ? 1 : threadpool_size();
    gemm_args g = {ta, tb, M, N, K, alpha, A, B, lda, ldb, beta, C, ldc, parts};
    parallel_for(parts, 1, openblas_part, &g);
#else
    gemm_builtin(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
