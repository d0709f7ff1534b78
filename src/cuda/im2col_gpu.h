/* im2col_gpu.h: ops/im2col.h on device buffers, on the context's stream.
 * The geometry is passed by value into the kernels (it lives on the host). */
#ifndef DN_IM2COL_GPU_H
#define DN_IM2COL_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#include "im2col.h"

/* col: c * ksize_y * ksize_x rows of out_h * out_w (im2col.h's layout). */
void im2col_gpu(gpu_ctx *g, const float *im, const conv_geometry *geo, float *col);
/* Adds the columns back into im (deterministic: no atomics). */
void col2im_add_gpu(gpu_ctx *g, const float *col, const conv_geometry *geo, float *im);

#ifdef __cplusplus
}
#endif

#endif
