/* batchnorm_channel.h: the per-channel sums and formulas of batch norm, on
 * raw arrays x[b][c][spatial], shared by ops/batchnorm.c and the GPU bodies
 * (src/cuda/batchnorm_body.cuh: one thread per channel), so both compute
 * the statistics the same way, in the same order. */
#ifndef DN_BATCHNORM_CHANNEL_H
#define DN_BATCHNORM_CHANNEL_H

#include <math.h>
#include <stddef.h>

/* C++ linkage even when this header is reached inside extern "C" (hd.h has a template) */
#ifdef __cplusplus
extern "C++" {
#include "hd.h"
}
#else
#include "hd.h"
#endif

#define BN_EPS 1e-5f

/* The sum of channel ch over the batch and the spatial positions. */
DN_HD double bn_channel_sum(const float *x, int batch, int channels, int spatial, int ch)
{
    double s = 0;
    for (int b = 0; b < batch; ++b) {
        const float *p = x + ((size_t)b * channels + ch) * spatial;
        for (int i = 0; i < spatial; ++i) s += p[i];
    }
    return s;
}

/* The sum of squared deviations of channel ch from mean. */
DN_HD double bn_channel_squares(const float *x, int batch, int channels, int spatial, int ch, float mean)
{
    double ss = 0;
    for (int b = 0; b < batch; ++b) {
        const float *p = x + ((size_t)b * channels + ch) * spatial;
        for (int i = 0; i < spatial; ++i) ss += (double)(p[i] - mean) * (p[i] - mean);
    }
    return ss;
}

/* The sums of d and d * x_norm over channel ch. */
DN_HD void bn_channel_grad_sums(const float *d, const float *xn, int batch, int channels, int spatial, int ch,
                                double *sum_d, double *sum_dxn)
{
    double sd = 0, sdx = 0;
    for (int b = 0; b < batch; ++b) {
        size_t at = ((size_t)b * channels + ch) * spatial;
        for (int i = 0; i < spatial; ++i) {
            sd += d[at + i];
            sdx += (double)d[at + i] * xn[at + i];
        }
    }
    *sum_d = sd;
    *sum_dxn = sdx;
}

/* The batch statistics of a channel from n values (mean, squares ss): the
 * biased variance for normalising, and the rolling ones moved towards the
 * batch's by momentum (the unbiased variance). */
DN_HD void bn_record_channel(float mean, double ss, double n, float momentum, float *mean_out, float *var_out,
                             float *rolling_mean, float *rolling_var)
{
    float var = (float)(ss / n);
    *mean_out = mean;
    *var_out = var;
    float unbiased = n > 1 ? (float)(ss / (n - 1)) : var;
    *rolling_mean += momentum * (mean - *rolling_mean);
    *rolling_var += momentum * (unbiased - *rolling_var);
}

DN_HD float bn_inv_std(float var) { return 1.0f / sqrtf(var + BN_EPS); }

/* dL/dx of one value in training: k * (d - mean(d) - x_norm * mean(d * x_norm)). */
DN_HD float bn_input_grad(float k, float d, float mean_d, float xn, float mean_dxn)
{
    return k * (d - mean_d - xn * mean_dxn);
}

/* The factor of dL/dx through a channel: gamma / sqrt(var + eps). */
DN_HD float bn_grad_scale(float gamma, float var) { return gamma / sqrtf(var + BN_EPS); }

#endif
