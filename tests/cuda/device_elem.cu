/* The activation, spatial, softmax and SGD kernels launched on a GPU, against
 * the same bodies run on the CPU (which the host tests hold to the CPU layers)
 * or the CPU op itself. Device maths (expf, fused multiply-adds) may differ
 * from the host's in the last bits: 1e-5 relative. */
#include "activation_body.cuh"
#include "blas_body.cuh"
#include "softmax_body.cuh"
#include "spatial_body.cuh"
#include "update_body.cuh"
#include "gpu_test.h"

extern "C" {
#include "activation_gpu.h"
#include "softmax_gpu.h"
#include "spatial_gpu.h"
#include "update_gpu.h"
}

TEST(gpu_activations_and_gradients_equal_the_cpu_for_every_kind)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const size_t n = 100003;
    std::vector<float> x = random_vector(n, -30, 30, 1), d = random_vector(n, -2, 2, 2);
    for (int a = ACT_LINEAR; a <= ACT_GELU; ++a) {
        std::vector<float> y = x, want = d;
        activate_array(y.data(), n, (activation)a);
        device_vector dx(g, x), dd(g, d);
        activate_gpu(g, dx.p, n, (activation)a);
        check_close(dx.pull(), y, 1e-5, activation_names[a]);
        device_vector din(g, x), dout(g, y);
        gradient_array(x.data(), y.data(), n, (activation)a, want.data());
        gradient_gpu(g, din.p, dout.p, n, (activation)a, dd.p);
        check_close(dd.pull(), want, 1e-5, activation_names[a]);
    }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_maxpool_and_upsample_equal_their_bodies_on_the_cpu)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    maxpool_shape s = {51, 7, 51, 7, 2, 1, 1, 1};   /* 2x2/1 keeps the size */
    int planes = 3 * 5;
    long n_in = (long)planes * s.w * s.h, n_out = (long)planes * s.out_w * s.out_h;
    std::vector<float> x = random_vector(n_in, -1, 1, 3), d = random_vector(n_out, -1, 1, 4);
    std::vector<float> out(n_out), in_delta = random_vector(n_in, -1, 1, 5);
    std::vector<int> argmax(n_out);
    device_vector dx(g, x), dd(g, d), dout(g, out), darg(g, out), din(g, in_delta);
    host_for_each(n_out, maxpool_forward_body{s, x.data(), out.data(), argmax.data()});
    host_for_each(n_in, maxpool_backward_body{s, argmax.data(), d.data(), in_delta.data()});
    maxpool_forward_gpu(g, s, planes, dx.p, dout.p, (int *)darg.p);
    maxpool_backward_gpu(g, s, planes, (const int *)darg.p, dd.p, din.p);
    check_close(dout.pull(), out, 0, "maxpool forward");
    check_close(din.pull(), in_delta, 1e-6, "maxpool backward");

    std::vector<float> up(n_in * 9), up_delta = random_vector(n_in * 9, -1, 1, 6), back = x;
    device_vector dup(g, up), dupd(g, up_delta), dback(g, back);
    host_for_each(n_in * 9, upsample_forward_body{{51, 7, 3, 0.5f}, x.data(), up.data()});
    host_for_each(n_in, upsample_backward_body{{51, 7, 3, 0.5f}, up_delta.data(), back.data()});
    upsample_forward_gpu(g, planes, 51, 7, 3, 0.5f, dx.p, dup.p);
    upsample_backward_gpu(g, planes, 51, 7, 3, 0.5f, dupd.p, dback.p);
    check_close(dup.pull(), up, 0, "upsample forward");
    check_close(dback.pull(), back, 1e-5, "upsample backward");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_shortcut_and_route_equal_their_bodies_on_the_cpu)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    /* 3x3x4 added onto 6x6x2, swish */
    shortcut_map m = shortcut_map_of(6, 6, 2, 3, 3, 4);
    long n = 3 * 72, nf = 3 * 36;
    std::vector<float> in = random_vector(n, -3, 3, 7), from = random_vector(nf, -3, 3, 8);
    std::vector<float> out(n), pre(n), delta = random_vector(n, -1, 1, 9);
    std::vector<float> in_delta = random_vector(n, -1, 1, 10), from_delta = random_vector(nf, -1, 1, 11);
    device_vector din(g, in), dfrom(g, from), dout(g, out), dpre(g, pre), dd(g, delta), did(g, in_delta),
        dfd(g, from_delta);
    host_for_each(n, shortcut_forward_body{m, in.data(), from.data(), pre.data(), out.data(), ACT_SWISH});
    host_for_each(n, gradient_body{pre.data(), out.data(), ACT_SWISH, delta.data()});
    host_for_each(n, axpy_body{1, delta.data(), in_delta.data()});
    host_for_each(nf, shortcut_from_delta_body{m, delta.data(), from_delta.data()});
    shortcut_forward_gpu(g, 3, 6, 6, 2, 3, 3, 4, ACT_SWISH, din.p, dfrom.p, dpre.p, dout.p);
    shortcut_backward_gpu(g, 3, 6, 6, 2, 3, 3, 4, ACT_SWISH, dpre.p, dout.p, dd.p, did.p, dfd.p);
    check_close(dout.pull(), out, 1e-5, "shortcut forward");
    check_close(did.pull(), in_delta, 1e-5, "shortcut input delta");
    check_close(dfd.pull(), from_delta, 1e-5, "shortcut from delta");

    /* the second half of each 36-value image into values 10.. of 50-value images */
    std::vector<float> dst(3 * 50), src_delta = from_delta;
    device_vector ddst(g, dst), dsd(g, src_delta);
    route_slice r = {36, 18, 50, 10, 18};
    host_for_each(3 * 18, route_forward_body{r, from.data(), dst.data()});
    host_for_each(3 * 18, route_backward_body{r, out.data(), src_delta.data()});
    route_forward_gpu(g, 3, dfrom.p, 36, 18, 18, ddst.p, 50, 10);
    route_backward_gpu(g, 3, dsd.p, 36, 18, 18, dout.p, 50, 10);
    check_close(ddst.pull(), dst, 0, "route forward");
    check_close(dsd.pull(), src_delta, 1e-5, "route backward");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_softmax_loss_sgd_and_adam_equal_their_bodies_on_the_cpu)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    int batch = 3, inputs = 1031, groups = 1;
    long total = (long)batch * inputs;
    std::vector<float> x = random_vector(total, -40, 40, 12), t = random_vector(total, 0, 1, 13);
    std::vector<float> p(total), ld(total), cost(batch), d = random_vector(total, -1, 1, 14);
    std::vector<float> in_delta = random_vector(total, -1, 1, 15);
    device_vector dx(g, x), dt(g, t), dp(g, p), dld(g, ld), dc(g, cost), dd(g, d), did(g, in_delta);
    host_for_each(batch * groups, softmax_forward_body{x.data(), p.data(), inputs, 0.7f});
    host_for_each(batch, softmax_loss_body{t.data(), p.data(), ld.data(), cost.data(), inputs, 1.0f / 0.7f});
    host_for_each(batch, softmax_backward_body{p.data(), d.data(), in_delta.data(), inputs, 1.0f / 0.7f});
    host_for_each(total, axpy_body{1, ld.data(), in_delta.data()});
    softmax_forward_gpu(g, batch * groups, inputs, 0.7f, dx.p, dp.p);
    softmax_loss_gpu(g, batch, inputs, 0.7f, dt.p, dp.p, dld.p, dc.p);
    softmax_backward_gpu(g, batch * groups, inputs, 0.7f, dp.p, dd.p, dld.p, did.p);
    check_close(dp.pull(), p, 1e-5, "softmax forward");
    check_close(dc.pull(), cost, 1e-5, "softmax cost");
    check_close(did.pull(), in_delta, 1e-5, "softmax backward");

    for (int adam = 0; adam <= 1; ++adam) {
        long n = 100003;
        std::vector<float> val = random_vector(n, -1, 1, 16), grad = random_vector(n, -5, 5, 17);
        std::vector<float> m = random_vector(n, -1, 1, 18), v = random_vector(n, 0, 2, 19);
        device_vector dv(g, val), dg(g, grad), dm(g, m), dvv(g, v);
        optimizer_step s = {0.01f, -0.0005f * 64, 0.01f / 64, 0.9f, adam, 0.9f, 0.999f, 1e-7f, 1.9f, 12.3f};
        host_for_each(n, param_update_of(s, val.data(), grad.data(), m.data(), v.data(), 1));
        param_update_gpu(g, (size_t)n, &s, dv.p, dg.p, dm.p, dvv.p, 1);
        check_close(dv.pull(), val, 1e-6, adam ? "adam value" : "sgd value");
        check_close(dg.pull(), grad, 1e-5, adam ? "adam buffer" : "sgd momentum");
        check_close(dm.pull(), m, 1e-6, "first moment");
        check_close(dvv.pull(), v, 1e-6, "second moment");
    }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}
