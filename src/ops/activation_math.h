/* activation_math.h: the per-value formulas of the activations and their
 * gradients, shared by the CPU loops (activations.c) and the kernel bodies
 * (src/cuda), so both compute the very same expression. */
#ifndef DN_ACTIVATION_MATH_H
#define DN_ACTIVATION_MATH_H

#include <math.h>

#ifdef __cplusplus
extern "C" {
#endif
#include "activations.h"
#ifdef __cplusplus
}
#endif
#include "hd.h"

DN_HD float act_logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

/* softplus with darknet's thresholds against overflow */
DN_HD float act_softplus(float x)
{
    if (x > 20) return x;
    if (x < -20) return expf(x);
    return log1pf(expf(x));
}

DN_HD float act_relu(float x) { return x > 0 ? x : 0; }
DN_HD float act_leaky(float x) { return x > 0 ? x : 0.1f * x; }
DN_HD float act_relu6(float x) { return x < 0 ? 0 : (x > 6 ? 6 : x); }
DN_HD float act_swish(float x) { return x * act_logistic(x); }
DN_HD float act_mish(float x) { return x * tanhf(act_softplus(x)); }
/* exact form, as PyTorch's default and ConvNeXt use */
DN_HD float act_gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678f)); }

/* f(x) for any kind (the CPU loops switch once per array and call the above). */
DN_HD float activate_one(float x, activation a)
{
    switch (a) {
    case ACT_LINEAR: return x;
    case ACT_RELU: return act_relu(x);
    case ACT_LEAKY: return act_leaky(x);
    case ACT_LOGISTIC: return act_logistic(x);
    case ACT_TANH: return tanhf(x);
    case ACT_RELU6: return act_relu6(x);
    case ACT_SWISH: return act_swish(x);
    case ACT_MISH: return act_mish(x);
    case ACT_GELU: return act_gelu(x);
    }
    return x;
}

DN_HD int act_needs_input(activation a) { return a == ACT_SWISH || a == ACT_MISH || a == ACT_GELU; }

/* f'(x) for the kinds whose gradient needs the input */
DN_HD float act_grad_from_input(float x, activation a)
{
    switch (a) {
    case ACT_SWISH: {
        float s = act_logistic(x);
        return s + x * s * (1 - s);
    }
    case ACT_MISH: {
        float sp = act_softplus(x), t = tanhf(sp);
        return t + x * (1 - t * t) * act_logistic(x);
    }
    case ACT_GELU:
        return 0.5f * (1.0f + erff(x * 0.70710678f)) + x * 0.39894228f * expf(-0.5f * x * x);
    default: return 1;
    }
}

/* f' from the output y = f(x) for the others */
DN_HD float act_grad_from_output(float y, activation a)
{
    switch (a) {
    case ACT_RELU: return y > 0;
    case ACT_LEAKY: return y > 0 ? 1 : 0.1f;
    case ACT_LOGISTIC: return y * (1 - y);
    case ACT_TANH: return 1 - y * y;
    case ACT_RELU6: return y > 0 && y < 6;
    default: return 1;
    }
}

/* f' at one value: from `in` when act_needs_input(a), else from `out`. */
DN_HD float act_grad(float in, float out, activation a)
{
    return act_needs_input(a) ? act_grad_from_input(in, a) : act_grad_from_output(out, a);
}

#endif
