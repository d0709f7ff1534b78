/* kernel_test.h: what the kernel tests share. tests/cuda/host_*.cu run kernel
 * bodies on the CPU (no GPU needed: `make test` runs them wherever nvcc is
 * installed); tests/cuda/device_*.cu launch the kernels on a GPU (gpu_tests,
 * run by scripts/gpu_check.sh). Both compare with the CPU layer or op. */
#ifndef DN_KERNEL_TEST_H
#define DN_KERNEL_TEST_H

#include <stdlib.h>
#include <vector>

extern "C" {
#include "test.h"
}

/* n floats in [lo, hi), the same for the same seed. */
static inline std::vector<float> random_vector(size_t n, float lo, float hi, unsigned seed)
{
    std::vector<float> v(n);
    if (n) random_fill(v.data(), (int)n, lo, hi, seed);
    return v;
}

/* Checks that got equals want to tol relative (to max(1, |want|)), naming what. */
static inline void check_close(const std::vector<float> &got, const std::vector<float> &want, double tol,
                               const char *what)
{
    CHECK_MSG(got.size() == want.size(), "%s: %zu values, want %zu", what, got.size(), want.size());
    if (got.size() != want.size() || got.empty()) return;
    int at = 0;
    double d = max_rel_diff(got.data(), want.data(), (int)got.size(), &at);
    CHECK_MSG(d <= tol, "%s: differs by %.3g (> %.1g) at %d: %.9g vs %.9g", what, d, tol, at, got[at], want[at]);
}

#endif
