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
#ifdef DN_DNNL
#include "conv_dnnl.h"
#endif

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
    int images_per_gemm;   /* > 1: small maps, several images unfolded side by side per gemm */
    float init_std;        /* > 0: weights drawn from N(0, init_std) (RetinaNet heads); 0: He */
    /* Inference-only networks: batch norm folded into copies of the weights
     * and biases (conv_weights_changed), so forward is convolution + bias +
     * activation; the stored tensors (what is saved) stay as loaded. */
    float *folded_weights, *folded_biases;
#ifdef DN_DNNL
    conv_dnnl *dnnl;       /* the oneDNN convolution of the current shape, when it is the path */
#endif
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

static int64_t weights_per_filter(const layer *l, const conv_state *s)
{
    return (int64_t)(l->c / s->groups) * s->size_x * s->size_y;
}

static int alloc_params(layer *l, conv_state *s, network *net)
{
    int64_t nw64 = s->filters * weights_per_filter(l, s);
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

/* Inference-only networks fold batch norm into copies of the weights, once
 * here (their size never changes) and again whenever the weights do. */
static void conv_weights_changed(layer *l, network *net)
{
    (void)net;
    conv_state *s = l->priv;
    if (s->folded_weights) {
        size_t per_filter = (size_t)weights_per_filter(l, s);
        memcpy(s->folded_weights, s->weights, sizeof(float) * s->filters * per_filter);
        bn_fold(&s->bn, s->folded_weights, per_filter, s->folded_biases);
    }
#ifdef DN_DNNL
    if (s->dnnl) conv_dnnl_weights_changed(s->dnnl);
#endif
}

static int fold_setup(layer *l, conv_state *s, network *net)
{
    if (net->trainable || !s->batch_normalize || s->folded_weights) return 0;
    if (!(s->folded_weights = dn_calloc((size_t)(s->filters * weights_per_filter(l, s)), sizeof(float))) ||
        !(s->folded_biases = dn_calloc(s->filters, sizeof(float))))
        return -1;
    conv_weights_changed(l, net);
    return 0;
}

typedef enum { PATH_AUTO, PATH_GEMM, PATH_DNNL } conv_path;

/* DARKNET_CONV=gemm or =dnnl forces a path for every convolution built
 * afterwards (the tests run each case on each path); unset or auto: the
 * measured rule of dnnl_is_faster. Read at setup, never per call. */
static int forced_path(conv_path *path)
{
    const char *e = getenv("DARKNET_CONV");
    *path = !e || !*e || !strcmp(e, "auto") ? PATH_AUTO : !strcmp(e, "gemm") ? PATH_GEMM : PATH_DNNL;
    if (*path == PATH_DNNL && strcmp(e, "dnnl"))
        return dn_error("DARKNET_CONV=%s: expected auto, gemm or dnnl", e);
#ifndef DN_DNNL
    if (*path == PATH_DNNL) return dn_error("DARKNET_CONV=dnnl: this build has no oneDNN (DNNL=0)");
#endif
    return 0;
}

#ifdef DN_DNNL
/* Where oneDNN beats im2col + OpenBLAS (2-core AVX2 EPYC, best of 3 runs per
 * layer, docs/PERFORMANCE.md "oneDNN"): ResNet-18's forward layers at 0.47-1.1
 * of gemm's time (sum 91 vs 119 ms), retinanet_tiny's head and FPN layers in
 * training at 0.17-0.8; but not depthwise (our direct loop needs no blocked
 * copies and stays fast for 51x51 kernels), and not training of thin layers
 * on large maps (<= 32 filters, >= 64x64 outputs: retinanet_tiny's first two,
 * 1.43 and 1.10 of gemm's time), where the reorders of big, thin tensors to
 * and from the blocked layout cost as much as the convolution. */
static int dnnl_is_faster(const layer *l, const conv_state *s, const network *net)
{
    int thin_and_large = s->filters <= 32 && l->out_h * l->out_w >= 64 * 64;
    return !s->depthwise && !(net->trainable && thin_and_large);
}

static int dnnl_setup(layer *l, conv_state *s, network *net, conv_path path)
{
    conv_dnnl_free(s->dnnl);
    s->dnnl = NULL;
    if (path == PATH_GEMM || (path == PATH_AUTO && !dnnl_is_faster(l, s, net))) return 0;
    conv_dnnl_shape shape = {s->geo, l->batch, s->groups, s->filters, !net->trainable, s->act,
                             path == PATH_DNNL ? 0 : CONV_DNNL_MIN_CUT_FLOPS};
    shape.geo.c = l->c / s->groups;
    char why[256];
    if (!(s->dnnl = conv_dnnl_create(&shape, why, sizeof why)))
        return path == PATH_DNNL ? dn_error("DARKNET_CONV=dnnl: %s", why) : 0;
    size_t need = conv_dnnl_workspace(s->dnnl);
    if (need > l->workspace) l->workspace = need;
    return 0;
}
#endif

/* The folded copies and the convolution's path for the current shape. */
static int conv_path_setup(layer *l, conv_state *s, network *net)
{
    conv_path path;
    if (forced_path(&path) || fold_setup(l, s, net)) return -1;
#ifdef DN_DNNL
    return dnnl_setup(l, s, net, path);
#else
    return 0;
#endif
}

/* A gemm wants at least ~1024 columns to fill its panels; a 4x4 map gives 16
 * per image. Maps smaller than that are unfolded several images at a time
 * (retinanet_tiny's 8x8 and 4x4 head layers at batch 16: one gemm instead of 16). */
static int images_per_gemm(int batch, int spatial)
{
    int images = (1024 + spatial - 1) / spatial;
    return images < batch ? images : batch;
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
    s->images_per_gemm = s->depthwise ? 1 : images_per_gemm(l->batch, (int)spatial);
    if (s->images_per_gemm > 1)   /* the columns, and the product (or gathered deltas) beside them */
        l->workspace = ((size_t)cg * s->size_x * s->size_y + s->filters / s->groups) * s->images_per_gemm * spatial;
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
    return conv_path_setup(l, s, net);
}

/* Batch norm or bias, then the activation (see output_stage.h). */
static output_stage conv_stage(conv_state *s)
{
    return (output_stage){s->batch_normalize ? &s->bn : NULL, s->biases, s->bias_grad, s->scale_grad,
                          s->pre_act, s->act};
}

/* Rows [filters of group gr] of `images` images between x[b][channels][n] and
 * the [rows][images * n] block of a gemm (to_block: gather, else scatter). */
static void move_rows(float *x, int channels, int n, int gr, int rows, int images, float *block, int to_block)
{
    for (int i = 0; i < images; ++i)
        for (int r = 0; r < rows; ++r) {
            float *a = x + ((size_t)i * channels + (size_t)gr * rows + r) * n;
            float *b = block + (size_t)r * images * n + (size_t)i * n;
            memcpy(to_block ? b : a, to_block ? a : b, sizeof(float) * n);
        }
}

/* conv_linear_forward for small maps: images_per_gemm images per product. */
static void forward_images(layer *l, network *net, const float *weights)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    for (int b0 = 0; b0 < l->batch; b0 += s->images_per_gemm) {
        int nb = l->batch - b0 < s->images_per_gemm ? l->batch - b0 : s->images_per_gemm, cols = nb * n;
        float *unfolded = net->workspace, *product = net->workspace + (size_t)k * cols;
        for (int gr = 0; gr < s->groups; ++gr) {
            im2col_images(net->input + ((size_t)b0 * l->c + gr * g->c) * l->h * l->w, nb, (size_t)l->c * l->h * l->w, g,
                          unfolded);
            gemm(0, 0, m, cols, k, 1, weights + (size_t)gr * m * k, k, unfolded, cols, 0, product, cols);
            move_rows(l->output + (size_t)b0 * s->filters * n, s->filters, n, gr, m, nb, product, 0);
        }
    }
}

/* conv_backward's gemm part for small maps, images_per_gemm images per product. */
static void backward_images(layer *l, network *net)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    size_t image = (size_t)l->c * l->h * l->w;
    for (int b0 = 0; b0 < l->batch; b0 += s->images_per_gemm) {
        int nb = l->batch - b0 < s->images_per_gemm ? l->batch - b0 : s->images_per_gemm, cols = nb * n;
        float *unfolded = net->workspace, *deltas = net->workspace + (size_t)k * cols;
        for (int gr = 0; gr < s->groups; ++gr) {
            size_t at = (size_t)b0 * image + (size_t)gr * g->c * l->h * l->w;
            const float *w = s->weights + (size_t)gr * m * k;
            move_rows(l->delta + (size_t)b0 * s->filters * n, s->filters, n, gr, m, nb, deltas, 1);
            im2col_images(net->input + at, nb, image, g, unfolded);
            gemm(0, 1, m, k, cols, 1, deltas, cols, unfolded, cols, 1, s->weight_grad + (size_t)gr * m * k, k);
            if (!net->input_delta) continue;
            gemm(1, 0, k, cols, m, 1, w, k, deltas, cols, 0, unfolded, cols);
            col2im_add_images(unfolded, g, net->input_delta + at, nb, image);
        }
    }
}

/* The convolution without bias on our code: direct depthwise, or im2col + gemm. */
static void conv_linear_forward(layer *l, network *net, const float *weights)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    if (s->images_per_gemm > 1) {
        forward_images(l, net, weights);
    } else if (s->depthwise) {
        depthwise_forward(net->input, weights, l->output, g, l->batch);
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
                gemm(0, 0, m, n, k, 1, weights + (size_t)gr * m * k, k, cols, n, 0, out, n);
            }
    }
}

/* oneDNN's forward when it is this shape's path: inference with bias and
 * activation (fused, or ours after when oneDNN's differs in the last bits),
 * training without bias. 0, or -1 when our code must run. */
static int dnnl_forward(layer *l, network *net, const float *weights, const float *biases)
{
#ifdef DN_DNNL
    conv_state *s = l->priv;
    if (!s->dnnl || conv_dnnl_forward(s->dnnl, net->input, weights, biases, l->output, net->workspace)) return -1;
    if (biases && !conv_dnnl_fuses(s->act)) activate_array(l->output, (size_t)l->batch * l->outputs, s->act);
    return 0;
#else
    (void)l, (void)net, (void)weights, (void)biases;
    return -1;
#endif
}

static void conv_forward(layer *l, network *net)
{
    conv_state *s = l->priv;
    int spatial = s->geo.out_h * s->geo.out_w;
    if (!net->trainable) {
        /* inference-only: batch norm is folded in, so bias + activation, fused */
        const float *w = s->folded_weights ? s->folded_weights : s->weights;
        const float *b = s->folded_biases ? s->folded_biases : s->biases;
        if (dnnl_forward(l, net, w, b) == 0) return;
        conv_linear_forward(l, net, w);
        bias_activate(l->output, b, l->batch, s->filters, spatial, s->act);
        return;
    }
    if (dnnl_forward(l, net, s->weights, NULL)) conv_linear_forward(l, net, s->weights);
    output_stage stage = conv_stage(s);
    output_stage_forward(&stage, l->output, l->batch, s->filters, spatial, net);
}

/* oneDNN's backward when it is this shape's path: 0, or -1 when our code must
 * run. A failed run (it adds into the gradients) is not redone on our code,
 * which would add twice: the error is recorded instead. */
static int dnnl_backward(layer *l, network *net)
{
#ifdef DN_DNNL
    conv_state *s = l->priv;
    if (!s->dnnl) return -1;
    if (conv_dnnl_backward(s->dnnl, net->input, s->weights, l->delta, s->weight_grad, net->input_delta,
                           net->workspace))
        dn_error("layer %d: oneDNN's convolution backward failed", l->index);
    return 0;
#else
    (void)l, (void)net;
    return -1;
#endif
}

static void conv_backward(layer *l, network *net)
{
    conv_state *s = l->priv;
    const conv_geometry *g = &s->geo;
    int m = s->filters / s->groups, k = g->c * s->size_x * s->size_y, n = g->out_h * g->out_w;
    output_stage stage = conv_stage(s);
    output_stage_backward(&stage, l->output, l->delta, l->batch, s->filters, n, net);
    if (dnnl_backward(l, net) == 0) return;
    if (s->depthwise) {
        depthwise_backward(net->input, s->weights, l->delta, g, l->batch, s->weight_grad,
                           net->input_delta);
        return;
    }
    if (s->images_per_gemm > 1) return backward_images(l, net);
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
    free(s->folded_weights);
    free(s->folded_biases);
#ifdef DN_DNNL
    conv_dnnl_free(s->dnnl);
#endif
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
    .weights_changed = conv_weights_changed,
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
