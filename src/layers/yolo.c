/* [yolo]: darknet's YOLOv3 detection layer, inference only.
 *
 * Input: len(mask) * (classes + 5) channels. For mask entry n, channels
 * n*(classes+5) + {0: x, 1: y, 2: w, 3: h, 4: objectness, 5..: classes}.
 * Output: the input with the logistic applied to x, y, objectness and the
 * classes; w and h stay raw. Box of cell (row, col), mask entry n with anchor
 * (aw, ah) in input pixels, relative to the network input (in [0,1]):
 *   bx = (col + x) / grid_w     by = (row + y) / grid_h
 *   bw = exp(w) * aw / net_w    bh = exp(h) * ah / net_h
 *
 * Training is NOT implemented: in training mode the layer computes no loss
 * (cost stays 0) and its backward leaves every delta untouched, so a network
 * ending in [yolo] can be run and its weights loaded and saved, not trained;
 * the training commands refuse it (ops->cannot_train).
 * The layer stores nothing in the weights file (anchors come from the cfg). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "activation_math.h"
#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#ifdef DN_GPU
#include "gpu.h"
#include "yolo_gpu.h"
#endif

typedef struct {
    int classes;
    int n;          /* anchors used here: len(mask) */
    int *mask;      /* indices into anchors */
    float *anchors; /* 2 * num values: w, h in input pixels */
} yolo_state;

/* darknet (pjreddie and AlexeyAB) training, NMS and tracking keys */
static const char *const yolo_ignored[] = {
    "jitter", "ignore_thresh", "truth_thresh", "random", "iou_normalizer", "cls_normalizer",
    "obj_normalizer", "delta_normalizer", "iou_loss", "iou_thresh", "iou_thresh_kind", "beta_nms",
    "nms_kind", "max_delta", "counters_per_class", "label_smooth_eps", "objectness_smooth",
    "resize", "focal_loss", "uc_normalizer", "max", "rescore", "track_history_size", "sim_thresh",
    "dets_for_track", "dets_for_show", "track_ciou_norm", "embedding_layer", "show_details", "map", NULL};

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
    /* AlexeyAB's variants that change the decoding: refuse rather than decode wrongly */
    if (cfg_float(sec, "scale_x_y", 1) != 1)
        return cfg_fail(sec, "scale_x_y", "only 1 is supported (grid-sensitive decoding is not implemented)");
    if (cfg_int(sec, "new_coords", 0) != 0)
        return cfg_fail(sec, "new_coords", "only 0 is supported (YOLOv4-csp decoding is not implemented)");
    if (cfg_failed(sec)) return -1;
    return check_channels(l, s, sec);
}

static int yolo_setup(layer *l, network *net)
{
    (void)net;
    if (check_channels(l, l->priv, NULL)) return -1;
    l->out_w = l->w;
    l->out_h = l->h;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = (double)l->w * l->h * l->c;
    return 0;
}


static void yolo_forward(layer *l, network *net)
{
    const yolo_state *s = l->priv;
    size_t plane = (size_t)l->w * l->h;
    memcpy(l->output, net->input, (size_t)l->batch * l->outputs * sizeof(float));
    for (int b = 0; b < l->batch; ++b)
        for (int n = 0; n < s->n; ++n) {
            float *e = l->output + (size_t)b * l->outputs + (size_t)n * entries(s) * plane;
            for (size_t i = 0; i < 2 * plane; ++i) e[i] = act_logistic(e[i]);   /* x, y */
            for (size_t i = 4 * plane; i < (size_t)entries(s) * plane; ++i) e[i] = act_logistic(e[i]);
        }
    /* No loss: training is not implemented (see the top of the file); cost stays 0. */
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
    free(s);
}

#ifdef DN_GPU
/* ---- the same pass on the device ---- */
/* get_detections reads the host output, and a network may have several [yolo]
 * heads while the run loop pulls only the last layer's output: each head pulls
 * its own, a small copy next to the convolutions before it. */
static void yolo_gpu_forward(layer *l, network *net)
{
    const yolo_state *s = l->priv;
    yolo_forward_gpu(net->gpu, net->gpu_input, l->output_gpu, l->batch, s->n, s->classes, l->w * l->h);
    if (gpu_pull(net->gpu, l->output, l->output_gpu, (size_t)l->batch * l->outputs)) net->gpu_failed = 1;
}
#endif

const layer_ops yolo_ops = {
    .name = "yolo",
    .parse = yolo_parse,
    .setup = yolo_setup,
    .forward = yolo_forward,
    .backward = NULL, /* training not implemented: deltas are left untouched */
    .free_priv = yolo_free,
    .ignored_keys = yolo_ignored,
    .get_detections = yolo_detections,
#ifdef DN_GPU
    .forward_gpu = yolo_gpu_forward,
#endif
    .cannot_train = "training a [yolo] layer is not implemented yet (only weight decay would move the weights); "
                    "train a [retina] head instead (cfg/retinanet_tiny.cfg)",
};

/* ---- read-only description (layer_desc.h) ---- */
int yolo_describe(const layer *l, yolo_desc *out)
{
    if (layer_check_type(l, &yolo_ops)) return -1;
    const yolo_state *s = l->priv;
    *out = (yolo_desc){s->classes, s->n, s->mask, s->anchors};
    return 0;
}
