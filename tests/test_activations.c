/* Activations: values against the textbook formulas, and gradients against
 * central differences at points away from the kinks of relu, leaky and relu6. */
#include <stdlib.h>
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

/* Big arrays go through the thread pool in blocks; every value must be bitwise
 * what a call on that value alone (serial) gives, forward and gradient. */
TEST(activations_split_over_threads_match_serial_bitwise)
{
    enum { N = 300007 };   /* many blocks and a ragged tail */
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *d0 = malloc(N * sizeof *d0),
          *d = malloc(N * sizeof *d);
    random_fill(x, N, -8, 8, 3);
    random_fill(d0, N, -1, 1, 4);
    for (int a = ACT_LINEAR; a <= ACT_GELU; ++a) {
        memcpy(y, x, N * sizeof *x);
        activate_array(y, N, (activation)a);
        memcpy(d, d0, N * sizeof *d);
        gradient_array(x, y, N, (activation)a, d);
        int bad = 0;
        for (int i = 0; i < N && bad < 3; i += 1 + i % 7) {
            float yi = x[i], di = d0[i];
            activate_array(&yi, 1, (activation)a);
            gradient_array(&x[i], &yi, 1, (activation)a, &di);
            if (memcmp(&yi, &y[i], sizeof yi) || memcmp(&di, &d[i], sizeof di)) {
                ++bad;
                CHECK_MSG(0, "%s at %g: split %.9g / %.9g, alone %.9g / %.9g", activation_names[a], x[i], y[i],
                          d[i], yi, di);
            }
        }
    }
    free(x);
    free(y);
    free(d0);
    free(d);
}
