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
    double count;     /* values per channel in the whole batch (synchronised passes) */
} bn_job;

/* ---- one channel ---- */

static double channel_sum(const bn_tensors *t, const float *x, int ch)
{
    double s = 0;
    for (int b = 0; b < t->batch; ++b) {
        const float *p = AT(t, x, b, ch);
        for (int i = 0; i < t->spatial; ++i) s += p[i];
    }
    return s;
}

static double channel_squares(const bn_tensors *t, const float *x, int ch, float mean)
{
    double ss = 0;
    for (int b = 0; b < t->batch; ++b) {
        const float *p = AT(t, x, b, ch);
        for (int i = 0; i < t->spatial; ++i) ss += (double)(p[i] - mean) * (p[i] - mean);
    }
    return ss;
}

/* The batch statistics of channel ch from n values: kept for backward, and
 * the rolling ones moved towards them (the unbiased variance). */
static void record_statistics(const bn_tensors *t, int ch, float mean, double ss, double n, float momentum)
{
    float var = (float)(ss / n);
    t->mean[ch] = mean;
    t->var[ch] = var;
    float unbiased = n > 1 ? (float)(ss / (n - 1)) : var;
    t->rolling_mean[ch] += momentum * (mean - t->rolling_mean[ch]);
    t->rolling_var[ch] += momentum * (unbiased - t->rolling_var[ch]);
}

static void normalise_channel(const bn_tensors *t, float *x, int ch, float mean, float var)
{
    float inv = 1.0f / sqrtf(var + BN_EPS);
    float g = t->scales[ch], beta = t->biases[ch];
    for (int b = 0; b < t->batch; ++b) {
        float *p = AT(t, x, b, ch);
        if (t->x_norm) { /* kept in either mode: backward may follow an inference forward */
            float *xn = AT(t, t->x_norm, b, ch);
            for (int i = 0; i < t->spatial; ++i) {
                xn[i] = (p[i] - mean) * inv;
                p[i] = g * xn[i] + beta;
            }
        } else {
            for (int i = 0; i < t->spatial; ++i) p[i] = g * (p[i] - mean) * inv + beta;
        }
    }
}

/* ---- forward ---- */

static void forward_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    int n = t->batch * t->spatial;
    for (int ch = c0; ch < c1; ++ch) {
        if (j->train) {
            float mean = (float)(channel_sum(t, j->x, ch) / n);
            record_statistics(t, ch, mean, channel_squares(t, j->x, ch, mean), n, j->momentum);
        }
        normalise_channel(t, j->x, ch, j->train ? t->mean[ch] : t->rolling_mean[ch],
                          j->train ? t->var[ch] : t->rolling_var[ch]);
    }
}

void bn_forward(const bn_tensors *t, float *x, int train, float momentum)
{
    bn_job j = {t, x, train, momentum, 0, 0, 0};
    parallel_for(t->channels, 1, forward_channels, &j);
}

/* The synchronised forward in three passes with a sum after each of the
 * first two: sums (-> whole-batch means), squares about those means (->
 * variances), then normalising. */
static void sum_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    for (int ch = c0; ch < c1; ++ch) j->t->sums[ch] = channel_sum(j->t, j->x, ch);
}

/* t->sums: the channel sums, the count, then the squares (2 * channels + 1) */
#define SQUARES(t) ((t)->sums + (t)->channels + 1)

static void square_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    for (int ch = c0; ch < c1; ++ch) SQUARES(t)[ch] = channel_squares(t, j->x, ch, t->mean[ch]);
}

static void apply_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    for (int ch = c0; ch < c1; ++ch) {
        record_statistics(t, ch, t->mean[ch], SQUARES(t)[ch], j->count, j->momentum);
        normalise_channel(t, j->x, ch, t->mean[ch], t->var[ch]);
    }
}

int bn_forward_sync(const bn_tensors *t, float *x, int train, float momentum, bn_sum_fn sum)
{
    if (!train || !sum) {
        bn_forward(t, x, train, momentum);
        return 0;
    }
    int C = t->channels;
    bn_job j = {t, x, train, momentum, 0, 0, 0};
    parallel_for(C, 1, sum_channels, &j);
    t->sums[C] = (double)t->batch * t->spatial;   /* summed too: the whole batch's size */
    if (sum(t->sums, (size_t)C + 1)) return -1;
    j.count = t->sums[C];
    for (int ch = 0; ch < C; ++ch) t->mean[ch] = (float)(t->sums[ch] / j.count);
    parallel_for(C, 1, square_channels, &j);
    if (sum(SQUARES(t), C)) return -1;
    parallel_for(C, 1, apply_channels, &j);
    return 0;
}

/* ---- backward ---- */

/* The sums of d and d * x_norm over channel ch; adds them to the bias and
 * scale gradients. */
static void channel_grad_sums(const bn_job *j, int ch, double *sum_d, double *sum_dxn)
{
    const bn_tensors *t = j->t;
    double sd = 0, sdx = 0;
    for (int b = 0; b < t->batch; ++b) {
        const float *d = AT(t, j->x, b, ch), *xn = AT(t, t->x_norm, b, ch);
        for (int i = 0; i < t->spatial; ++i) {
            sd += d[i];
            sdx += (double)d[i] * xn[i];
        }
    }
    j->bias_grad[ch] += (float)sd;
    j->scale_grad[ch] += (float)sdx;
    *sum_d = sd;
    *sum_dxn = sdx;
}

/* dx = g/sqrt(var+eps) * (d - mean(d) - xn * mean(d*xn)) */
static void input_grad_channel(const bn_tensors *t, float *delta, int ch, float mean_d, float mean_dxn)
{
    float k = t->scales[ch] / sqrtf(t->var[ch] + BN_EPS);
    for (int b = 0; b < t->batch; ++b) {
        float *d = AT(t, delta, b, ch);
        const float *xn = AT(t, t->x_norm, b, ch);
        for (int i = 0; i < t->spatial; ++i) d[i] = k * (d[i] - mean_d - xn[i] * mean_dxn);
    }
}

static void backward_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    int n = t->batch * t->spatial;
    for (int ch = c0; ch < c1; ++ch) {
        double sum_d, sum_dxn;
        channel_grad_sums(j, ch, &sum_d, &sum_dxn);
        if (!j->train) {
            /* inference forward: an affine map with constant statistics, dx = g/sqrt(var+eps) * d */
            float k = t->scales[ch] / sqrtf(t->rolling_var[ch] + BN_EPS);
            for (int b = 0; b < t->batch; ++b) scal(t->spatial, k, AT(t, j->x, b, ch));
            continue;
        }
        input_grad_channel(t, j->x, ch, (float)(sum_d / n), (float)(sum_dxn / n));
    }
}

void bn_backward(const bn_tensors *t, float *delta, int train, float *scale_grad, float *bias_grad)
{
    bn_job j = {t, delta, train, 0, scale_grad, bias_grad, 0};
    parallel_for(t->channels, 1, backward_channels, &j);
}

static void grad_sum_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    for (int ch = c0; ch < c1; ++ch) channel_grad_sums(j, ch, &t->sums[ch], &t->sums[t->channels + ch]);
}

static void input_grad_channels(void *ctx, int c0, int c1)
{
    const bn_job *j = ctx;
    const bn_tensors *t = j->t;
    for (int ch = c0; ch < c1; ++ch)
        input_grad_channel(t, j->x, ch, (float)(t->sums[ch] / j->count),
                           (float)(t->sums[t->channels + ch] / j->count));
}

int bn_backward_sync(const bn_tensors *t, float *delta, int train, float *scale_grad, float *bias_grad,
                     bn_sum_fn sum)
{
    if (!train || !sum) {
        bn_backward(t, delta, train, scale_grad, bias_grad);
        return 0;
    }
    int C = t->channels;
    bn_job j = {t, delta, train, 0, scale_grad, bias_grad, 0};
    parallel_for(C, 1, grad_sum_channels, &j);
    t->sums[2 * C] = (double)t->batch * t->spatial;
    if (sum(t->sums, 2 * (size_t)C + 1)) return -1;
    j.count = t->sums[2 * C];
    parallel_for(C, 1, input_grad_channels, &j);
    return 0;
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
