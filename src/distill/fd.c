/* [fd]: feature distillation (FitNets-style hints). The student map `from`,
 * through the pairing's 1x1 adapter and resize (distill.h), is pulled towards
 * the teacher's map: per image
 *   loss = loss_weight / M * sum_e f(s_e - t_e),   M = C*H*W of the compared map,
 * f(d) = d^2 (type=mse, PyTorch's MSELoss with mean reduction) or smooth L1
 * (type=smooth_l1: 0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta; beta 1 as
 * PyTorch's default; the SLaK code's FD uses 2). Negative gradient w.r.t. s:
 * -loss_weight / M * f'(d), with f' = 2d, or d/beta inside the beta band and
 * sign(d) outside. The loss is summed over the batch (the update divides by it).
 * Like [cwd] the layer passes its input through and only training forwards
 * compute the loss.
 * The adapter is adapter=auto as for [cwd]: a trained 1x1 conv only when the
 * channel counts differ (as FGD's and mmdetection-distiller's align convs);
 * adapter=always gives FitNets' regressor also at equal width, which lets the
 * student match the teacher's features up to a linear map of its own.
 * Keys: loss_weight (1), type (mse), beta (smooth_l1 only), and the pairing keys. */
#include <stdlib.h>

#include "distill.h"
#include "distill_rows.h"
#include "errors.h"
#include "threadpool.h"

enum { FD_MSE, FD_SMOOTH_L1 };

typedef struct {
    distill_pair pair;
    int type;
    float weight, beta;
    /* set by forward for the parallel loop over (image, channel) rows */
    const float *s, *t;
    int len;
    double scale;
    double *row_loss;
} fd_state;

static int fd_parse(layer *l, cfg_section *sec, network *net)
{
    fd_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    static const char *const types[] = {"mse", "smooth_l1", NULL};
    s->type = cfg_enum(sec, "type", types, FD_MSE);
    s->weight = cfg_float_range(sec, "loss_weight", 1, 0, 1e6f);
    s->beta = cfg_float_range(sec, "beta", 1, 1e-6f, 1e6f);
    if (cfg_failed(sec)) return -1;
    if (s->type == FD_MSE && cfg_has(sec, "beta")) return cfg_fail(sec, "beta", "only type=smooth_l1 has a beta");
    return distill_pair_parse(&s->pair, l, sec, net, 0);
}

static int fd_setup(layer *l, network *net)
{
    fd_state *s = l->priv;
    if (distill_pair_setup(&s->pair, l, net)) return -1;
    double *r = dn_realloc(s->row_loss, (size_t)l->batch * s->pair.tc, sizeof(double));
    if (!r) return -1;
    s->row_loss = r;
    return 0;
}

static void fd_rows(void *ctx, int start, int end)
{
    fd_state *s = ctx;
    double beta = s->beta;
    for (int k = start; k < end; ++k) {
        size_t o = (size_t)k * s->len;
        const float *x = s->s + o, *y = s->t + o;
        float *g = s->pair.grad + o;
        s->row_loss[k] = fd_row(x, y, g, s->len, s->type == FD_SMOOTH_L1, beta, s->scale);
    }
}

static void fd_forward(layer *l, network *net)
{
    fd_state *s = l->priv;
    distill_pass_forward(l, net);
    if (!distill_active(net)) return;
    int rows = l->batch * s->pair.tc;
    s->s = distill_student_map(&s->pair, net);
    s->t = distill_teacher_map(&s->pair);
    s->len = s->pair.th * s->pair.tw;
    s->scale = (double)s->weight / ((double)s->pair.tc * s->len);
    parallel_for(rows, 16, fd_rows, s);
    double sum = 0;
    for (int k = 0; k < rows; ++k) sum += s->row_loss[k];
    l->cost = (float)(sum * s->scale);
}

static void fd_free(layer *l)
{
    fd_state *s = l->priv;
    if (!s) return;
    distill_pair_free(&s->pair);
    free(s->row_loss);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
#include "distill_gpu.h"

static int fd_gpu_setup(layer *l, network *net)
{
    fd_state *s = l->priv;
    return distill_pair_gpu_setup(&s->pair, l, net, (size_t)l->batch * s->pair.tc, 1);
}

static void fd_gpu_free(layer *l, network *net) { distill_pair_gpu_free(&((fd_state *)l->priv)->pair, net); }

static void fd_gpu_forward(layer *l, network *net)
{
    fd_state *s = l->priv;
    distill_pair *p = &s->pair;
    distill_pass_forward_gpu(l, net);
    if (!distill_active(net)) return;
    const float *sm = distill_student_map_gpu(p, l, net);
    fd_gpu(net->gpu, sm, distill_teacher_map_gpu(p), p->grad_gpu.p, l->batch, p->tc, p->th * p->tw,
           s->type == FD_SMOOTH_L1, s->beta, s->weight, (double *)p->work_gpu.p, p->cost_gpu.p);
    distill_pull_costs(p, net, &l->cost, 1);
}
#endif

const layer_ops fd_ops = {
    .name = "fd",
    .parse = fd_parse,
    .setup = fd_setup,
    .init_weights = distill_loss_init_weights,
    .forward = fd_forward,
    .backward = distill_loss_backward,
    .free_priv = fd_free,
    .distiller = DISTILLER_PASS_THROUGH,
#ifdef DN_GPU
    .forward_gpu = fd_gpu_forward,
    .backward_gpu = distill_loss_backward_gpu,
    .setup_gpu = fd_gpu_setup,
    .free_gpu = fd_gpu_free,
#endif
};
