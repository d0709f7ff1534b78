/* [kd]: logit distillation for classifiers. It takes the place of the last
 * [softmax]: its output is softmax(logits) of the student layer `from` (default
 * -1, the layer before), so predict and valid read probabilities as before, and
 * it reads the truth as a last [softmax] does (`classes` floats per image,
 * one-hot). The teacher's logits come from teacher_layer; left out, that is the
 * teacher's last layer, or the layer before it when the last is a [softmax]
 * (its input: logits, not probabilities). A [softmax] named explicitly is
 * refused, since its output is probabilities.
 *
 * Per image, with s the student's logits, t the teacher's, y the truth
 * (Y = sum y, 1 for one-hot), p = softmax(s), a = alpha, T = temperature:
 *
 * method=kd (Hinton et al. 2015):
 *   L  = (1-a) CE + a T^2 KL(q_t || q_s),   CE = -sum_i y_i log p_i,
 *   q_s = softmax(s/T), q_t = softmax(t/T),  KL = sum_i q_t,i (log q_t,i - log q_s,i)
 *   dCE/ds_i = Y p_i - y_i,  dKL/ds_i = (q_s,i - q_t,i) / T, so
 *   -dL/ds_i = (1-a)(y_i - Y p_i) + a T (q_t,i - q_s,i).
 *
 * method=nkd (normalised KD, Yang et al., ICCV 2023), k = argmax y:
 *   L  = (1-a) CE + a (L_target + L_nontarget)
 *   L_target    = -P_k log p_k,  P = softmax(t), P_k held constant (the teacher is frozen)
 *   L_nontarget = -g T^2 sum_{j!=k} r_t,j log r_s,j,  r = softmax over the classes j != k of
 *                 s_j/T (t_j/T): the non-target probabilities at temperature T renormalised to sum 1
 *   dL_target/ds_i    = P_k (p_i - [i=k])
 *   dL_nontarget/ds_i = -g T^2 (1/T)(r_t,i - r_s,i sum_j r_t,j) = g T (r_s,i - r_t,i)   (i != k; 0 at k)
 * L_nontarget is the cross-entropy form of the NKD paper and code (it includes the
 * teacher's non-target entropy, so it is not zero for identical logits; the KD term is).
 * The NKD authors (yzd-v/cls_KD) add L_target + L_nontarget to the plain CE: alpha=0.5
 * is that, halved; the SLaK code's NKD branch has no CE: alpha=1.
 *
 * Keys: method (kd), temperature, alpha, gamma (nkd only), and the pairing keys of
 * distill.h (no adapter, no resize: the class scores are compared one to one).
 * Defaults for kd: temperature 4 (cls_KD's KDLoss default), alpha 0.9 (cls_KD's configs
 * use 0.5, SLaK's engine 0.1 with T 1 to 3). For nkd: temperature 1, alpha 0.5 and
 * gamma 1.5, the NKD authors' ImageNet setting (cls_KD res34_distill_res18_img.py;
 * their CIFAR-100 one is T 3, gamma 3.5). On `synth -classify` shapes (500 images,
 * 3 seeds) at the cfg's 300 steps nkd costs 1.5 points of top-1 (plain 95.3), nkd_T3
 * 7.2, gamma 0 (the target term alone) nothing: the non-target term, whose gradient
 * does not fade once the target is right, slows a student that has not converged.
 * With the schedule scaled to 1200 steps nkd gains +0.4 (seeds 1, 2), kd +1.4/+0.4.
 * Images whose truth is all zero get no CE and no NKD term. The loss (l->cost, summed
 * over the batch; the update divides by the batch) is computed in training forwards
 * only, the teacher running only then. With distillation off (network_set_distillation)
 * the loss is the plain cross-entropy (weight 1), as the [softmax] it replaces. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distill.h"
#include "distill_rows.h"
#include "errors.h"

enum { METHOD_KD, METHOD_NKD };

typedef struct {
    distill_pair pair;
    int method, classes;
    float T, alpha, gamma;
    float part[KD_PARTS];       /* named losses per image of the last forward */
} kd_state;

static int is_softmax(const layer *l) { return !strcmp(l->ops->name, "softmax"); }

/* The teacher's logits: see the top of the file. */
static int pick_teacher_layer(distill_pair *p, cfg_section *sec)
{
    const network *tn = p->t->net;
    int named = cfg_has(sec, "teacher_layer");
    if (!named && is_softmax(&tn->layers[tn->n - 1])) {
        if (tn->n < 2)
            return cfg_fail(sec, "teacher", "teacher %s is only a [softmax]: it has no logits to distil", p->t->cfg);
        p->teacher_layer = tn->n - 2;   /* same shape as the softmax's output */
    } else if (is_softmax(&tn->layers[p->teacher_layer])) {
        return cfg_fail(sec, "teacher_layer",
                        "teacher layer %d of %s is a [softmax], whose output is probabilities; [kd] reads "
                        "logits: name its input (teacher_layer=%d) or leave teacher_layer out",
                        p->teacher_layer, p->t->cfg, p->teacher_layer - 1);
    }
    return 0;
}

static int kd_parse(layer *l, cfg_section *sec, network *net)
{
    kd_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    static const char *const methods[] = {"kd", "nkd", NULL};
    s->method = cfg_enum(sec, "method", methods, METHOD_KD);
    int nkd = s->method == METHOD_NKD;   /* the defaults differ: see the top of the file */
    s->T = cfg_float_range(sec, "temperature", nkd ? 1 : 4, 1e-3f, 1e3f);
    s->alpha = cfg_float_range(sec, "alpha", nkd ? 0.5f : 0.9f, 0, 1);
    s->gamma = cfg_float_range(sec, "gamma", 1.5f, 0, 1e6f);
    if (cfg_failed(sec)) return -1;
    if (s->method == METHOD_KD && cfg_has(sec, "gamma"))
        return cfg_fail(sec, "gamma", "only method=nkd has a gamma");
    distill_pair *p = &s->pair;
    if (distill_pair_parse(p, l, sec, net, -1) || pick_teacher_layer(p, sec)) return -1;
    s->classes = p->sc * p->sh * p->sw;
    if (p->sc != p->tc)
        return cfg_fail(sec, "teacher_layer", "teacher layer %d of %s gives %d class scores, the student's "
                        "layer %d gives %d: [kd] compares them one to one", p->teacher_layer, p->t->cfg, p->tc,
                        p->from, p->sc);
    if (p->adapter) return cfg_fail(sec, "adapter", "[kd] compares class scores one to one: no adapter");
    if (p->resize) return cfg_fail(sec, "resize", "[kd] compares class scores one to one: no resize");
    if (s->classes < 2) return cfg_fail(sec, "from", "layer %d gives %d class score: [kd] needs at least 2",
                                        p->from, s->classes);
    l->truths = s->classes;
    return 0;
}

static int kd_setup(layer *l, network *net)
{
    kd_state *s = l->priv;
    if (distill_pair_setup(&s->pair, l, net)) return -1;
    const layer *st = &net->layers[s->pair.from];
    l->out_w = st->out_w, l->out_h = st->out_h, l->out_c = st->out_c;
    l->truths = s->classes;
    l->flops = 20.0 * s->classes;
    return 0;
}

static void kd_forward(layer *l, network *net)
{
    kd_state *s = l->priv;
    int n = s->classes;
    const float *x = net->layers[s->pair.from].output;
    for (int b = 0; b < l->batch; ++b) {
        const float *xb = x + (size_t)b * n;
        float *out = l->output + (size_t)b * n;
        double lse = kd_log_sum_exp(xb, n, 1, -1);
        for (int i = 0; i < n; ++i) out[i] = (float)exp(xb[i] - lse);
    }
    memset(s->part, 0, sizeof s->part);
    if (!net->train) return;
    const float *sm = distill_student_map(&s->pair, net);
    const float *tm = distill_active(net) ? distill_teacher_map(&s->pair) : NULL;   /* NULL: CE only */
    double part[KD_PARTS] = {0, 0, 0};
    for (int b = 0; b < l->batch; ++b) {
        const float *y = net->truth ? net->truth + (size_t)b * net->truths : NULL;
        double image[KD_PARTS];
        kd_image(sm + (size_t)b * n, tm ? tm + (size_t)b * n : NULL, y, n, s->method == METHOD_NKD, s->T, s->alpha,
                 s->gamma, s->pair.grad + (size_t)b * n, image);
        for (int i = 0; i < KD_PARTS; ++i) part[i] += image[i];
    }
    l->cost = (float)(part[0] + part[1] + part[2]);
    for (int i = 0; i < KD_PARTS; ++i) s->part[i] = (float)(part[i] / l->batch);
}

static void kd_backward(layer *l, network *net)
{
    kd_state *s = l->priv;
    layer *st = &net->layers[s->pair.from];
    int n = s->classes;
    if (st->delta && l->delta) {
        /* what later layers put in the output's delta, through the softmax */
        for (int b = 0; b < l->batch; ++b) {
            const float *p = l->output + (size_t)b * n, *d = l->delta + (size_t)b * n;
            float *in = st->delta + (size_t)b * n;
            double pd = 0;
            for (int i = 0; i < n; ++i) pd += (double)p[i] * d[i];
            for (int i = 0; i < n; ++i) in[i] += p[i] * (d[i] - (float)pd);
        }
    }
    if (net->train) distill_student_backward(&s->pair, net);
}

static int kd_named_losses(const layer *l, const char **names, float *values, int max)
{
    const kd_state *s = l->priv;
    static const char *const kd_names[] = {"ce", "kd"}, *const nkd_names[] = {"ce", "nkd_target", "nkd_nontarget"};
    int count = s->method == METHOD_KD ? 2 : 3;
    for (int i = 0; i < count && i < max; ++i) {
        if (names) names[i] = s->method == METHOD_KD ? kd_names[i] : nkd_names[i];
        if (values) values[i] = s->part[i];
    }
    return count;
}

static void kd_free(layer *l)
{
    kd_state *s = l->priv;
    if (!s) return;
    distill_pair_free(&s->pair);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
#include "distill_gpu.h"

static int kd_gpu_setup(layer *l, network *net)
{
    kd_state *s = l->priv;
    return distill_pair_gpu_setup(&s->pair, l, net, (size_t)l->batch * KD_PARTS, 1 + KD_PARTS);
}

static void kd_gpu_free(layer *l, network *net) { distill_pair_gpu_free(&((kd_state *)l->priv)->pair, net); }

static void kd_gpu_forward(layer *l, network *net)
{
    kd_state *s = l->priv;
    distill_pair *p = &s->pair;
    kd_softmax_gpu(net->gpu, net->layers[p->from].output_gpu, l->output_gpu, l->batch, s->classes);
    memset(s->part, 0, sizeof s->part);
    if (!net->train) return;
    const float *sm = distill_student_map_gpu(p, l, net);
    const float *tm = distill_active(net) ? distill_teacher_map_gpu(p) : NULL;   /* NULL: CE only */
    kd_gpu(net->gpu, sm, tm, net->gpu_truth, net->truths, p->grad_gpu.p, l->batch, s->classes,
           s->method == METHOD_NKD, s->T, s->alpha, s->gamma, (double *)p->work_gpu.p, p->cost_gpu.p);
    float out[1 + KD_PARTS];
    if (distill_pull_costs(p, net, out, 1 + KD_PARTS)) return;
    l->cost = out[0];
    memcpy(s->part, out + 1, sizeof s->part);
}

static void kd_gpu_backward(layer *l, network *net)
{
    kd_state *s = l->priv;
    layer *st = &net->layers[s->pair.from];
    if (st->delta_gpu && l->delta_gpu)
        kd_softmax_backward_gpu(net->gpu, l->output_gpu, l->delta_gpu, st->delta_gpu, l->batch, s->classes);
    if (net->train) distill_student_backward_gpu(&s->pair, l, net);
}
#endif

const layer_ops kd_ops = {
    .name = "kd",
    .parse = kd_parse,
    .setup = kd_setup,
    .forward = kd_forward,
    .backward = kd_backward,
    .free_priv = kd_free,
    .named_losses = kd_named_losses,
    .distiller = DISTILLER_SOFTMAX,
#ifdef DN_GPU
    .forward_gpu = kd_gpu_forward,
    .backward_gpu = kd_gpu_backward,
    .setup_gpu = kd_gpu_setup,
    .free_gpu = kd_gpu_free,
#endif
};
