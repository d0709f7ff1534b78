/* distill_rows.h: the per-row arithmetic of the distillation losses, for the
 * CPU layers ([cwd], [fd], [kd]) and their kernel bodies (src/cuda) alike. */
#ifndef DN_DISTILL_ROWS_H
#define DN_DISTILL_ROWS_H

#include <math.h>
#include <stddef.h>

#include "hd.h"

/* log-sum-exp of x/tau along a row of len values stride apart, stable (the
 * row max subtracted); the max of x/tau into *max_out. */
DN_HD double cwd_log_sum_exp(const float *x, int len, int stride, float inv_tau, double *max_out)
{
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < len; ++i)
        if (x[i * stride] > m) m = x[i * stride];
    m *= inv_tau;
    for (int i = 0; i < len; ++i) sum += exp(x[i * stride] * inv_tau - m);
    *max_out = m;
    return log(sum);
}

/* One [cwd] softmax row of student x and teacher y: returns KL(p_T || p_S) and
 * writes scale * (p_T - p_S), the negative gradient up to the loss's factor, into g. */
DN_HD double cwd_row(const float *x, const float *y, float *g, int len, int stride, float inv_tau, float scale)
{
    double ms, mt, ls = cwd_log_sum_exp(x, len, stride, inv_tau, &ms),
                   lt = cwd_log_sum_exp(y, len, stride, inv_tau, &mt);
    double kl = 0;
    for (int i = 0; i < len; ++i) {
        double log_ps = x[i * stride] * inv_tau - ms - ls, log_pt = y[i * stride] * inv_tau - mt - lt;
        double pt = exp(log_pt);
        kl += pt * (log_pt - log_ps);
        g[i * stride] = (float)(scale * (pt - exp(log_ps)));
    }
    return kl;
}

/* One [fd] row of len values: returns sum f(x - y), writes -scale * f'(x - y)
 * into g; f is d^2 (smooth_l1 == 0) or smooth L1 with beta. */
DN_HD double fd_row(const float *x, const float *y, float *g, int len, int smooth_l1, double beta, double scale)
{
    double sum = 0;
    for (int i = 0; i < len; ++i) {
        double d = (double)x[i] - y[i], f, df;
        if (!smooth_l1) f = d * d, df = 2 * d;
        else if (fabs(d) < beta) f = 0.5 * d * d / beta, df = d / beta;
        else f = fabs(d) - 0.5 * beta, df = d > 0 ? 1 : -1;
        sum += f;
        g[i] = (float)(-scale * df);
    }
    return sum;
}

/* log sum_i exp(x_i * inv_t) over n values, leaving out `skip` (-1: none); stable. */
DN_HD double kd_log_sum_exp(const float *x, int n, double inv_t, int skip)
{
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < n; ++i)
        if (i != skip && x[i] * inv_t > m) m = x[i] * inv_t;
    for (int i = 0; i < n; ++i)
        if (i != skip) sum += exp(x[i] * inv_t - m);
    return m + log(sum);
}

#endif
