/* [dropout]: in training, each input is zeroed with `probability` and the
 * survivors are scaled by 1/(1-probability) (so inference is a plain copy);
 * the mask is kept for backward. Random numbers come from the network's rng,
 * so a seeded run repeats. Unlike darknet the output is a copy, not the
 * previous layer's buffer. AlexeyAB's DropBlock keys are accepted and ignored
 * (plain dropout is used). */
#include <stdlib.h>

#include "blas.h"
#include "errors.h"
#include "network.h"

typedef struct {
    float probability;
    float *mask;      /* batch*inputs: 0 or 1/(1-p), from the last training forward */
    int masked;       /* the last forward applied the mask */
} dropout_state;

static const char *const dropout_ignored[] = {"dropblock", "dropblock_size_rel", "dropblock_size_abs", NULL};

static int dropout_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    dropout_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->probability = cfg_float_range(sec, "probability", 0.5f, 0, 0.999f);
    return cfg_failed(sec) ? -1 : 0;
}

static int dropout_setup(layer *l, network *net)
{
    dropout_state *s = l->priv;
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = 0;
    s->masked = 0;
    if (net->trainable && !(s->mask = dn_realloc(s->mask, (size_t)l->batch * l->inputs, sizeof(float))))
        return -1;
    return 0;
}

static void dropout_forward(layer *l, network *net)
{
    dropout_state *s = l->priv;
    size_t n = (size_t)l->batch * l->inputs;
    s->masked = net->train && s->mask && s->probability > 0;
    if (!s->masked) {
        copy(net->input, l->output, n);
        return;
    }
    float keep = 1.0f / (1.0f - s->probability);
    for (size_t i = 0; i < n; ++i) {
        s->mask[i] = rng_uniform(&net->rng) < s->probability ? 0.0f : keep;
        l->output[i] = net->input[i] * s->mask[i];
    }
}

static void dropout_backward(layer *l, network *net)
{
    dropout_state *s = l->priv;
    if (!l->delta || !net->input_delta) return;
    size_t n = (size_t)l->batch * l->inputs;
    if (!s->masked) {
        axpy(n, 1, l->delta, net->input_delta);
        return;
    }
    for (size_t i = 0; i < n; ++i) net->input_delta[i] += s->mask[i] * l->delta[i];
}

static void dropout_free(layer *l)
{
    dropout_state *s = l->priv;
    if (!s) return;
    free(s->mask);
    free(s);
}

const layer_ops dropout_ops = {
    .name = "dropout",
    .alias = "drop",
    .parse = dropout_parse,
    .setup = dropout_setup,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .free_priv = dropout_free,
    .ignored_keys = dropout_ignored,
};
