#include "batchnorm.h"

#include <math.h>
#include <stddef.h>

#include "blas.h"
#include "threadpool.h"

#define AT(t, x, b, ch) ((x) + ((size_t)(b) * (t)->channels + (ch)) * (t)->spatial)

typedef struct {
    const bn_tensors *t;
    float *x;
    int train;
    float momentum;
    float *scale_grad, *bias_grad;
} bn_job;

static void forward_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    int n = t->batch * t->spatial;
    for (int ch = c0; ch < c1; ++ch) {
        float mean, var;
        if (j->train) {
            double s = 0, ss = 0;
            for (int b = 0; b < t->batch; ++b) {
                const float *x = AT(t, j->x, b, ch);
                for (int i = 0; i < t->spatial; ++i) s += x[i];
            }
            mean = (float)(s / n);
            for (int b = 0; b < t->batch; ++b) {
                const float *x = AT(t, j->x, b, ch);
                for (int i = 0; i < t->spatial; ++i) ss += (double)(x[i] - mean) * (x[i] - mean);
            }
            var = (float)(ss / n);
            t->mean[ch] = mean;
            t->var[ch] = var;
            float unbiased = n > 1 ? (float)(ss / (n - 1)) : var;
            t->rolling_mean[ch] += j->momentum * (mean - t->rolling_mean[ch]);
            t->rolling_var[ch] += j->momentum * (unbiased - t->rolling_var[ch]);
        } else {
            mean = t->rolling_mean[ch];
            var = t->rolling_var[ch];
        }
        float inv = 1.0f / sqrtf(var + BN_EPS);
        float g = t->scales[ch], beta = t->biases[ch];
        for (int b = 0; b < t->batch; ++b) {
            float *x = AT(t, j->x, b, ch);
            if (t->x_norm) { /* kept in either mode: backward may follow an inference forward */
                float *xn = AT(t, t->x_norm, b, ch);
                for (int i = 0; i < t->spatial; ++i) {
                    xn[i] = (x[i] - mean) * inv;
                    x[i] = g * xn[i] + beta;
                }
            } else {
                for (int i = 0; i < t->spatial; ++i) x[i] = g * (x[i] - mean) * inv + beta;
            }
        }
    }
}

void bn_forward(const bn_tensors *t, float *x, int train, float momentum)
{
    bn_job j = {t, x, train, momentum, 0, 0};
    parallel_for(t->channels, 1, forward_channels, &j);
}

static void backward_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    int n = t->batch * t->spatial;
    for (int ch = c0; ch < c1; ++ch) {
        double sum_d = 0, sum_dxn = 0;
        for (int b = 0; b < t->batch; ++b) {
            const float *d = AT(t, j->x, b, ch), *xn = AT(t, t->x_norm, b, ch);
            for (int i = 0; i < t->spatial; ++i) {
                sum_d += d[i];
                sum_dxn += (double)d[i] * xn[i];
            }
        }
        j->bias_grad[ch] += (float)sum_d;
        j->scale_grad[ch] += (float)sum_dxn;
        if (!j->train) {
            /* inference forward: an affine map with constant statistics, dx = g/sqrt(var+eps) * d */
            float k = t->scales[ch] / sqrtf(t->rolling_var[ch] + BN_EPS);
            for (int b = 0; b < t->batch; ++b) scal(t->spatial, k, AT(t, j->x, b, ch));
            continue;
        }
        /* dx = g/sqrt(var+eps) * (d - mean(d) - xn * mean(d*xn)) */
        float k = t->scales[ch] / sqrtf(t->var[ch] + BN_EPS);
        float mean_d = (float)(sum_d / n), mean_dxn = (float)(sum_dxn / n);
        for (int b = 0; b < t->batch; ++b) {
            float *d = AT(t, j->x, b, ch);
            const float *xn = AT(t, t->x_norm, b, ch);
            for (int i = 0; i < t->spatial; ++i) d[i] = k * (d[i] - mean_d - xn[i] * mean_dxn);
        }
    }
}

void bn_backward(const bn_tensors *t, float *delta, int train, float *scale_grad, float *bias_grad)
{
    bn_job j = {t, delta, train, 0, scale_grad, bias_grad};
    parallel_for(t->channels, 1, backward_channels, &j);
}

void add_bias(float *x, const float *bias, int batch, int channels, int spatial)
{
    for (int b = 0; b < batch; ++b)
        for (int ch = 0; ch < channels; ++ch) {
            float *p = x + ((size_t)b * channels + ch) * spatial;
            for (int i = 0; i < spatial; ++i) p[i] += bias[ch];
        }
}

void backward_bias(float *bias_grad, const float *delta, int batch, int channels, int spatial)
{
    for (int b = 0; b < batch; ++b)
        for (int ch = 0; ch < channels; ++ch) {
            const float *p = delta + ((size_t)b * channels + ch) * spatial;
            float s = 0;
            for (int i = 0; i < spatial; ++i) s += p[i];
            bias_grad[ch] += s;
        }
}
