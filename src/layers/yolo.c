/* [yolo]: darknet's YOLOv3 detection layer: decoding and training.
 *
 * Input: len(mask) * (classes + 5) channels. For mask entry n, channels
 * n*(classes+5) + {0: x, 1: y, 2: w, 3: h, 4: objectness, 5..: classes}.
 * Output: the input with the logistic applied to x, y, objectness and the
 * classes, then x, y scaled as s * x - (s - 1) / 2 (s = scale_x_y); w and h
 * stay raw. Box of cell (row, col), mask entry n with anchor (aw, ah) in
 * input pixels, relative to the network input (in [0,1]):
 *   bx = (col + x) / grid_w     by = (row + y) / grid_h
 *   bw = exp(w) * aw / net_w    bh = exp(h) * ah / net_h
 *
 * Training (net->train with net->truth, DN_MAX_BOXES boxes of 5 floats per
 * image): darknet's loss of yolo_loss.h per image, l->cost the sum over the
 * batch. As darknet, the forward writes into l->delta the negative gradient
 * with respect to the layer's INPUT (the logits), and the backward adds it
 * to the previous layer's delta: [yolo] is a sink no layer reads.
 * Every darknet key is acted on or refused (see the lists below). The layer
 * stores nothing in the weights file (anchors come from the cfg). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation_math.h"
#include "blas.h"
#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#include "threadpool.h"
#include "yolo_loss.h"
#ifdef DN_GPU
#include "blas_gpu.h"
#include "gpu.h"
#include "yolo_gpu.h"
#endif

typedef struct {
    int classes;
    int n;          /* anchors used here: len(mask) */
    int *mask;      /* indices into anchors */
    float *anchors; /* 2 * num values: w, h in input pixels */
    float *class_weight;   /* counters_per_class multipliers, or NULL */
    yolo_loss_config loss;
    int *scratch;          /* batch x yolo_loss_scratch ints */
    yolo_loss_parts *parts;   /* per image of the last training forward */
    yolo_loss_parts sum;   /* their sum */
    int warned;
#ifdef DN_GPU
    float *in_host;        /* the device input pulled for the loss */
#endif
} yolo_state;

static int entries(const yolo_state *s) { return s->classes + 5; }

static int check_channels(const layer *l, const yolo_state *s, cfg_section *sec)
{
    int want = s->n * entries(s);
    if (l->c == want) return 0;
    /* name the key that is most likely wrong */
    const char *key = l->c % entries(s) == 0 ? "mask" : "classes";
    const char *fmt = "the input has %d channels but %d anchors (mask) x (classes %d + 5) = %d; "
                      "the [convolutional] before needs filters=%d";
    if (sec) return cfg_fail(sec, key, fmt, l->c, s->n, s->classes, want, want);
    return dn_error(fmt, l->c, s->n, s->classes, want, want);
}

/* Keys of darknet's [yolo] with a value this project cannot act on: each
 * must keep its default (a cfg error naming the key otherwise). */
typedef struct {
    const char *key;
    float def;
    const char *why;
} fixed_key;

static const fixed_key fixed_keys[] = {
    {"truth_thresh", 1, "only 1 is supported (no slot is trained for a truth it merely overlaps)"},
    {"new_coords", 0, "only 0 is supported (YOLOv4-csp decoding is not implemented)"},
    {"objectness_smooth", 0, "only 0 is supported"},
    {"focal_loss", 0, "only 0 is supported"},
    {"delta_normalizer", 1, "only 1 is supported"},
    {"uc_normalizer", 1, "only 1 is supported (Gaussian YOLO is not implemented)"},
    {"resize", 1, "only 1 is supported (multi-scale training is random=1's 0.7x to 1.4x)"},
    {"rescore", 0, "only 0 is supported"},
};

/* Tracking and class-map keys of AlexeyAB's darknet: refused when present. */
static const char *const refused_keys[] = {"track_history_size", "sim_thresh", "dets_for_track", "dets_for_show",
                                           "track_ciou_norm", "embedding_layer", "map", NULL};

static const char *const iou_loss_names[] = {"mse", "iou", "giou", "diou", "ciou", NULL};
static const char *const nms_kinds[] = {"default", "greedynms", NULL};

static int check_fixed_keys(cfg_section *sec)
{
    for (size_t i = 0; i < sizeof fixed_keys / sizeof fixed_keys[0]; ++i)
        if (cfg_float(sec, fixed_keys[i].key, fixed_keys[i].def) != fixed_keys[i].def && !cfg_failed(sec))
            return cfg_fail(sec, fixed_keys[i].key, "%s", fixed_keys[i].why);
    for (int i = 0; refused_keys[i]; ++i)
        if (cfg_has(sec, refused_keys[i]))
            return cfg_fail(sec, refused_keys[i], "is not supported (tracking and class maps are not implemented)");
    return cfg_failed(sec) ? -1 : 0;
}

/* counters_per_class: class k's loss weight max(count) / count_k (counts
 * below 1 count as 1), at most max_delta when given, as AlexeyAB. */
static int read_class_weights(yolo_state *s, cfg_section *sec, float max_delta)
{
    int *counts = NULL, n = cfg_int_list(sec, "counters_per_class", &counts);
    if (n <= 0) return n;
    if (n != s->classes) {
        free(counts);
        return cfg_fail(sec, "counters_per_class", "has %d values; classes=%d needs one per class", n, s->classes);
    }
    if (!(s->class_weight = dn_calloc((size_t)n, sizeof(float)))) {
        free(counts);
        return -1;
    }
    int most = 1;
    for (int k = 0; k < n; ++k) most = counts[k] > most ? counts[k] : most;
    for (int k = 0; k < n; ++k) {
        float w = (float)most / (counts[k] > 1 ? counts[k] : 1);
        s->class_weight[k] = max_delta > 0 && w > max_delta ? max_delta : w;
    }
    free(counts);
    return 0;
}

/* The training keys (yolo_loss.h), and those other parts read. */
static int parse_training(yolo_state *s, cfg_section *sec, int num)
{
    yolo_loss_config *c = &s->loss;
    c->classes = s->classes, c->n = s->n, c->total = num, c->mask = s->mask, c->anchors = s->anchors;
    c->ignore_thresh = cfg_float_range(sec, "ignore_thresh", 0.5f, 0, 1);
    c->iou_thresh = cfg_float_range(sec, "iou_thresh", 1, 0, 1);
    c->thresh_kind = (iou_kind)cfg_enum(sec, "iou_thresh_kind", iou_kind_names, IOU_PLAIN);
    c->iou_loss = cfg_enum(sec, "iou_loss", iou_loss_names, 0) - 1;   /* mse is YOLO_LOSS_MSE */
    c->iou_normalizer = cfg_float_range(sec, "iou_normalizer", 1, 0, 1000);
    c->cls_normalizer = cfg_float_range(sec, "cls_normalizer", 1, 0, 1000);
    c->obj_normalizer = cfg_float_range(sec, "obj_normalizer", 1, 0, 1000);
    c->scale_x_y = cfg_float_range(sec, "scale_x_y", 1, 1, 4);
    c->label_smooth_eps = cfg_float_range(sec, "label_smooth_eps", 0, 0, 1);
    c->max_delta = cfg_float_range(sec, "max_delta", 0, 0, 1e30f);   /* 0: no clipping */
    /* read elsewhere or only printing: the loader (jitter), multi-scale
     * training (random), the truth holds at most DN_MAX_BOXES (max), the
     * progress line always shows the details (show_details), beta_nms
     * matters only to diounms (refused) */
    cfg_float_range(sec, "jitter", 0, 0, 0.9f);
    cfg_int_range(sec, "random", 0, 0, 1);
    cfg_int_range(sec, "max", DN_MAX_BOXES, 1, 1 << 20);
    cfg_int_range(sec, "show_details", 1, 0, 1);
    cfg_float_range(sec, "beta_nms", 0.6f, 0, 1);
    cfg_enum(sec, "nms_kind", nms_kinds, 0);
    if (cfg_failed(sec) || check_fixed_keys(sec) || read_class_weights(s, sec, c->max_delta)) return -1;
    c->class_weight = s->class_weight;
    return 0;
}

static int yolo_parse(layer *l, cfg_section *sec, network *net)
{
    (void)net;
    yolo_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    l->classes = s->classes = cfg_int_range(sec, "classes", 20, 1, 1 << 16);
    int num = cfg_int_range(sec, "num", 1, 1, 1 << 16);
    if (cfg_failed(sec)) return -1;
    s->n = cfg_int_list(sec, "mask", &s->mask);
    if (s->n < 0) return -1;
    if (s->n == 0) { /* darknet: no mask means every anchor */
        if (!(s->mask = dn_calloc((size_t)num, sizeof(int)))) return -1;
        for (int i = 0; i < num; ++i) s->mask[i] = i;
        s->n = num;
    }
    for (int i = 0; i < s->n; ++i)
        if (s->mask[i] < 0 || s->mask[i] >= num)
            return cfg_fail(sec, "mask", "entry %d is not an anchor index in [0, num=%d)", s->mask[i], num);
    int n_anchors = cfg_float_list(sec, "anchors", &s->anchors);
    if (n_anchors < 0) return -1;
    if (n_anchors != 2 * num)
        return cfg_fail(sec, "anchors", "has %d values; num=%d anchors need %d (w,h pairs in input pixels)",
                        n_anchors, num, 2 * num);
    for (int i = 0; i < n_anchors; ++i)
        if (!(s->anchors[i] > 0)) return cfg_fail(sec, "anchors", "value %g is not positive", s->anchors[i]);
    if (parse_training(s, sec, num)) return -1;
    l->truths = DN_MAX_BOXES * 5;
    return check_channels(l, s, sec);
}

static yolo_grid grid_of(const layer *l, const network *net) { return (yolo_grid){l->w, l->h, net->w, net->h}; }

static int yolo_setup(layer *l, network *net)
{
    yolo_state *s = l->priv;
    if (check_channels(l, s, NULL)) return -1;
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = (double)l->w * l->h * l->c;
    yolo_grid g = grid_of(l, net);
    size_t per = yolo_loss_scratch(&s->loss, &g);
    if (!(s->scratch = dn_realloc(s->scratch, (size_t)l->batch * per, sizeof(int))) ||
        !(s->parts = dn_realloc(s->parts, (size_t)l->batch, sizeof *s->parts)))
        return -1;
    return 0;
}

/* x, y (scaled by scale_x_y), objectness and classes through the logistic. */
static void yolo_activate(const yolo_state *s, const layer *l, const float *in, float *out)
{
    size_t plane = (size_t)l->w * l->h;
    float xy_scale = s->loss.scale_x_y, xy_shift = -0.5f * (xy_scale - 1);
    memcpy(out, in, (size_t)l->batch * l->outputs * sizeof(float));
    for (int b = 0; b < l->batch; ++b)
        for (int n = 0; n < s->n; ++n) {
            float *e = out + (size_t)b * l->outputs + (size_t)n * entries(s) * plane;
            for (size_t i = 0; i < 2 * plane; ++i) e[i] = xy_scale * act_logistic(e[i]) + xy_shift;
            for (size_t i = 4 * plane; i < (size_t)entries(s) * plane; ++i) e[i] = act_logistic(e[i]);
        }
}

typedef struct {
    layer *l;
    const network *net;
    const float *in;
    float *delta;
} loss_job;

static void image_losses(void *ctx, int b0, int b1)
{
    const loss_job *j = ctx;
    yolo_state *s = j->l->priv;
    yolo_grid g = grid_of(j->l, j->net);
    size_t per = yolo_loss_scratch(&s->loss, &g), o = (size_t)j->l->outputs;
    for (int b = b0; b < b1; ++b)
        yolo_image_loss(&s->loss, &g, j->in + b * o, j->l->output + b * o, j->net->truth + (size_t)b * j->l->truths,
                        j->delta ? j->delta + b * o : NULL, s->scratch + b * per, &s->parts[b]);
}

/* The loss of the batch (images in parallel, summed in order): l->cost,
 * s->sum, and the negative input gradient into delta when not NULL. */
static void batch_loss(layer *l, const network *net, const float *in, float *delta)
{
    yolo_state *s = l->priv;
    loss_job job = {l, net, in, delta};
    parallel_for(l->batch, 1, image_losses, &job);
    memset(&s->sum, 0, sizeof s->sum);
    for (int b = 0; b < l->batch; ++b) {
        const yolo_loss_parts *p = &s->parts[b];
        s->sum.box += p->box, s->sum.cls += p->cls, s->sum.obj += p->obj, s->sum.noobj += p->noobj;
        s->sum.iou_sum += p->iou_sum, s->sum.count += p->count, s->sum.skipped += p->skipped;
    }
    l->cost = (float)(s->sum.box + s->sum.cls + s->sum.obj + s->sum.noobj);
    if (s->sum.skipped && !s->warned) {
        s->warned = 1;
        dn_warn("[yolo] (layer %d): %d truth box(es) skipped: class outside [0, %d) or no height (warned once)",
                l->index, s->sum.skipped, s->classes);
    }
}

static void yolo_forward(layer *l, network *net)
{
    yolo_state *s = l->priv;
    yolo_activate(s, l, net->input, l->output);
    memset(&s->sum, 0, sizeof s->sum);
    if (net->train && net->truth) batch_loss(l, net, net->input, l->delta);
}

static void yolo_backward(layer *l, network *net)
{
    /* l->delta already is the gradient at the input (see the top) */
    if (l->delta && net->input_delta) axpy((size_t)l->batch * l->inputs, 1, l->delta, net->input_delta);
}

/* Per image of the last training forward: the four terms and the pairs trained. */
static int yolo_named_losses(const layer *l, const char **names, float *values, int max)
{
    const yolo_state *s = l->priv;
    const char *n[5] = {"iou", "class", "obj", "noobj", "count"};
    double per = 1.0 / (l->batch > 0 ? l->batch : 1);
    float v[5] = {(float)(s->sum.box * per), (float)(s->sum.cls * per), (float)(s->sum.obj * per),
                  (float)(s->sum.noobj * per), (float)(s->sum.count * per)};
    for (int i = 0; i < 5 && i < max; ++i) {
        if (names) names[i] = n[i];
        if (values) values[i] = v[i];
    }
    return 5;
}

static int yolo_detections(const layer *l, const network *net, float thresh, detection *out)
{
    const yolo_state *s = l->priv;
    size_t plane = (size_t)l->w * l->h;
    int count = 0;
    /* image 0; darknet's order: cells row-major, then mask entries */
    for (int row = 0; row < l->h; ++row)
        for (int col = 0; col < l->w; ++col)
            for (int n = 0; n < s->n; ++n) {
                const float *e = l->output + (size_t)n * entries(s) * plane + (size_t)row * l->w + col;
                float obj = e[4 * plane];
                if (!(obj > thresh)) continue;
                if (out) {
                    detection *d = &out[count];
                    const float *anchor = s->anchors + 2 * s->mask[n];
                    d->bbox.x = (col + e[0]) / l->w;
                    d->bbox.y = (row + e[plane]) / l->h;
                    d->bbox.w = expf(e[2 * plane]) * anchor[0] / net->w;
                    d->bbox.h = expf(e[3 * plane]) * anchor[1] / net->h;
                    d->objectness = obj;
                    d->classes = s->classes;
                    if (!(d->prob = dn_calloc((size_t)s->classes, sizeof(float)))) return -1;
                    for (int k = 0; k < s->classes; ++k) {
                        float p = obj * e[(5 + k) * plane];
                        d->prob[k] = p > thresh ? p : 0;
                    }
                }
                ++count;
            }
    return count;
}

static void yolo_free(layer *l)
{
    yolo_state *s = l->priv;
    if (!s) return;
    free(s->mask);
    free(s->anchors);
    free(s->class_weight);
    free(s->scratch);
    free(s->parts);
#ifdef DN_GPU
    free(s->in_host);
#endif
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
/* get_detections and the loss read the host output, and a network may have
 * several [yolo] heads while the run loop pulls only the last layer's output:
 * each head pulls its own, a small copy next to the convolutions before it.
 * The loss runs on the host (as [retina]'s matching): it needs the logits
 * too, pulled, and its gradient is pushed for the backward. */
static void yolo_gpu_forward(layer *l, network *net)
{
    yolo_state *s = l->priv;
    size_t n = (size_t)l->batch * l->outputs;
    yolo_forward_gpu(net->gpu, net->gpu_input, l->output_gpu, l->batch, s->n, s->classes, l->w * l->h,
                     s->loss.scale_x_y);
    if (gpu_pull(net->gpu, l->output, l->output_gpu, n)) net->gpu_failed = 1;
    memset(&s->sum, 0, sizeof s->sum);
    if (!net->train || !net->truth || !l->delta || net->gpu_failed) return;
    if (!(s->in_host = dn_realloc(s->in_host, n, sizeof(float))) || gpu_pull(net->gpu, s->in_host, net->gpu_input, n)) {
        net->gpu_failed = 1;
        return;
    }
    memset(l->delta, 0, n * sizeof(float));
    batch_loss(l, net, s->in_host, l->delta);
    if (l->delta_gpu && gpu_push(net->gpu, l->delta_gpu, l->delta, n)) net->gpu_failed = 1;
}

static void yolo_gpu_backward(layer *l, network *net)
{
    if (l->delta_gpu && net->gpu_input_delta)
        axpy_gpu(net->gpu, (size_t)l->batch * l->inputs, 1, l->delta_gpu, net->gpu_input_delta);
}
#endif

const layer_ops yolo_ops = {
    .name = "yolo",
    .parse = yolo_parse,
    .setup = yolo_setup,
    .forward = yolo_forward,
    .backward = yolo_backward,
    .free_priv = yolo_free,
    .get_detections = yolo_detections,
    .named_losses = yolo_named_losses,
    .nms_detections = 1,
#ifdef DN_GPU
    .forward_gpu = yolo_gpu_forward,
    .backward_gpu = yolo_gpu_backward,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int yolo_describe(const layer *l, yolo_desc *out)
{
    if (layer_check_type(l, &yolo_ops)) return -1;
    const yolo_state *s = l->priv;
    *out = (yolo_desc){s->classes, s->n, s->mask, s->anchors, s->loss.scale_x_y};
    return 0;
}
