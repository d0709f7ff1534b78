/* export_heads.c: the detection layers.
 *
 * [yolo]: every head's boxes decoded as get_network_boxes does (yolo.c), one
 * row per cell and anchor in darknet's order (rows, columns, then the mask's
 * anchors), the heads one after the other: x, y, w, h relative to the network
 * input, objectness, objectness x class probability (not thresholded).
 *
 * [retina]: by default each level's class logits and box deltas as the head
 * layers give them. With -postprocess, what retina_postprocess (nms.h) does:
 * per level the best topk (anchor, class) logits, sigmoid scores, boxes
 * decoded (box_coding.h) and clipped to the input, in input pixels, and ONNX
 * NonMaxSuppression per class with nms= and score_thresh=, at most max_dets
 * boxes per class; the best max_dets of what it keeps are the detections. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "box_coding.h"
#include "errors.h"
#include "export_ctx.h"
#include "layer_desc.h"

/* [B, A * E, h, w] (channel a * E + e) as [B, h * w * A, E] (row (y * w + x) * A + a). */
static const char *rows_per_anchor(export_ctx *x, const char *in, int A, int E, int h, int w)
{
    int64_t split[4] = {x->batch, A, E, (int64_t)h * w}, perm[4] = {0, 3, 1, 2};
    int64_t rows[3] = {x->batch, (int64_t)h * w * A, E};
    const char *t = onnx_transpose(x->g, onnx_reshape(x->g, in, split, 4), perm, 4);
    return onnx_reshape(x->g, t, rows, 3);
}

/* A constant [rows, 2] with (f(row, 0), f(row, 1)) per row. */
static const char *pairs_const(export_ctx *x, const float *v, int rows)
{
    int64_t dims[2] = {rows, 2};
    return onnx_floats(x->g, v, dims, 2);
}

/* Per row of one head, (x, y) pairs: the cell's column and row, the grid's
 * width and height, the anchor's w and h, and the network's width and height.
 * Full-size constants rather than broadcast ones: OpenCV's DNN module (4.6)
 * divides by a [2] constant wrongly. */
enum { GRID, SIDE, ANCHOR, NET, N_YOLO_CONSTS };

static int yolo_consts(export_ctx *x, const layer *l, const yolo_desc *d, const char *out[N_YOLO_CONSTS])
{
    int rows = l->w * l->h * d->n;
    float *v = dn_calloc(2 * (size_t)rows * N_YOLO_CONSTS, sizeof(float));
    if (!v) return -1;
    for (int r = 0; r < rows; ++r) {
        int cell = r / d->n, a = d->mask[r % d->n];
        float pairs[N_YOLO_CONSTS][2] = {{(float)(cell % l->w), (float)(cell / l->w)},
                                         {(float)l->w, (float)l->h},
                                         {d->anchors[2 * a], d->anchors[2 * a + 1]},
                                         {(float)x->net->w, (float)x->net->h}};
        for (int k = 0; k < N_YOLO_CONSTS; ++k) memcpy(v + 2 * ((size_t)k * rows + r), pairs[k], sizeof pairs[k]);
    }
    for (int k = 0; k < N_YOLO_CONSTS; ++k) out[k] = pairs_const(x, v + 2 * (size_t)k * rows, rows);
    free(v);
    return 0;
}

/* x, y of the cell: the logistic, widened by scale_x_y around the cell's centre. */
static const char *cell_xy(export_ctx *x, const char *t, const yolo_desc *d)
{
    const char *xy = onnx_op1(x->g, "Sigmoid", t);
    if (d->scale_x_y == 1) return xy;
    xy = onnx_op2(x->g, "Mul", xy, onnx_scalar(x->g, d->scale_x_y));
    return onnx_op2(x->g, "Add", xy, onnx_scalar(x->g, -0.5f * (d->scale_x_y - 1)));
}

/* What the layer itself outputs, for a layer after it that reads it: the
 * logistic of every entry but w and h (x, y as cell_xy) (dropped from the model when nothing
 * reads it). Slices rather than a mask: OpenCV's DNN module (4.6) has no Where. */
static const char *yolo_layer_output(export_ctx *x, const char *in, const yolo_desc *d)
{
    int E = d->classes + 5;
    const char **parts = dn_calloc(3 * (size_t)d->n, sizeof *parts);
    if (!parts) return "";
    for (int a = 0; a < d->n; ++a) {
        int64_t c = (int64_t)a * E;
        parts[3 * a] = cell_xy(x, onnx_slice(x->g, in, 1, c, c + 2, 1), d);
        parts[3 * a + 1] = onnx_slice(x->g, in, 1, c + 2, c + 4, 1);
        parts[3 * a + 2] = onnx_op1(x->g, "Sigmoid", onnx_slice(x->g, in, 1, c + 4, c + E, 1));
    }
    const char *out = onnx_concat(x->g, parts, 3 * d->n, 1);
    free(parts);
    return out;
}

int export_yolo(export_ctx *x, const layer *l, const char *in)
{
    yolo_desc d;
    if (yolo_describe(l, &d)) return -1;
    int E = d.classes + 5;
    if (x->n_yolo && E != x->yolo_entries)
        return export_refuse(x, l, "has %d classes but an earlier [yolo] has %d: the heads share one output",
                             d.classes, x->yolo_entries - 5);
    if (x->n_yolo == (int)(sizeof x->yolo_parts / sizeof x->yolo_parts[0]))
        return export_refuse(x, l, "more [yolo] heads than the exporter takes (%d)", x->n_yolo);
    const char *c[N_YOLO_CONSTS];
    if (yolo_consts(x, l, &d, c)) return -1;
    onnx_graph *g = x->g;
    const char *t = rows_per_anchor(x, in, d.n, E, l->h, l->w);
    const char *xy = onnx_op2(g, "Add", c[GRID], cell_xy(x, onnx_slice(g, t, 2, 0, 2, 1), &d));
    xy = onnx_op2(g, "Div", xy, c[SIDE]);
    const char *wh = onnx_op2(g, "Mul", onnx_op1(g, "Exp", onnx_slice(g, t, 2, 2, 4, 1)), c[ANCHOR]);
    wh = onnx_op2(g, "Div", wh, c[NET]);
    const char *obj = onnx_op1(g, "Sigmoid", onnx_slice(g, t, 2, 4, 5, 1));
    const char *probs = onnx_op2(g, "Mul", obj, onnx_op1(g, "Sigmoid", onnx_slice(g, t, 2, 5, E, 1)));
    const char *parts[4] = {xy, wh, obj, probs};
    x->yolo_parts[x->n_yolo++] = onnx_concat(g, parts, 4, 2);
    x->yolo_rows += l->w * l->h * d.n;
    x->yolo_entries = E;
    x->out[l->index] = yolo_layer_output(x, in, &d);
    return 0;
}

void export_yolo_outputs(export_ctx *x)
{
    if (!x->n_yolo) return;
    onnx_graph_set_scope(x->g, "yolo");
    int64_t dims[3] = {x->batch, x->yolo_rows, x->yolo_entries};
    onnx_graph_output(x->g, onnx_concat(x->g, x->yolo_parts, x->n_yolo, 1), "detections", ONNX_FLOAT, dims, 3);
    onnx_graph_meta(x->g, "outputs", "detections: [batch, boxes, 5 + classes]: x, y, w, h (centre and size "
                                     "relative to the input), objectness, objectness x class probability");
}

/* ---- [retina] ---- */

static void raw_outputs(export_ctx *x, const retina_desc *d)
{
    char name[32];
    for (int i = 0; i < d->n_levels; ++i) {
        int64_t dims[4];
        export_out_dims(x, &x->net->layers[d->cls[i]], dims);
        snprintf(name, sizeof name, "cls%d", i);
        onnx_graph_output(x->g, x->out[d->cls[i]], name, ONNX_FLOAT, dims, 4);
        export_out_dims(x, &x->net->layers[d->box[i]], dims);
        snprintf(name, sizeof name, "box%d", i);
        onnx_graph_output(x->g, x->out[d->box[i]], name, ONNX_FLOAT, dims, 4);
    }
}

/* One level's logits as [B, anchors, K], those below the level's topk-th
 * best pushed to -inf-like values (so their scores fall under the threshold). */
static const char *level_logits(export_ctx *x, const retina_desc *d, const layer *c)
{
    onnx_graph *g = x->g;
    const char *t = rows_per_anchor(x, x->out[c->index], d->A, d->classes, c->out_h, c->out_w);
    int64_t candidates = (int64_t)c->out_w * c->out_h * d->A * d->classes;
    if (candidates <= d->post.topk_per_level) return t;
    int64_t flat[2] = {x->batch, candidates}, k = d->post.topk_per_level, axis1[1] = {1};
    const char *args[2] = {onnx_reshape(g, t, flat, 2), onnx_ints(g, &k, 1)};
    onnx_node *top = onnx_node_add(g, "TopK", args, 2, 2);
    const char *kth_in = onnx_out(top, 0);
    onnx_node *kth = onnx_node_add(g, "ReduceMin", &kth_in, 1, 1);   /* [B, 1] */
    onnx_attr_ints(kth, "axes", axis1, 1);
    int64_t col[3] = {x->batch, 1, 1};
    const char *below = onnx_op2(g, "Less", t, onnx_reshape(g, onnx_out(kth, 0), col, 3));
    const char *where[3] = {below, onnx_scalar(g, -1e30f), t};
    return onnx_out(onnx_node_add(g, "Where", where, 3, 1), 0);
}

/* Anchor centres and sizes, [total, 2] each, as box_decode computes them. */
static int anchor_consts(export_ctx *x, const retina_desc *d, const char **centre, const char **size)
{
    int total = d->offset[d->n_levels];
    float *c = dn_calloc(2 * (size_t)total, sizeof(float)), *s = dn_calloc(2 * (size_t)total, sizeof(float));
    if (c && s)
        for (int i = 0; i < total; ++i) {
            cbox a = d->anchors[i];
            s[2 * i] = a.x2 - a.x1, s[2 * i + 1] = a.y2 - a.y1;
            c[2 * i] = a.x1 + 0.5f * s[2 * i], c[2 * i + 1] = a.y1 + 0.5f * s[2 * i + 1];
        }
    if (c && s) *centre = pairs_const(x, c, total), *size = pairs_const(x, s, total);
    free(c);
    free(s);
    return c && s ? 0 : -1;
}

/* deltas [B, total, 4] -> corner boxes in input pixels, clipped to the input. */
static const char *decode_boxes(export_ctx *x, const retina_desc *d, const char *deltas, const char *centre,
                                const char *size)
{
    onnx_graph *g = x->g;
    int64_t four[1] = {4};
    if (d->post.weights) deltas = onnx_op2(g, "Div", deltas, onnx_floats(g, d->post.weights, four, 1));
    const char *dxy = onnx_slice(g, deltas, 2, 0, 2, 1), *dwh = onnx_slice(g, deltas, 2, 2, 4, 1);
    dwh = onnx_op2(g, "Min", dwh, onnx_scalar(g, BOX_CODING_CLIP));
    const char *c = onnx_op2(g, "Add", onnx_op2(g, "Mul", dxy, size), centre);
    const char *half = onnx_op2(g, "Mul", onnx_op2(g, "Mul", onnx_op1(g, "Exp", dwh), onnx_scalar(g, 0.5f)), size);
    const char *corners[2] = {onnx_op2(g, "Sub", c, half), onnx_op2(g, "Add", c, half)};
    const char *b = onnx_concat(g, corners, 2, 2);
    float side[4] = {(float)x->net->w, (float)x->net->h, (float)x->net->w, (float)x->net->h};
    b = onnx_op2(g, "Max", b, onnx_scalar(g, 0));
    return onnx_op2(g, "Min", b, onnx_floats(g, side, four, 1));
}

static int postprocess_outputs(export_ctx *x, const retina_desc *d)
{
    onnx_graph *g = x->g;
    const char *logits[RETINA_DESC_MAX_LEVELS], *deltas[RETINA_DESC_MAX_LEVELS], *centre, *size;
    for (int i = 0; i < d->n_levels; ++i) {
        const layer *c = &x->net->layers[d->cls[i]], *b = &x->net->layers[d->box[i]];
        logits[i] = level_logits(x, d, c);
        deltas[i] = rows_per_anchor(x, x->out[b->index], d->A, 4, b->out_h, b->out_w);
    }
    if (anchor_consts(x, d, &centre, &size)) return -1;
    const char *scores = onnx_op1(g, "Sigmoid", onnx_concat(g, logits, d->n_levels, 1));
    const char *boxes = decode_boxes(x, d, onnx_concat(g, deltas, d->n_levels, 1), centre, size);
    int64_t perm[3] = {0, 2, 1}, max_dets = d->post.max_dets;
    float iou = d->post.nms_thresh, thresh = d->post.score_thresh;
    const char *nms_in[5] = {boxes, onnx_transpose(g, scores, perm, 3), onnx_ints(g, &max_dets, 1),
                             onnx_floats(g, &iou, (int64_t[]){1}, 1), onnx_floats(g, &thresh, (int64_t[]){1}, 1)};
    const char *selected = onnx_out(onnx_node_add(g, "NonMaxSuppression", nms_in, 5, 1), 0);
    int64_t total = d->offset[d->n_levels];
    int64_t bdims[3] = {x->batch, total, 4}, sdims[3] = {x->batch, total, d->classes}, seldims[2] = {-2, 3};
    onnx_graph_output(g, boxes, "boxes", ONNX_FLOAT, bdims, 3);
    onnx_graph_output(g, scores, "scores", ONNX_FLOAT, sdims, 3);
    onnx_graph_output(g, selected, "selected", ONNX_INT64, seldims, 2);
    char v[32];
    snprintf(v, sizeof v, "%d", d->post.max_dets);
    onnx_graph_meta(g, "retina_max_dets", v);
    return 0;
}

int export_retina(export_ctx *x, const layer *l, const char *in)
{
    retina_desc d;
    if (retina_describe(l, &d)) return -1;
    x->out[l->index] = in;
    onnx_graph_set_scope(x->g, "retina");
    if (!x->opt->postprocess) {
        onnx_graph_meta(x->g, "outputs", "clsK, boxK: level K's class logits [batch, A x classes, h, w] and box "
                                         "deltas [batch, A x 4, h, w], channel a x classes + k and a x 4 + j");
        raw_outputs(x, &d);
        return 0;
    }
    onnx_graph_meta(x->g, "outputs", "boxes [batch, anchors, 4]: x1, y1, x2, y2 in input pixels; scores "
                                     "[batch, anchors, classes]; selected [n, 3]: image, class, box of "
                                     "NonMaxSuppression, of which the best retina_max_dets per image by score");
    return postprocess_outputs(x, &d);
}
