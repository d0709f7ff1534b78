/* Activations: values against the textbook formulas, and gradients against
 * central differences at points away from the kinks of relu, leaky and relu6. */
#include <string.h>

#include "activations.h"
#include "test.h"

static double reference(activation a, double x)
{
    switch (a) {
    case ACT_LINEAR: return x;
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_LEAKY: return x > 0 ? x : 0.1 * x;
    case ACT_LOGISTIC: return 1 / (1 + exp(-x));
    case ACT_TANH: return tanh(x);
    case ACT_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case ACT_SWISH: return x / (1 + exp(-x));
    case ACT_MISH: return x * tanh(log1p(exp(x)));
    case ACT_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    }
    return NAN;
}

TEST(activations_forward_and_gradient)
{
    /* points away from 0 and 6, within float's comfortable range */
    const float xs[] = {-7.3f, -3.1f, -0.9f, -0.35f, 0.27f, 0.8f, 2.2f, 5.4f, 6.7f, 15.0f};
    enum { N = sizeof xs / sizeof xs[0] };
    for (int a = ACT_LINEAR; a <= ACT_GELU; ++a) {
        float y[N], d[N];
        memcpy(y, xs, sizeof xs);
        activate_array(y, N, (activation)a);
        for (int i = 0; i < N; ++i) {
            CHECK_MSG(fabs(y[i] - reference(a, xs[i])) < 1e-5 * fmax(1, fabs(y[i])), "%s(%g) = %g, want %g",
                      activation_names[a], xs[i], y[i], reference(a, xs[i]));
            d[i] = 1;
        }
        gradient_array(xs, y, N, (activation)a, d);
        for (int i = 0; i < N; ++i) {
            double h = 1e-4, num = (reference(a, xs[i] + h) - reference(a, xs[i] - h)) / (2 * h);
            CHECK_MSG(fabs(d[i] - num) < 1e-4, "%s'(%g) = %g, want %g", activation_names[a], xs[i], d[i], num);
        }
    }
    CHECK(activation_from_name("silu") == ACT_SWISH);
    CHECK(activation_from_name("nope") == -1);
}
