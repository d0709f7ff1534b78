/* bn_test.h: batch norm tensors on the host for the kernel tests. */
#ifndef DN_BN_TEST_H
#define DN_BN_TEST_H

#include "kernel_test.h"

extern "C" {
#include "batchnorm.h"
}

/* The arrays of a bn_tensors, random scales, biases and rolling statistics. */
struct bn_arrays {
    int batch, channels, spatial;
    std::vector<float> scales, biases, rolling_mean, rolling_var, mean, var, x_norm;
    std::vector<double> sums;
    bn_arrays(int b, int c, int s, unsigned seed)
        : batch(b), channels(c), spatial(s), scales(random_vector(c, 0.5f, 1.5f, seed)),
          biases(random_vector(c, -1, 1, seed + 1)), rolling_mean(random_vector(c, -1, 1, seed + 2)),
          rolling_var(random_vector(c, 0.5f, 2, seed + 3)), mean(c), var(c), x_norm((size_t)b * c * s),
          sums(2 * (size_t)c + 1)
    {
    }
    bn_tensors tensors(bool with_x_norm)
    {
        return bn_tensors{batch, channels, spatial, scales.data(), biases.data(), rolling_mean.data(),
                          rolling_var.data(), mean.data(), var.data(), with_x_norm ? x_norm.data() : NULL,
                          sums.data()};
    }
    size_t size() const { return x_norm.size(); }
};

/* Batch 3 with one value per channel, odd spatial sizes and one over a block. */
static const int bn_spatial_sizes[] = {1, 7, 143, 257};

#endif
