/* yolo_loss.c: [yolo]'s training loss of one image (see yolo_loss.h). */
#include "yolo_loss.h"

#include <math.h>
#include <string.h>

#include "darknet.h"

enum { TRUTH_FLOATS = 5 };

/* log(1 + e^x) without overflow */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* KL(y || sigma(z)) = BCE(sigma(z), y) - H(y), from the logit. */
static double logistic_kl(double z, double y)
{
    double h = (y > 0 ? -y * log(y) : 0) + (y < 1 ? -(1 - y) * log(1 - y) : 0);
    return y * softplus(-z) + (1 - y) * softplus(z) - h;
}

static float clip(float v, float m) { return v > m ? m : v < -m ? -m : v; }

typedef struct {
    const yolo_loss_config *c;
    const yolo_grid *g;
    const float *in, *out;
    float *delta;
    int hw, entries;
    box truths[DN_MAX_BOXES];
    int cls[DN_MAX_BOXES], n_truths;
} image_ctx;

/* Channel e of slot n at cell p, as an offset into one image's tensors. */
static size_t at(const image_ctx *x, int n, int e, int p) { return ((size_t)n * x->entries + e) * x->hw + p; }

static float class_weight(const yolo_loss_config *c, int k) { return c->class_weight ? c->class_weight[k] : 1; }

/* The box slot n predicts at cell p, relative to the network input. */
static box predicted(const image_ctx *x, int n, int p)
{
    const float *a = x->c->anchors + 2 * x->c->mask[n];
    box b = {(p % x->g->lw + x->out[at(x, n, 0, p)]) / x->g->lw, (p / x->g->lw + x->out[at(x, n, 1, p)]) / x->g->lh,
             expf(x->in[at(x, n, 2, p)]) * a[0] / x->g->net_w, expf(x->in[at(x, n, 3, p)]) * a[1] / x->g->net_h};
    return b;
}

static int read_truths(image_ctx *x, const float *t)
{
    int skipped = 0;
    x->n_truths = 0;
    for (int i = 0; i < DN_MAX_BOXES && t[2] != 0; ++i, t += TRUTH_FLOATS) {
        float k = t[4];
        if (!(k >= 0 && k < x->c->classes && k == floorf(k)) || !(t[2] > 0 && t[3] > 0)) {
            ++skipped;
            continue;
        }
        x->truths[x->n_truths] = (box){t[0], t[1], t[2], t[3]};
        x->cls[x->n_truths++] = (int)k;
    }
    return skipped;
}

/* Similarity of an anchor's shape and a truth's, both centred. */
static float shape_iou(const image_ctx *x, int anchor, box t, iou_kind kind)
{
    const float *a = x->c->anchors + 2 * anchor;
    box ab = {0, 0, a[0] / x->g->net_w, a[1] / x->g->net_h};
    t.x = t.y = 0;
    return cbox_iou_kind(cbox_from_box(ab), cbox_from_box(t), kind, NULL);
}

static int cell_of(float v, int size)
{
    int i = (int)(v * size);
    return i < 0 ? 0 : i >= size ? size - 1 : i;
}

/* Records the (truth, slot) pairs; assigned[slot] = the last truth. Returns the pair count. */
static int assign(const image_ctx *x, int *assigned, int *pair_slot, int *pair_truth)
{
    const yolo_loss_config *c = x->c;
    int pairs = 0;
    for (int t = 0; t < x->n_truths; ++t) {
        box tb = x->truths[t];
        int best = 0;
        float best_iou = -1;
        for (int a = 0; a < c->total; ++a) {
            float v = shape_iou(x, a, tb, IOU_PLAIN);
            if (v > best_iou) best_iou = v, best = a;
        }
        int p = cell_of(tb.y, x->g->lh) * x->g->lw + cell_of(tb.x, x->g->lw);
        for (int n = 0; n < c->n; ++n) {
            int a = c->mask[n];
            int more = a != best && c->iou_thresh < 1 && shape_iou(x, a, tb, c->thresh_kind) > c->iou_thresh;
            if (a != best && !more) continue;
            assigned[n * x->hw + p] = t;
            pair_slot[pairs] = n * x->hw + p;
            pair_truth[pairs++] = t;
        }
    }
    return pairs;
}

/* Objectness of an untrained slot: pushed to 0 unless it already overlaps a truth enough. */
static double noobj_term(const image_ctx *x, int n, int p)
{
    box b = predicted(x, n, p);
    cbox cb = cbox_from_box(b);
    for (int t = 0; t < x->n_truths; ++t)
        if (cbox_iou(cb, cbox_from_box(x->truths[t])) > x->c->ignore_thresh) return 0;
    size_t o = at(x, n, 4, p);
    float w = x->c->obj_normalizer;
    if (x->delta) x->delta[o] -= w * x->out[o];
    return w * logistic_kl(x->in[o], 0);
}

/* Class terms of a trained slot; its classes are those of every pair on it. */
static double class_terms(const image_ctx *x, int slot, const int *pair_slot, const int *pair_truth, int pairs)
{
    const yolo_loss_config *c = x->c;
    int n = slot / x->hw, p = slot % x->hw;
    double sum = 0;
    for (int k = 0; k < c->classes; ++k) {
        int on = 0;
        for (int i = 0; i < pairs && !on; ++i) on = pair_slot[i] == slot && x->cls[pair_truth[i]] == k;
        float y = on ? 1.0f : 0.0f;
        if (c->label_smooth_eps) y = y * (1 - c->label_smooth_eps) + 0.5f * c->label_smooth_eps;
        float w = c->cls_normalizer * (on ? class_weight(c, k) : 1);
        size_t o = at(x, n, 5 + k, p);
        if (x->delta) x->delta[o] += w * (y - x->out[o]);
        sum += w * logistic_kl(x->in[o], y);
    }
    return sum;
}

/* darknet's MSE box term (see yolo_loss.h); d receives the negative gradient. */
static double mse_box(const image_ctx *x, int n, int p, box t, float scale, float d[4])
{
    const float *a = x->c->anchors + 2 * x->c->mask[n];
    float s = x->c->scale_x_y, half = (s - 1) / 2;
    float tx = t.x * x->g->lw - p % x->g->lw, ty = t.y * x->g->lh - p / x->g->lw;
    float tw = logf(t.w * x->g->net_w / a[0]), th = logf(t.h * x->g->net_h / a[1]);
    float target[2] = {tx, ty}, tlog[2] = {tw, th};
    double loss = 0;
    for (int j = 0; j < 2; ++j) {
        float u = fminf(1, fmaxf(0, (target[j] + half) / s));
        d[j] = scale * (target[j] - x->out[at(x, n, j, p)]);
        loss += scale * s * logistic_kl(x->in[at(x, n, j, p)], u);
        float z = x->in[at(x, n, 2 + j, p)];
        d[2 + j] = scale * (tlog[j] - z);
        loss += 0.5 * scale * (tlog[j] - z) * (tlog[j] - z);
    }
    return loss;
}

/* 1 - similarity of the decoded box and the truth, chained to the logits. */
static double iou_box(const image_ctx *x, int n, int p, box t, float scale, float d[4])
{
    box b = predicted(x, n, p);
    float g[4];
    float sim = cbox_iou_kind(cbox_from_box(b), cbox_from_box(t), (iou_kind)x->c->iou_loss, g);
    float s = x->c->scale_x_y;
    float sx = (x->out[at(x, n, 0, p)] + (s - 1) / 2) / s, sy = (x->out[at(x, n, 1, p)] + (s - 1) / 2) / s;
    /* d sim / d (cx, cy, w, h) from the corner gradient; the loss is -scale * sim */
    d[0] = scale * (g[0] + g[2]) * s * sx * (1 - sx) / x->g->lw;
    d[1] = scale * (g[1] + g[3]) * s * sy * (1 - sy) / x->g->lh;
    d[2] = scale * (g[2] - g[0]) * 0.5f * b.w;
    d[3] = scale * (g[3] - g[1]) * 0.5f * b.h;
    return scale * (1 - sim);
}

/* Box and objectness terms of a trained slot with its (last) truth. */
static void trained_slot(const image_ctx *x, int slot, int t, yolo_loss_parts *parts)
{
    const yolo_loss_config *c = x->c;
    int n = slot / x->hw, p = slot % x->hw;
    box tb = x->truths[t];
    float m = class_weight(c, x->cls[t]), d[4];
    if (c->iou_loss == YOLO_LOSS_MSE)
        parts->box += mse_box(x, n, p, tb, c->iou_normalizer * m * (2 - tb.w * tb.h), d);
    else
        parts->box += iou_box(x, n, p, tb, c->iou_normalizer * m, d);
    size_t o = at(x, n, 4, p);
    float w = c->obj_normalizer * m;
    parts->obj += w * logistic_kl(x->in[o], 1);
    if (!x->delta) return;
    for (int j = 0; j < 4; ++j) x->delta[at(x, n, j, p)] += c->max_delta > 0 ? clip(d[j], c->max_delta) : d[j];
    x->delta[o] += w * (1 - x->out[o]);
}

size_t yolo_loss_scratch(const yolo_loss_config *c, const yolo_grid *g)
{
    return (size_t)c->n * g->lw * g->lh + 2 * (size_t)DN_MAX_BOXES * c->n;
}

void yolo_image_loss(const yolo_loss_config *c, const yolo_grid *g, const float *in, const float *out,
                     const float *truth, float *delta, int *scratch, yolo_loss_parts *parts)
{
    image_ctx x = {.c = c, .g = g, .in = in, .out = out, .delta = delta, .hw = g->lw * g->lh,
                   .entries = c->classes + 5};
    memset(parts, 0, sizeof *parts);
    parts->skipped = read_truths(&x, truth);
    int slots = c->n * x.hw, *assigned = scratch, *pair_slot = scratch + slots;
    int *pair_truth = pair_slot + DN_MAX_BOXES * c->n;
    for (int i = 0; i < slots; ++i) assigned[i] = -1;
    int pairs = assign(&x, assigned, pair_slot, pair_truth);
    for (int i = 0; i < slots; ++i) {
        if (assigned[i] < 0) {
            parts->noobj += noobj_term(&x, i / x.hw, i % x.hw);
            continue;
        }
        trained_slot(&x, i, assigned[i], parts);
        parts->cls += class_terms(&x, i, pair_slot, pair_truth, pairs);
    }
    for (int i = 0; i < pairs; ++i) {
        box b = predicted(&x, pair_slot[i] / x.hw, pair_slot[i] % x.hw);
        parts->iou_sum += cbox_iou(cbox_from_box(b), cbox_from_box(x.truths[pair_truth[i]]));
    }
    parts->count = pairs;
}
