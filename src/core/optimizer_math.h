/* optimizer_math.h: one parameter value's optimiser step, shared by the CPU
 * loop (update_network, network.c) and the device body (cuda/update_body.cuh).
 *
 * darknet's convention: the gradient buffer holds the NEGATIVE gradient summed
 * over the batch (and, for SGD, the previous step's momentum); weight decay is
 * L2, added to that sum as -decay * batch * value.
 *   SGD:  value += lr/batch * g; the buffer keeps momentum * g.
 *   Adam (darknet's adam=1): moments of the summed gradient,
 *         m = B1 m + (1-B1) g, v = B2 v + (1-B2) g^2,
 *         value += lr * (m / (1-B1^t)) / (sqrt(v / (1-B2^t)) + eps),
 *         the buffer is cleared; t counts steps from 1. The lr is not divided
 *         by the batch: Adam's step does not grow with the gradient's scale. */
#ifndef DN_OPTIMIZER_MATH_H
#define DN_OPTIMIZER_MATH_H

#include <math.h>

#include "hd.h"

/* What one step applies to every value of every parameter (computed once per step). */
typedef struct {
    float lr;               /* the schedule's rate at this step */
    float neg_decay_batch;  /* -decay * batch: the L2 term added to the summed gradient */
    float lr_over_batch;    /* SGD's rate per summed gradient */
    float keep;             /* SGD: momentum kept in the buffer (0 on ranks other than 0) */
    int adam;
    float b1, b2, eps;
    float unbias1, unbias2; /* Adam: 1 / (1 - B1^t), 1 / (1 - B2^t) */
} optimizer_step;

DN_HD float decayed_gradient(const optimizer_step *s, float g, float value, int decay)
{
    return decay ? g + s->neg_decay_batch * value : g;
}

/* SGD on one value: returns what the buffer keeps. */
DN_HD float sgd_value(const optimizer_step *s, float *value, float g)
{
    *value += s->lr_over_batch * g;
    return g * s->keep;
}

/* Adam on one value with its moments m and v (the buffer is then cleared). */
DN_HD void adam_value(const optimizer_step *s, float *value, float g, float *m, float *v)
{
    *m = s->b1 * *m + (1 - s->b1) * g;
    *v = s->b2 * *v + (1 - s->b2) * g * g;
    *value += s->lr * (*m * s->unbias1) / (sqrtf(*v * s->unbias2) + s->eps);
}

#endif
