/* cost_math.h: the per-value losses of [cost] (src/layers/cost.c), shared
 * with its kernel body (src/cuda/cost_body.cuh) so both compute the same. */
#ifndef DN_COST_MATH_H
#define DN_COST_MATH_H

#include <math.h>

#include "hd.h"

#define COST_MASK_VALUE (-1234.0f)

typedef enum { COST_SSE, COST_SMOOTH, COST_L1, COST_MASKED } cost_type;

/* Loss of one value and its negative gradient (before scaling). */
DN_HD double cost_value(cost_type type, float x, float t, float *neg_grad)
{
    float d = x - t;
    if (type == COST_MASKED && t == COST_MASK_VALUE) {
        *neg_grad = 0;
        return 0;
    }
    switch (type) {
    case COST_MASKED:
    case COST_SSE:
        *neg_grad = -d;
        return 0.5 * d * d;
    case COST_SMOOTH:
        if (fabsf(d) < 1) {
            *neg_grad = -d;
            return 0.5 * d * d;
        }
        *neg_grad = d > 0 ? -1.0f : 1.0f;
        return fabsf(d) - 0.5;
    case COST_L1:
        *neg_grad = d > 0 ? -1.0f : (d < 0 ? 1.0f : 0.0f);
        return fabsf(d);
    }
    return 0;
}

#endif
