/* update_body.cuh: the optimiser step of update_network (src/core/network.c)
 * on one value of a parameter, so the optimiser never leaves the device. The
 * formulas are optimizer_math.h's, shared with the CPU loop. */
#ifndef DN_UPDATE_BODY_CUH
#define DN_UPDATE_BODY_CUH

#include "hd.h"
#include "optimizer_math.h"

/* val, grad: the parameter and its buffer (negative summed gradient, plus
 * SGD's momentum); m, v: Adam's moments (unused by SGD). */
struct param_update_body {
    optimizer_step s;
    float *val, *grad, *m, *v;
    int decay;
    DN_HD void operator()(long i) const
    {
        float g = decayed_gradient(&s, grad[i], val[i], decay);
        if (s.adam) {
            adam_value(&s, &val[i], g, &m[i], &v[i]);
            grad[i] = 0;
        } else {
            grad[i] = sgd_value(&s, &val[i], g);
        }
    }
};

DN_HD param_update_body param_update_of(optimizer_step s, float *val, float *grad, float *m, float *v, int decay)
{
    param_update_body b = {s, val, grad, m, v, decay};
    return b;
}

#endif
