/* batchnorm_body.cuh: the bodies of ops/batchnorm.c (the one-process path).
 * The channel reductions are one thread per channel, through the very
 * functions the CPU uses (batchnorm_channel.h); the rest is one thread per
 * element. Layout x[b][c][spatial]. */
#ifndef DN_BATCHNORM_BODY_CUH
#define DN_BATCHNORM_BODY_CUH

#include "hd.h"

extern "C" {
#include "batchnorm.h"
}

/* Training statistics of channel i: mean, biased var, rolling update. */
struct bn_statistics_body {
    bn_tensors t;
    const float *x;
    float momentum;
    DN_HD void operator()(long i) const
    {
        int ch = (int)i, n = t.batch * t.spatial;
        float mean = (float)(bn_channel_sum(x, t.batch, t.channels, t.spatial, ch) / n);
        double ss = bn_channel_squares(x, t.batch, t.channels, t.spatial, ch, mean);
        bn_record_channel(mean, ss, n, momentum, &t.mean[ch], &t.var[ch], &t.rolling_mean[ch],
                          &t.rolling_var[ch]);
    }
};

/* x = scales * (x - mean) / sqrt(var + eps) + biases, keeping x_norm when
 * allocated; mean and var are the batch's or the rolling ones. */
struct bn_normalise_body {
    bn_tensors t;
    const float *mean, *var;
    float *x;
    DN_HD void operator()(long i) const
    {
        int ch = (int)(i / t.spatial % t.channels);
        float m = mean[ch], inv = bn_inv_std(var[ch]), g = t.scales[ch], beta = t.biases[ch];
        if (t.x_norm) {
            t.x_norm[i] = (x[i] - m) * inv;
            x[i] = g * t.x_norm[i] + beta;
        } else {
            x[i] = g * (x[i] - m) * inv + beta;
        }
    }
};

/* The sums of d and d * x_norm of channel i, added to the bias and scale
 * gradients and kept in t.sums[i] and t.sums[channels + i]. */
struct bn_grad_sums_body {
    bn_tensors t;
    const float *delta;
    float *scale_grad, *bias_grad;
    DN_HD void operator()(long i) const
    {
        int ch = (int)i;
        double sd, sdx;
        bn_channel_grad_sums(delta, t.x_norm, t.batch, t.channels, t.spatial, ch, &sd, &sdx);
        bias_grad[ch] += (float)sd;
        scale_grad[ch] += (float)sdx;
        t.sums[ch] = sd;
        t.sums[t.channels + ch] = sdx;
    }
};

/* delta from d/dy to d/dx: through the batch statistics (train), or times
 * the constant factor of the rolling ones (inference). */
struct bn_input_grad_body {
    bn_tensors t;
    int train;
    float *delta;
    DN_HD void operator()(long i) const
    {
        int ch = (int)(i / t.spatial % t.channels), n = t.batch * t.spatial;
        if (!train) {
            delta[i] *= bn_grad_scale(t.scales[ch], t.rolling_var[ch]);
            return;
        }
        float k = bn_grad_scale(t.scales[ch], t.var[ch]);
        float mean_d = (float)(t.sums[ch] / n), mean_dxn = (float)(t.sums[t.channels + ch] / n);
        delta[i] = bn_input_grad(k, delta[i], mean_d, t.x_norm[i], mean_dxn);
    }
};

/* add_bias: x[b][ch][i] += bias[ch], one element each. */
struct add_bias_body {
    float *x;
    const float *bias;
    int channels, spatial;
    DN_HD void operator()(long i) const { x[i] += bias[i / spatial % channels]; }
};

/* backward_bias: one thread per channel, summing each image's plane as the
 * CPU does (a float per plane, added in image order). */
struct backward_bias_body {
    float *bias_grad;
    const float *delta;
    int batch, channels, spatial;
    DN_HD void operator()(long ch) const
    {
        for (int b = 0; b < batch; ++b) {
            const float *p = delta + ((long)b * channels + ch) * spatial;
            float s = 0;
            for (int i = 0; i < spatial; ++i) s += p[i];
            bias_grad[ch] += s;
        }
    }
};

#endif
