/* focal_loss.h: RetinaNet's per-element losses ([retina]), shared by the CPU
 * layer and its kernel bodies. */
#ifndef DN_FOCAL_LOSS_H
#define DN_FOCAL_LOSS_H

#include <math.h>

#include "hd.h"

/* Sigmoid focal loss of logit x for target y (0/1); *grad = dLoss/dx.
 * With z = x (y = 1) or -x (y = 0): p_t = sigmoid(z), q = 1 - p_t,
 * ce = -log p_t = softplus(-z), loss = a_t q^gamma ce, and
 * dloss/dz = -a_t q^gamma (gamma p_t ce + q) (no q^(gamma-1), finite at q = 0). */
DN_HD float sigmoid_focal_term(float x, int y, float alpha, float gamma, float *grad)
{
    float z = y ? x : -x, e = expf(-fabsf(z)), inv = 1 / (1 + e);
    float pt = z >= 0 ? inv : e * inv, q = z >= 0 ? e * inv : inv;
    float ce = fmaxf(-z, 0) + log1pf(e);
    float at = y ? alpha : 1 - alpha;
    float qg = gamma == 2 ? q * q : powf(q, gamma);
    float dz = -at * qg * (gamma * pt * ce + q);
    *grad = y ? dz : -dz;
    return at * qg * ce;
}

/* L1 (smooth_l1 == 0) or smooth L1 with beta of one box delta p against its
 * target t; *grad = dLoss/dp. */
DN_HD float box_delta_term(float p, float t, int smooth_l1, float beta, float *grad)
{
    float e = p - t, a = fabsf(e);
    if (smooth_l1 && a < beta) {
        *grad = e / beta;
        return 0.5f * e * e / beta;
    }
    *grad = e > 0 ? 1.0f : e < 0 ? -1.0f : 0.0f;
    return smooth_l1 ? a - 0.5f * beta : a;
}

#endif
