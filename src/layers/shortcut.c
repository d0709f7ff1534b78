/* [shortcut]: output = activation(previous output + output of layer `from`).
 * Maps of different shapes follow darknet (its ResNet cfgs add 64x64x64 into
 * 32x32x128): with (w1,h1,c1) the `from` shape and (w2,h2,c2) this layer's, the
 * larger map is sampled with stride = w1/w2 or sample = w2/w1 (each at least 1)
 * over the smaller width, height and channel count:
 *   out[b][k][j*sample][i*sample] += from[b][k][j*stride][i*stride].
 * (Strides are taken per axis; darknet assumes square ratios.)
 * AlexeyAB's weighted shortcuts (weights_type) are not supported. */
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "blas.h"
#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#ifdef DN_GPU
#include "gpu.h"
#include "spatial_gpu.h"
#endif

typedef struct {
    int from;
    activation act;
    float *pre_act;      /* batch*outputs before the activation, when its gradient needs it */
    /* index mapping, set in setup */
    int w1, h1, c1;
    int stride_x, stride_y, sample_x, sample_y, min_w, min_h, min_c;
#ifdef DN_GPU
    gpu_buffer pre_act_gpu;   /* device twin of pre_act */
#endif
} shortcut_state;

static int accept_none(cfg_section *sec, const char *key)
{
    const char *v = cfg_str(sec, key, "none");
    if (strcmp(v, "none")) return cfg_fail(sec, key, "not supported (only none)");
    return 0;
}

static int shortcut_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    shortcut_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    int *from = NULL;
    int n = cfg_int_list(sec, "from", &from);
    int ref = n > 0 ? from[0] : 0;
    free(from);
    if (n < 0) return -1;
    if (n == 0) return cfg_fail(sec, "from", "is required (a layer index)");
    if (n > 1) return cfg_fail(sec, "from", "only one layer supported");
    if ((s->from = resolve_layer_index(l, sec, "from", ref)) < 0) return -1;
    int act = activation_from_name(cfg_str(sec, "activation", "linear"));
    if (act < 0) return cfg_fail(sec, "activation", "unknown activation");
    s->act = (activation)act;
    accept_none(sec, "weights_type");
    accept_none(sec, "weights_normalization");
    return cfg_failed(sec) ? -1 : 0;
}

static int imin(int a, int b) { return a < b ? a : b; }
static int at_least_1(int a) { return a < 1 ? 1 : a; }

static int shortcut_setup(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    const layer *from = &net->layers[s->from];
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    s->w1 = from->out_w;
    s->h1 = from->out_h;
    s->c1 = from->out_c;
    s->stride_x = at_least_1(s->w1 / l->w);
    s->stride_y = at_least_1(s->h1 / l->h);
    s->sample_x = at_least_1(l->w / s->w1);
    s->sample_y = at_least_1(l->h / s->h1);
    s->min_w = imin(s->w1, l->w);
    s->min_h = imin(s->h1, l->h);
    s->min_c = imin(s->c1, l->c);
    l->workspace = 0;
    l->flops = (double)l->w * l->h * l->c;
    if (net->trainable && activation_needs_input(s->act)) {
        float *p = dn_realloc(s->pre_act, (size_t)l->batch * l->w * l->h * l->c, sizeof(float));
        if (!p) return -1;
        s->pre_act = p;
    }
    return 0;
}

static int same_shape(const shortcut_state *s, const layer *l)
{
    return s->w1 == l->out_w && s->h1 == l->out_h && s->c1 == l->out_c;
}

/* dst (this layer's shape) and src (the from layer's shape), one image each:
 * to_out=1 adds src into dst at the mapped positions, 0 adds dst into src. */
static void mapped_add(const shortcut_state *s, const layer *l, float *out, float *from, int to_out)
{
    for (int k = 0; k < s->min_c; ++k)
        for (int j = 0; j < s->min_h; ++j)
            for (int i = 0; i < s->min_w; ++i) {
                size_t o = ((size_t)k * l->out_h + j * s->sample_y) * l->out_w + i * s->sample_x;
                size_t f = ((size_t)k * s->h1 + j * s->stride_y) * s->w1 + i * s->stride_x;
                if (to_out) out[o] += from[f];
                else from[f] += out[o];
            }
}

static void shortcut_forward(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    const layer *from = &net->layers[s->from];
    size_t n = (size_t)l->batch * l->outputs;
    copy(net->input, l->output, n);
    if (same_shape(s, l))
        axpy(n, 1, from->output, l->output);
    else
        for (int b = 0; b < l->batch; ++b)
            mapped_add(s, l, l->output + (size_t)b * l->outputs, from->output + (size_t)b * from->outputs, 1);
    if (s->pre_act) copy(l->output, s->pre_act, n); /* also in inference: an input gradient may follow */
    activate_array(l->output, n, s->act);
}

static void shortcut_backward(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    if (!l->delta) return; /* inference-only network */
    layer *from = &net->layers[s->from];
    size_t n = (size_t)l->batch * l->outputs;
    gradient_array(s->pre_act, l->output, n, s->act, l->delta);
    if (net->input_delta) axpy(n, 1, l->delta, net->input_delta);
    if (!from->delta) return;
    if (same_shape(s, l))
        axpy(n, 1, l->delta, from->delta);
    else
        for (int b = 0; b < l->batch; ++b)
            mapped_add(s, l, l->delta + (size_t)b * l->outputs, from->delta + (size_t)b * from->outputs, 0);
}

static void shortcut_free(layer *l)
{
    shortcut_state *s = l->priv;
    if (!s) return;
    free(s->pre_act);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static int shortcut_gpu_setup(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    return gpu_buffer_resize(net->gpu, &s->pre_act_gpu, s->pre_act ? (size_t)l->batch * l->outputs : 0);
}

static void shortcut_gpu_free(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->pre_act_gpu);
}

static void shortcut_gpu_forward(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    shortcut_forward_gpu(net->gpu, l->batch, l->out_w, l->out_h, l->out_c, s->w1, s->h1, s->c1, s->act,
                         net->gpu_input, net->layers[s->from].output_gpu, s->pre_act_gpu.p, l->output_gpu);
}

static void shortcut_gpu_backward(layer *l, network *net)
{
    shortcut_state *s = l->priv;
    if (!l->delta_gpu) return;
    shortcut_backward_gpu(net->gpu, l->batch, l->out_w, l->out_h, l->out_c, s->w1, s->h1, s->c1, s->act,
                          s->pre_act_gpu.p, l->output_gpu, l->delta_gpu, net->gpu_input_delta,
                          net->layers[s->from].delta_gpu);
}
#endif

const layer_ops shortcut_ops = {
    .name = "shortcut",
    .parse = shortcut_parse,
    .setup = shortcut_setup,
    .forward = shortcut_forward,
    .backward = shortcut_backward,
    .free_priv = shortcut_free,
#ifdef DN_GPU
    .forward_gpu = shortcut_gpu_forward,
    .backward_gpu = shortcut_gpu_backward,
    .setup_gpu = shortcut_gpu_setup,
    .free_gpu = shortcut_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int shortcut_describe(const layer *l, shortcut_desc *out)
{
    if (layer_check_type(l, &shortcut_ops)) return -1;
    const shortcut_state *s = l->priv;
    *out = (shortcut_desc){s->from, s->act};
    return 0;
}
