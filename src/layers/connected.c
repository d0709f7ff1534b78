/* [connected]: fully connected layer, y = activation(W x + b) per image, with x
 * the flattened input (w*h*c) and W [outputs][inputs] row-major; optional batch
 * norm over the batch (one statistic per output). Output shape 1 x 1 x outputs.
 * Weights file (darknet's order): biases[out], weights[out*in]; then, with
 * batch_normalize: scales[out], rolling_mean[out], rolling_var[out]. */
#include <math.h>
#include <stdlib.h>

#include "activations.h"
#include "batchnorm.h"
#include "blas.h"
#include "errors.h"
#include "gemm.h"
#include "layer_desc.h"
#include "network.h"
#include "output_stage.h"
#ifdef DN_GPU
#include "gemm_gpu.h"
#include "gpu.h"
#endif

typedef struct {
    int n_out, n_in, batch_normalize;
    activation act;
    float *weights, *biases, *weight_grad, *bias_grad, *scale_grad;
    bn_tensors bn;
    float *pre_act;     /* batch*outputs before the activation, when its gradient needs it */
#ifdef DN_GPU
    gpu_buffer x_norm_gpu, mean_gpu, var_gpu, sums_gpu, pre_act_gpu;  /* device twins */
#endif
} connected_state;

static int alloc_params(layer *l, connected_state *s, network *net)
{
    int n = s->n_out, nw = s->n_out * s->n_in;
    if (!(s->biases = layer_add_param(l, net, n, 0))) return -1;
    s->bias_grad = l->params[l->n_params - 1].grad;
    if (!(s->weights = layer_add_param(l, net, nw, 1))) return -1;
    s->weight_grad = l->params[l->n_params - 1].grad;
    layer_store(l, s->biases, n);
    layer_store(l, s->weights, nw);
    if (s->batch_normalize) {
        if (!(s->bn.scales = layer_add_param(l, net, n, 0))) return -1;
        s->scale_grad = l->params[l->n_params - 1].grad;
        if (!(s->bn.rolling_mean = layer_add_buffer(l, n)) || !(s->bn.rolling_var = layer_add_buffer(l, n)) ||
            !(s->bn.mean = layer_add_buffer(l, n)) || !(s->bn.var = layer_add_buffer(l, n)))
            return -1;
        fill(s->bn.scales, n, 1);
        fill(s->bn.rolling_var, n, 1);
        layer_store(l, s->bn.scales, n);
        layer_store(l, s->bn.rolling_mean, n);
        layer_store(l, s->bn.rolling_var, n);
        s->bn.biases = s->biases;
    }
    return 0;
}

/* darknet: uniform in [-scale, scale] with scale = sqrt(2/inputs) */
static void connected_init_weights(layer *l, network *net)
{
    connected_state *s = l->priv;
    float scale = sqrtf(2.0f / s->n_in);
    for (int i = 0; i < s->n_in * s->n_out; ++i) s->weights[i] = rng_range(&net->rng, -scale, scale);
}

static int connected_parse(layer *l, cfg_section *sec, network *net)
{
    connected_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->n_out = cfg_int_range(sec, "output", 1, 1, 1 << 24);
    s->batch_normalize = cfg_int_range(sec, "batch_normalize", 0, 0, 1);
    int act = activation_from_name(cfg_str(sec, "activation", "logistic"));
    if (act < 0) return cfg_fail(sec, "activation", "unknown activation");
    s->act = (activation)act;
    if (cfg_failed(sec)) return -1;
    s->n_in = l->inputs;
    if ((double)s->n_in * s->n_out > (1 << 30))
        return cfg_fail(sec, "output", "%d inputs x %d outputs is too many weights", s->n_in, s->n_out);
    return alloc_params(l, s, net);
}

static int connected_setup(layer *l, network *net)
{
    connected_state *s = l->priv;
    /* the weights are sized for the input at parse time; a resize cannot change it */
    if (l->inputs != s->n_in)
        return dn_error("[connected] layer %d has weights for %d inputs but gets %d x %d x %d = %d",
                        l->index, s->n_in, l->w, l->h, l->c, l->inputs);
    l->out_w = l->out_h = 1;
    l->out_c = s->n_out;
    l->workspace = 0;
    l->flops = 2.0 * s->n_in * s->n_out;
    size_t n = (size_t)l->batch * s->n_out;
    if (s->batch_normalize) {
        s->bn.batch = l->batch;
        s->bn.channels = s->n_out;
        s->bn.spatial = 1;
        if (net->trainable && !(s->bn.x_norm = dn_realloc(s->bn.x_norm, n, sizeof(float)))) return -1;
        if (net->trainable && !(s->bn.sums = dn_realloc(s->bn.sums, 2 * (size_t)s->n_out + 1, sizeof(double))))
            return -1;
    }
    if (net->trainable && activation_needs_input(s->act) &&
        !(s->pre_act = dn_realloc(s->pre_act, n, sizeof(float))))
        return -1;
    return 0;
}

/* Batch norm or bias, then the activation (see output_stage.h). */
static output_stage connected_stage(connected_state *s)
{
    return (output_stage){s->batch_normalize ? &s->bn : NULL, s->biases, s->bias_grad, s->scale_grad,
                          s->pre_act, s->act};
}

static void connected_forward(layer *l, network *net)
{
    connected_state *s = l->priv;
    /* out[batch][out] = x[batch][in] * W^T */
    gemm(0, 1, l->batch, s->n_out, s->n_in, 1, net->input, s->n_in, s->weights, s->n_in, 0, l->output,
         s->n_out);
    output_stage stage = connected_stage(s);
    output_stage_forward(&stage, l->output, l->batch, s->n_out, 1, net);
}

static void connected_backward(layer *l, network *net)
{
    connected_state *s = l->priv;
    if (!l->delta) return; /* inference-only network */
    output_stage stage = connected_stage(s);
    output_stage_backward(&stage, l->output, l->delta, l->batch, s->n_out, 1, net);
    /* dW[out][in] += delta^T[out][batch] * x[batch][in] */
    gemm(1, 0, s->n_out, s->n_in, l->batch, 1, l->delta, s->n_out, net->input, s->n_in, 1, s->weight_grad,
         s->n_in);
    /* dx[batch][in] += delta[batch][out] * W[out][in]; beta=1 keeps other consumers' deltas */
    if (net->input_delta)
        gemm(0, 0, l->batch, s->n_in, s->n_out, 1, l->delta, s->n_out, s->weights, s->n_in, 1,
             net->input_delta, s->n_in);
}

static void connected_free(layer *l)
{
    connected_state *s = l->priv;
    if (!s) return;
    free(s->bn.x_norm);
    free(s->bn.sums);
    free(s->pre_act);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
enum { BIASES, WEIGHTS, SCALES };                /* params, in alloc_params' order */
enum { ROLLING_MEAN = 3, ROLLING_VAR = 4 };      /* stored tensors */

/* Device twins of the host buffers connected_setup sized. */
static int connected_gpu_setup(layer *l, network *net)
{
    connected_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    size_t n = (size_t)l->batch * s->n_out, bn = s->batch_normalize ? (size_t)s->n_out : 0;
    return gpu_buffer_resize(g, &s->x_norm_gpu, s->bn.x_norm ? n : 0) ||
           gpu_buffer_resize(g, &s->mean_gpu, bn) || gpu_buffer_resize(g, &s->var_gpu, bn) ||
           gpu_buffer_resize(g, &s->sums_gpu, s->bn.sums ? 2 * (2 * bn + 1) : 0) ||
           gpu_buffer_resize(g, &s->pre_act_gpu, s->pre_act ? n : 0);
}

static void connected_gpu_free(layer *l, network *net)
{
    connected_state *s = l->priv;
    gpu_buffer *b[] = {&s->x_norm_gpu, &s->mean_gpu, &s->var_gpu, &s->sums_gpu, &s->pre_act_gpu};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) gpu_buffer_free(net->gpu, b[i]);
}

/* connected_stage with the device twins; bn receives the device bn tensors. */
static output_stage connected_stage_gpu(const layer *l, connected_state *s, bn_tensors *bn)
{
    const param *p = l->params;
    if (s->batch_normalize)
        *bn = (bn_tensors){l->batch, s->n_out, 1, p[SCALES].val_gpu, p[BIASES].val_gpu, l->stored_gpu[ROLLING_MEAN],
                           l->stored_gpu[ROLLING_VAR], s->mean_gpu.p, s->var_gpu.p, s->x_norm_gpu.p,
                           (double *)s->sums_gpu.p};
    return (output_stage){s->batch_normalize ? bn : NULL, p[BIASES].val_gpu, p[BIASES].grad_gpu,
                          s->batch_normalize ? p[SCALES].grad_gpu : NULL, s->pre_act_gpu.p, s->act};
}

static void connected_gpu_forward(layer *l, network *net)
{
    connected_state *s = l->priv;
    if (gemm_gpu(net->gpu, 0, 1, l->batch, s->n_out, s->n_in, 1, net->gpu_input, s->n_in,
                 l->params[WEIGHTS].val_gpu, s->n_in, 0, l->output_gpu, s->n_out))
        net->gpu_failed = 1;
    bn_tensors bn;
    output_stage stage = connected_stage_gpu(l, s, &bn);
    output_stage_forward_gpu(&stage, l->output_gpu, l->batch, s->n_out, 1, net);
}

static void connected_gpu_backward(layer *l, network *net)
{
    connected_state *s = l->priv;
    if (!l->delta_gpu) return;
    bn_tensors bn;
    output_stage stage = connected_stage_gpu(l, s, &bn);
    output_stage_backward_gpu(&stage, l->output_gpu, l->delta_gpu, l->batch, s->n_out, 1, net);
    const param *w = &l->params[WEIGHTS];
    if (gemm_gpu(net->gpu, 1, 0, s->n_out, s->n_in, l->batch, 1, l->delta_gpu, s->n_out, net->gpu_input, s->n_in,
                 1, w->grad_gpu, s->n_in) ||
        (net->gpu_input_delta && gemm_gpu(net->gpu, 0, 0, l->batch, s->n_in, s->n_out, 1, l->delta_gpu, s->n_out,
                                          w->val_gpu, s->n_in, 1, net->gpu_input_delta, s->n_in)))
        net->gpu_failed = 1;
}
#endif

const layer_ops connected_ops = {
    .name = "connected",
    .alias = "conn",
    .parse = connected_parse,
    .setup = connected_setup,
    .init_weights = connected_init_weights,
    .forward = connected_forward,
    .backward = connected_backward,
    .free_priv = connected_free,
#ifdef DN_GPU
    .forward_gpu = connected_gpu_forward,
    .backward_gpu = connected_gpu_backward,
    .setup_gpu = connected_gpu_setup,
    .free_gpu = connected_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int connected_describe(const layer *l, connected_desc *out)
{
    if (layer_check_type(l, &connected_ops)) return -1;
    const connected_state *s = l->priv;
    *out = (connected_desc){s->n_in, s->n_out, s->act, s->weights, s->biases, s->batch_normalize ? &s->bn : NULL};
    return 0;
}
