/* [maxpool] ([max]): max over size x size windows with strides stride_x, stride_y.
 * darknet geometry: `padding` is the TOTAL padding (default size-1), the window of
 * output (x, y) starts at (x*stride_x - padding/2, y*stride_y - padding/2), and
 * out_w = (w + padding - size)/stride_x + 1; taps outside the image are ignored.
 * So size=2 stride=1 keeps the input size (YOLOv3-tiny). Backward routes each
 * output's delta to the input that won the max. */
#include <float.h>
#include <stdlib.h>

#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#include "threadpool.h"

#ifdef DN_GPU
#include "gpu.h"
#include "spatial_gpu.h"
#endif

typedef struct {
    int size, stride_x, stride_y, padding;
    int *argmax;   /* batch*outputs: winning position within its input plane, -1 if none */
#ifdef DN_GPU
    gpu_buffer argmax_gpu;   /* the device twin: ints in float-sized slots */
#endif
} maxpool_state;

/* out_channels only acts together with maxpool_depth, which is rejected below. */
static const char *const maxpool_ignored[] = {"out_channels", NULL};

static int reject_nonzero(cfg_section *sec, const char *key)
{
    if (cfg_int(sec, key, 0) != 0) return cfg_fail(sec, key, "not supported (only 0)");
    return 0;
}

static int maxpool_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    maxpool_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    /* darknet's defaults: stride 1, size = stride, padding = size-1 */
    int stride = cfg_int_range(sec, "stride", 1, 1, 1024);
    s->stride_x = cfg_int_range(sec, "stride_x", stride, 1, 1024);
    s->stride_y = cfg_int_range(sec, "stride_y", stride, 1, 1024);
    s->size = cfg_int_range(sec, "size", stride, 1, 1024);
    s->padding = cfg_int_range(sec, "padding", s->size - 1, 0, 4096);
    reject_nonzero(sec, "maxpool_depth");
    reject_nonzero(sec, "antialiasing");
    reject_nonzero(sec, "maxpool_zero_nonmax");
    return cfg_failed(sec) ? -1 : 0;
}

static int maxpool_setup(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    l->out_w = (l->w + s->padding - s->size) / s->stride_x + 1;
    l->out_h = (l->h + s->padding - s->size) / s->stride_y + 1;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = (double)l->out_w * l->out_h * l->out_c * s->size * s->size;
    if (l->out_w < 1 || l->out_h < 1) return 0; /* the caller reports the empty output */
    if (net->trainable) {
        size_t n = (size_t)l->batch * l->out_w * l->out_h * l->out_c;
        int *a = dn_realloc(s->argmax, n, sizeof(int));
        if (!a) return -1;
        s->argmax = a;
    }
    return 0;
}

typedef struct {
    const layer *l;
    const float *in;
    float *in_delta;    /* backward */
} pool_job;

/* The common downsampling pool: 2x2 windows at stride 2, all inside the
 * image (no clamping), so the taps are plain loads the compiler vectorises. */
static int whole_2x2(const layer *l, const maxpool_state *s)
{
    return s->size == 2 && s->stride_x == 2 && s->stride_y == 2 && s->padding / 2 == 0 && 2 * l->out_w <= l->w &&
           2 * l->out_h <= l->h;
}

/* One plane of whole_2x2; ties keep the first tap in row order, as the general loop. */
static void forward_2x2(const float *in, int w, int ow, int oh, float *out, int *arg)
{
    for (int y = 0; y < oh; ++y) {
        const float *r0 = in + (size_t)2 * y * w, *r1 = r0 + w;
        float *o = out + (size_t)y * ow;
        for (int x = 0; x < ow; ++x) {
            float a = r0[2 * x], b = r0[2 * x + 1], c = r1[2 * x], d = r1[2 * x + 1];
            float ab = b > a ? b : a, cd = d > c ? d : c;
            o[x] = cd > ab ? cd : ab;
        }
        if (!arg) continue;
        int *a = arg + (size_t)y * ow, row = 2 * y * w;
        for (int x = 0; x < ow; ++x) {
            float p = r0[2 * x], q = r0[2 * x + 1], u = r1[2 * x], v = r1[2 * x + 1];
            int top = q > p ? 1 : 0, bottom = v > u ? w + 1 : w;
            float tb = q > p ? q : p, bb = v > u ? v : u;
            a[x] = row + 2 * x + (bb > tb ? bottom : top);
        }
    }
}

/* Planes [start, end) of batch*c. */
static void forward_planes(void *ctx, int start, int end)
{
    const pool_job *j = ctx;
    const layer *l = j->l;
    const maxpool_state *s = l->priv;
    int off = -(s->padding / 2), ow = l->out_w, oh = l->out_h, fast = whole_2x2(l, s);
    for (int p = start; p < end; ++p) {
        const float *in = j->in + (size_t)p * l->w * l->h;
        float *out = l->output + (size_t)p * ow * oh;
        int *arg = s->argmax ? s->argmax + (size_t)p * ow * oh : NULL;
        if (fast) {
            forward_2x2(in, l->w, ow, oh, out, arg);
            continue;
        }
        for (int y = 0; y < oh; ++y) {
            /* clamp the window to the image once, so the tap loop has no checks */
            int y0 = y * s->stride_y + off, y1 = y0 + s->size;
            y0 = y0 < 0 ? 0 : y0;
            y1 = y1 > l->h ? l->h : y1;
            for (int x = 0; x < ow; ++x) {
                int x0 = x * s->stride_x + off, x1 = x0 + s->size;
                x0 = x0 < 0 ? 0 : x0;
                x1 = x1 > l->w ? l->w : x1;
                if (y0 >= y1 || x0 >= x1) { /* wholly in the padding (padding > size-1) */
                    out[y * ow + x] = 0;
                    if (arg) arg[y * ow + x] = -1;
                    continue;
                }
                int where = y0 * l->w + x0;
                float best = in[where];
                for (int iy = y0; iy < y1; ++iy)
                    for (int ix = x0; ix < x1; ++ix) {
                        /* arithmetic instead of a branch: the comparison is unpredictable */
                        float v = in[iy * l->w + ix];
                        int better = v > best;
                        where += better * (iy * l->w + ix - where);
                        best = better ? v : best;
                    }
                out[y * ow + x] = best;
                if (arg) arg[y * ow + x] = where;
            }
        }
    }
}

static int plane_grain(const layer *l, int window)
{
    /* about 64k window taps per task so small maps stay on one thread */
    long per_plane = (long)l->out_w * l->out_h * window;
    long g = 65536 / (per_plane > 0 ? per_plane : 1);
    return g < 1 ? 1 : (int)g;
}

static void maxpool_forward(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    pool_job j = {l, net->input, NULL};
    parallel_for(l->batch * l->c, plane_grain(l, s->size * s->size), forward_planes, &j);
}

/* Planes [start, end): each routes its gradient into its own input plane. */
static void backward_planes(void *ctx, int start, int end)
{
    const pool_job *j = ctx;
    const layer *l = j->l;
    const maxpool_state *s = l->priv;
    size_t plane_out = (size_t)l->out_w * l->out_h, plane_in = (size_t)l->w * l->h;
    for (int p = start; p < end; ++p) {
        const int *arg = s->argmax + p * plane_out;
        const float *d = l->delta + p * plane_out;
        float *in_delta = j->in_delta + p * plane_in;
        for (size_t o = 0; o < plane_out; ++o)
            if (arg[o] >= 0) in_delta[arg[o]] += d[o];
    }
}

static void maxpool_backward(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    if (!net->input_delta || !s->argmax) return;
    pool_job j = {l, NULL, net->input_delta};
    parallel_for(l->batch * l->c, plane_grain(l, 1), backward_planes, &j);
}

static void maxpool_free(layer *l)
{
    maxpool_state *s = l->priv;
    if (!s) return;
    free(s->argmax);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
_Static_assert(sizeof(int) == sizeof(float), "argmax ints are kept in a float device buffer");

static int maxpool_gpu_setup(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    return gpu_buffer_resize(net->gpu, &s->argmax_gpu, s->argmax ? (size_t)l->batch * l->outputs : 0);
}

static void maxpool_gpu_free(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->argmax_gpu);
}

static maxpool_shape maxpool_shape_of(const layer *l)
{
    const maxpool_state *s = l->priv;
    return (maxpool_shape){l->w, l->h, l->out_w, l->out_h, s->size, s->stride_x, s->stride_y, s->padding};
}

static void maxpool_gpu_forward(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    maxpool_forward_gpu(net->gpu, maxpool_shape_of(l), l->batch * l->c, net->gpu_input, l->output_gpu,
                        (int *)s->argmax_gpu.p);
}

static void maxpool_gpu_backward(layer *l, network *net)
{
    maxpool_state *s = l->priv;
    if (!net->gpu_input_delta || !s->argmax_gpu.p) return;
    maxpool_backward_gpu(net->gpu, maxpool_shape_of(l), l->batch * l->c, (const int *)s->argmax_gpu.p, l->delta_gpu,
                         net->gpu_input_delta);
}
#endif

const layer_ops maxpool_ops = {
    .name = "maxpool",
    .alias = "max",
    .parse = maxpool_parse,
    .setup = maxpool_setup,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
    .free_priv = maxpool_free,
    .ignored_keys = maxpool_ignored,
#ifdef DN_GPU
    .forward_gpu = maxpool_gpu_forward,
    .backward_gpu = maxpool_gpu_backward,
    .setup_gpu = maxpool_gpu_setup,
    .free_gpu = maxpool_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int maxpool_describe(const layer *l, maxpool_desc *out)
{
    if (layer_check_type(l, &maxpool_ops)) return -1;
    const maxpool_state *s = l->priv;
    *out = (maxpool_desc){s->size, s->stride_x, s->stride_y, s->padding};
    return 0;
}
