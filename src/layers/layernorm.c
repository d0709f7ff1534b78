/* [layernorm]: layer normalisation over the CHANNELS at every spatial position
 * (ConvNeXt's channels-first LayerNorm): for each image and (y, x),
 *   out[c] = (in[c] - mean) / sqrt(var + eps) * gamma[c] + beta[c]
 * with mean and the biased variance taken over c. Same in training and
 * inference (no running statistics). Key: eps (default 1e-6, as ConvNeXt).
 * gamma (init 1) and beta (init 0) are trained without weight decay.
 * Weights file (our own layer type): beta[c], then gamma[c]. */
#include <stdlib.h>

#include "blas.h"
#include "errors.h"
#include "layernorm_math.h"
#include "layer_desc.h"
#include "network.h"
#include "threadpool.h"
#ifdef DN_GPU
#include "gpu.h"
#include "layernorm_gpu.h"
#endif

typedef struct {
    float eps;
    float *gamma, *beta, *gamma_grad, *beta_grad;
    float *mean, *inv_std;   /* batch*spatial, of the last forward */
    float *x_norm;           /* batch*c*spatial, kept for backward (trainable networks) */
#ifdef DN_GPU
    gpu_buffer mean_gpu, inv_std_gpu, x_norm_gpu;   /* device twins */
#endif
} layernorm_state;

static int layernorm_parse(layer *l, cfg_section *sec, network *net)
{
    layernorm_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->eps = cfg_float_range(sec, "eps", 1e-6f, 1e-12f, 1);
    if (cfg_failed(sec)) return -1;
    if (!(s->beta = layer_add_param(l, net, l->c, 0))) return -1;
    s->beta_grad = l->params[l->n_params - 1].grad;
    if (!(s->gamma = layer_add_param(l, net, l->c, 0))) return -1;
    s->gamma_grad = l->params[l->n_params - 1].grad;
    fill(s->gamma, l->c, 1);
    layer_store(l, s->beta, l->c);
    layer_store(l, s->gamma, l->c);
    return 0;
}

static int layernorm_setup(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    if (l->c != l->stored_n[0])
        return dn_error("[layernorm] layer %d has parameters for %d channels but gets %d", l->index,
                        l->stored_n[0], l->c);
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    size_t positions = (size_t)l->batch * l->w * l->h;
    l->workspace = 2 * positions; /* backward: per-position sums */
    l->flops = 8.0 * l->inputs;
    if (!(s->mean = dn_realloc(s->mean, positions, sizeof(float))) ||
        !(s->inv_std = dn_realloc(s->inv_std, positions, sizeof(float))))
        return -1;
    if (net->trainable && !(s->x_norm = dn_realloc(s->x_norm, (size_t)l->batch * l->inputs, sizeof(float))))
        return -1;
    return 0;
}

typedef struct {
    const layer *l;
    const layernorm_state *s;
    const float *in;
    float *x_norm;            /* NULL: do not keep */
    float *in_delta;
    float *sum_g, *sum_gx;    /* backward scratch, one per position */
} ln_job;

/* Runs fn on each image's share of the flattened positions [start, end). */
static void for_positions(const ln_job *j, int start, int end,
                          void (*fn)(const ln_job *, int b, int p0, int p1))
{
    int spatial = j->l->w * j->l->h;
    while (start < end) {
        int b = start / spatial, p0 = start % spatial;
        int p1 = p0 + (end - start) < spatial ? p0 + (end - start) : spatial;
        fn(j, b, p0, p1);
        start += p1 - p0;
    }
}

/* Channel-major inner loops over a run of positions keep memory access contiguous. */
static void forward_run(const ln_job *j, int b, int p0, int p1)
{
    const layer *l = j->l;
    const layernorm_state *s = j->s;
    int spatial = l->w * l->h, C = l->c;
    const float *x = j->in + (size_t)b * l->inputs;
    float *y = l->output + (size_t)b * l->inputs;
    float *mean = s->mean + (size_t)b * spatial, *inv = s->inv_std + (size_t)b * spatial;
    float *xn = j->x_norm ? j->x_norm + (size_t)b * l->inputs : NULL;
    for (int p = p0; p < p1; ++p) mean[p] = inv[p] = 0;
    for (int c = 0; c < C; ++c)
        for (int p = p0; p < p1; ++p) mean[p] += x[(size_t)c * spatial + p];
    for (int p = p0; p < p1; ++p) mean[p] /= C;
    /* two passes: the variance from squared deviations, not E[x^2] - mean^2 */
    for (int c = 0; c < C; ++c)
        for (int p = p0; p < p1; ++p) {
            float d = x[(size_t)c * spatial + p] - mean[p];
            inv[p] += d * d;
        }
    for (int p = p0; p < p1; ++p) inv[p] = layernorm_inv_std(inv[p], C, s->eps);
    for (int c = 0; c < C; ++c)
        for (int p = p0; p < p1; ++p) {
            size_t i = (size_t)c * spatial + p;
            float v = (x[i] - mean[p]) * inv[p];
            if (xn) xn[i] = v;
            y[i] = s->gamma[c] * v + s->beta[c];
        }
}

static void forward_chunk(void *ctx, int start, int end) { for_positions(ctx, start, end, forward_run); }

static void layernorm_forward(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    ln_job j = {l, s, net->input, s->x_norm, NULL, NULL, NULL}; /* kept in inference too (ERF) */
    int positions = l->batch * l->w * l->h;
    parallel_for(positions, 1 + 16384 / l->c, forward_chunk, &j);
}

/* With g = delta * gamma (negative gradient w.r.t. the normalised value), per position:
 * in_delta += inv_std * (g - mean_c(g) - x_norm * mean_c(g * x_norm)). */
static void backward_run(const ln_job *j, int b, int p0, int p1)
{
    const layer *l = j->l;
    const layernorm_state *s = j->s;
    int spatial = l->w * l->h, C = l->c;
    const float *d = l->delta + (size_t)b * l->inputs, *xn = s->x_norm + (size_t)b * l->inputs;
    const float *inv = s->inv_std + (size_t)b * spatial;
    float *sg = j->sum_g + (size_t)b * spatial, *sgx = j->sum_gx + (size_t)b * spatial;
    float *dx = j->in_delta + (size_t)b * l->inputs;
    for (int p = p0; p < p1; ++p) sg[p] = sgx[p] = 0;
    for (int c = 0; c < C; ++c)
        for (int p = p0; p < p1; ++p) {
            size_t i = (size_t)c * spatial + p;
            float g = d[i] * s->gamma[c];
            sg[p] += g;
            sgx[p] += g * xn[i];
        }
    for (int p = p0; p < p1; ++p) {
        sg[p] /= C;
        sgx[p] /= C;
    }
    for (int c = 0; c < C; ++c)
        for (int p = p0; p < p1; ++p) {
            size_t i = (size_t)c * spatial + p;
            dx[i] += layernorm_in_grad(d[i] * s->gamma[c], xn[i], inv[p], sg[p], sgx[p]);
        }
}

static void backward_chunk(void *ctx, int start, int end) { for_positions(ctx, start, end, backward_run); }

/* gamma and beta gradients, one channel per item (no two threads share a channel). */
static void param_grad_chunk(void *ctx, int c0, int c1)
{
    const ln_job *j = ctx;
    const layer *l = j->l;
    const layernorm_state *s = j->s;
    int spatial = l->w * l->h;
    for (int c = c0; c < c1; ++c) {
        double gb, gg;
        layernorm_channel_grads(l->delta, s->x_norm, l->batch, l->inputs, spatial, c, &gb, &gg);
        s->beta_grad[c] += (float)gb;
        s->gamma_grad[c] += (float)gg;
    }
}

static void layernorm_backward(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    if (!l->delta) return;
    int positions = l->batch * l->w * l->h;
    ln_job j = {l, s, net->input, s->x_norm, net->input_delta, net->workspace, net->workspace + positions};
    parallel_for(l->c, 1 + 16384 / (positions + 1), param_grad_chunk, &j);
    if (net->input_delta) parallel_for(positions, 1 + 16384 / l->c, backward_chunk, &j);
}

static void layernorm_free(layer *l)
{
    layernorm_state *s = l->priv;
    if (!s) return;
    free(s->mean);
    free(s->inv_std);
    free(s->x_norm);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
enum { BETA, GAMMA };   /* params, in parse order */

static int layernorm_gpu_setup(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    size_t positions = (size_t)l->batch * l->w * l->h;
    return gpu_buffer_resize(g, &s->mean_gpu, positions) || gpu_buffer_resize(g, &s->inv_std_gpu, positions) ||
           gpu_buffer_resize(g, &s->x_norm_gpu, s->x_norm ? (size_t)l->batch * l->inputs : 0);
}

static void layernorm_gpu_free(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->mean_gpu);
    gpu_buffer_free(net->gpu, &s->inv_std_gpu);
    gpu_buffer_free(net->gpu, &s->x_norm_gpu);
}

static void layernorm_gpu_forward(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    layernorm_forward_gpu(net->gpu, l->batch, l->c, l->w * l->h, s->eps, net->gpu_input, l->params[GAMMA].val_gpu,
                          l->params[BETA].val_gpu, l->output_gpu, s->x_norm_gpu.p, s->mean_gpu.p,
                          s->inv_std_gpu.p);
}

static void layernorm_gpu_backward(layer *l, network *net)
{
    layernorm_state *s = l->priv;
    if (!l->delta_gpu) return;
    layernorm_backward_gpu(net->gpu, l->batch, l->c, l->w * l->h, l->delta_gpu, s->x_norm_gpu.p,
                           l->params[GAMMA].val_gpu, s->inv_std_gpu.p, l->params[BETA].grad_gpu,
                           l->params[GAMMA].grad_gpu, net->gpu_input_delta);
}
#endif

const layer_ops layernorm_ops = {
    .name = "layernorm",
    .parse = layernorm_parse,
    .setup = layernorm_setup,
    .forward = layernorm_forward,
    .backward = layernorm_backward,
    .free_priv = layernorm_free,
#ifdef DN_GPU
    .forward_gpu = layernorm_gpu_forward,
    .backward_gpu = layernorm_gpu_backward,
    .setup_gpu = layernorm_gpu_setup,
    .free_gpu = layernorm_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int layernorm_describe(const layer *l, layernorm_desc *out)
{
    if (layer_check_type(l, &layernorm_ops)) return -1;
    const layernorm_state *s = l->priv;
    *out = (layernorm_desc){s->eps, s->gamma, s->beta};
    return 0;
}
