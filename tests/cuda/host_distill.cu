/* The distillation losses' bodies run on the CPU, against the [cwd], [fd] and
 * [kd] layers (a one-conv student with a one-conv teacher). */
#include "distill_body.cuh"
#include "distill_gpu.h"
#include "distill_kernel_test.h"

/* Runs the [cwd] bodies on the case's maps and compares with its layer. */
static void check_cwd(int batch, int w, int h, int c, float tau, int spatial)
{
    char section[128];
    snprintf(section, sizeof section, "[cwd]\ntau=%g\nloss_weight=2.5\nnorm=%s", tau,
             spatial ? "spatial" : "channel");
    distill_case d;
    if (run_distill_case(&d, batch, w, h, c, section, 3, 0, 5)) return;
    long rows = (long)batch * (spatial ? d.hw : c);
    std::vector<float> grad(d.s.size(), 7), cost(1);
    std::vector<double> kl(rows);
    host_for_each(rows, cwd_row_body{d.s.data(), d.t.data(), grad.data(), kl.data(), c, d.hw, spatial, tau, 2.5f});
    host_for_each(1, cwd_cost_body{kl.data(), rows, spatial ? d.hw : c, tau, 2.5f, cost.data()});
    check_close(grad, d.grad, 0, "cwd gradient");
    check_close(cost, std::vector<float>{d.cost}, 0, "cwd cost");
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
