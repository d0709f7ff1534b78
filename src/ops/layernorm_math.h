/* layernorm_math.h: the formulas of [layernorm] (src/layers/layernorm.c),
 * shared with its kernel bodies (src/cuda/layernorm_body.cuh). A row is the C
 * channels of one image at one position, `stride` (= w*h) values apart. */
#ifndef DN_LAYERNORM_MATH_H
#define DN_LAYERNORM_MATH_H

#include <math.h>

#include "hd.h"

/* 1 / std from the sum of squared deviations over C channels (biased variance). */
DN_HD float layernorm_inv_std(float sum_sq, int C, float eps) { return 1.0f / sqrtf(sum_sq / C + eps); }

/* The input gradient of one value, with g = delta * gamma and the row means
 * mean_g of g and mean_gx of g * x_norm. */
DN_HD float layernorm_in_grad(float g, float x_norm, float inv_std, float mean_g, float mean_gx)
{
    return inv_std * (g - mean_g - x_norm * mean_gx);
}

/* Channel c's beta and gamma gradients over every image and position, in double. */
DN_HD void layernorm_channel_grads(const float *delta, const float *x_norm, int batch, long inputs, int spatial,
                                   int c, double *gb, double *gg)
{
    *gb = *gg = 0;
    for (int b = 0; b < batch; ++b) {
        long o = b * inputs + (long)c * spatial;
        for (int p = 0; p < spatial; ++p) {
            *gb += delta[o + p];
            *gg += (double)delta[o + p] * x_norm[o + p];
        }
    }
}

#endif
