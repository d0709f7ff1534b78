/* [softmax]: p = softmax(x / temperature) over each of `groups` contiguous
 * slices of an image's inputs. Output shape = input shape.
 *
 * As the LAST layer of a training network with truth, it is also a softmax
 * cross-entropy loss: cost = -sum truth * log p, whose negative gradient with
 * respect to the logits x is (truth - p) / temperature (darknet uses truth - p
 * whatever the temperature). That gradient is kept apart from l->delta, which
 * holds the gradient with respect to p (what later readers add), and backward
 * passes both down: exact for any mix of the two. Elsewhere (e.g. followed by
 * [cost]) backward is the softmax Jacobian-vector product. l->truths is always
 * the input size, as the layer cannot know at parse time whether it is last. */
#include <math.h>
#include <stdlib.h>

#include "blas.h"
#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#include "softmax_math.h"
#ifdef DN_GPU
#include "gpu.h"
#include "softmax_gpu.h"
#endif

typedef struct {
    int groups;
    float temperature;
    float *loss_delta;   /* batch*inputs: negative CE gradient w.r.t. the logits */
    int has_loss;        /* loss_delta holds the last training forward's gradient */
#ifdef DN_GPU
    gpu_buffer loss_delta_gpu, cost_gpu;   /* device twins; cost_gpu: one float per image */
    float *cost_host;                       /* batch floats: cost_gpu pulled */
#endif
} softmax_state;

static int softmax_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    softmax_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->groups = cfg_int_range(sec, "groups", 1, 1, 1 << 24);
    s->temperature = cfg_float_range(sec, "temperature", 1, 1e-6f, 1e6f);
    if (cfg_failed(sec)) return -1;
    if (l->inputs % s->groups)
        return cfg_fail(sec, "groups", "the %d inputs cannot be split into %d equal groups", l->inputs,
                        s->groups);
    l->truths = l->inputs;
    return 0;
}

static int softmax_setup(layer *l, network *net)
{
    softmax_state *s = l->priv;
    if (l->inputs % s->groups)
        return dn_error("[softmax] layer %d: %d inputs cannot be split into %d groups", l->index, l->inputs,
                        s->groups);
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    l->truths = l->inputs;
    l->workspace = 0;
    l->flops = 4.0 * l->inputs;
    if (net->trainable &&
        !(s->loss_delta = dn_realloc(s->loss_delta, (size_t)l->batch * l->inputs, sizeof(float))))
        return -1;
    return 0;
}

static void softmax_forward(layer *l, network *net)
{
    softmax_state *s = l->priv;
    int n = l->inputs / s->groups;
    size_t total = (size_t)l->batch * l->inputs;
    for (size_t off = 0; off < total; off += n) softmax_slice(net->input + off, n, s->temperature, l->output + off);
    s->has_loss = 0;
    if (!net->truth || l->index != net->n - 1) return;
    s->has_loss = net->train && s->loss_delta;
    double cost = 0;
    float inv_t = 1.0f / s->temperature;
    for (int b = 0; b < l->batch; ++b) {
        const float *t = net->truth + (size_t)b * l->truths;
        const float *p = l->output + (size_t)b * l->inputs;
        float *d = s->loss_delta + (size_t)b * l->inputs;
        for (int i = 0; i < l->inputs; ++i) {
            cost += softmax_ce_term(t[i], p[i]);
            if (s->has_loss) d[i] = (t[i] - p[i]) * inv_t;
        }
    }
    l->cost = (float)cost;
}

static void softmax_backward(layer *l, network *net)
{
    softmax_state *s = l->priv;
    if (!l->delta || !net->input_delta) return;
    int n = l->inputs / s->groups;
    size_t total = (size_t)l->batch * l->inputs;
    float inv_t = 1.0f / s->temperature;
    for (size_t off = 0; off < total; off += n)
        softmax_slice_backward(l->output + off, l->delta + off, n, inv_t, net->input_delta + off);
    if (s->has_loss) axpy(total, 1, s->loss_delta, net->input_delta);
}

static void softmax_free(layer *l)
{
    softmax_state *s = l->priv;
    if (!s) return;
    free(s->loss_delta);
#ifdef DN_GPU
    free(s->cost_host);
#endif
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static int softmax_gpu_setup(layer *l, network *net)
{
    softmax_state *s = l->priv;
    size_t n = s->loss_delta ? (size_t)l->batch * l->inputs : 0;
    if (gpu_buffer_resize(net->gpu, &s->loss_delta_gpu, n) || gpu_buffer_resize(net->gpu, &s->cost_gpu, l->batch))
        return -1;
    float *c = dn_realloc(s->cost_host, l->batch, sizeof(float));
    if (!c) return -1;
    s->cost_host = c;
    return 0;
}

static void softmax_gpu_free(layer *l, network *net)
{
    softmax_state *s = l->priv;
    gpu_buffer_free(net->gpu, &s->loss_delta_gpu);
    gpu_buffer_free(net->gpu, &s->cost_gpu);
}

static void softmax_gpu_forward(layer *l, network *net)
{
    softmax_state *s = l->priv;
    int n = l->inputs / s->groups;
    softmax_forward_gpu(net->gpu, (long)l->batch * s->groups, n, s->temperature, net->gpu_input, l->output_gpu);
    s->has_loss = 0;
    if (!net->gpu_truth || l->index != net->n - 1) return;
    s->has_loss = net->train && s->loss_delta_gpu.p;
    softmax_loss_gpu(net->gpu, l->batch, l->inputs, s->temperature, net->gpu_truth, l->output_gpu,
                     s->has_loss ? s->loss_delta_gpu.p : NULL, s->cost_gpu.p);
    /* the cost on the host, summed per image in double as the host pass does */
    double cost;
    if (gpu_pull_sum(net->gpu, s->cost_gpu.p, l->batch, s->cost_host, &cost)) net->gpu_failed = 1;
    l->cost = (float)cost;
}

static void softmax_gpu_backward(layer *l, network *net)
{
    softmax_state *s = l->priv;
    if (!l->delta_gpu || !net->gpu_input_delta) return;
    softmax_backward_gpu(net->gpu, (long)l->batch * s->groups, l->inputs / s->groups, s->temperature, l->output_gpu,
                         l->delta_gpu, s->has_loss ? s->loss_delta_gpu.p : NULL, net->gpu_input_delta);
}
#endif

const layer_ops softmax_ops = {
    .name = "softmax",
    .alias = "soft",
    .parse = softmax_parse,
    .setup = softmax_setup,
    .forward = softmax_forward,
    .backward = softmax_backward,
    .free_priv = softmax_free,
#ifdef DN_GPU
    .forward_gpu = softmax_gpu_forward,
    .backward_gpu = softmax_gpu_backward,
    .setup_gpu = softmax_gpu_setup,
    .free_gpu = softmax_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int softmax_describe(const layer *l, softmax_desc *out)
{
    if (layer_check_type(l, &softmax_ops)) return -1;
    const softmax_state *s = l->priv;
    *out = (softmax_desc){s->groups, s->temperature};
    return 0;
}
