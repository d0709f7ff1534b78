/* [convolutional]: 2-D convolution with groups (depthwise included), dilation,
 * rectangular kernels, optional batch norm, an activation, and weight sharing
 * (share=INDEX uses another layer's weights: one copy, gradients added, one update).
 * Weights file: biases[n]; if batch_normalize: scales, rolling_mean, rolling_var;
 * then weights[n][c/groups][size_y][size_x]. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "batchnorm.h"
#include "blas.h"
#include "depthwise.h"
#include "errors.h"
#include "gemm.h"
#include "im2col.h"
#include "layer_desc.h"
#include "network.h"
#include "output_stage.h"

#ifdef DN_GPU
#include "conv_gpu.h"
#include "depthwise_gpu.h"
#include "gpu.h"
#ifdef DN_CUDNN
#include "conv_cudnn.h"
#endif
#endif

typedef struct {
    int filters, groups, batch_normalize, share_index;
    int size_x, size_y, stride_x, stride_y, pad_x, pad_y, dilation;
    activation act;
    float *weights, *biases, *weight_grad, *bias_grad;   /* maybe the sharer's owner's */
    bn_tensors bn;
    float *scale_grad;
    float *pre_act;        /* batch*outputs before the activation, when its gradient needs it */
    conv_geometry geo;     /* one group of one image */
    int depthwise, pointwise;
    float init_std;        /* > 0: weights drawn from N(0, init_std) (RetinaNet heads); 0: He */
#ifdef DN_GPU
    gpu_buffer x_norm_gpu, mean_gpu, var_gpu, sums_gpu, pre_act_gpu;  /* device twins */
    gpu_buffer workspace_gpu;  /* only when the shared device workspace is too small for this layer */
#ifdef DN_CUDNN
    conv_cudnn *dnn;           /* the convolution of the current shape (none for depthwise) */
#endif
#endif
} conv_state;

extern const layer_ops convolutional_ops;

static const char *const conv_ignored[] = {
    "binary", "xnor", "bin_output", "flipped", "dot", "antialiasing", "assisted_excitation",
    "sway", "rotate", "stretch", "stretch_sway", "coordconv", "deform", "cbn", "use_bin_output",
    "reverse", NULL};

static int parse_geometry(conv_state *s, cfg_section *sec)
{
    int size = cfg_int_range(sec, "size", 1, 1, 1024);
    s->size_x = cfg_int_range(sec, "size_x", size, 1, 1024);
    s->size_y = cfg_int_range(sec, "size_y", size, 1, 1024);
    int stride = cfg_int_range(sec, "stride", 1, 1, 1024);
    s->stride_x = cfg_int_range(sec, "stride_x", stride, 1, 1024);
    s->stride_y = cfg_int_range(sec, "stride_y", stride, 1, 1024);
    s->dilation = cfg_int_range(sec, "dilation", 1, 1, 1024);
    /* darknet: pad=1 means "same" padding of size/2; padding= sets it directly. */
    int pad = cfg_int_range(sec, "pad", 0, 0, 1);
    int padding = cfg_int_range(sec, "padding", 0, 0, 4096);
    s->pad_x = pad ? s->size_x / 2 * s->dilation : padding;
    s->pad_y = pad ? s->size_y / 2 * s->dilation : padding;
    return cfg_failed(sec) ? -1 : 0;
}

static int share_weights(layer *l, conv_state *s, cfg_section *sec, network *net)
{
    int idx = resolve_layer_index(l, sec, cfg_has(sec, "share") ? "share" : "share_index",
                                  s->share_index);
    if (idx < 0) return -1;
    layer *owner = &net->layers[idx];
    const char *key = cfg_has(sec, "share") ? "share" : "share_index";
    if (owner->ops != &convolutional_ops)
        return cfg_fail(sec, key, "layer %d is a [%s], not a [convolutional]", idx, owner->ops->name);
    conv_state *o = owner->priv;
    if (o->share_index >= 0)
        return cfg_fail(sec, key, "layer %d itself shares layer %d's weights; share that one", idx,
                        o->share_index);
    if (o->filters != s->filters || o->groups != s->groups || o->size_x != s->size_x ||
        o->size_y != s->size_y || owner->c != l->c)
        return cfg_fail(sec, key, "layer %d has a different shape (filters, size, groups or input channels)",
                        idx);
    if (s->batch_normalize || o->batch_normalize)
        return cfg_fail(sec, key, "sharing layers with batch_normalize is not supported "
                                  "(each level needs its own statistics)");
    s->share_index = idx;
    s->weights = o->weights;
    s->biases = o->biases;
    s->weight_grad = o->weight_grad;
    s->bias_grad = o->bias_grad;
    return 0;
}

static int alloc_params(layer *l, conv_state *s, network *net)
{
    int64_t nw64 = (int64_t)s->filters * (l->c / s->groups) * s->size_x * s->size_y;
    if (nw64 > INT_MAX) return dn_error("%lld weights are too many", (long long)nw64);
    int n = s->filters, nw = (int)nw64;
    if (!(s->biases = layer_add_param(l, net, n, 0))) return -1;
    s->bias_grad = l->params[l->n_params - 1].grad;
    layer_store(l, s->biases, n);
    if (s->batch_normalize) {
        if (!(s->bn.scales = layer_add_param(l, net, n, 0))) return -1;
        s->scale_grad = l->params[l->n_params - 1].grad;
        if (!(s->bn.rolling_mean = layer_add_buffer(l, n))) return -1;
        if (!(s->bn.rolling_var = layer_add_buffer(l, n))) return -1;
        if (!(s->bn.mean = layer_add_buffer(l, n)) || !(s->bn.var = layer_add_buffer(l, n))) return -1;
        fill(s->bn.scales, n, 1);
        fill(s->bn.rolling_var, n, 1);
        layer_store(l, s->bn.scales, n);
        layer_store(l, s->bn.rolling_mean, n);
        layer_store(l, s->bn.rolling_var, n);
        s->bn.biases = s->biases;
    }
    if (!(s->weights = layer_add_param(l, net, nw, 1))) return -1;
    s->weight_grad = l->params[l->n_params - 1].grad;
    layer_store(l, s->weights, nw);
    return 0;
}

/* He initialisation, as darknet, or N(0, init_std) when init_std= is set;
 * biases stay 0. A sharing layer has nothing of its own. */
static void conv_init_weights(layer *l, network *net)
{
    conv_state *s = l->priv;
    if (s->share_index >= 0) return;
    int per_filter = (l->c / s->groups) * s->size_x * s->size_y, nw = s->filters * per_filter;
    float scale = s->init_std > 0 ? s->init_std : sqrtf(2.0f / per_filter);
    for (int i = 0; i < nw; ++i) s->weights[i] = scale * rng_normal(&net->rng);
}

static int conv_parse(layer *l, cfg_section *sec, network *net)
{
    conv_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->filters = cfg_int_range(sec, "filters", 1, 1, 1 << 20);
    s->groups = cfg_int_range(sec, "groups", 1, 1, 1 << 20);
    s->batch_normalize = cfg_int_range(sec, "batch_normalize", 0, 0, 1);
    /* read before share= so the key counts as used; a sharer has no weights to draw */
    s->init_std = cfg_float_range(sec, "init_std", 0, 0, 100);
    int act = activation_from_name(cfg_str(sec, "activation", "logistic"));
    if (act < 0) return cfg_fail(sec, "activation", "unknown activation");
    s->act = (activation)act;
    if (parse_geometry(s, sec)) return -1;
    if (l->c % s->groups || s->filters % s->groups)
        return cfg_fail(sec, "groups", "input channels (%d) and filters (%d) must both be divisible by groups",
                        l->c, s->filters);
    s->share_index = -1;
    if (cfg_has(sec, "share") || cfg_has(sec, "share_index")) {
        s->share_index = cfg_int(sec, cfg_has(sec, "share") ? "share" : "share_index", 0);
        return share_weights(l, s, sec, net);
    }
    return alloc_params(l, s, net);
}

static int conv_setup(layer *l, network *net)
{
    conv_state *s = l->priv;
    int cg = l->c / s->groups;
    conv_geometry *g = &s->geo;
    g->c = cg;
    g->h = l->h;
    g->w = l->w;
    g->ksize_y = s->size_y;
    g->ksize_x = s->size_x;
    g->stride_y = s->stride_y;
    g->stride_x = s->stride_x;
    g->pad_y = s->pad_y;
    g->pad_x = s->pad_x;
    g->dilation = s->dilation;
    int span_y = l->h + 2 * s->pad_y - s->dilation * (s->size_y - 1) - 1;
    int span_x = l->w + 2 * s->pad_x - s->dilation * (s->size_x - 1) - 1;
    if (span_y < 0 || span_x < 0)
        return dn_error("the %dx%d kernel (dilation %d) is larger than the padded %dx%d input",
                        s->size_x, s->size_y, s->dilation, l->w, l->h);
    g->out_h = span_y / s->stride_y + 1;
    g->out_w = span_x / s->stride_x + 1;
    l->out_h = g->out_h;
    l->out_w = g->out_w;
    l->out_c = s->filters;
    s->depthwise = s->groups == l->c && s->filters == l->c && l->c > 1;
    s->pointwise = s->size_x == 1 && s->size_y == 1 && s->stride_x == 1 && s->stride_y == 1 &&
                   s->pad_x == 0 && s->pad_y == 0;
    if (s->depthwise) g->c = l->c;
    size_t spatial = (size_t)g->out_h * g->out_w;
    l->workspace = (s->depthwise || s->pointwise) ? 0 : (size_t)cg * s->size_x * s->size_y * spatial;
    l->flops = 2.0 * s->filters * cg * s->size_x * s->size_y * spatial;
    size_t n = (size_t)l->batch * s->filters * spatial;
    if (s->batch_normalize) {
        s->bn.batch = l->batch;
        s->bn.channels = s->filters;
        s->bn.spatial = (int)spatial;
        if (net->trainable && !(s->bn.x_norm = dn_realloc(s->bn.x_norm, n, sizeof(float)))) return -1;
        if (net->trainable && !(s->bn.sums = dn_realloc(s->bn.sums, 2 * (size_t)s->filters + 1, sizeof(double))))
            return -1;
    }
    if (net->trainable && activation_needs_input(s->act) &&
        !(s->pre_act = dn_realloc(s->pre_act, n, sizeof(float))))
        return -1;
    return 0;
}

/* Batch norm or bias, then the activation (see output_stage.h). */
static output_stage conv_stage(conv_state *s)
{
    return (output_stage){s->batch_normalize ? &s->bn : NULL, s->biases, s->bias_grad, s->scale_grad,
                          s->pre_act, s->act};
}

static void conv_forward(layer *l, network *net)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    if (s->depthwise) {
        depthwise_forward(net->input, s->weights, l->output, g, l->batch);
    } else {
        for (int b = 0; b < l->batch; ++b)
            for (int gr = 0; gr < s->groups; ++gr) {
                const float *in = net->input + ((size_t)b * l->c + gr * g->c) * l->h * l->w;
                float *out = l->output + ((size_t)b * s->filters + gr * m) * n;
                const float *cols = in;
                if (!s->pointwise) {
                    im2col(in, g, net->workspace);
                    cols = net->workspace;
                }
                gemm(0, 0, m, n, k, 1, s->weights + (size_t)gr * m * k, k, cols, n, 0, out, n);
            }
    }
    output_stage stage = conv_stage(s);
    output_stage_forward(&stage, l->output, l->batch, s->filters, n, net);
}

static void conv_backward(layer *l, network *net)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    output_stage stage = conv_stage(s);
    output_stage_backward(&stage, l->output, l->delta, l->batch, s->filters, n, net);
    if (s->depthwise) {
        depthwise_backward(net->input, s->weights, l->delta, g, l->batch, s->weight_grad,
                           net->input_delta);
        return;
    }
    for (int b = 0; b < l->batch; ++b)
        for (int gr = 0; gr < s->groups; ++gr) {
            const float *in = net->input + ((size_t)b * l->c + gr * g->c) * l->h * l->w;
            const float *d = l->delta + ((size_t)b * s->filters + gr * m) * n;
            const float *w = s->weights + (size_t)gr * m * k;
            const float *cols = in;
            if (!s->pointwise) {
                im2col(in, g, net->workspace);
                cols = net->workspace;
            }
            gemm(0, 1, m, k, n, 1, d, n, cols, n, 1, s->weight_grad + (size_t)gr * m * k, k);
            if (!net->input_delta) continue;
            float *in_delta = net->input_delta + ((size_t)b * l->c + gr * g->c) * l->h * l->w;
            if (s->pointwise) {
                /* beta=1: add to what other consumers of the input put there */
                gemm(1, 0, k, n, m, 1, w, k, d, n, 1, in_delta, n);
            } else {
                gemm(1, 0, k, n, m, 1, w, k, d, n, 0, net->workspace, n);
                col2im_add(net->workspace, g, in_delta);
            }
        }
}

static void conv_free(layer *l)
{
    conv_state *s = l->priv;
    if (!s) return;
    free(s->bn.x_norm);
    free(s->bn.sums);
    free(s->pre_act);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
enum { BIASES, SCALES };                      /* params in alloc_params' order; the weights come last */
enum { ROLLING_MEAN = 2, ROLLING_VAR = 3 };   /* stored tensors, with batch norm */

/* The layer whose parameters this one uses: its share= owner, or itself. */
static const layer *param_layer(const layer *l, const network *net)
{
    const conv_state *s = l->priv;
    return s->share_index >= 0 ? &net->layers[s->share_index] : l;
}

static const param *weights_param(const layer *l, const network *net)
{
    const layer *o = param_layer(l, net);
    return &o->params[o->n_params - 1];
}

static conv_shape_gpu conv_shape(const layer *l, const conv_state *s)
{
    return (conv_shape_gpu){s->geo, s->groups, s->filters, l->batch};
}

/* Floats of device scratch the convolution needs: none for the direct depthwise kernel. */
static size_t conv_workspace_need(const layer *l, const conv_state *s)
{
    if (s->depthwise) return 0;
#ifdef DN_CUDNN
    (void)l;
    return (conv_cudnn_workspace_bytes(s->dnn) + sizeof(float) - 1) / sizeof(float);
#else
    conv_shape_gpu shape = conv_shape(l, s);
    return conv_workspace_gpu(&shape);
#endif
}

/* Device twins of the host buffers conv_setup sized, the cuDNN plan of the
 * shape, and a private workspace when the shared one (l->workspace floats at
 * least) is smaller than what the device convolution asks for: im2col needs
 * exactly l->workspace, cuDNN's algorithms may want more. */
static int conv_gpu_setup(layer *l, network *net)
{
    conv_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    size_t n = (size_t)l->batch * l->outputs, bn = s->batch_normalize ? (size_t)s->filters : 0;
    if (gpu_buffer_resize(g, &s->x_norm_gpu, s->bn.x_norm ? n : 0) || gpu_buffer_resize(g, &s->mean_gpu, bn) ||
        gpu_buffer_resize(g, &s->var_gpu, bn) ||
        gpu_buffer_resize(g, &s->sums_gpu, s->bn.sums ? 2 * (2 * bn + 1) : 0) ||
        gpu_buffer_resize(g, &s->pre_act_gpu, s->pre_act ? n : 0))
        return -1;
#ifdef DN_CUDNN
    conv_cudnn_free(s->dnn);
    s->dnn = NULL;
    conv_shape_gpu shape = conv_shape(l, s);
    if (!s->depthwise && !(s->dnn = conv_cudnn_create(g, &shape))) return -1;
#endif
    size_t need = conv_workspace_need(l, s);
    return gpu_buffer_resize(g, &s->workspace_gpu, need > net->gpu_workspace_size ? need : 0);
}

static void conv_gpu_free(layer *l, network *net)
{
    conv_state *s = l->priv;
    gpu_buffer *b[] = {&s->x_norm_gpu, &s->mean_gpu, &s->var_gpu, &s->sums_gpu, &s->pre_act_gpu, &s->workspace_gpu};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) gpu_buffer_free(net->gpu, b[i]);
#ifdef DN_CUDNN
    conv_cudnn_free(s->dnn);
    s->dnn = NULL;
#endif
}

/* conv_stage with the device twins; bn receives the device bn tensors. */
static output_stage conv_stage_gpu(const layer *l, const network *net, bn_tensors *bn)
{
    conv_state *s = l->priv;
    const param *p = param_layer(l, net)->params;
    if (s->batch_normalize)
        *bn = (bn_tensors){l->batch, s->filters, s->geo.out_h * s->geo.out_w, p[SCALES].val_gpu, p[BIASES].val_gpu,
                           l->stored_gpu[ROLLING_MEAN], l->stored_gpu[ROLLING_VAR], s->mean_gpu.p, s->var_gpu.p,
                           s->x_norm_gpu.p, (double *)s->sums_gpu.p};
    return (output_stage){s->batch_normalize ? bn : NULL, p[BIASES].val_gpu, p[BIASES].grad_gpu,
                          s->batch_normalize ? p[SCALES].grad_gpu : NULL, s->pre_act_gpu.p, s->act};
}

/* The im2col + gemm (or cuDNN) convolution, without bias. 0 or -1. */
static int conv_linear_forward_gpu(layer *l, network *net, const float *w)
{
    conv_state *s = l->priv;
    float *ws = s->workspace_gpu.p ? s->workspace_gpu.p : net->gpu_workspace;
#ifdef DN_CUDNN
    return conv_cudnn_forward(s->dnn, net->gpu_input, w, l->output_gpu, ws);
#else
    conv_shape_gpu shape = conv_shape(l, s);
    return conv_forward_gpu(net->gpu, &shape, net->gpu_input, w, l->output_gpu, ws);
#endif
}

static int conv_linear_backward_gpu(layer *l, network *net, const param *w)
{
    conv_state *s = l->priv;
    float *ws = s->workspace_gpu.p ? s->workspace_gpu.p : net->gpu_workspace;
#ifdef DN_CUDNN
    return conv_cudnn_backward(s->dnn, net->gpu_input, w->val_gpu, l->delta_gpu, w->grad_gpu, net->gpu_input_delta,
                               ws);
#else
    conv_shape_gpu shape = conv_shape(l, s);
    return conv_backward_gpu(net->gpu, &shape, net->gpu_input, w->val_gpu, l->delta_gpu, w->grad_gpu,
                             net->gpu_input_delta, ws);
#endif
}

static void conv_gpu_forward(layer *l, network *net)
{
    conv_state *s = l->priv;
    const param *w = weights_param(l, net);
    if (s->depthwise)
        depthwise_forward_gpu(net->gpu, net->gpu_input, w->val_gpu, l->output_gpu, &s->geo, l->batch);
    else if (conv_linear_forward_gpu(l, net, w->val_gpu))
        net->gpu_failed = 1;
    bn_tensors bn;
    output_stage stage = conv_stage_gpu(l, net, &bn);
    output_stage_forward_gpu(&stage, l->output_gpu, l->batch, s->filters, s->geo.out_h * s->geo.out_w, net);
}

static void conv_gpu_backward(layer *l, network *net)
{
    conv_state *s = l->priv;
    if (!l->delta_gpu) return;
    bn_tensors bn;
    output_stage stage = conv_stage_gpu(l, net, &bn);
    output_stage_backward_gpu(&stage, l->output_gpu, l->delta_gpu, l->batch, s->filters,
                              s->geo.out_h * s->geo.out_w, net);
    const param *w = weights_param(l, net);
    if (s->depthwise)
        depthwise_backward_gpu(net->gpu, net->gpu_input, w->val_gpu, l->delta_gpu, &s->geo, l->batch, w->grad_gpu,
                               net->gpu_input_delta);
    else if (conv_linear_backward_gpu(l, net, w))
        net->gpu_failed = 1;
}
#endif

const layer_ops convolutional_ops = {
    .name = "convolutional",
    .alias = "conv",
    .parse = conv_parse,
    .setup = conv_setup,
    .init_weights = conv_init_weights,
    .forward = conv_forward,
    .backward = conv_backward,
    .free_priv = conv_free,
    .ignored_keys = conv_ignored,
#ifdef DN_GPU
    .forward_gpu = conv_gpu_forward,
    .backward_gpu = conv_gpu_backward,
    .setup_gpu = conv_gpu_setup,
    .free_gpu = conv_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int convolutional_describe(const layer *l, conv_desc *out)
{
    if (layer_check_type(l, &convolutional_ops)) return -1;
    const conv_state *s = l->priv;
    *out = (conv_desc){s->filters, s->groups, s->size_x, s->size_y, s->stride_x, s->stride_y, s->pad_x, s->pad_y,
                       s->dilation, s->act, s->weights, s->biases, s->batch_normalize ? &s->bn : NULL};
    return 0;
}
