/* [upsample]: nearest-neighbour upsampling by an integer `stride` (default 2),
 * output multiplied by `scale` (default 1), as darknet. darknet's negative
 * stride (downsampling) is not supported. */
#include <stdlib.h>

#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#ifdef DN_GPU
#include "spatial_gpu.h"
#endif

typedef struct {
    int stride;
    float scale;
} upsample_state;

static int upsample_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    upsample_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->stride = cfg_int(sec, "stride", 2);
    s->scale = cfg_float(sec, "scale", 1);
    if (s->stride < 0) return cfg_fail(sec, "stride", "negative stride (downsampling) is not supported");
    if (s->stride == 0 || s->stride > 1024) return cfg_fail(sec, "stride", "must be between 1 and 1024");
    return cfg_failed(sec) ? -1 : 0;
}

static int upsample_setup(layer *l, network *net)
{
    (void)net;
    upsample_state *s = l->priv;
    l->out_w = l->w * s->stride;
    l->out_h = l->h * s->stride;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = (double)l->out_w * l->out_h * l->out_c;
    return 0;
}

static void upsample_forward(layer *l, network *net)
{
    const upsample_state *s = l->priv;
    int st = s->stride, ow = l->out_w;
    for (int p = 0; p < l->batch * l->c; ++p) {
        const float *in = net->input + (size_t)p * l->w * l->h;
        float *out = l->output + (size_t)p * ow * l->out_h;
        for (int y = 0; y < l->out_h; ++y)
            for (int x = 0; x < ow; ++x) out[y * ow + x] = s->scale * in[(y / st) * l->w + x / st];
    }
}

static void upsample_backward(layer *l, network *net)
{
    const upsample_state *s = l->priv;
    if (!net->input_delta) return;
    int st = s->stride, ow = l->out_w;
    for (int p = 0; p < l->batch * l->c; ++p) {
        const float *d = l->delta + (size_t)p * ow * l->out_h;
        float *in_delta = net->input_delta + (size_t)p * l->w * l->h;
        for (int y = 0; y < l->out_h; ++y)
            for (int x = 0; x < ow; ++x) in_delta[(y / st) * l->w + x / st] += s->scale * d[y * ow + x];
    }
}

static void upsample_free(layer *l) { free(l->priv); }

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static void upsample_gpu_forward(layer *l, network *net)
{
    const upsample_state *s = l->priv;
    upsample_forward_gpu(net->gpu, l->batch * l->c, l->w, l->h, s->stride, s->scale, net->gpu_input, l->output_gpu);
}

static void upsample_gpu_backward(layer *l, network *net)
{
    const upsample_state *s = l->priv;
    if (!net->gpu_input_delta) return;
    upsample_backward_gpu(net->gpu, l->batch * l->c, l->w, l->h, s->stride, s->scale, l->delta_gpu,
                          net->gpu_input_delta);
}
#endif

const layer_ops upsample_ops = {
    .name = "upsample",
    .parse = upsample_parse,
    .setup = upsample_setup,
    .forward = upsample_forward,
    .backward = upsample_backward,
    .free_priv = upsample_free,
#ifdef DN_GPU
    .forward_gpu = upsample_gpu_forward,
    .backward_gpu = upsample_gpu_backward,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int upsample_describe(const layer *l, upsample_desc *out)
{
    if (layer_check_type(l, &upsample_ops)) return -1;
    const upsample_state *s = l->priv;
    *out = (upsample_desc){s->stride, s->scale};
    return 0;
}
