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
#include <math.h>
#include <stdlib.h>

#include "blas.h"
#include "errors.h"
#include "network.h"

#define COST_MASK_VALUE (-1234.0f)

typedef enum { COST_SSE, COST_SMOOTH, COST_L1, COST_MASKED } cost_type;

typedef struct {
    cost_type type;
    float scale;
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

/* Loss of one value and its negative gradient (before scaling). */
static double cost_value(cost_type type, float x, float t, float *neg_grad)
{
    float d = x - t;
    switch (type) {
    case COST_MASKED:
        if (t == COST_MASK_VALUE) {
            *neg_grad = 0;
            return 0;
        }
        /* fall through */
    case COST_SSE:
        *neg_grad = -d;
        return 0.5 * d * d;
    case COST_SMOOTH:
        if (fabsf(d) < 1) {
            *neg_grad = -d;
            return 0.5 * d * d;
        }
        *neg_grad = d > 0 ? -1.0f : 1.0f;
        return fabsf(d) - 0.5;
    case COST_L1:
        *neg_grad = d > 0 ? -1.0f : (d < 0 ? 1.0f : 0.0f);
        return fabsf(d);
    }
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

static void cost_free(layer *l) { free(l->priv); }

const layer_ops cost_ops = {
    .name = "cost",
    .parse = cost_parse,
    .setup = cost_setup,
    .forward = cost_forward,
    .backward = cost_backward,
    .free_priv = cost_free,
    .ignored_keys = cost_ignored,
};
