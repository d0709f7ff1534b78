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
#ifdef DN_GPU
#include "blas_gpu.h"
#include "gpu.h"
#include "spatial_gpu.h"
#endif

typedef struct {
    float probability;
    float *mask;      /* batch*inputs: 0 or 1/(1-p), from the last training forward */
    int masked;       /* the last forward applied the mask */
#ifdef DN_GPU
    gpu_buffer mask_gpu;   /* device twin of mask */
#endif
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

/* Draws the mask of a training forward from the network's rng, one number
 * per value in order, so host and device passes draw the same masks. */
static void draw_mask(dropout_state *s, size_t n, network *net)
{
    float keep = 1.0f / (1.0f - s->probability);
    for (size_t i = 0; i < n; ++i) s->mask[i] = rng_uniform(&net->rng) < s->probability ? 0.0f : keep;
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
    draw_mask(s, n, net);
    for (size_t i = 0; i < n; ++i) l->output[i] = net->input[i] * s->mask[i];
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

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static int dropout_gpu_setup(layer *l, network *net)
{
    dropout_state *s = l->priv;
    return gpu_buffer_resize(net->gpu, &s->mask_gpu, s->mask ? (size_t)l->batch * l->inputs : 0);
}

static void dropout_gpu_free(layer *l, network *net)
{
    dropout_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->mask_gpu);
}

/* The mask is drawn on the host from net->rng and pushed: the same stream of
 * numbers as the host pass, so a seeded run repeats on either. */
static void dropout_gpu_forward(layer *l, network *net)
{
    dropout_state *s = l->priv;
    size_t n = (size_t)l->batch * l->inputs;
    s->masked = net->train && s->mask && s->probability > 0;
    if (!s->masked) {
        copy_gpu(net->gpu, net->gpu_input, l->output_gpu, n);
        return;
    }
    draw_mask(s, n, net);
    if (gpu_push(net->gpu, s->mask_gpu.p, s->mask, n)) {
        net->gpu_failed = 1;
        return;
    }
    dropout_forward_gpu(net->gpu, n, net->gpu_input, s->mask_gpu.p, l->output_gpu);
}

static void dropout_gpu_backward(layer *l, network *net)
{
    dropout_state *s = l->priv;
    if (!l->delta_gpu || !net->gpu_input_delta) return;
    size_t n = (size_t)l->batch * l->inputs;
    if (!s->masked) {
        axpy_gpu(net->gpu, n, 1, l->delta_gpu, net->gpu_input_delta);
        return;
    }
    dropout_backward_gpu(net->gpu, n, s->mask_gpu.p, l->delta_gpu, net->gpu_input_delta);
}
#endif

const layer_ops dropout_ops = {
    .name = "dropout",
    .alias = "drop",
    .parse = dropout_parse,
    .setup = dropout_setup,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .free_priv = dropout_free,
    .ignored_keys = dropout_ignored,
#ifdef DN_GPU
    .forward_gpu = dropout_gpu_forward,
    .backward_gpu = dropout_gpu_backward,
    .setup_gpu = dropout_gpu_setup,
    .free_gpu = dropout_gpu_free,
#endif
};
