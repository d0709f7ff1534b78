/* The batch norm kernels launched on a GPU, against ops/batchnorm.c. */
#include "bn_test.h"
#include "gpu_test.h"

extern "C" {
#include "batchnorm_gpu.h"
}

/* Device copies of a bn_arrays' tensors (sums: doubles in float storage). */
struct bn_device {
    device_vector scales, biases, rolling_mean, rolling_var, mean, var, x_norm, sums;
    bn_device(gpu_ctx *g, const bn_arrays &a)
        : scales(g, a.scales), biases(g, a.biases), rolling_mean(g, a.rolling_mean), rolling_var(g, a.rolling_var),
          mean(g, a.mean), var(g, a.var), x_norm(g, a.x_norm), sums(g, std::vector<float>(2 * a.sums.size()))
    {
    }
    bn_tensors tensors(const bn_arrays &a)
    {
        return bn_tensors{a.batch, a.channels, a.spatial, scales.p, biases.p, rolling_mean.p, rolling_var.p, mean.p,
                          var.p, x_norm.p, (double *)sums.p};
    }
};

TEST(gpu_batch_norm_equals_the_cpu_forward_and_backward_in_training_and_inference)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const float momentum = 0.03f;
    for (int s : bn_spatial_sizes)
        for (int train = 0; train < 2; ++train) {
            bn_arrays a(3, 5, s, 10 + s);
            bn_device dev(g, a);
            bn_tensors td = dev.tensors(a), t = a.tensors(true);
            std::vector<float> x = random_vector(a.size(), -2, 3, 20 + s), d = random_vector(a.size(), -1, 1, 30);
            std::vector<float> gs = random_vector(5, -1, 1, 40), gb = random_vector(5, -1, 1, 41);
            device_vector dx(g, x), dd(g, d), dgs(g, gs), dgb(g, gb);
            bn_forward_gpu(g, &td, dx.p, train, momentum);
            bn_backward_gpu(g, &td, dd.p, train, dgs.p, dgb.p);
            bn_forward(&t, x.data(), train, momentum);
            bn_backward(&t, d.data(), train, gs.data(), gb.data());
            check_close(dx.pull(), x, 1e-5, "batch norm output");
            check_close(dev.rolling_mean.pull(), a.rolling_mean, 1e-5, "rolling mean");
            check_close(dev.rolling_var.pull(), a.rolling_var, 1e-5, "rolling variance");
            check_close(dd.pull(), d, 1e-5, "batch norm input gradient");
            check_close(dgs.pull(), gs, 1e-5, "scale gradient");
            check_close(dgb.pull(), gb, 1e-5, "bias gradient");
        }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}
