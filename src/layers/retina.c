/* [retina]: RetinaNet's loss and detection output over the class and box head
 * outputs of several FPN levels (torchvision's retinanet_resnet50_fpn v1).
 *
 *   cls=  the layers holding each level's class logits, A*classes channels,
 *         channel a*classes + k for anchor a, class k (anchors.h's order)
 *   box=  the layers holding each level's box deltas, A*4 channels, a*4 + j
 *   (same count, P3..P7 order; the pair of a level has the same w x h)
 *
 * Anchors: level stride = net width / level width for the first level (it
 * must divide, the same for the height); each next level's is the previous
 * times round(previous width / width) (2 for stride-2 convs, also when a
 * 5-wide level becomes 3 wide at a 320 input); strides= overrides them. The
 * anchor base size is anchor_sizes= or 4 * stride; scales, ratios as anchors.h.
 *
 * Training (net->train with net->truth; truth as darknet.h's DN_MAX_BOXES
 * boxes of 5 floats), per image: anchors matched to the gts (matcher.h:
 * pos_iou / neg_iou with low-quality matches); sigmoid focal loss over every
 * non-ignored anchor and class, box loss (l1 or smooth_l1 on the encoded
 * deltas, or 1 - GIoU on the decoded boxes) over the positives, both divided
 * by max(1, positives of that image), as torchvision does per image. l->cost
 * is the sum over the images of the batch (darknet's convention: the update
 * divides by the batch, which makes it torchvision's mean over images). The
 * negative gradients are ADDED into the cls and box layers' deltas during
 * forward; there is no backward.
 *
 * Output: one 0 per image (a sink: results are the loss, the deltas and
 * get_detections). Inference (get_detections): RetinaNet's post-processing
 * of image 0 (nms.h) on the logits, thresholded in logit space, so no sigmoid
 * over every anchor is needed: score > score_thresh, best topk per level,
 * decoded and clipped to the input, per-class NMS, at most max_dets.
 *
 * init_weights sets the class layers' biases to -log((1 - prior) / prior):
 * the first stored tensor of a [convolutional] is its biases (stored[0]);
 * a class layer that shares another's weights (share=) stores nothing and
 * is reached through the owner, which must be a class layer too. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "box_coding.h"
#include "errors.h"
#include "focal_loss.h"
#include "matcher.h"
#include "layer_desc.h"
#include "network.h"
#include "nms.h"
#include "threadpool.h"
#ifdef DN_GPU
#include "gpu.h"
#endif

enum { MAX_LEVELS = 16, TRUTH_FLOATS = 5 };
enum { LOSS_L1, LOSS_SMOOTH_L1, LOSS_GIOU };

typedef struct {
    int classes, n_levels, A;
    int cls[MAX_LEVELS], box[MAX_LEVELS];    /* absolute layer indices */
    int n_sizes, n_strides;                  /* 0: derived */
    float sizes[MAX_LEVELS], cfg_strides[MAX_LEVELS];
    anchor_config anchor;                    /* scales, ratios; base size per level */
    match_config match;
    float alpha, gamma, beta, prior;
    int box_loss;
    retina_post_config post;
    /* set in setup */
    int lw[MAX_LEVELS], lh[MAX_LEVELS], offset[MAX_LEVELS + 1];
    float stride[MAX_LEVELS];
    cbox *anchors;                           /* offset[n_levels] anchors, level by level */
    int *matches;
    void *match_scratch, *post_scratch;
    scored_box *dets;                        /* post.max_dets */
    double *row_loss;                        /* focal loss per (level, a, k) row of one image */
    cbox gts[DN_MAX_BOXES];
    int gt_cls[DN_MAX_BOXES];
    /* last forward, per image */
    float focal, boxl;
    int warned;
#ifdef DN_GPU
    int *target;     /* batch x anchors: matched class, -1 or -2 (retina_body.cuh) */
    float *enc;      /* batch x anchors x 4: the positives' encoded targets */
    gpu_buffer target_gpu, enc_gpu, norm_gpu, row_loss_gpu, box_loss_gpu, out_gpu;   /* device twins */
#endif
} retina_state;

static const char *const box_loss_names[] = {"l1", "smooth_l1", "giou", NULL};

/* ---- shapes and anchors ------------------------------------------------ */

static int fail(cfg_section *sec, const char *key, const char *msg)
{
    if (sec) return cfg_fail(sec, key, "%s", msg);
    return dn_error("[retina]: %s", msg);
}

/* Checks each level's layers against classes and A, and sets lw, lh, stride. */
static int check_levels(layer *l, network *net, cfg_section *sec)
{
    retina_state *s = l->priv;
    char msg[512];
    for (int i = 0; i < s->n_levels; ++i) {
        const layer *c = &net->layers[s->cls[i]], *b = &net->layers[s->box[i]];
        if (c->out_c != s->A * s->classes) {
            snprintf(msg, sizeof msg, "level %d: layer %d is %d x %d x %d but needs %d channels "
                     "(%d anchors (scales x ratios) x classes %d)", i, s->cls[i], c->out_w, c->out_h,
                     c->out_c, s->A * s->classes, s->A, s->classes);
            return fail(sec, "cls", msg);
        }
        if (b->out_c != s->A * 4) {
            snprintf(msg, sizeof msg, "level %d: layer %d is %d x %d x %d but needs %d channels "
                     "(%d anchors x 4)", i, s->box[i], b->out_w, b->out_h, b->out_c, s->A * 4, s->A);
            return fail(sec, "box", msg);
        }
        if (b->out_w != c->out_w || b->out_h != c->out_h) {
            snprintf(msg, sizeof msg, "level %d: box layer %d is %d x %d but class layer %d is %d x %d",
                     i, s->box[i], b->out_w, b->out_h, s->cls[i], c->out_w, c->out_h);
            return fail(sec, "box", msg);
        }
        s->lw[i] = c->out_w;
        s->lh[i] = c->out_h;
    }
    if (s->n_strides) {
        memcpy(s->stride, s->cfg_strides, sizeof s->stride);
        return 0;
    }
    if (net->w % s->lw[0] || net->h % s->lh[0] || net->w / s->lw[0] != net->h / s->lh[0]) {
        snprintf(msg, sizeof msg, "the first level is %d x %d, which does not divide the %d x %d input "
                 "into one integral stride; give strides=", s->lw[0], s->lh[0], net->w, net->h);
        return fail(sec, "cls", msg);
    }
    s->stride[0] = (float)(net->w / s->lw[0]);
    for (int i = 1; i < s->n_levels; ++i) {
        float fx = roundf((float)s->lw[i - 1] / s->lw[i]), fy = roundf((float)s->lh[i - 1] / s->lh[i]);
        if (fx != fy || fx < 1) {
            snprintf(msg, sizeof msg, "level %d is %d x %d after %d x %d: no common stride factor; "
                     "give strides=", i, s->lw[i], s->lh[i], s->lw[i - 1], s->lh[i - 1]);
            return fail(sec, "cls", msg);
        }
        s->stride[i] = s->stride[i - 1] * fx;
    }
    return 0;
}

static int retina_setup(layer *l, network *net)
{
    retina_state *s = l->priv;
    if (check_levels(l, net, NULL)) return -1;
    int64_t total = 0;
    for (int i = 0; i < s->n_levels; ++i) {
        s->offset[i] = (int)total;
        total += (int64_t)s->lw[i] * s->lh[i] * s->A;
        if (total > INT32_MAX / 4) return dn_error("[retina]: %lld anchors are too many", (long long)total);
    }
    s->offset[s->n_levels] = (int)total;
    size_t n = (size_t)total;
    if (!(s->anchors = dn_realloc(s->anchors, n, sizeof(cbox)))) return -1;
    if (!(s->matches = dn_realloc(s->matches, n, sizeof(int)))) return -1;
    if (!(s->match_scratch = dn_realloc(s->match_scratch, match_scratch_size((int)n, DN_MAX_BOXES), 1)))
        return -1;
    for (int i = 0; i < s->n_levels; ++i) {
        anchor_config c = s->anchor;
        c.base_size = s->n_sizes ? s->sizes[i] : 4 * s->stride[i];
        if (make_anchors(&c, s->lw[i], s->lh[i], s->stride[i], s->anchors + s->offset[i]) < 0) return -1;
    }
    s->post.img_w = (float)net->w;
    s->post.img_h = (float)net->h;
    if (!(s->post_scratch = dn_realloc(s->post_scratch, retina_post_scratch_size(&s->post, s->n_levels), 1)))
        return -1;
    if (!(s->row_loss = dn_realloc(s->row_loss, (size_t)s->n_levels * s->A * s->classes, sizeof(double))))
        return -1;
    if (!s->dets && !(s->dets = dn_calloc((size_t)s->post.max_dets + 1, sizeof(scored_box)))) return -1;
    l->out_w = l->out_h = l->out_c = 1;
    l->workspace = 0;
    l->flops = 0;
    return 0;
}

/* ---- cfg ----------------------------------------------------------------- */

static int read_layers(layer *l, cfg_section *sec, const char *key, int *out)
{
    retina_state *s = l->priv;
    int *v = NULL;
    int n = cfg_int_list(sec, key, &v);
    if (n < 0) return -1;
    int ok = n >= 1 && n <= MAX_LEVELS && (!s->n_levels || n == s->n_levels);
    if (!ok) {
        free(v);
        if (n == 0) return cfg_fail(sec, key, "is required: the layer of each level's %s head output", key);
        if (n > MAX_LEVELS) return cfg_fail(sec, key, "%d levels; at most %d", n, MAX_LEVELS);
        return cfg_fail(sec, key, "has %d layers but cls= has %d: one of each per level", n, s->n_levels);
    }
    for (int i = 0; i < n; ++i)
        if ((out[i] = resolve_layer_index(l, sec, key, v[i])) < 0) {
            free(v);
            return -1;
        }
    free(v);
    s->n_levels = n;
    return 0;
}

/* A positive float list of at most max entries (exactly `want` when want > 0). */
static int read_floats(cfg_section *sec, const char *key, float *out, int max, int want)
{
    float *v = NULL;
    int n = cfg_float_list(sec, key, &v);
    if (n < 0) return -1;
    int bad = n > max || (want > 0 && n != want);
    for (int i = 0; i < n && !bad; ++i) bad = !(v[i] > 0) || !isfinite(v[i]);
    if (!bad) memcpy(out, v, sizeof(float) * n);
    free(v);
    if (bad) {
        if (want > 0 && n != want)
            return cfg_fail(sec, key, "has %d values; one per level (%d) is needed", n, want);
        return cfg_fail(sec, key, "needs at most %d positive numbers", max);
    }
    return n;
}

static int retina_parse(layer *l, cfg_section *sec, network *net)
{
    retina_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    l->classes = s->classes = cfg_int_range(sec, "classes", 80, 1, 1 << 16);
    if (read_layers(l, sec, "cls", s->cls) || read_layers(l, sec, "box", s->box)) return -1;
    s->anchor = anchor_config_retinanet(1);
    if (cfg_has(sec, "scales") &&
        (s->anchor.n_scales = read_floats(sec, "scales", s->anchor.scales, ANCHOR_MAX_SCALES, 0)) < 1)
        return cfg_failed(sec) ? -1 : cfg_fail(sec, "scales", "is empty");
    if (cfg_has(sec, "ratios") &&
        (s->anchor.n_ratios = read_floats(sec, "ratios", s->anchor.ratios, ANCHOR_MAX_RATIOS, 0)) < 1)
        return cfg_failed(sec) ? -1 : cfg_fail(sec, "ratios", "is empty");
    s->A = s->anchor.n_scales * s->anchor.n_ratios;
    if (cfg_has(sec, "anchor_sizes") &&
        (s->n_sizes = read_floats(sec, "anchor_sizes", s->sizes, MAX_LEVELS, s->n_levels)) < 0)
        return -1;
    if (cfg_has(sec, "strides") &&
        (s->n_strides = read_floats(sec, "strides", s->cfg_strides, MAX_LEVELS, s->n_levels)) < 0)
        return -1;
    s->alpha = cfg_float_range(sec, "alpha", 0.25f, 0, 1);
    s->gamma = cfg_float_range(sec, "gamma", 2, 0, 100);
    s->box_loss = cfg_enum(sec, "box_loss", box_loss_names, LOSS_L1);
    s->beta = cfg_float_range(sec, "beta", 0.11f, 0, 1000);
    s->match = match_config_retinanet();
    s->match.pos_iou = cfg_float_range(sec, "pos_iou", 0.5f, 1e-6f, 1);
    s->match.neg_iou = cfg_float_range(sec, "neg_iou", 0.4f, 0, 1);
    s->prior = cfg_float_range(sec, "prior", 0.01f, 1e-6f, 1 - 1e-6f);
    s->post = retina_post_config_default();
    s->post.score_thresh = cfg_float_range(sec, "score_thresh", 0.05f, 0, 1);
    s->post.topk_per_level = cfg_int_range(sec, "topk", 1000, 1, 1 << 24);
    s->post.nms_thresh = cfg_float_range(sec, "nms", 0.5f, 0, 1);
    s->post.max_dets = cfg_int_range(sec, "max_dets", 100, 1, 1 << 20);
    if (cfg_failed(sec)) return -1;
    if (s->match.neg_iou > s->match.pos_iou)
        return cfg_fail(sec, "neg_iou", "%g is above pos_iou=%g", s->match.neg_iou, s->match.pos_iou);
    l->truths = DN_MAX_BOXES * TRUTH_FLOATS;
    return check_levels(l, net, sec);
}

/* ---- init ------------------------------------------------------------------ */

extern const layer_ops convolutional_ops;

static void retina_init_weights(layer *l, network *net)
{
    retina_state *s = l->priv;
    float bias = -logf((1 - s->prior) / s->prior);
    int set = 0;
    for (int i = 0; i < s->n_levels; ++i) {
        layer *c = &net->layers[s->cls[i]];
        if (c->ops != &convolutional_ops || c->n_stored < 1) continue;   /* a sharer: via its owner */
        for (int k = 0; k < c->stored_n[0]; ++k) c->stored[0][k] = bias;
        ++set;
    }
    if (!set)
        dn_warn("[retina] (layer %d): no class layer in cls= is a [convolutional] with its own weights; "
                "the prior bias %g was not set", l->index, bias);
}

/* ---- training -------------------------------------------------------------- */

/* The image's gts in pixels of the network input; boxes with a bad class or
 * coordinates are skipped (warned once). Returns the count. */
static int read_truth(retina_state *s, const network *net, const float *t, int layer_index)
{
    int n = 0, bad = 0;
    for (int i = 0; i < DN_MAX_BOXES; ++i, t += TRUTH_FLOATS) {
        if (t[2] == 0) break;
        float cls = t[4];
        if (!(cls >= 0 && cls < s->classes && cls == floorf(cls)) || !isfinite(t[0]) || !isfinite(t[1]) ||
            !(t[2] > 0 && t[2] < 1e6f) || !(t[3] >= 0 && t[3] < 1e6f)) {
            ++bad;
            continue;
        }
        box b = {t[0] * net->w, t[1] * net->h, t[2] * net->w, t[3] * net->h};
        s->gts[n] = cbox_from_box(b);
        s->gt_cls[n++] = (int)cls;
    }
    if (bad && !s->warned) {
        s->warned = 1;
        dn_warn("[retina] (layer %d): %d truth box(es) skipped: class outside [0, %d) or bad coordinates "
                "(warned once)", layer_index, bad, s->classes);
    }
    return n;
}

/* Box loss of one positive anchor; adds the negative gradient times scale into d[0..3*hw] (stride hw). */
static float box_term(const retina_state *s, const float *pred, int hw, cbox anchor, cbox gt, float *d,
                      float scale)
{
    float p[4], g[4];
    for (int j = 0; j < 4; ++j) p[j] = pred[(size_t)j * hw];
    float loss = 0;
    if (s->box_loss == LOSS_GIOU) {
        float ga[4], gb[4];
        cbox b = box_decode(p, anchor, NULL);
        loss = 1 - cbox_giou(b, gt, ga, gb);
        /* chain through box_decode: x1,x2 = cx -+ w/2, cx = dx pw + px, w = exp(dw) pw
         * (clamped dw: no gradient) */
        float pw = anchor.x2 - anchor.x1, ph = anchor.y2 - anchor.y1;
        float w = b.x2 - b.x1, h = b.y2 - b.y1;
        g[0] = -(ga[0] + ga[2]) * pw;
        g[1] = -(ga[1] + ga[3]) * ph;
        g[2] = p[2] < BOX_CODING_CLIP ? -(ga[2] - ga[0]) * 0.5f * w : 0;
        g[3] = p[3] < BOX_CODING_CLIP ? -(ga[3] - ga[1]) * 0.5f * h : 0;
    } else {
        float t[4];
        box_encode(gt, anchor, NULL, t);
        for (int j = 0; j < 4; ++j)
            loss += box_delta_term(p[j], t[j], s->box_loss == LOSS_SMOOTH_L1, s->beta, &g[j]);
    }
    if (d)
        for (int j = 0; j < 4; ++j) d[(size_t)j * hw] -= scale * g[j];
    return loss;
}

/* The focal loss of rows [r0, r1) of one image, a row being the hw logits of
 * one (anchor, class) channel of one level, r = channel * n_levels + level
 * (levels interleaved, so every chunk of rows costs about the same): each
 * row's sum into row_loss (summed in order afterwards, so the total does not
 * depend on the threads), gradients into the class layers' deltas (disjoint
 * per row). */
typedef struct {
    layer *l;
    network *net;
    int b;
    float norm;
} focal_job;

static void focal_rows(void *ctx, int r0, int r1)
{
    const focal_job *j = ctx;
    retina_state *s = j->l->priv;
    int K = s->classes, A = s->A;
    for (int r = r0; r < r1; ++r) {
        int li = r % s->n_levels, ch = r / s->n_levels, a = ch / K, k = ch % K;
        const layer *cl = &j->net->layers[s->cls[li]];
        int hw = s->lw[li] * s->lh[li];
        const int *m = s->matches + s->offset[li];
        const float *x = cl->output + (size_t)j->b * cl->outputs + (size_t)ch * hw;
        float *d = cl->delta ? cl->delta + (size_t)j->b * cl->outputs + (size_t)ch * hw : NULL;
        double sum = 0;
        for (int p = 0; p < hw; ++p) {
            int g = m[p * A + a];
            if (g == MATCH_IGNORE) continue;
            float grad;
            sum += sigmoid_focal_term(x[p], g >= 0 && s->gt_cls[g] == k, s->alpha, s->gamma, &grad);
            if (d) d[p] -= j->norm * grad;
        }
        s->row_loss[r] = sum;
    }
}

/* Matches image b's anchors to its gts (s->matches, s->gts, s->gt_cls), for
 * the host and the device passes alike. Returns its positives, or -1 (bad
 * thresholds, refused at parse: the image is then left out). */
static int match_image(layer *l, network *net, int b)
{
    retina_state *s = l->priv;
    int n_gts = read_truth(s, net, net->truth + (size_t)b * l->truths, l->index);
    int n_anchors = s->offset[s->n_levels];
    if (match_anchors(s->anchors, n_anchors, s->gts, n_gts, &s->match, s->match_scratch, s->matches) < 0) return -1;
    int n_pos = 0;
    for (int i = 0; i < n_anchors; ++i) n_pos += s->matches[i] >= 0;
    return n_pos;
}

/* Loss of image b; adds its gradients. Returns focal and box parts. */
static void image_loss(layer *l, network *net, int b, double *focal_out, double *box_out)
{
    retina_state *s = l->priv;
    int n_anchors = s->offset[s->n_levels], n_pos = match_image(l, net, b);
    if (n_pos < 0) {
        *focal_out = *box_out = 0;
        return;
    }
    float norm = 1.0f / (n_pos > 1 ? n_pos : 1);
    int rows = s->n_levels * s->A * s->classes;
    focal_job job = {l, net, b, norm};
    /* a few thousand logits per task at least */
    int grain = 1 + 4096 * s->n_levels / (n_anchors / s->A + 1);
    parallel_for(rows, grain, focal_rows, &job);
    double focal = 0, boxl = 0;
    for (int r = 0; r < rows; ++r) focal += s->row_loss[r];
    int A = s->A;
    for (int li = 0; li < s->n_levels && n_pos; ++li) {
        layer *bl = &net->layers[s->box[li]];
        int hw = s->lw[li] * s->lh[li];
        const int *m = s->matches + s->offset[li];
        const float *deltas = bl->output + (size_t)b * bl->outputs;
        float *dbox = bl->delta ? bl->delta + (size_t)b * bl->outputs : NULL;
        for (int p = 0; p < hw; ++p)
            for (int a = 0; a < A; ++a) {
                int g = m[p * A + a];
                if (g < 0) continue;
                size_t at = (size_t)a * 4 * hw + p;
                boxl += box_term(s, deltas + at, hw, s->anchors[s->offset[li] + p * A + a], s->gts[g],
                                 dbox ? dbox + at : NULL, norm);
            }
    }
    *focal_out = focal * norm;
    *box_out = boxl * norm;
}

static void retina_forward(layer *l, network *net)
{
    retina_state *s = l->priv;
    memset(l->output, 0, (size_t)l->batch * l->outputs * sizeof(float));
    s->focal = s->boxl = 0;
    l->cost = 0;
    if (!net->train || !net->truth) return;
    double focal = 0, boxl = 0;
    for (int b = 0; b < l->batch; ++b) {
        double f, bx;
        image_loss(l, net, b, &f, &bx);
        focal += f;
        boxl += bx;
    }
    l->cost = (float)(focal + boxl);
    s->focal = (float)(focal / l->batch);
    s->boxl = (float)(boxl / l->batch);
}

static int retina_named_losses(const layer *l, const char **names, float *values, int max)
{
    const retina_state *s = l->priv;
    const char *n[2] = {"focal", "box"};
    float v[2] = {s->focal, s->boxl};
    for (int i = 0; i < 2 && i < max; ++i) {
        if (names) names[i] = n[i];
        if (values) values[i] = v[i];
    }
    return 2;
}

/* ---- inference ------------------------------------------------------------- */

static int retina_detections(const layer *l, const network *net, float thresh, detection *out)
{
    retina_state *s = l->priv;
    retina_level lv[MAX_LEVELS];
    for (int i = 0; i < s->n_levels; ++i) {
        lv[i] = (retina_level){s->lw[i], s->lh[i], s->A, s->classes,
                               net->layers[s->cls[i]].output, net->layers[s->box[i]].output,
                               s->anchors + s->offset[i], NULL};
    }
    /* sigmoid is monotone: compare logits with logit(threshold) */
    retina_post_config c = s->post;
    float t = fmaxf(c.score_thresh, thresh);
    c.score_thresh = t <= 0 ? -INFINITY : t >= 1 ? INFINITY : logf(t / (1 - t));
    int n = retina_postprocess(lv, s->n_levels, &c, s->post_scratch, s->dets);
    if (n < 0 || !out) return n;
    for (int i = 0; i < n; ++i) {
        const scored_box *sb = &s->dets[i];
        detection *d = &out[i];
        box b = box_from_cbox(sb->box);
        d->bbox = (box){b.x / net->w, b.y / net->h, b.w / net->w, b.h / net->h};
        d->classes = s->classes;
        d->objectness = 1 / (1 + expf(-sb->score));
        if (!(d->prob = dn_calloc((size_t)s->classes, sizeof(float)))) return -1;
        d->prob[sb->cls] = d->objectness;
    }
    return n;
}

static void retina_free(layer *l)
{
    retina_state *s = l->priv;
    if (!s) return;
    free(s->anchors);
    free(s->matches);
    free(s->match_scratch);
    free(s->post_scratch);
    free(s->dets);
    free(s->row_loss);
#ifdef DN_GPU
    free(s->target);
    free(s->enc);
#endif
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
#include "blas_gpu.h"
#include "retina_gpu.h"

static int retina_gpu_setup(layer *l, network *net)
{
    retina_state *s = l->priv;
    gpu_ctx *g = net->gpu;
    if (s->box_loss == LOSS_GIOU)
        return dn_error("[retina] (layer %d): box_loss=giou has no device pass yet: use l1 or smooth_l1 on a GPU",
                        l->index);
    size_t n = (size_t)l->batch * s->offset[s->n_levels], rows = (size_t)l->batch * s->n_levels * s->A * s->classes;
    if (!(s->target = dn_realloc(s->target, n, sizeof(int))) || !(s->enc = dn_realloc(s->enc, 4 * n, sizeof(float))))
        return -1;
    memset(s->enc, 0, 4 * n * sizeof(float));
    return gpu_buffer_resize(g, &s->target_gpu, n) || gpu_buffer_resize(g, &s->enc_gpu, 4 * n) ||
           gpu_buffer_resize(g, &s->norm_gpu, l->batch) || gpu_buffer_resize(g, &s->row_loss_gpu, 2 * rows) ||
           gpu_buffer_resize(g, &s->box_loss_gpu, 2 * n) || gpu_buffer_resize(g, &s->out_gpu, 3);
}

static void retina_gpu_free(layer *l, network *net)
{
    retina_state *s = l->priv;
    gpu_buffer *b[] = {&s->target_gpu, &s->enc_gpu, &s->norm_gpu, &s->row_loss_gpu, &s->box_loss_gpu, &s->out_gpu};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; ++i) gpu_buffer_free(net->gpu, b[i]);
}

/* Each anchor's target (class, -1, -2) and encoded box, image by image, from
 * the host pass's matching. It runs on the host on net->truth and the anchors,
 * never on the activations (no activation crosses to the host): sequential
 * and cheap, and then pushed once per batch. */
static int retina_targets_to_gpu(layer *l, network *net)
{
    retina_state *s = l->priv;
    int n_anchors = s->offset[s->n_levels];
    for (int b = 0; b < l->batch; ++b) {
        int *t = s->target + (size_t)b * n_anchors, ok = match_image(l, net, b) >= 0;
        float *e = s->enc + (size_t)b * n_anchors * 4;
        for (int i = 0; i < n_anchors; ++i) {
            int m = ok ? s->matches[i] : MATCH_IGNORE;
            t[i] = m >= 0 ? s->gt_cls[m] : m;
            if (m >= 0) box_encode(s->gts[m], s->anchors[i], NULL, e + (size_t)i * 4);
        }
    }
    size_t n = (size_t)l->batch * n_anchors;
    return gpu_push(net->gpu, s->target_gpu.p, (const float *)s->target, n) ||
           gpu_push(net->gpu, s->enc_gpu.p, s->enc, 4 * n);
}

/* The loss on the device; cost and named losses pulled (three scalars). */
static void retina_gpu_train_loss(layer *l, network *net)
{
    retina_state *s = l->priv;
    retina_gpu_level lv[MAX_LEVELS];
    for (int i = 0; i < s->n_levels; ++i) {
        const layer *c = &net->layers[s->cls[i]], *b = &net->layers[s->box[i]];
        lv[i] = (retina_gpu_level){c->output_gpu, b->output_gpu, c->delta_gpu, b->delta_gpu, s->lw[i] * s->lh[i],
                                   s->offset[i]};
    }
    retina_gpu_loss r = {l->batch, s->n_levels, s->A, s->classes, s->offset[s->n_levels],
                         s->box_loss == LOSS_SMOOTH_L1, s->alpha, s->gamma, s->beta, (const int *)s->target_gpu.p,
                         s->enc_gpu.p, s->norm_gpu.p, (double *)s->row_loss_gpu.p, (double *)s->box_loss_gpu.p};
    retina_loss_gpu(net->gpu, &r, lv, s->out_gpu.p);
    float out[3];
    if (gpu_pull(net->gpu, out, s->out_gpu.p, 3)) {
        net->gpu_failed = 1;
        return;
    }
    l->cost = out[0];
    s->focal = out[1];
    s->boxl = out[2];
}

static void retina_gpu_forward(layer *l, network *net)
{
    retina_state *s = l->priv;
    fill_gpu(net->gpu, l->output_gpu, (size_t)l->batch * l->outputs, 0);
    s->focal = s->boxl = 0;
    l->cost = 0;
    if (net->train && net->truth) {
        if (retina_targets_to_gpu(l, net))
            net->gpu_failed = 1;
        else
            retina_gpu_train_loss(l, net);
        return;
    }
    if (net->train) return;
    /* get_detections decodes on the host from the heads' host outputs: pull
     * them (a device decoding kernel is a later step) */
    for (int i = 0; i < s->n_levels; ++i) {
        layer *c = &net->layers[s->cls[i]], *b = &net->layers[s->box[i]];
        if (gpu_pull(net->gpu, c->output, c->output_gpu, c->gpu_outputs) ||
            gpu_pull(net->gpu, b->output, b->output_gpu, b->gpu_outputs))
            net->gpu_failed = 1;
    }
}
#endif

const layer_ops retina_ops = {
    .name = "retina",
    .parse = retina_parse,
    .setup = retina_setup,
    .init_weights = retina_init_weights,
    .forward = retina_forward,
    .backward = NULL,   /* gradients go into the heads' deltas during forward */
    .free_priv = retina_free,
    .get_detections = retina_detections,
    .named_losses = retina_named_losses,
#ifdef DN_GPU
    .forward_gpu = retina_gpu_forward,
    .setup_gpu = retina_gpu_setup,
    .free_gpu = retina_gpu_free,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int retina_describe(const layer *l, retina_desc *out)
{
    if (layer_check_type(l, &retina_ops)) return -1;
    const retina_state *s = l->priv;
    *out = (retina_desc){.classes = s->classes, .n_levels = s->n_levels, .A = s->A, .anchors = s->anchors,
                         .post = s->post};
    memcpy(out->cls, s->cls, sizeof out->cls);
    memcpy(out->box, s->box, sizeof out->box);
    memcpy(out->offset, s->offset, sizeof out->offset);
    return 0;
}
