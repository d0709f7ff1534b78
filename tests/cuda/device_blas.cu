/* The vector helpers launched on a GPU, against ops/blas.c. */
#include "gpu_test.h"

extern "C" {
#include "blas.h"
#include "blas_gpu.h"
}

TEST(gpu_axpy_scal_fill_and_copy_equal_the_cpu_helpers)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const size_t n = 100003;
    std::vector<float> x = random_vector(n, -1, 1, 1), want = random_vector(n, -1, 1, 2);
    device_vector dx(g, x), dy(g, want);
    axpy_gpu(g, n, 0.37f, dx.p, dy.p);
    scal_gpu(g, n, -1.5f, dy.p);
    axpy(n, 0.37f, x.data(), want.data());
    scal(n, -1.5f, want.data());
    check_close(dy.pull(), want, 1e-6, "axpy, scal");
    copy_gpu(g, dx.p, dy.p, n);
    check_close(dy.pull(), x, 0, "copy");
    fill_gpu(g, dy.p, n, 2.5f);
    fill(want.data(), n, 2.5f);
    check_close(dy.pull(), want, 0, "fill");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}
