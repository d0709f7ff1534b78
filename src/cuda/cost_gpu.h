/* cost_gpu.h: [cost]'s loss on device buffers, on the context's stream. */
#ifndef DN_COST_GPU_H
#define DN_COST_GPU_H

#include "cost_math.h"
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cost[b] (batch floats on the device) gets image b's unscaled loss of x
 * against truth, summed in double; delta (may be NULL) += scale * the
 * negative gradient. */
void cost_gpu(gpu_ctx *g, int batch, int inputs, cost_type type, float scale, const float *x, const float *truth,
              float *delta, float *cost);

#ifdef __cplusplus
}
#endif

#endif
