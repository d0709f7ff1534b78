/* yolo_loss.h: darknet's YOLOv3 training loss of one image for [yolo]
 * (pjreddie's yolo_layer.c, with AlexeyAB's options), written so that the
 * reported loss is the one whose gradient is applied.
 *
 * Per truth (x, y, w, h relative, class c; the list ends at w = 0; classes
 * outside [0, classes) are skipped and counted): the cell holding its centre
 * and the best of ALL the cfg's anchors by the IoU of shapes (both centred).
 * It trains the slot of that anchor when the anchor is in this layer's mask,
 * and with iou_thresh < 1 also every other masked anchor whose shape
 * similarity (iou_thresh_kind) with the truth exceeds iou_thresh. A slot
 * trained by several truths: the last one gives the box, all give classes.
 *
 * Terms (sigma the logistic, z the layer's input, o its output):
 *   noobj: every untrained slot whose box's best IoU with the image's truths
 *          is <= ignore_thresh: obj_normalizer * BCE(sigma(z_obj), 0)
 *   obj:   every trained slot: obj_normalizer * m_c * BCE(sigma(z_obj), 1)
 *   class: every trained slot, each class k: cls_normalizer * (k trained ? m_k : 1)
 *          * KL(y_k || sigma(z_k)), y_k = 1 for a trained class else 0,
 *          smoothed as AlexeyAB: y (1 - label_smooth_eps) + label_smooth_eps / 2
 *   iou (box), scale = iou_normalizer * m_c:
 *     mse:  scale (2 - w h) * [s KL(u || sigma(z_x)) + (same for y)
 *           + 0.5 (log(w net_w / anchor_w) - z_w)^2 + (same for h)],
 *           u = (t_x + (s - 1)/2) / s, t_x = x lw - col, s = scale_x_y:
 *           its negative gradient is darknet's delta scale (2 - w h) (t_x - o_x)
 *     iou, giou, diou, ciou: scale * (1 - similarity(predicted box, truth))
 *           (iou_kinds.h), its exact gradient through the decoding (darknet
 *           drops the logistic's and the grid's factors)
 *   m_k: counters_per_class's multiplier of class k (max count / count_k,
 *        at most max_delta), 1 without it. With max_delta each box gradient
 *        component is clipped to +-max_delta (the loss stays unclipped).
 * KL(y || p) = BCE(p, y) - H(y): 0 at the target, the gradient of BCE. */
#ifndef DN_YOLO_LOSS_H
#define DN_YOLO_LOSS_H

#include <stddef.h>

#include "iou_kinds.h"

enum { YOLO_LOSS_MSE = -1 };   /* else an iou_kind */

typedef struct {
    int classes, n, total;          /* slots per cell (len mask), anchors in the cfg */
    const int *mask;                /* n indices into anchors */
    const float *anchors;           /* 2 * total: w, h in input pixels */
    float ignore_thresh, iou_thresh;
    iou_kind thresh_kind;
    int iou_loss;                   /* YOLO_LOSS_MSE or an iou_kind */
    float iou_normalizer, cls_normalizer, obj_normalizer, scale_x_y, label_smooth_eps, max_delta;
    const float *class_weight;      /* m_k (classes floats) or NULL */
} yolo_loss_config;

typedef struct {
    int lw, lh;                     /* the grid */
    int net_w, net_h;               /* the network input the anchors are measured in */
} yolo_grid;

typedef struct {
    double box, cls, obj, noobj;    /* the four terms */
    double iou_sum;                 /* IoU of the trained slots' boxes with their truths */
    int count;                      /* (truth, slot) pairs trained */
    int skipped;                    /* truths with a class outside [0, classes) */
} yolo_loss_parts;

/* Scratch ints yolo_image_loss needs. */
size_t yolo_loss_scratch(const yolo_loss_config *c, const yolo_grid *g);

/* The loss of one image: in and out are its input and output (n * (classes
 * + 5) channels of lw x lh, [yolo]'s layout), truth its DN_MAX_BOXES boxes.
 * Adds the negative gradient with respect to the input into delta when not
 * NULL; p receives the terms (overwritten). */
void yolo_image_loss(const yolo_loss_config *c, const yolo_grid *g, const float *in, const float *out,
                     const float *truth, float *delta, int *scratch, yolo_loss_parts *p);

#endif
