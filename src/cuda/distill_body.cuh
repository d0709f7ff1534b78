/* distill_body.cuh: the bodies of the distillation losses ([cwd], [fd], [kd]).
 * Each loss is one thread per softmax row (cwd), per (image, channel) row (fd)
 * or per image (kd), looping over its row exactly as the CPU layer does, and
 * writing the row's loss (double) to a buffer; a one-thread body then sums the
 * rows in the CPU's order, so the cost is the CPU's on the host run and its
 * sum order on the device. Gradients are the negative loss gradients the CPU
 * layers write into their pair's grad (distill.h). */
#ifndef DN_DISTILL_BODY_CUH
#define DN_DISTILL_BODY_CUH

#include "hd.h"   /* first: its template may not be declared inside extern "C" */

extern "C" {
#include "distill_rows.h"
}

/* ---- [cwd] ---------------------------------------------------------------- */

/* One softmax row of student s and teacher t (batch x c x hw): with spatial == 0
 * the hw positions of an (image, channel), else the c channels of an (image,
 * position). Writes the row's negative gradient into grad and its KL into
 * row_kl[k]. The gradient needs the row's max and sum, so the row's thread
 * writes it too: a split would pass them through memory for one loop of four. */
struct cwd_row_body {
    const float *s, *t;
    float *grad;
    double *row_kl;
    int c, hw, spatial;
    float tau, weight;
    DN_HD void operator()(long k) const
    {
        int len = spatial ? c : hw, stride = spatial ? hw : 1, per_image = spatial ? hw : c;
        size_t o = spatial ? (size_t)(k / hw) * c * hw + k % hw : (size_t)k * hw;
        float inv_tau = 1 / tau, scale = weight * tau / per_image;
        row_kl[k] = cwd_row(s + o, t + o, grad + o, len, stride, inv_tau, scale);
    }
};

/* cost[0] = the rows' KL summed in order, times weight * tau^2 / rows per image. */
struct cwd_cost_body {
    const double *row_kl;
    long rows;
    int per_image;
    float tau, weight;
    float *cost;
    DN_HD void operator()(long) const
    {
        double sum = 0;
        for (long k = 0; k < rows; ++k) sum += row_kl[k];
        cost[0] = (float)(sum * weight * tau * tau / per_image);
    }
};

/* ---- [fd] ----------------------------------------------------------------- */

/* One (image, channel) row of len values: f(s - t) summed into row_loss[k],
 * -scale * f'(s - t) into grad; f is d^2 (smooth_l1 == 0) or smooth L1. */
struct fd_row_body {
    const float *s, *t;
    float *grad;
    double *row_loss;
    int len, smooth_l1;
    float beta;
    double scale;
    DN_HD void operator()(long k) const
    {
        size_t o = (size_t)k * len;
        row_loss[k] = fd_row(s + o, t + o, grad + o, len, smooth_l1, beta, scale);
    }
};

/* cost[0] = the rows' losses summed in order, times scale. */
struct fd_cost_body {
    const double *row_loss;
    long rows;
    double scale;
    float *cost;
    DN_HD void operator()(long) const
    {
        double sum = 0;
        for (long k = 0; k < rows; ++k) sum += row_loss[k];
        cost[0] = (float)(sum * scale);
    }
};

/* ---- [kd] ----------------------------------------------------------------- */

/* softmax(x) per image of n logits, as [kd]'s output. */
struct kd_softmax_body {
    const float *x;
    float *out;
    int n;
    DN_HD void operator()(long b) const
    {
        const float *xb = x + b * n;
        double lse = kd_log_sum_exp(xb, n, 1, -1);
        for (int i = 0; i < n; ++i) out[b * n + i] = (float)exp(xb[i] - lse);
    }
};

/* The output delta d through the softmax p into the student's delta, per image. */
struct kd_softmax_backward_body {
    const float *p, *d;
    float *in;
    int n;
    DN_HD void operator()(long b) const
    {
        const float *pb = p + b * n, *db = d + b * n;
        double pd = 0;
        for (int i = 0; i < n; ++i) pd += (double)pb[i] * db[i];
        for (int i = 0; i < n; ++i) in[b * n + i] += pb[i] * (db[i] - (float)pd);
    }
};

/* One image of [kd]: the loss parts (ce, kd | ce, nkd target, nkd non-target)
 * into part[b * KD_PARTS ..], the negative gradient w.r.t. the student's
 * logits x into grad. t == NULL: distillation off, the plain cross-entropy;
 * y == NULL: no truth. Truth rows are truth_stride floats apart. */
struct kd_image_body {
    const float *x, *t, *y;
    float *grad;
    double *part;
    int n, truth_stride, nkd;
    float T, alpha, gamma;
    DN_HD void operator()(long b) const
    {
        const float *xb = x + b * n, *tb = t ? t + b * n : 0, *yb = y ? y + b * truth_stride : 0;
        kd_image(xb, tb, yb, n, nkd, T, alpha, gamma, grad + b * n, part + b * KD_PARTS);
    }
};

/* out[0] = the cost (the images' parts summed in the CPU's order), out[1..3]
 * the parts' means over the batch, as [kd]'s named losses. */
struct kd_cost_body {
    const double *part;
    int batch;
    float *out;
    DN_HD void operator()(long) const
    {
        double sum[KD_PARTS] = {0, 0, 0};
        for (int b = 0; b < batch; ++b)
            for (int j = 0; j < KD_PARTS; ++j) sum[j] += part[b * KD_PARTS + j];
        out[0] = (float)(sum[0] + sum[1] + sum[2]);
        for (int j = 0; j < KD_PARTS; ++j) out[1 + j] = (float)(sum[j] / batch);
    }
};

#endif
