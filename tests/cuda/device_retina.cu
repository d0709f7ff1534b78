/* [retina]'s loss launched on a GPU, against the layer on a two-level network. */
#include "gpu_test.h"
#include "retina_kernel_test.h"

extern "C" {
#include "retina_gpu.h"
}

TEST(gpu_retina_loss_equals_the_cpu_layer_for_smooth_l1)
{
    gpu_ctx *g = test_gpu();
    retina_case c;
    if (!g || run_retina_case(&c, "smooth_l1\nbeta=0.5", 40)) return;
    const int batch = 3;
    std::vector<float> target_bits(c.target.size());
    memcpy(target_bits.data(), c.target.data(), c.target.size() * sizeof(int));
    device_vector target(g, target_bits), enc(g, c.enc), norm(g, std::vector<float>(batch)),
        rows(g, std::vector<float>(2 * batch * RT_LEVELS * RT_A * RT_K)),
        boxes(g, std::vector<float>(2 * batch * RT_ANCHORS)), out(g, std::vector<float>(3));
    device_vector cls0(g, std::vector<float>(c.net->layers[1].output, c.net->layers[1].output + c.cls_delta[0].size())),
        cls1(g, std::vector<float>(c.net->layers[6].output, c.net->layers[6].output + c.cls_delta[1].size())),
        box0(g, std::vector<float>(c.net->layers[3].output, c.net->layers[3].output + c.box_delta[0].size())),
        box1(g, std::vector<float>(c.net->layers[8].output, c.net->layers[8].output + c.box_delta[1].size())),
        dc0(g, std::vector<float>(c.cls_delta[0].size())), dc1(g, std::vector<float>(c.cls_delta[1].size())),
        db0(g, std::vector<float>(c.box_delta[0].size())), db1(g, std::vector<float>(c.box_delta[1].size()));
    retina_gpu_level levels[RT_LEVELS] = {{cls0.p, box0.p, dc0.p, db0.p, 16, rt_offset[0]},
                                          {cls1.p, box1.p, dc1.p, db1.p, 4, rt_offset[1]}};
    retina_gpu_loss r = {batch, RT_LEVELS, RT_A, RT_K, RT_ANCHORS, 1, 0.25f, 2, 0.5f, (const int *)target.p,
                         enc.p, norm.p, (double *)rows.p, (double *)boxes.p};
    retina_loss_gpu(g, &r, levels, out.p);
    check_close(dc0.pull(), c.cls_delta[0], 1e-5, "focal gradient, level 0");
    check_close(dc1.pull(), c.cls_delta[1], 1e-5, "focal gradient, level 1");
    check_close(db0.pull(), c.box_delta[0], 1e-5, "box gradient, level 0");
    check_close(db1.pull(), c.box_delta[1], 1e-5, "box gradient, level 1");
    check_close(out.pull(), std::vector<float>{c.cost, c.focal, c.boxl}, 1e-5, "cost, focal and box");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
    free_network(c.net);
}
