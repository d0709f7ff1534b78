/* [cost]: a loss on the previous layer's output against the truth (one float
 * per input). The output is a copy of the input, so a later layer may read it.
 * With d = x - t per value and s = `scale`:
 *   sse:    s * 0.5 d^2             negative gradient s * (t - x)
 *   smooth: s * (0.5 d^2 if |d| < 1 else |d| - 0.5)  (smooth L1, beta 1)
 *   l1:     s * |d|                 negative gradient -s * sign(d)
 *   masked: sse, but values whose truth is -1234 (darknet's marker) count nothing.
 * Unlike darknet, the reported cost is the one the gradient belongs to: darknet
 * reports sum d^2 for sse (and 2x our smooth L1), with gradient t - x, and does
 * not scale the reported cost. The loss is computed only when net->truth is set. */
#include <stdlib.h>

#include "blas.h"
#include "cost_math.h"
#include "errors.h"
#include "network.h"
#ifdef DN_GPU
#include "blas_gpu.h"
#include "cost_gpu.h"
#include "gpu.h"
#endif

typedef struct {
    cost_type type;
    float scale;
#ifdef DN_GPU
    gpu_buffer cost_gpu;   /* one float per image: its unscaled loss */
    float *cost_host;      /* batch floats: cost_gpu pulled */
#endif
} cost_state;

/* darknet writes "L1"; "seg" and "wgan" are not supported */
static const char *const cost_types[] = {"sse", "smooth", "l1", "masked", "L1", NULL};
/* darknet's GPU-only refinements (top-k ratio, no-object scale, threshold) */
static const char *const cost_ignored[] = {"ratio", "noobj", "thresh", NULL};

static int cost_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    cost_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    int type = cfg_enum(sec, "type", cost_types, COST_SSE);
    s->type = type == 4 ? COST_L1 : (cost_type)type;
    s->scale = cfg_float(sec, "scale", 1);
    l->truths = l->inputs;
    return cfg_failed(sec) ? -1 : 0;
}

static int cost_setup(layer *l, network *net)
{
    (void)net;
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    l->truths = l->inputs;
    l->workspace = 0;
    l->flops = 3.0 * l->inputs;
    return 0;
}

static void cost_forward(layer *l, network *net)
{
    cost_state *s = l->priv;
    size_t n = (size_t)l->batch * l->inputs;
    copy(net->input, l->output, n);
    if (!net->truth) return;
    /* the delta only in training (and only when the network keeps deltas) */
    float *delta = net->train ? l->delta : NULL;
    double cost = 0;
    for (size_t i = 0; i < n; ++i) {
        float g;
        cost += cost_value(s->type, net->input[i], net->truth[i], &g);
        if (delta) delta[i] += s->scale * g;
    }
    l->cost = (float)(s->scale * cost);
}

static void cost_backward(layer *l, network *net)
{
    /* output = input, so the delta (loss plus anything later layers added) passes through */
    if (l->delta && net->input_delta) axpy((size_t)l->batch * l->inputs, 1, l->delta, net->input_delta);
}

static void cost_free(layer *l)
{
    cost_state *s = l->priv;
    if (!s) return;
#ifdef DN_GPU
    free(s->cost_host);
#endif
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static int cost_gpu_setup(layer *l, network *net)
{
    cost_state *s = l->priv;
    if (gpu_buffer_resize(net->gpu, &s->cost_gpu, l->batch)) return -1;
    float *c = dn_realloc(s->cost_host, l->batch, sizeof(float));
    if (!c) return -1;
    s->cost_host = c;
    return 0;
}

static void cost_gpu_free(layer *l, network *net)
{
    cost_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->cost_gpu);
}

static void cost_gpu_forward(layer *l, network *net)
{
    cost_state *s = l->priv;
    copy_gpu(net->gpu, net->gpu_input, l->output_gpu, (size_t)l->batch * l->inputs);
    if (!net->gpu_truth) return;
    cost_gpu(net->gpu, l->batch, l->inputs, s->type, s->scale, net->gpu_input, net->gpu_truth,
             net->train ? l->delta_gpu : NULL, s->cost_gpu.p);
    /* the cost on the host (a scalar per image), summed in double as the host pass does */
    double cost;
    if (gpu_pull_sum(net->gpu, s->cost_gpu.p, l->batch, s->cost_host, &cost)) net->gpu_failed = 1;
    l->cost = (float)(s->scale * cost);
}

static void cost_gpu_backward(layer *l, network *net)
{
    if (l->delta_gpu && net->gpu_input_delta)
        axpy_gpu(net->gpu, (size_t)l->batch * l->inputs, 1, l->delta_gpu, net->gpu_input_delta);
}
#endif

const layer_ops cost_ops = {
    .name = "cost",
    .parse = cost_parse,
    .setup = cost_setup,
    .forward = cost_forward,
    .backward = cost_backward,
    .free_priv = cost_free,
    .ignored_keys = cost_ignored,
#ifdef DN_GPU
    .forward_gpu = cost_gpu_forward,
    .backward_gpu = cost_gpu_backward,
    .setup_gpu = cost_gpu_setup,
    .free_gpu = cost_gpu_free,
#endif
};
