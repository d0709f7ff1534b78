/* [retina]'s loss bodies run on the CPU, against the layer on a two-level network. */
#include "retina_body.cuh"
#include "retina_kernel_test.h"

/* The bodies over the case's head outputs, as retina_loss_gpu launches them. */
static void check_retina(const char *box_loss, int smooth_l1, float beta)
{
    retina_case c;
    if (run_retina_case(&c, box_loss, 40)) return;
    const int batch = 3, rows = RT_LEVELS * RT_A * RT_K;
    std::vector<float> norm(batch), out(3);
    std::vector<double> row_loss((size_t)batch * rows), box_loss_v((size_t)batch * RT_ANCHORS);
    host_for_each(batch, retina_norm_body{c.target.data(), RT_ANCHORS, norm.data()});
    for (int li = 0; li < RT_LEVELS; ++li) {
        const layer *cl = &c.net->layers[rt_cls[li]], *bl = &c.net->layers[rt_box[li]];
        int hw = rt_w[li] * rt_w[li];
        std::vector<float> cd(c.cls_delta[li].size()), bd(c.box_delta[li].size());
        host_for_each((long)batch * RT_A * RT_K,
                      retina_focal_body{cl->output, cd.data(), c.target.data(), norm.data(), row_loss.data(), hw,
                                        RT_A, RT_K, li, RT_LEVELS, rt_offset[li], RT_ANCHORS, 0.25f, 2});
        host_for_each((long)batch * hw * RT_A,
                      retina_box_body{bl->output, c.enc.data(), bd.data(), c.target.data(), norm.data(),
                                      box_loss_v.data(), hw, RT_A, rt_offset[li], RT_ANCHORS, smooth_l1, beta});
        check_close(cd, c.cls_delta[li], 0, "focal gradient");
        check_close(bd, c.box_delta[li], 0, "box gradient");
    }
    host_for_each(1, retina_cost_body{row_loss.data(), box_loss_v.data(), norm.data(), batch, rows, RT_ANCHORS,
                                      out.data()});
    check_close(out, std::vector<float>{c.cost, c.focal, c.boxl}, 0, "cost, focal and box");
    CHECK_MSG(c.focal > 0 && c.boxl > 0, "focal %g box %g: too flat a test", c.focal, c.boxl);
    free_network(c.net);
}

TEST(retina_focal_and_box_bodies_equal_the_cpu_layer_for_l1_and_smooth_l1)
{
    check_retina("l1", 0, 0.11f);
    check_retina("smooth_l1\nbeta=0.5", 1, 0.5f);
}
