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

/* The [kd] parts of one image, indexed as part[]: */
enum { KD_PART_CE, KD_PART_KD, KD_PART_NKD_TARGET = 1, KD_PART_NKD_NONTARGET, KD_PARTS };

/* kd_image's distillation term for method=kd: a T^2 KL(q_t || q_s) into
 * part[KD_PART_KD], its negative gradient a T (q_t - q_s) added to g. */
DN_HD void kd_image_kd_term(const float *x, const float *t, int n, double T, double a, float *g, double *part)
{
    double inv_t = 1 / T, kl = 0;
    double lse_sT = kd_log_sum_exp(x, n, inv_t, -1), lse_tT = kd_log_sum_exp(t, n, inv_t, -1);
    for (int i = 0; i < n; ++i) {
        double log_qs = x[i] * inv_t - lse_sT, log_qt = t[i] * inv_t - lse_tT, qt = exp(log_qt);
        kl += qt * (log_qt - log_qs);
        g[i] += (float)(a * T * (qt - exp(log_qs)));
    }
    part[KD_PART_KD] = a * T * T * kl;
}

/* kd_image's terms for method=nkd with target class k (none: k < 0) and
 * lse_s = log-sum-exp of x: the target and non-target losses into part[],
 * their negative gradients added to g. */
DN_HD void kd_image_nkd_terms(const float *x, const float *t, int n, int k, double lse_s, double T, double a,
                              double gamma, float *g, double *part)
{
    if (k < 0) return;   /* no target class: no NKD term */
    double inv_t = 1 / T, pt_k = exp(t[k] - kd_log_sum_exp(t, n, 1, -1)), log_ps_k = x[k] - lse_s;
    double lse_sT = kd_log_sum_exp(x, n, inv_t, k), lse_tT = kd_log_sum_exp(t, n, inv_t, k), non = 0;
    for (int i = 0; i < n; ++i) {
        double gi = pt_k * (exp(x[i] - lse_s) - (i == k));
        if (i != k) {
            double log_rs = x[i] * inv_t - lse_sT, rt = exp(t[i] * inv_t - lse_tT);
            non += rt * log_rs;
            gi += gamma * T * (exp(log_rs) - rt);
        }
        g[i] -= (float)(a * gi);
    }
    part[KD_PART_NKD_TARGET] = a * -pt_k * log_ps_k;
    part[KD_PART_NKD_NONTARGET] = a * -gamma * T * T * non;
}

/* One image of [kd] (src/distill/kd.c has the formulas): student logits x,
 * teacher logits t, truth y, n classes. Writes the image's loss parts into
 * part[KD_PARTS] (the unused ones 0) and the negative gradient w.r.t. x into g.
 * t == NULL: distillation off, the plain cross-entropy with weight 1;
 * y == NULL: no truth. nkd: method=nkd, else method=kd. */
DN_HD void kd_image(const float *x, const float *t, const float *y, int n, int nkd, double T, double alpha,
                    double gamma, float *g, double *part)
{
    int k = -1;
    double a = t ? alpha : 0, Y = 0, ce = 0, lse_s = kd_log_sum_exp(x, n, 1, -1);
    if (y) {
        for (int i = 0; i < n; ++i) {
            Y += y[i];
            if (y[i] != 0) ce -= y[i] * (x[i] - lse_s);
            if (y[i] > 0 && (k < 0 || y[i] > y[k])) k = i;
        }
    }
    for (int i = 0; i < n; ++i) g[i] = (float)((1 - a) * (y ? y[i] - Y * exp(x[i] - lse_s) : 0));
    part[KD_PART_CE] = (1 - a) * ce;
    part[KD_PART_KD] = part[KD_PART_NKD_NONTARGET] = 0;
    if (!t) return;
    if (nkd) kd_image_nkd_terms(x, t, n, k, lse_s, T, a, gamma, g, part);
    else kd_image_kd_term(x, t, n, T, a, g, part);
}

#endif
