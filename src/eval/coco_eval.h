/* coco_eval.h: detection metrics on boxes in pixels.
 *
 * coco_evaluate(): the twelve COCO numbers exactly as pycocotools' COCOeval
 * (iouType 'bbox') computes them: IoU thresholds .50:.05:.95, 101 recall
 * points, at most 1/10/100 detections per image and category, area ranges
 * all/small/medium/large (the ground truth's `area` field, the detection's
 * w*h), crowd ground truths as ignore regions.
 *
 * voc_evaluate(): VOC-style mAP at one IoU threshold, with the recall-point
 * choices of darknet's `detector map` (-points 0, 11 or 101). */
#ifndef DN_COCO_EVAL_H
#define DN_COCO_EVAL_H

#include <stdio.h>

#include "coco_json.h"

/* pycocotools' parameters: T IoU thresholds, R recall points, A area ranges
 * (all, small, medium, large), M maxDets (1, 10, 100). */
enum { COCO_T = 10, COCO_R = 101, COCO_A = 4, COCO_M = 3 };

/* stats[] order, as COCOeval.stats */
enum {
    COCO_AP, COCO_AP50, COCO_AP75, COCO_APS, COCO_APM, COCO_APL,
    COCO_AR1, COCO_AR10, COCO_AR100, COCO_ARS, COCO_ARM, COCO_ARL, COCO_N_STATS
};

typedef struct {
    double stats[COCO_N_STATS];  /* -1 where nothing is defined */
    int n_cats;
    int *cat_ids;                /* the evaluated categories, ascending */
    /* pycocotools' eval['precision'] [T][R][K][A][M] and eval['recall']
     * [T][K][A][M], K = n_cats; -1 where a category has no ground truth. */
    double *precision;
    double *recall;
} coco_eval_result;

/* Evaluates dets against gts over the images image_ids and categories cat_ids
 * (NULL: every id that occurs in gts or dets, which gives the same numbers).
 * As pycocotools: ground truths of other images or categories and detections
 * of other categories are left out; a detection of an image not in the list
 * is an error. Returns 0, or -1 with dn_last_error(). Free with coco_eval_free. */
int coco_evaluate(const coco_gt *gts, int n_gts, const coco_det *dets, int n_dets,
                  const long long *image_ids, int n_images, const int *cat_ids, int n_cats,
                  coco_eval_result *out);
void coco_eval_free(coco_eval_result *r);

/* COCO evaluation of dets over every image and category of ds. */
int coco_evaluate_dataset(const coco_dataset *ds, const coco_det *dets, int n, coco_eval_result *out);

/* AP@[.50:.95] of the k-th evaluated category (area all, 100 detections), as
 * detectron2 reports per-class AP from the precision array; -1 without gt. */
double coco_category_ap(const coco_eval_result *r, int k);

/* The twelve lines of pycocotools' summarize(), e.g.
 * " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505" */
void coco_print_stats(FILE *f, const double stats[COCO_N_STATS]);

/* ---- VOC-style mAP (darknet's `detector map`) ----------------------------
 * Per class, detections in descending score (ties: input order) take the
 * ground truth of the same image and class with the highest IoU; it must
 * exceed iou_thresh strictly (as darknet and py-faster-rcnn's voc_eval.py;
 * the MATLAB devkit uses >=), the first of equal IoUs wins. IoU has no +1. A
 * detection whose best ground truth is taken already is a false positive
 * (no second choice, unlike COCO). Crowd ground truths act as VOC's
 * "difficult" (with plain IoU): not counted, and detections whose match
 * is one are dropped. precision = tp/(tp+fp), recall = tp/n_gt at every rank; then
 *   points 0:   area under the monotone envelope of precision, summed over
 *               each change of recall (VOC2010-2012, darknet's default);
 *   points N>1: mean over r = i/(N-1), i = 0..N-1, of the highest precision
 *               at recall >= r, 0 if none (11: VOC2007; 101: COCO-like, but
 *               without COCO's crowd areas, maxDets and epsilon).
 * mAP is the mean over classes with at least one non-crowd ground truth
 * (darknet also divides by classes without any, counting them as 0). */
typedef struct {
    double map;          /* -1 if no class has ground truth */
    int n_classes;       /* category ids seen in gts or dets */
    int *class_ids;      /* ascending */
    double *ap;          /* per class; -1 without ground truth */
    int *n_gt;           /* non-crowd ground truths per class */
    int n_with_gt;       /* classes in the mean */
} voc_eval_result;

int voc_evaluate(const coco_gt *gts, int n_gts, const coco_det *dets, int n_dets,
                 double iou_thresh, int points, voc_eval_result *out);
void voc_eval_free(voc_eval_result *r);

#endif
