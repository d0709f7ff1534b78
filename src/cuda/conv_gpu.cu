/* conv_gpu.cu: im2col per image and group, then gemm (conv_gpu.h), in the
 * order of the CPU layer. */
#include "conv_gpu.h"
#include "gemm_gpu.h"
#include "gpu_launch.cuh"
#include "im2col_gpu.h"

int conv_is_pointwise(const conv_geometry *geo)
{
    return geo->ksize_x == 1 && geo->ksize_y == 1 && geo->stride_x == 1 && geo->stride_y == 1 &&
           geo->pad_x == 0 && geo->pad_y == 0;
}

size_t conv_workspace_gpu(const conv_shape_gpu *s)
{
    const conv_geometry *geo = &s->geo;
    if (conv_is_pointwise(geo)) return 0;
    return (size_t)geo->c * geo->ksize_y * geo->ksize_x * geo->out_h * geo->out_w;
}

/* The gemm sizes of one group: m filters, k column rows, n output positions. */
typedef struct {
    int m, k, n;
    size_t in_group, out_group;  /* floats of one group of the input / output */
} conv_dims;

static conv_dims dims_of(const conv_shape_gpu *s)
{
    const conv_geometry *geo = &s->geo;
    conv_dims d;
    d.m = s->filters / s->groups;
    d.k = geo->c * geo->ksize_y * geo->ksize_x;
    d.n = geo->out_h * geo->out_w;
    d.in_group = (size_t)geo->c * geo->h * geo->w;
    d.out_group = (size_t)d.m * d.n;
    return d;
}

int conv_forward_gpu(gpu_ctx *g, const conv_shape_gpu *s, const float *in, const float *weights, float *out,
                     float *workspace)
{
    conv_dims d = dims_of(s);
    int pointwise = conv_is_pointwise(&s->geo);
    for (int b = 0; b < s->batch; ++b)
        for (int gr = 0; gr < s->groups; ++gr) {
            const float *im = in + ((size_t)b * s->groups + gr) * d.in_group, *cols = im;
            if (!pointwise) {
                im2col_gpu(g, im, &s->geo, workspace);
                cols = workspace;
            }
            float *o = out + ((size_t)b * s->groups + gr) * d.out_group;
            if (gemm_gpu(g, 0, 0, d.m, d.n, d.k, 1, weights + (size_t)gr * d.m * d.k, d.k, cols, d.n, 0, o, d.n))
                return -1;
        }
    return 0;
}

/* The input gradient of one group of one image, added into in_delta. */
static int input_grad_group(gpu_ctx *g, const conv_shape_gpu *s, const float *w, const float *delta,
                            float *in_delta, float *workspace)
{
    conv_dims d = dims_of(s);
    if (conv_is_pointwise(&s->geo)) /* beta=1: add to what other consumers of the input put there */
        return gemm_gpu(g, 1, 0, d.k, d.n, d.m, 1, w, d.k, delta, d.n, 1, in_delta, d.n);
    if (gemm_gpu(g, 1, 0, d.k, d.n, d.m, 1, w, d.k, delta, d.n, 0, workspace, d.n)) return -1;
    col2im_add_gpu(g, workspace, &s->geo, in_delta);
    return 0;
}

int conv_backward_gpu(gpu_ctx *g, const conv_shape_gpu *s, const float *in, const float *weights,
                      const float *delta, float *weight_grad, float *in_delta, float *workspace)
{
    conv_dims d = dims_of(s);
    int pointwise = conv_is_pointwise(&s->geo);
    for (int b = 0; b < s->batch; ++b)
        for (int gr = 0; gr < s->groups; ++gr) {
            size_t in_at = ((size_t)b * s->groups + gr) * d.in_group, w_at = (size_t)gr * d.m * d.k;
            const float *cols = in + in_at, *dl = delta + ((size_t)b * s->groups + gr) * d.out_group;
            if (!pointwise) {
                im2col_gpu(g, in + in_at, &s->geo, workspace);
                cols = workspace;
            }
            if (gemm_gpu(g, 0, 1, d.m, d.k, d.n, 1, dl, d.n, cols, d.n, 1, weight_grad + w_at, d.k)) return -1;
            if (in_delta && input_grad_group(g, s, weights + w_at, dl, in_delta + in_at, workspace)) return -1;
        }
    return 0;
}
