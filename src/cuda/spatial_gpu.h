/* spatial_gpu.h: [maxpool], [avgpool], [upsample], [shortcut], [route] and
 * [dropout] on device buffers (NCHW, batch-major as the CPU layers), on the
 * context's stream. "planes" is batch * channels. */
#ifndef DN_SPATIAL_GPU_H
#define DN_SPATIAL_GPU_H

#include "activations.h"
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* darknet's maxpool geometry (src/layers/maxpool.c): padding is the total. */
typedef struct {
    int w, h, out_w, out_h, size, stride_x, stride_y, padding;
} maxpool_shape;

/* argmax (planes*out_w*out_h ints, may be NULL): each output's winner within
 * its input plane, -1 when none; backward reads it. */
void maxpool_forward_gpu(gpu_ctx *g, maxpool_shape s, int planes, const float *in, float *out, int *argmax);
void maxpool_backward_gpu(gpu_ctx *g, maxpool_shape s, int planes, const int *argmax, const float *delta,
                          float *in_delta);

/* global average of each plane of `plane` values */
void avgpool_forward_gpu(gpu_ctx *g, int planes, int plane, const float *in, float *out);
void avgpool_backward_gpu(gpu_ctx *g, int planes, int plane, const float *delta, float *in_delta);

/* planes of w x h -> (w*stride) x (h*stride), times scale */
void upsample_forward_gpu(gpu_ctx *g, int planes, int w, int h, int stride, float scale, const float *in,
                          float *out);
void upsample_backward_gpu(gpu_ctx *g, int planes, int w, int h, int stride, float scale, const float *delta,
                           float *in_delta);

/* out = act(in + from), `from` of shape w1 x h1 x c1 mapped onto w x h x c as
 * shortcut.c does; pre_act (may be NULL) keeps the sum, needed by backward
 * when activation_needs_input(a). */
void shortcut_forward_gpu(gpu_ctx *g, int batch, int w, int h, int c, int w1, int h1, int c1, activation a,
                          const float *in, const float *from, float *pre_act, float *out);
/* delta *= act'; in_delta += delta; from_delta += the mapped delta. in_delta
 * and from_delta may be NULL. */
void shortcut_backward_gpu(gpu_ctx *g, int batch, int w, int h, int c, int w1, int h1, int c1, activation a,
                           const float *pre_act, const float *out, float *delta, float *in_delta,
                           float *from_delta);

/* One source of a route: per image, values [src_off, src_off + part) of src
 * (src_outputs per image) go to [dst_off, dst_off + part) of dst. Backward
 * adds the route's delta slice back into the source's delta. */
void route_forward_gpu(gpu_ctx *g, int batch, const float *src, int src_outputs, int src_off, int part,
                       float *dst, int dst_outputs, int dst_off);
void route_backward_gpu(gpu_ctx *g, int batch, float *src_delta, int src_outputs, int src_off, int part,
                        const float *dst_delta, int dst_outputs, int dst_off);

/* out = in * mask, in_delta += mask * delta; mask (0 or 1/(1-p)) drawn on the
 * host from the network's rng as dropout.c does, then pushed. */
void dropout_forward_gpu(gpu_ctx *g, size_t n, const float *in, const float *mask, float *out);
void dropout_backward_gpu(gpu_ctx *g, size_t n, const float *mask, const float *delta, float *in_delta);

#ifdef __cplusplus
}
#endif

#endif
