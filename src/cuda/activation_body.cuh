/* activation_body.cuh: activations and their gradients (ops/activations.h),
 * one value each, with the CPU's formulas (activation_math.h). */
#ifndef DN_ACTIVATION_BODY_CUH
#define DN_ACTIVATION_BODY_CUH

#include "activation_math.h"

/* x = f(x) */
struct activate_body {
    float *x;
    activation a;
    DN_HD void operator()(long i) const { x[i] = activate_one(x[i], a); }
};

/* delta *= f'; from `in` (pre-activation) when act_needs_input(a), else from
 * `out`; the other may be NULL. */
struct gradient_body {
    const float *in, *out;
    activation a;
    float *delta;
    DN_HD void operator()(long i) const
    {
        delta[i] *= act_needs_input(a) ? act_grad_from_input(in[i], a) : act_grad_from_output(out[i], a);
    }
};

#endif
