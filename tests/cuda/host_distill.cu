/* The distillation losses' bodies run on the CPU, against the [cwd], [fd] and
 * [kd] layers (a one-conv student with a one-conv teacher). */
#include "distill_body.cuh"
#include "distill_gpu.h"
#include "distill_kernel_test.h"

/* Runs the [cwd] bodies on the case's maps and compares with its layer. */
static void check_cwd(int batch, int w, int h, int c, float tau, int spatial)
{
    distill_case d;
    if (run_cwd_case(&d, batch, w, h, c, tau, spatial)) return;
    long rows = (long)batch * (spatial ? d.hw : c);
    std::vector<float> grad(d.s.size(), 7), cost(1);
    std::vector<double> kl(rows);
    host_for_each(rows, cwd_row_body{d.s.data(), d.t.data(), grad.data(), kl.data(), c, d.hw, spatial, tau, 2.5f});
    host_for_each(1, cwd_cost_body{kl.data(), rows, spatial ? d.hw : c, tau, 2.5f, cost.data()});
    check_distill_case(d, grad, cost, 0, "cwd");
    CHECK_MSG(d.cost > 1e-4 || (!spatial && d.hw == 1) || (spatial && c == 1), "cost %g: too flat a test", d.cost);
    free_network(d.net);
}

TEST(cwd_bodies_equal_the_cpu_layer_over_channels_on_odd_maps_and_temperatures)
{
    check_cwd(3, 7, 5, 3, 1, 0);
    check_cwd(3, 7, 5, 3, 4, 0);
    check_cwd(3, 51, 51, 2, 1, 0);
    check_cwd(3, 1, 1, 4, 2, 0);
}

TEST(cwd_bodies_equal_the_cpu_layer_with_spatial_normalisation)
{
    check_cwd(3, 7, 5, 3, 1, 1);
    check_cwd(3, 9, 4, 5, 4, 1);
    check_cwd(3, 1, 1, 4, 2, 1);
    check_cwd(2, 3, 3, 1, 1, 1);
}

/* Runs the [fd] bodies on the case's maps and compares with its layer. */
static void check_fd(int batch, int w, int h, int c, int smooth_l1, float beta)
{
    char section[128];
    snprintf(section, sizeof section, "[fd]\nloss_weight=1.5\ntype=%s%s%g", smooth_l1 ? "smooth_l1" : "mse",
             smooth_l1 ? "\nbeta=" : "\n# ", beta);
    distill_case d;
    if (run_distill_case(&d, batch, w, h, c, section, 2, 0, 6)) return;
    long rows = (long)batch * c;
    double scale = 1.5 / ((double)c * d.hw);
    std::vector<float> grad(d.s.size(), 7), cost(1);
    std::vector<double> loss(rows);
    host_for_each(rows, fd_row_body{d.s.data(), d.t.data(), grad.data(), loss.data(), d.hw, smooth_l1, beta, scale});
    host_for_each(1, fd_cost_body{loss.data(), rows, scale, cost.data()});
    check_distill_case(d, grad, cost, 0, "fd");
    CHECK_MSG(d.cost > 1e-4, "cost %g: too flat a test", d.cost);
    free_network(d.net);
}

TEST(fd_bodies_equal_the_cpu_layer_for_mse_and_smooth_l1)
{
    check_fd(3, 7, 5, 3, 0, 1);
    check_fd(3, 1, 1, 4, 0, 1);
    check_fd(3, 7, 5, 3, 1, 1);
    check_fd(3, 9, 4, 2, 1, 0.3f);
}

/* Runs the [kd] bodies on the case's logits (c * w * h classes) and compares
 * with its layer: output, loss parts, gradient and the softmax's backward. */
static void check_kd(int batch, int w, int h, int c, const char *keys, int nkd, float T, float alpha, float gamma,
                     int with_truth)
{
    char section[256];
    snprintf(section, sizeof section, "[kd]\n%s", keys);
    distill_case d;
    if (run_distill_case(&d, batch, w, h, c, section, 2, with_truth, 8)) return;
    layer *l = &d.net->layers[1];
    int n = c * w * h;
    std::vector<float> grad(d.s.size(), 7), out(d.s.size()), costs(4);
    std::vector<double> part((size_t)batch * KD_PARTS);
    const float *y = with_truth ? d.truth.data() : NULL;
    host_for_each(batch, kd_softmax_body{d.s.data(), out.data(), n});
    host_for_each(batch, kd_image_body{d.s.data(), d.t.data(), y, grad.data(), part.data(), n, d.net->truths, nkd,
                                       T, alpha, gamma});
    host_for_each(1, kd_cost_body{part.data(), batch, costs.data()});
    check_close(out, std::vector<float>(l->output, l->output + out.size()), 0, "kd output");
    check_close(grad, d.grad, 0, "kd gradient");
    const char *names[3];
    float parts[3];
    int count = l->ops->named_losses(l, names, parts, 3);
    std::vector<float> want = {d.cost, parts[0], parts[1], count > 2 ? parts[2] : 0.0f};
    check_close(costs, want, 0, "kd cost and parts");
    CHECK_MSG(d.cost > 1e-4, "cost %g: too flat a test", d.cost);
    /* later layers' delta through the softmax */
    std::vector<float> delta = random_vector(out.size(), -1, 1, 9), in = random_vector(out.size(), -1, 1, 10);
    float *sd = d.net->layers[0].delta;
    memcpy(l->delta, delta.data(), delta.size() * sizeof(float));
    memcpy(sd, in.data(), in.size() * sizeof(float));
    d.net->train = 0;   /* the softmax's backward alone, not the distillation gradient */
    l->ops->backward(l, d.net);
    host_for_each(batch, kd_softmax_backward_body{out.data(), delta.data(), in.data(), n});
    check_close(in, std::vector<float>(sd, sd + in.size()), 0, "kd softmax backward");
    free_network(d.net);
}

TEST(kd_bodies_equal_the_cpu_layer_for_kd_and_nkd)
{
    check_kd(3, 1, 1, 10, "temperature=4\nalpha=0.9", 0, 4, 0.9f, 1.5f, 1);
    check_kd(3, 3, 1, 7, "temperature=2\nalpha=0.5", 0, 2, 0.5f, 1.5f, 0);
    check_kd(3, 1, 1, 10, "method=nkd", 1, 1, 0.5f, 1.5f, 1);
    check_kd(3, 5, 3, 3, "method=nkd\ntemperature=3\ngamma=3.5\nalpha=1", 1, 3, 1, 3.5f, 1);
}
