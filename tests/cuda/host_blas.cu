/* The vector helpers' bodies, run on the CPU, against ops/blas.c. */
#include "blas_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "blas.h"
}

TEST(axpy_and_scal_bodies_equal_the_cpu_helpers_on_an_odd_length)
{
    const size_t n = 1031;   /* not a multiple of the block size */
    std::vector<float> x = random_vector(n, -1, 1, 1), y = random_vector(n, -1, 1, 2), want = y;
    host_for_each((long)n, axpy_body{0.37f, x.data(), y.data()});
    axpy(n, 0.37f, x.data(), want.data());
    check_close(y, want, 0, "axpy");
    host_for_each((long)n, scal_body{-1.5f, y.data()});
    scal(n, -1.5f, want.data());
    check_close(y, want, 0, "scal");
}

TEST(fill_and_copy_bodies_equal_the_cpu_helpers)
{
    const size_t n = 257;
    std::vector<float> x = random_vector(n, -1, 1, 3), y(n), want(n);
    host_for_each((long)n, copy_body{x.data(), y.data()});
    copy(x.data(), want.data(), n);
    check_close(y, want, 0, "copy");
    host_for_each((long)n, fill_body{y.data(), 2.5f});
    fill(want.data(), n, 2.5f);
    check_close(y, want, 0, "fill");
}
