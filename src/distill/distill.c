/* distill.c: the student/teacher pairing shared by the distillation layers (distill.h). */
#include "distill.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bilinear.h"
#include "errors.h"
#include "gemm.h"
#include "rng.h"

enum { ADAPTER_NONE, ADAPTER_AUTO, ADAPTER_ALWAYS };

static int parse_teacher(distill_pair *p, layer *l, cfg_section *s, network *net)
{
    const char *cfg = cfg_str(s, "teacher", NULL), *weights = cfg_str(s, "teacher_weights", NULL);
    if (!cfg) return cfg_fail(s, "teacher", "is required (the teacher's cfg file)");
    if (!weights) return cfg_fail(s, "teacher_weights", "is required (the trained teacher's weights file)");
    int ref = cfg_int(s, "teacher_layer", -1);
    if (cfg_failed(s)) return -1;
    int bad_weights = 0;
    if (!(p->t = network_attach_teacher(net, cfg, weights, &bad_weights))) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", dn_last_error());
        dn_clear_error();
        return cfg_fail(s, bad_weights ? "teacher_weights" : "teacher", "%s", msg);
    }
    const network *tn = p->t->net;
    p->teacher_layer = ref < 0 ? tn->n + ref : ref;
    if (p->teacher_layer < 0 || p->teacher_layer >= tn->n)
        return cfg_fail(s, "teacher_layer", "%d is out of range: teacher %s has %d layers (0..%d, or -1..-%d)", ref,
                        p->t->cfg, tn->n, tn->n - 1, tn->n);
    teacher_needs_layer(p->t, p->teacher_layer);
    (void)l;
    return 0;
}

/* A [softmax] is a cross-entropy loss only as the last layer: distillation
 * layers after it would silently leave the student without its loss. */
static int check_not_after_softmax(const layer *l, cfg_section *s, const network *net)
{
    int i = l->index - 1;
    while (i >= 0 && net->layers[i].ops->distiller) --i;
    if (i >= 0 && !strcmp(net->layers[i].ops->name, "softmax"))
        return cfg_fail(s, "from", "this distillation layer follows the [softmax] (layer %d), which then is no longer "
                        "the last layer and computes no loss: put the distillation layers before it (or [kd] in "
                        "its place)", i);
    return 0;
}

int distill_pair_parse(distill_pair *p, layer *l, cfg_section *s, network *net, int from_default)
{
    if (check_not_after_softmax(l, s, net)) return -1;
    if (!from_default && !cfg_has(s, "from"))
        return cfg_fail(s, "from", "is required (the student layer to distil into)");
    int ref = cfg_int(s, "from", from_default);
    if ((p->from = resolve_layer_index(l, s, "from", ref)) < 0) return -1;
    static const char *const adapters[] = {"none", "auto", "always", NULL};
    int adapter = cfg_enum(s, "adapter", adapters, ADAPTER_AUTO);
    p->resize = cfg_int_range(s, "resize", 0, 0, 1);
    if (cfg_failed(s) || parse_teacher(p, l, s, net)) return -1;

    const layer *st = &net->layers[p->from], *tl = &p->t->net->layers[p->teacher_layer];
    p->sw = st->out_w, p->sh = st->out_h, p->sc = st->out_c;
    p->tw = tl->out_w, p->th = tl->out_h, p->tc = tl->out_c;
    p->adapter = adapter == ADAPTER_ALWAYS || (adapter == ADAPTER_AUTO && p->sc != p->tc);
    if (!p->adapter && p->sc != p->tc)
        return cfg_fail(s, "adapter", "student layer %d has %d channels but teacher layer %d of %s has %d: "
                        "use adapter=auto (a trained 1x1 conv)", p->from, p->sc, p->teacher_layer, p->t->cfg, p->tc);
    if (!p->resize && (p->sw != p->tw || p->sh != p->th))
        return cfg_fail(s, "resize", "student layer %d is %d x %d but teacher layer %d of %s is %d x %d: "
                        "set resize=1 to resize the student map", p->from, p->sw, p->sh, p->teacher_layer,
                        p->t->cfg, p->tw, p->th);
    p->resize = p->sw != p->tw || p->sh != p->th;
    if (p->adapter) {
        /* darknet's convolution order in the weights file: biases, then weights */
        p->ab_param = l->n_params;
        if (!(p->ab = layer_add_param(l, net, p->tc, 0))) return -1;
        p->ab_grad = l->params[l->n_params - 1].grad;
        if (!(p->aw = layer_add_param(l, net, p->tc * p->sc, 1))) return -1;
        p->aw_grad = l->params[l->n_params - 1].grad;
        layer_store(l, p->ab, p->tc);
        layer_store(l, p->aw, p->tc * p->sc);
    }
    return 0;
}

static int grow(float **buf, size_t n)
{
    float *b = dn_realloc(*buf, n, sizeof(float));
    if (!b) return -1;
    *buf = b;
    return 0;
}

int distill_pair_setup(distill_pair *p, layer *l, network *net)
{
    l->out_w = l->w, l->out_h = l->h, l->out_c = l->c;
    const layer *st = &net->layers[p->from];
    if (st->out_w != p->sw || st->out_h != p->sh)
        return dn_error("student layer %d is now %d x %d, the teacher's map stays %d x %d: "
                        "distillation needs the size the network was built with", p->from, st->out_w, st->out_h,
                        p->tw, p->th);
    size_t n = (size_t)l->batch;
    size_t student = n * p->tc * p->sh * p->sw, compared = n * p->tc * p->th * p->tw;
    if (grow(&p->grad, compared)) return -1;
    if (p->adapter && grow(&p->adapted, student)) return -1;
    if (p->resize && grow(&p->resized, compared)) return -1;
    if (p->adapter && p->resize && grow(&p->grad_adapted, student)) return -1;
    l->flops = (double)p->tc * p->th * p->tw * 8 + (p->adapter ? 2.0 * p->tc * p->sc * p->sh * p->sw : 0);
    return 0;
}

void distill_pair_init_weights(distill_pair *p, network *net)
{
    if (!p->adapter) return;
    /* He-uniform over the sc inputs, as [convolutional] draws a 1x1 kernel */
    float scale = sqrtf(2.0f / p->sc);
    for (int i = 0; i < p->tc * p->sc; ++i) p->aw[i] = scale * rng_range(&net->rng, -1, 1);
}

void distill_pair_free(distill_pair *p)
{
    free(p->adapted);
    free(p->resized);
    free(p->grad);
    free(p->grad_adapted);
}

const float *distill_teacher_map(const distill_pair *p) { return p->t->net->layers[p->teacher_layer].output; }

const float *distill_student_map(distill_pair *p, network *net)
{
    const layer *st = &net->layers[p->from];
    int batch = st->batch, hw = p->sh * p->sw;
    const float *map = st->output;
    if (p->adapter) {
        for (int b = 0; b < batch; ++b) {
            float *out = p->adapted + (size_t)b * p->tc * hw;
            for (int c = 0; c < p->tc; ++c)
                for (int i = 0; i < hw; ++i) out[c * hw + i] = p->ab[c];
            gemm(0, 0, p->tc, hw, p->sc, 1, p->aw, p->sc, map + (size_t)b * p->sc * hw, hw, 1, out, hw);
        }
        map = p->adapted;
    }
    if (p->resize) {
        bilinear_resize(map, batch * p->tc, p->sh, p->sw, p->resized, p->th, p->tw);
        map = p->resized;
    }
    memset(p->grad, 0, sizeof(float) * batch * p->tc * p->th * p->tw);
    return map;
}

void distill_student_backward(distill_pair *p, network *net)
{
    layer *st = &net->layers[p->from];
    int batch = st->batch, hw = p->sh * p->sw;
    const float *g = p->grad;
    if (!st->delta) return;
    if (p->resize) {
        float *target = p->adapter ? p->grad_adapted : st->delta;
        if (p->adapter) memset(target, 0, sizeof(float) * batch * p->tc * hw);
        bilinear_resize_backward(g, batch * p->tc, p->sh, p->sw, target, p->th, p->tw);
        g = target;
        if (!p->adapter) return;
    }
    if (!p->adapter) {
        for (size_t i = 0, n = (size_t)batch * p->tc * hw; i < n; ++i) st->delta[i] += g[i];
        return;
    }
    for (int b = 0; b < batch; ++b) {
        const float *gb = g + (size_t)b * p->tc * hw, *x = st->output + (size_t)b * p->sc * hw;
        for (int c = 0; c < p->tc; ++c)
            for (int i = 0; i < hw; ++i) p->ab_grad[c] += gb[c * hw + i];
        gemm(0, 1, p->tc, p->sc, hw, 1, gb, hw, x, hw, 1, p->aw_grad, p->sc);
        gemm(1, 0, p->sc, hw, p->tc, 1, p->aw, p->sc, gb, hw, 1, st->delta + (size_t)b * p->sc * hw, hw);
    }
}

void distill_pass_forward(layer *l, network *net)
{
    memcpy(l->output, net->input, sizeof(float) * l->batch * l->outputs);
}

void distill_pass_backward(layer *l, network *net)
{
    if (!net->input_delta) return;
    for (size_t i = 0, n = (size_t)l->batch * l->outputs; i < n; ++i) net->input_delta[i] += l->delta[i];
}

void distill_loss_backward(layer *l, network *net)
{
    distill_pass_backward(l, net);
    if (distill_active(net)) distill_student_backward(distill_layer_pair(l), net);
}

void distill_loss_init_weights(layer *l, network *net) { distill_pair_init_weights(distill_layer_pair(l), net); }

int distill_active(const network *net) { return net->train && !net->distill_off; }

distill_pair *distill_layer_pair(const layer *l)
{
    return l->ops->distiller && l->priv ? (distill_pair *)l->priv : NULL;
}

void network_set_distillation(network *net, int on) { net->distill_off = !on; }

int network_distillation(const network *net) { return !net->distill_off; }

/* The next layer at or after *i that does not only pass its input through
 * when distillation is off ([cwd], [fd]); NULL past the end. */
static const layer *next_student_layer(const network *net, int *i)
{
    for (; *i < net->n; ++*i) {
        const layer *l = &net->layers[*i];
        if (l->ops->distiller != DISTILLER_PASS_THROUGH) return l;
    }
    return NULL;
}

extern const layer_ops softmax_ops;

/* What the layer is with distillation off: [kd] is the [softmax] it replaces. */
static const layer_ops *student_ops(const layer *l)
{
    return l->ops->distiller == DISTILLER_SOFTMAX ? &softmax_ops : l->ops;
}

const char *layer_student_type(const layer *l)
{
    return l->ops->distiller == DISTILLER_PASS_THROUGH ? NULL : student_ops(l)->name;
}

static int same_values(const layer *a, const layer *b)
{
    if (student_ops(a) != student_ops(b) || a->n_stored != b->n_stored) return 0;
    if (distill_layer_pair(a)) return 1;   /* [kd]: its adapter is the distiller's own */
    for (int t = 0; t < a->n_stored; ++t)
        if (a->stored_n[t] != b->stored_n[t] || memcmp(a->stored[t], b->stored[t], sizeof(float) * a->stored_n[t]))
            return 0;
    return 1;
}

int network_same_student(const network *a, const network *b)
{
    int i = 0, j = 0;
    for (;; ++i, ++j) {
        const layer *la = next_student_layer(a, &i), *lb = next_student_layer(b, &j);
        if (!la || !lb) return !la && !lb;
        if (!same_values(la, lb)) return 0;
    }
}

int network_distill_pairing(const network *net, int k, distill_pairing *out)
{
    int count = 0;
    for (int i = 0; i < net->n; ++i) {
        const distill_pair *p = distill_layer_pair(&net->layers[i]);
        if (!p) continue;
        if (count++ != k || !out) continue;
        out->layer = i;
        out->from = p->from;
        out->teacher_layer = p->teacher_layer;
        out->teacher_cfg = p->t->cfg;
        out->teacher_weights = p->t->weights;
    }
    return count;
}

#ifdef DN_GPU
/* ---- the same on the device ---- */
#include "batchnorm_gpu.h"
#include "bilinear_gpu.h"
#include "blas_gpu.h"
#include "gemm_gpu.h"

int distill_pair_gpu_setup(distill_pair *p, layer *l, network *net, size_t work, size_t costs)
{
    gpu_ctx *g = net->gpu;
    size_t n = (size_t)l->batch, student = n * p->tc * p->sh * p->sw, compared = n * p->tc * p->th * p->tw;
    return gpu_buffer_resize(g, &p->grad_gpu, compared) ||
           gpu_buffer_resize(g, &p->adapted_gpu, p->adapter ? student : 0) ||
           gpu_buffer_resize(g, &p->resized_gpu, p->resize ? compared : 0) ||
           gpu_buffer_resize(g, &p->grad_adapted_gpu, p->adapter && p->resize ? student : 0) ||
           gpu_buffer_resize(g, &p->work_gpu, 2 * work) || gpu_buffer_resize(g, &p->cost_gpu, costs);
}

void distill_pair_gpu_free(distill_pair *p, network *net)
{
    gpu_buffer *b[] = {&p->grad_gpu, &p->adapted_gpu, &p->resized_gpu, &p->grad_adapted_gpu, &p->work_gpu,
                       &p->cost_gpu};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) gpu_buffer_free(net->gpu, b[i]);
}

/* The teacher ran on the same device before this step's layers (teacher.c). */
const float *distill_teacher_map_gpu(const distill_pair *p) { return p->t->net->layers[p->teacher_layer].output_gpu; }

const float *distill_student_map_gpu(distill_pair *p, const layer *l, network *net)
{
    const layer *st = &net->layers[p->from];
    gpu_ctx *g = net->gpu;
    int batch = st->batch, hw = p->sh * p->sw;
    const float *map = st->output_gpu;
    if (p->adapter) {
        const param *ab = &l->params[p->ab_param], *aw = ab + 1;
        float *out = p->adapted_gpu.p;
        fill_gpu(g, out, p->adapted_gpu.n, 0);
        add_bias_gpu(g, out, ab->val_gpu, batch, p->tc, hw);
        for (int b = 0; b < batch; ++b)
            if (gemm_gpu(g, 0, 0, p->tc, hw, p->sc, 1, aw->val_gpu, p->sc, map + (size_t)b * p->sc * hw, hw, 1,
                         out + (size_t)b * p->tc * hw, hw))
                net->gpu_failed = 1;
        map = out;
    }
    if (p->resize) {
        bilinear_resize_gpu(g, map, batch * p->tc, p->sh, p->sw, p->resized_gpu.p, p->th, p->tw);
        map = p->resized_gpu.p;
    }
    return map;
}

/* The adapter's gradients and the student's delta from the adapted map's gradient g. */
static void adapter_backward_gpu(distill_pair *p, const layer *l, layer *st, network *net, const float *g)
{
    gpu_ctx *ctx = net->gpu;
    int batch = st->batch, hw = p->sh * p->sw;
    const param *ab = &l->params[p->ab_param], *aw = ab + 1;
    backward_bias_gpu(ctx, ab->grad_gpu, g, batch, p->tc, hw);
    for (int b = 0; b < batch; ++b) {
        const float *gb = g + (size_t)b * p->tc * hw, *x = st->output_gpu + (size_t)b * p->sc * hw;
        if (gemm_gpu(ctx, 0, 1, p->tc, p->sc, hw, 1, gb, hw, x, hw, 1, aw->grad_gpu, p->sc) ||
            gemm_gpu(ctx, 1, 0, p->sc, hw, p->tc, 1, aw->val_gpu, p->sc, gb, hw, 1,
                     st->delta_gpu + (size_t)b * p->sc * hw, hw))
            net->gpu_failed = 1;
    }
}

void distill_student_backward_gpu(distill_pair *p, layer *l, network *net)
{
    layer *st = &net->layers[p->from];
    gpu_ctx *g = net->gpu;
    size_t n = (size_t)st->batch * p->tc * p->sh * p->sw;
    const float *grad = p->grad_gpu.p;
    if (!st->delta_gpu) return;
    if (p->resize) {
        float *target = p->adapter ? p->grad_adapted_gpu.p : st->delta_gpu;
        if (p->adapter) fill_gpu(g, target, n, 0);
        bilinear_resize_backward_gpu(g, grad, st->batch * p->tc, p->sh, p->sw, target, p->th, p->tw);
        if (!p->adapter) return;
        grad = target;
    }
    if (p->adapter)
        adapter_backward_gpu(p, l, st, net, grad);
    else
        axpy_gpu(g, n, 1, grad, st->delta_gpu);
}

void distill_pass_forward_gpu(layer *l, network *net)
{
    copy_gpu(net->gpu, net->gpu_input, l->output_gpu, (size_t)l->batch * l->outputs);
}

void distill_pass_backward_gpu(layer *l, network *net)
{
    if (net->gpu_input_delta) axpy_gpu(net->gpu, (size_t)l->batch * l->outputs, 1, l->delta_gpu, net->gpu_input_delta);
}

void distill_loss_backward_gpu(layer *l, network *net)
{
    distill_pass_backward_gpu(l, net);
    if (distill_active(net)) distill_student_backward_gpu(distill_layer_pair(l), l, net);
}

int distill_pull_costs(distill_pair *p, network *net, float *out, int n)
{
    if (!gpu_pull(net->gpu, out, p->cost_gpu.p, (size_t)n)) return 0;
    net->gpu_failed = 1;
    return -1;
}
#endif
