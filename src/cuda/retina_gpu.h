/* retina_gpu.h: [retina]'s training loss on device buffers, on the context's
 * stream, given the host's anchor matching (retina_body.cuh: the target
 * layout). Int buffers are gpu_alloc'd floats cast (both 4 bytes). */
#ifndef DN_RETINA_GPU_H
#define DN_RETINA_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One level of the heads: class logits and box deltas (batch x A*K x hw,
 * batch x A*4 x hw), their deltas (NULL: none), and the level's first anchor. */
typedef struct {
    const float *cls, *box;
    float *cls_delta, *box_delta;
    int hw, offset;
} retina_gpu_level;

/* Work buffers: norm (batch floats), row_loss (batch * n_levels * A * K
 * doubles), box_loss (batch * n_anchors doubles). enc: the box_encode'd
 * targets, 4 floats per anchor (read for positives only). Writes out[0] = the
 * cost, out[1], out[2] = focal and box means over the batch. smooth_l1: 0 for
 * box_loss=l1; GIoU is not done on the device yet. */
typedef struct {
    int batch, n_levels, A, K, n_anchors, smooth_l1;
    float alpha, gamma, beta;
    const int *target;
    const float *enc;
    float *norm;
    double *row_loss, *box_loss;
} retina_gpu_loss;

void retina_loss_gpu(gpu_ctx *g, const retina_gpu_loss *r, const retina_gpu_level *levels, float *out);

#ifdef __cplusplus
}
#endif

#endif
