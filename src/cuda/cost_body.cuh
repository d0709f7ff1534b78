/* cost_body.cuh: [cost] (src/layers/cost.c), one thread per image, with the
 * CPU's per-value loss (cost_math.h). */
#ifndef DN_COST_BODY_CUH
#define DN_COST_BODY_CUH

#include "cost_math.h"

/* Image b: cost[b] = its unscaled loss summed in double; delta (may be NULL)
 * += scale * the negative gradient. */
struct cost_body {
    const float *x, *truth;
    float *delta, *cost;
    int inputs;
    cost_type type;
    float scale;
    DN_HD void operator()(long b) const
    {
        double c = 0;
        for (long i = b * inputs; i < (b + 1) * inputs; ++i) {
            float g;
            c += cost_value(type, x[i], truth[i], &g);
            if (delta) delta[i] += scale * g;
        }
        cost[b] = (float)c;
    }
};

#endif
