/* retina_gpu.cu: launches of [retina]'s loss bodies (retina_body.cuh). */
#include "gpu_launch.cuh"
#include "retina_body.cuh"
#include "retina_gpu.h"

void retina_loss_gpu(gpu_ctx *g, const retina_gpu_loss *r, const retina_gpu_level *levels, float *out)
{
    gpu_for_each(g, r->batch, retina_norm_body{r->target, r->n_anchors, r->norm});
    for (int li = 0; li < r->n_levels; ++li) {
        const retina_gpu_level *v = &levels[li];
        gpu_for_each(g, (long)r->batch * r->A * r->K,
                     retina_focal_body{v->cls, v->cls_delta, r->target, r->norm, r->row_loss, v->hw, r->A, r->K, li,
                                       r->n_levels, v->offset, r->n_anchors, r->alpha, r->gamma});
        gpu_for_each(g, (long)r->batch * v->hw * r->A,
                     retina_box_body{v->box, r->enc, v->box_delta, r->target, r->norm, r->box_loss, v->hw, r->A,
                                     v->offset, r->n_anchors, r->smooth_l1, r->beta});
    }
    gpu_for_each(g, 1, retina_cost_body{r->row_loss, r->box_loss, r->norm, r->batch, r->n_levels * r->A * r->K,
                                        r->n_anchors, out});
}
