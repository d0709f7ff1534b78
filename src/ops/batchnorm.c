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
    return bn_channel_sum(x, t->batch, t->channels, t->spatial, ch);
}

static double channel_squares(const bn_tensors *t, const float *x, int ch, float mean)
{
    return bn_channel_squares(x, t->batch, t->channels, t->spatial, ch, mean);
}

static void record_statistics(const bn_tensors *t, int ch, float mean, double ss, double n, float momentum)
{
    bn_record_channel(mean, ss, n, momentum, &t->mean[ch], &t->var[ch], &t->rolling_mean[ch],
                      &t->rolling_var[ch]);
}

static void normalise_channel(const bn_tensors *t, float *x, int ch, float mean, float var)
{
    float inv = bn_inv_std(var);
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
    double sd, sdx;
    bn_channel_grad_sums(j->x, t->x_norm, t->batch, t->channels, t->spatial, ch, &sd, &sdx);
    j->bias_grad[ch] += (float)sd;
    j->scale_grad[ch] += (float)sdx;
    *sum_d = sd;
    *sum_dxn = sdx;
}

/* dx = g/sqrt(var+eps) * (d - mean(d) - xn * mean(d*xn)) */
static void input_grad_channel(const bn_tensors *t, float *delta, int ch, float mean_d, float mean_dxn)
{
    float k = bn_grad_scale(t->scales[ch], t->var[ch]);
    for (int b = 0; b < t->batch; ++b) {
        float *d = AT(t, delta, b, ch);
        const float *xn = AT(t, t->x_norm, b, ch);
        for (int i = 0; i < t->spatial; ++i) d[i] = bn_input_grad(k, d[i], mean_d, xn[i], mean_dxn);
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
            float k = bn_grad_scale(t->scales[ch], t->rolling_var[ch]);
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

void bn_fold(const bn_tensors *t, float *weights, size_t per_channel, float *biases)
{
    for (int ch = 0; ch < t->channels; ++ch) {
        float k = t->scales[ch] * bn_inv_std(t->rolling_var[ch]);
        float *w = weights + (size_t)ch * per_channel;
        for (size_t i = 0; i < per_channel; ++i) w[i] *= k;
        biases[ch] = t->biases[ch] - t->rolling_mean[ch] * k;
    }
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
