/* nms.h: top-k selection, per-class non-maximum suppression, and RetinaNet's
 * post-processing of head outputs into detections.
 *
 * Order everywhere: higher score first; equal scores keep the lower index
 * first (deterministic, "stable"; torch's topk and nms leave ties
 * unspecified); NaN scores rank below every number. */
#ifndef DN_NMS_H
#define DN_NMS_H

#include <stddef.h>

#include "boxes.h"

/* The indices of the k best of scores[0..n) (k > n: all n), best first, into
 * out[min(k, n)]. Uses a k-element heap: O(n log k), no allocation. Returns
 * min(k, n) (0 when k <= 0 or n <= 0). */
int top_k(const float *scores, int n, int k, int *out);

/* Greedy NMS within each class (torchvision batched_nms): boxes in descending
 * score; a box is dropped when its IoU with a kept box of the same class is
 * > iou_thresh (strictly, as torchvision). classes NULL: all one class.
 * Stops after max_keep kept boxes (max_keep < 0: no limit). idx (n ints)
 * receives the kept indices, best first, in its first entries; the rest is
 * scratch. Returns the number kept. O(n log n + n * kept). */
int nms_per_class(const cbox *boxes, const float *scores, const int *classes, int n,
                  float iou_thresh, int max_keep, int *idx);

/* A detection: corner box (in the anchors' units, pixels), class index, score. */
typedef struct {
    cbox box;
    int cls;
    float score;
} scored_box;

/* One FPN level's head outputs for one image, in the head's layout (NCHW of
 * one image): scores[(a*K + k) * h*w + y*w + x] after the sigmoid, and either
 * deltas[(a*4 + j) * h*w + y*w + x] with the anchors of make_anchors()
 * (anchors[(y*w + x)*A + a]), or (deltas NULL) boxes already decoded in that
 * anchor order. */
typedef struct {
    int w, h, A, K;
    const float *scores;
    const float *deltas;
    const cbox *anchors;
    const cbox *boxes;
} retina_level;

typedef struct {
    float score_thresh;    /* keep score > this (strict, as torchvision / mmdetection): 0.05 */
    int topk_per_level;    /* best candidates kept per level before NMS: 1000 */
    float nms_thresh;      /* 0.5 */
    int max_dets;          /* per image: 100 (mmdetection; torchvision keeps 300) */
    float img_w, img_h;    /* > 0: decoded boxes are clipped to [0,img_w] x [0,img_h] */
    const float *weights;  /* box coder weights; NULL: (1, 1, 1, 1) */
} retina_post_config;

retina_post_config retina_post_config_default(void);   /* the values above, no clipping */

/* Bytes of scratch retina_postprocess needs for n_levels levels. */
size_t retina_post_scratch_size(const retina_post_config *c, int n_levels);

/* Per level: scores > score_thresh, the best topk_per_level of them
 * (candidate = (anchor, class) pair), boxes decoded and clipped; then all
 * levels together, per-class NMS, and the best max_dets survivors into out
 * (max_dets records), best first. scratch: retina_post_scratch_size() bytes,
 * aligned as malloc's. Returns the count, or -1 with dn_last_error(). */
int retina_postprocess(const retina_level *levels, int n_levels, const retina_post_config *c,
                       void *scratch, scored_box *out);

#endif
