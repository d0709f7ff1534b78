/* [cwd]: channel-wise distillation (Shu et al., ICCV 2021). For each image and
 * channel of the student map S and the teacher map T (N x C x H x W), a softmax
 * over the H*W positions with temperature tau, and
 *   loss = loss_weight * tau^2 / C * sum_{c,i} p_T (log p_T - log p_S)   per image,
 * i.e. KL(teacher || student) averaged over channels (the update divides the
 * batch sum by N, which gives the paper's 1/(N*C)). Its gradient w.r.t. S is
 * loss_weight * tau / C * (p_S - p_T); each channel's gradient sums to zero.
 * norm=spatial is the classic baseline instead: a softmax over the C channels
 * at each position, averaged over the H*W positions.
 * Keys: tau (1), loss_weight (1; the paper uses 5 to 10 per FPN level), norm,
 * and the pairing keys of distill.h. Only training forwards with distillation on
 * (network_set_distillation) compute the loss. */
#include <stdlib.h>
#include <string.h>

#include "distill.h"
#include "distill_rows.h"
#include "errors.h"
#include "threadpool.h"

enum { NORM_CHANNEL, NORM_SPATIAL };

typedef struct {
    distill_pair pair;
    float tau, weight;
    int norm;
    /* per-row work, set by forward for the parallel loop */
    const float *s, *t;
    int rows, len, stride;    /* a row: len values `stride` apart */
    float scale;              /* weight * tau / (distributions per image) */
    double *row_loss;
} cwd_state;

static int cwd_parse(layer *l, cfg_section *sec, network *net)
{
    cwd_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->tau = cfg_float_range(sec, "tau", 1, 1e-3f, 1e3f);
    s->weight = cfg_float_range(sec, "loss_weight", 1, 0, 1e6f);
    static const char *const norms[] = {"channel", "spatial", NULL};
    s->norm = cfg_enum(sec, "norm", norms, NORM_CHANNEL);
    if (cfg_failed(sec)) return -1;
    return distill_pair_parse(&s->pair, l, sec, net, 0);
}

static int cwd_setup(layer *l, network *net)
{
    cwd_state *s = l->priv;
    if (distill_pair_setup(&s->pair, l, net)) return -1;
    int rows = l->batch * (s->norm == NORM_CHANNEL ? s->pair.tc : s->pair.th * s->pair.tw);
    double *r = dn_realloc(s->row_loss, (size_t)rows, sizeof(double));
    if (!r) return -1;
    s->row_loss = r;
    return 0;
}

/* Row k of the batch: its first value and the distance between its values. */
static size_t row_start(const cwd_state *s, int k)
{
    if (s->norm == NORM_CHANNEL) return (size_t)k * s->len;
    int hw = s->pair.th * s->pair.tw, n = k / hw;
    return (size_t)n * s->pair.tc * hw + k % hw;
}

static void cwd_rows(void *ctx, int start, int end)
{
    cwd_state *s = ctx;
    float inv_tau = 1 / s->tau;
    for (int k = start; k < end; ++k) {
        size_t o = row_start(s, k);
        const float *x = s->s + o, *y = s->t + o;
        float *g = s->pair.grad + o;
        s->row_loss[k] = cwd_row(x, y, g, s->len, s->stride, inv_tau, s->scale);
    }
}

static void cwd_forward(layer *l, network *net)
{
    cwd_state *s = l->priv;
    distill_pass_forward(l, net);
    if (!distill_active(net)) return;
    int hw = s->pair.th * s->pair.tw, per_image = s->norm == NORM_CHANNEL ? s->pair.tc : hw;
    s->s = distill_student_map(&s->pair, net);
    s->t = distill_teacher_map(&s->pair);
    s->len = s->norm == NORM_CHANNEL ? hw : s->pair.tc;
    s->stride = s->norm == NORM_CHANNEL ? 1 : hw;
    s->rows = l->batch * per_image;
    s->scale = s->weight * s->tau / per_image;
    parallel_for(s->rows, 16, cwd_rows, s);
    double sum = 0;
    for (int k = 0; k < s->rows; ++k) sum += s->row_loss[k];
    l->cost = (float)(sum * s->weight * s->tau * s->tau / per_image);
}

static void cwd_free(layer *l)
{
    cwd_state *s = l->priv;
    if (!s) return;
    distill_pair_free(&s->pair);
    free(s->row_loss);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
#include "distill_gpu.h"

static int cwd_gpu_setup(layer *l, network *net)
{
    cwd_state *s = l->priv;
    size_t rows = (size_t)l->batch * (s->norm == NORM_CHANNEL ? s->pair.tc : s->pair.th * s->pair.tw);
    return distill_pair_gpu_setup(&s->pair, l, net, rows, 1);
}

static void cwd_gpu_free(layer *l, network *net) { distill_pair_gpu_free(&((cwd_state *)l->priv)->pair, net); }

static void cwd_gpu_forward(layer *l, network *net)
{
    cwd_state *s = l->priv;
    distill_pair *p = &s->pair;
    distill_pass_forward_gpu(l, net);
    if (!distill_active(net)) return;
    const float *sm = distill_student_map_gpu(p, l, net);
    cwd_gpu(net->gpu, sm, distill_teacher_map_gpu(p), p->grad_gpu.p, l->batch, p->tc, p->th * p->tw,
            s->norm == NORM_SPATIAL, s->tau, s->weight, (double *)p->work_gpu.p, p->cost_gpu.p);
    distill_pull_costs(p, net, &l->cost, 1);
}
#endif

const layer_ops cwd_ops = {
    .name = "cwd",
    .parse = cwd_parse,
    .setup = cwd_setup,
    .init_weights = distill_loss_init_weights,
    .forward = cwd_forward,
    .backward = distill_loss_backward,
    .free_priv = cwd_free,
    .distiller = DISTILLER_PASS_THROUGH,
#ifdef DN_GPU
    .forward_gpu = cwd_gpu_forward,
    .backward_gpu = distill_loss_backward_gpu,
    .setup_gpu = cwd_gpu_setup,
    .free_gpu = cwd_gpu_free,
#endif
};
