/* The batch norm bodies, run on the CPU, against ops/batchnorm.c. */
#include "batchnorm_body.cuh"
#include "bn_test.h"

static const float momentum = 0.03f;

/* The bodies' forward, as bn_forward_gpu launches them. */
static void host_bn_forward(const bn_tensors &t, float *x, int train)
{
    if (train) host_for_each(t.channels, bn_statistics_body{t, x, momentum});
    long n = (long)t.batch * t.channels * t.spatial;
    if (train)
        host_for_each(n, bn_normalise_body{t, t.mean, t.var, x});
    else
        host_for_each(n, bn_normalise_body{t, t.rolling_mean, t.rolling_var, x});
}

static void check_same_state(bn_arrays &got, bn_arrays &want, const char *what)
{
    check_close(got.mean, want.mean, 0, what);
    check_close(got.var, want.var, 0, what);
    check_close(got.rolling_mean, want.rolling_mean, 0, what);
    check_close(got.rolling_var, want.rolling_var, 0, what);
    check_close(got.x_norm, want.x_norm, 0, what);
}

TEST(batch_norm_forward_bodies_equal_the_cpu_in_training_and_inference_on_odd_spatial_sizes)
{
    for (int s : bn_spatial_sizes)
        for (int train = 0; train < 2; ++train)
            for (int keep = 0; keep < 2; ++keep) {
                if (train && !keep) continue;   /* training needs x_norm */
                bn_arrays got(3, 5, s, 10 + s), want(3, 5, s, 10 + s);
                std::vector<float> x = random_vector(got.size(), -2, 3, 20 + s), want_x = x;
                host_bn_forward(got.tensors(keep), x.data(), train);
                bn_tensors t = want.tensors(keep);
                bn_forward(&t, want_x.data(), train, momentum);
                check_close(x, want_x, 0, "batch norm output");
                check_same_state(got, want, "batch norm statistics");
            }
}

TEST(batch_norm_backward_bodies_equal_the_cpu_in_training_and_inference_on_odd_spatial_sizes)
{
    for (int s : bn_spatial_sizes)
        for (int train = 0; train < 2; ++train) {
            bn_arrays got(3, 5, s, 30 + s), want(3, 5, s, 30 + s);
            std::vector<float> x = random_vector(got.size(), -2, 3, 40 + s), want_x = x;
            bn_tensors tw = want.tensors(true);
            bn_forward(&tw, want_x.data(), train, momentum);
            got = want;   /* the same forward state: this test is of backward */
            bn_tensors tg = got.tensors(true);
            std::vector<float> d = random_vector(got.size(), -1, 1, 50 + s), want_d = d;
            std::vector<float> gs = random_vector(5, -1, 1, 60), gb = random_vector(5, -1, 1, 61);
            std::vector<float> want_gs = gs, want_gb = gb;
            host_for_each(5, bn_grad_sums_body{tg, d.data(), gs.data(), gb.data()});
            host_for_each((long)got.size(), bn_input_grad_body{tg, train, d.data()});
            bn_backward(&tw, want_d.data(), train, want_gs.data(), want_gb.data());
            check_close(d, want_d, 0, "batch norm input gradient");
            check_close(gs, want_gs, 0, "scale gradient");
            check_close(gb, want_gb, 0, "bias gradient");
        }
}

TEST(bias_bodies_equal_add_bias_and_backward_bias_on_odd_planes)
{
    const int batch = 3, channels = 5, spatial = 143;
    const size_t n = (size_t)batch * channels * spatial;
    std::vector<float> x = random_vector(n, -1, 1, 7), bias = random_vector(channels, -1, 1, 8), want = x;
    host_for_each((long)n, add_bias_body{x.data(), bias.data(), channels, spatial});
    add_bias(want.data(), bias.data(), batch, channels, spatial);
    check_close(x, want, 0, "add_bias");
    std::vector<float> grad = random_vector(channels, -1, 1, 9), grad_want = grad;
    host_for_each(channels, backward_bias_body{grad.data(), x.data(), batch, channels, spatial});
    backward_bias(grad_want.data(), x.data(), batch, channels, spatial);
    check_close(grad, grad_want, 0, "backward_bias");
}
