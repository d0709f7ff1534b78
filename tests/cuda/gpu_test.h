/* gpu_test.h: device buffers for the device kernel tests (gpu_tests). A test
 * run without a usable GPU fails, naming why: gpu_tests is only run where one
 * is expected (scripts/gpu_check.sh). */
#ifndef DN_GPU_TEST_H
#define DN_GPU_TEST_H

#include "kernel_test.h"

extern "C" {
#include "gpu.h"
}

/* The tests' shared context on GPU 0 (NULL, with a test failure, when none). */
gpu_ctx *test_gpu(void);

/* A device copy of a host vector, freed with the object. */
struct device_vector {
    gpu_ctx *g;
    float *p;
    size_t n;
    device_vector(gpu_ctx *ctx, const std::vector<float> &host);
    ~device_vector();
    std::vector<float> pull() const;
    device_vector(const device_vector &) = delete;
    device_vector &operator=(const device_vector &) = delete;
};

#endif
