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
    distill_case d;
    if (!g || run_cwd_case(&d, batch, w, h, c, tau, spatial)) return;
    long rows = (long)batch * (spatial ? d.hw : c);
    device_vector s(g, d.s), t(g, d.t), grad(g, std::vector<float>(d.s.size())), work(g, std::vector<float>(2 * rows)),
        cost(g, std::vector<float>(1));
    cwd_gpu(g, s.p, t.p, grad.p, batch, c, d.hw, spatial, tau, 2.5f, doubles(work), cost.p);
    check_distill_case(d, grad.pull(), cost.pull(), 1e-5, "cwd");
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

TEST(gpu_fd_equals_the_cpu_layer_for_mse_and_smooth_l1)
{
    gpu_ctx *g = test_gpu();
    const char *sections[] = {"[fd]\nloss_weight=1.5", "[fd]\nloss_weight=1.5\ntype=smooth_l1\nbeta=0.3"};
    for (int k = 0; k < 2 && g; ++k) {
        distill_case d;
        if (run_distill_case(&d, 3, 9, 4, 3, sections[k], 2, 0, 6)) continue;
        long rows = 3L * 3;
        device_vector s(g, d.s), t(g, d.t), grad(g, std::vector<float>(d.s.size())),
            work(g, std::vector<float>(2 * rows)), cost(g, std::vector<float>(1));
        fd_gpu(g, s.p, t.p, grad.p, 3, 3, d.hw, k, 0.3f, 1.5f, doubles(work), cost.p);
        check_distill_case(d, grad.pull(), cost.pull(), 1e-5, "fd");
        free_network(d.net);
    }
    CHECK_MSG(!g || gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_kd_and_nkd_equal_the_cpu_layer)
{
    gpu_ctx *g = test_gpu();
    const char *sections[] = {"[kd]\ntemperature=2\nalpha=0.5", "[kd]\nmethod=nkd\ntemperature=3\ngamma=3.5"};
    for (int nkd = 0; nkd < 2 && g; ++nkd) {
        distill_case d;
        if (run_distill_case(&d, 3, 5, 3, 3, sections[nkd], 2, 1, 8)) continue;
        layer *l = &d.net->layers[1];
        int n = 45;
        device_vector x(g, d.s), t(g, d.t), y(g, d.truth), grad(g, std::vector<float>(d.s.size())),
            out(g, std::vector<float>(d.s.size())), work(g, std::vector<float>(2 * 3 * 3)),
            costs(g, std::vector<float>(4));
        kd_softmax_gpu(g, x.p, out.p, 3, n);
        kd_gpu(g, x.p, t.p, y.p, d.net->truths, grad.p, 3, n, nkd, nkd ? 3 : 2, 0.5f, 3.5f, doubles(work), costs.p);
        check_close(out.pull(), std::vector<float>(l->output, l->output + d.s.size()), 1e-5, "kd output");
        check_close(grad.pull(), d.grad, 1e-5, "kd gradient");
        CHECK_NEAR(costs.pull()[0], d.cost, 1e-5 * fmax(1, fabs(d.cost)));
        free_network(d.net);
    }
    CHECK_MSG(!g || gpu_sync(g) == 0, "%s", dn_last_error());
}
