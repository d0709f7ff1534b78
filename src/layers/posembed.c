/* [posembed]: a learned position embedding added to the map, as ViT adds one
 * to its patch tokens: out = in + E with E of the input's shape C x H x W,
 * the same for every image. No keys. E starts N(0, 0.02^2) truncated at 2 sd
 * (ViT's init) and is trained without weight decay. It is made for one input
 * size: resizing the network to another is refused (ViT interpolates E; not
 * done here). Weights file (our own layer type): E[c][y][x]. */
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "errors.h"
#include "network.h"
#ifdef DN_GPU
#include "blas_gpu.h"
#endif

typedef struct {
    float *e, *e_grad;
    int n;           /* C * H * W it was made for */
} posembed_state;

static int posembed_parse(layer *l, cfg_section *sec, network *net)
{
    (void)sec;
    posembed_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->n = l->inputs;
    if (!(s->e = layer_add_param(l, net, s->n, 0))) return -1;
    s->e_grad = l->params[l->n_params - 1].grad;
    layer_store(l, s->e, s->n);
    return 0;
}

static void posembed_init_weights(layer *l, network *net)
{
    posembed_state *s = l->priv;
    for (int i = 0; i < s->n; ++i) {
        float v = rng_normal(&net->rng);
        s->e[i] = 0.02f * (v > 2 ? 2 : v < -2 ? -2 : v);
    }
}

static int posembed_setup(layer *l, network *net)
{
    (void)net;
    posembed_state *s = l->priv;
    if (l->inputs != s->n)
        return dn_error("[posembed] layer %d holds an embedding of %d values but gets %d x %d x %d = %d",
                        l->index, s->n, l->w, l->h, l->c, l->inputs);
    l->out_w = l->w, l->out_h = l->h, l->out_c = l->c;
    l->flops = l->inputs;
    return 0;
}

static void posembed_forward(layer *l, network *net)
{
    posembed_state *s = l->priv;
    for (int b = 0; b < l->batch; ++b) {
        float *out = l->output + (size_t)b * s->n;
        memcpy(out, net->input + (size_t)b * s->n, sizeof(float) * s->n);
        axpy((size_t)s->n, 1, s->e, out);
    }
}

static void posembed_backward(layer *l, network *net)
{
    posembed_state *s = l->priv;
    if (!l->delta) return;
    for (int b = 0; b < l->batch; ++b) {
        const float *d = l->delta + (size_t)b * s->n;
        axpy((size_t)s->n, 1, d, s->e_grad);
        if (net->input_delta) axpy((size_t)s->n, 1, d, net->input_delta + (size_t)b * s->n);
    }
}

static void posembed_free(layer *l) { free(l->priv); }

#ifdef DN_GPU
/* ---- the same passes on the device, image by image as the host ---- */
static void posembed_gpu_forward(layer *l, network *net)
{
    posembed_state *s = l->priv;
    const float *e = l->params[0].val_gpu;
    for (int b = 0; b < l->batch; ++b) {
        float *out = l->output_gpu + (size_t)b * s->n;
        copy_gpu(net->gpu, net->gpu_input + (size_t)b * s->n, out, (size_t)s->n);
        axpy_gpu(net->gpu, (size_t)s->n, 1, e, out);
    }
}

static void posembed_gpu_backward(layer *l, network *net)
{
    posembed_state *s = l->priv;
    if (!l->delta_gpu) return;
    for (int b = 0; b < l->batch; ++b) {
        const float *d = l->delta_gpu + (size_t)b * s->n;
        axpy_gpu(net->gpu, (size_t)s->n, 1, d, l->params[0].grad_gpu);
        if (net->gpu_input_delta) axpy_gpu(net->gpu, (size_t)s->n, 1, d, net->gpu_input_delta + (size_t)b * s->n);
    }
}
#endif

const layer_ops posembed_ops = {
    .name = "posembed",
    .parse = posembed_parse,
    .setup = posembed_setup,
    .init_weights = posembed_init_weights,
    .forward = posembed_forward,
    .backward = posembed_backward,
    .free_priv = posembed_free,
#ifdef DN_GPU
    .forward_gpu = posembed_gpu_forward,
    .backward_gpu = posembed_gpu_backward,
#endif
};
