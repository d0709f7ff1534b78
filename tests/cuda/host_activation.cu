/* The activation bodies, run on the CPU, against ops/activations.c. */
#include "activation_body.cuh"
#include "kernel_test.h"

/* Random values over [-30, 30] and the edges of the formulas: softplus's
 * thresholds (+-20), relu6's 0 and 6, exp's overflow range and beyond. */
static std::vector<float> activation_inputs(void)
{
    std::vector<float> x = random_vector(1031, -30, 30, 7);
    const float edges[] = {-1e4f, -100, -88.5f, -20.5f, -20, -19.5f, -6, -1, -1e-3f, -0.0f, 0,
                           1e-3f, 1, 5.99f, 6, 6.01f, 19.5f, 20, 20.5f, 88.5f, 100, 1e4f};
    x.insert(x.end(), edges, edges + sizeof edges / sizeof edges[0]);
    return x;
}

TEST(activation_bodies_equal_activate_array_for_every_kind)
{
    std::vector<float> x = activation_inputs();
    for (int a = ACT_LINEAR; a <= ACT_GELU; ++a) {
        std::vector<float> got = x, want = x;
        host_for_each((long)got.size(), activate_body{got.data(), (activation)a});
        activate_array(want.data(), want.size(), (activation)a);
        check_close(got, want, 0, activation_names[a]);
    }
}

TEST(gradient_bodies_equal_gradient_array_from_the_input_or_the_output)
{
    std::vector<float> x = activation_inputs(), d0 = random_vector(x.size(), -2, 2, 8);
    for (int a = ACT_LINEAR; a <= ACT_GELU; ++a) {
        std::vector<float> y = x;
        activate_array(y.data(), y.size(), (activation)a);
        /* the unused side is NULL, as the layers pass it */
        const float *in = activation_needs_input((activation)a) ? x.data() : NULL;
        const float *out = in ? NULL : y.data();
        std::vector<float> got = d0, want = d0;
        host_for_each((long)got.size(), gradient_body{in, out, (activation)a, got.data()});
        gradient_array(in, out, want.size(), (activation)a, want.data());
        check_close(got, want, 0, activation_names[a]);
    }
}
