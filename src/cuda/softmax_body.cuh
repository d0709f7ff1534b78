/* softmax_body.cuh: [softmax] (src/layers/softmax.c), one thread per slice
 * (or per image for the loss), with the CPU's loops (softmax_math.h). */
#ifndef DN_SOFTMAX_BODY_CUH
#define DN_SOFTMAX_BODY_CUH

#include "softmax_math.h"

/* slice i: the n values from i*n on */
struct softmax_forward_body {
    const float *in;
    float *out;
    int n;
    float temperature;
    DN_HD void operator()(long i) const { softmax_slice(in + i * n, n, temperature, out + i * n); }
};

/* Image b's cross-entropy against truth (cost[b]) and, when loss_delta is
 * set, its negative gradient w.r.t. the logits, (t - p) / T. */
struct softmax_loss_body {
    const float *truth, *p;
    float *loss_delta, *cost;
    int inputs;
    float inv_t;
    DN_HD void operator()(long b) const
    {
        const float *t = truth + b * inputs, *q = p + b * inputs;
        double c = 0;
        for (int i = 0; i < inputs; ++i) {
            c += softmax_ce_term(t[i], q[i]);
            if (loss_delta) loss_delta[b * inputs + i] = (t[i] - q[i]) * inv_t;
        }
        cost[b] = (float)c;
    }
};

/* slice i: in_delta += the softmax Jacobian times delta */
struct softmax_backward_body {
    const float *p, *delta;
    float *in_delta;
    int n;
    float inv_t;
    DN_HD void operator()(long i) const { softmax_slice_backward(p + i * n, delta + i * n, n, inv_t, in_delta + i * n); }
};

#endif
