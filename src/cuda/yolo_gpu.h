/* yolo_gpu.h: [yolo]'s forward on device buffers, on the context's stream. */
#ifndef DN_YOLO_GPU_H
#define DN_YOLO_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out (batch x n_mask * (classes + 5) x hw) = in with [yolo]'s logistics,
 * x and y then scaled by scale_x_y about 0.5. */
void yolo_forward_gpu(gpu_ctx *g, const float *in, float *out, int batch, int n_mask, int classes, int hw,
                      float scale_x_y);

#ifdef __cplusplus
}
#endif

#endif
