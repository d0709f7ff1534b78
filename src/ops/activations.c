#include "activations.h"

#include <math.h>
#include <string.h>

const char *const activation_names[] = {"linear", "relu", "leaky", "logistic", "tanh",
                                        "relu6", "swish", "mish", "gelu", NULL};

int activation_from_name(const char *name)
{
    if (!strcmp(name, "silu")) return ACT_SWISH;
    for (int i = 0; activation_names[i]; ++i)
        if (!strcmp(name, activation_names[i])) return i;
    return -1;
}

static float logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

/* softplus with darknet's thresholds against overflow */
static float softplus(float x)
{
    if (x > 20) return x;
    if (x < -20) return expf(x);
    return log1pf(expf(x));
}

void activate_array(float *x, size_t n, activation a)
{
    switch (a) {
    case ACT_LINEAR: return;
    case ACT_RELU:
        for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : 0;
        return;
    case ACT_LEAKY:
        for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : 0.1f * x[i];
        return;
    case ACT_LOGISTIC:
        for (size_t i = 0; i < n; ++i) x[i] = logistic(x[i]);
        return;
    case ACT_TANH:
        for (size_t i = 0; i < n; ++i) x[i] = tanhf(x[i]);
        return;
    case ACT_RELU6:
        for (size_t i = 0; i < n; ++i) x[i] = x[i] < 0 ? 0 : (x[i] > 6 ? 6 : x[i]);
        return;
    case ACT_SWISH:
        for (size_t i = 0; i < n; ++i) x[i] = x[i] * logistic(x[i]);
        return;
    case ACT_MISH:
        for (size_t i = 0; i < n; ++i) x[i] = x[i] * tanhf(softplus(x[i]));
        return;
    case ACT_GELU: /* exact form, as PyTorch's default and ConvNeXt use */
        for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678f));
        return;
    }
}

int activation_needs_input(activation a) { return a == ACT_SWISH || a == ACT_MISH || a == ACT_GELU; }

static float grad_from_input(float x, activation a)
{
    switch (a) {
    case ACT_SWISH: {
        float s = logistic(x);
        return s + x * s * (1 - s);
    }
    case ACT_MISH: {
        float sp = softplus(x), t = tanhf(sp);
        return t + x * (1 - t * t) * logistic(x);
    }
    case ACT_GELU:
        return 0.5f * (1.0f + erff(x * 0.70710678f)) + x * 0.39894228f * expf(-0.5f * x * x);
    default: return 1;
    }
}

static float grad_from_output(float y, activation a)
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

void gradient_array(const float *in, const float *out, size_t n, activation a, float *delta)
{
    if (a == ACT_LINEAR) return;
    if (activation_needs_input(a))
        for (size_t i = 0; i < n; ++i) delta[i] *= grad_from_input(in[i], a);
    else
        for (size_t i = 0; i < n; ++i) delta[i] *= grad_from_output(out[i], a);
}
