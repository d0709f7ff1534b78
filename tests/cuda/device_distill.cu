/* The distillation losses launched on a GPU, against the [cwd], [fd] and [kd] layers. */
#include "distill_kernel_test.h"
#include "gpu_test.h"

extern "C" {
#include "distill_gpu.h"
}

/* Device scratch of n doubles. */
static double *doubles(const device_vector &v) { return (double *)v.p; }

static void check_cwd_gpu(int batch, int w, int h, int c, float tau, int spatial)
{
    gpu_ctx *g = test_gpu();
    char section[128];
    snprintf(section, sizeof section, "[cwd]\ntau=%g\nloss_weight=2.5\nnorm=%s", tau,
             spatial ? "spatial" : "channel");
    distill_case d;
    if (!g || run_distill_case(&d, batch, w, h, c, section, 3, 0, 5)) return;
    long rows = (long)batch * (spatial ? d.hw : c);
    device_vector s(g, d.s), t(g, d.t), grad(g, std::vector<float>(d.s.size())), work(g, std::vector<float>(2 * rows)),
        cost(g, std::vector<float>(1));
    cwd_gpu(g, s.p, t.p, grad.p, batch, c, d.hw, spatial, tau, 2.5f, doubles(work), cost.p);
    check_close(grad.pull(), d.grad, 1e-5, "cwd gradient");
    check_close(cost.pull(), std::vector<float>{d.cost}, 1e-5, "cwd cost");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
    free_network(d.net);
}

TEST(gpu_cwd_equals_the_cpu_layer_for_both_normalisations)
{
    check_cwd_gpu(3, 7, 5, 3, 1, 0);
    check_cwd_gpu(3, 51, 51, 2, 4, 0);
    check_cwd_gpu(3, 1, 1, 4, 2, 0);
    check_cwd_gpu(3, 9, 4, 5, 4, 1);
    check_cwd_gpu(3, 1, 1, 4, 2, 1);
}
