/* detector_eval.h: runs a detector over a dataset's validation list and
 * scores it: COCO's twelve numbers (against the .data file's coco_json= when
 * it names one, so crowd regions and annotation areas count; else against the
 * darknet labels) and VOC mAP. Used by `detector valid`, `detector map` and
 * `detector train -map`. */
#ifndef DN_DETECTOR_EVAL_H
#define DN_DETECTOR_EVAL_H

#include "coco_eval.h"
#include "darknet.h"
#include "data_cfg.h"

typedef struct {
    float thresh;          /* keep detections scoring above this (COCO practice: 0.005) */
    double iou_thresh;     /* VOC mAP */
    int points;            /* VOC mAP: 0, 11 or 101 */
    int threads;           /* loader threads */
} detector_eval_options;

typedef struct {
    coco_det *dets;        /* COCO-style, original image ids and category ids */
    int n_dets, cap_dets;
    int have_coco;         /* coco is valid */
    coco_eval_result coco;
    double voc_map;        /* -1 if undefined */
    int images;
} detector_eval;

/* Detects on every image of data->valid with net (batch set to 1) and
 * evaluates. The network must predict as many classes as the truth has.
 * Returns 0, or -1 with dn_last_error() (out is then empty). */
int detector_evaluate(network *net, const data_cfg *data, const detector_eval_options *o, detector_eval *out);
/* The scoring half of detector_evaluate, for detections made elsewhere:
 * out->dets (out->n_dets) name images by their index in paths and classes by
 * number; w and h are the images' sizes. Scores them against data's truth
 * (coco_json= or the labels) and gives them the original ids. 0 or -1. */
int detector_score(const data_cfg *data, char **paths, int n, const int *w, const int *h,
                   const detector_eval_options *o, detector_eval *out);
void detector_eval_free(detector_eval *e);

#endif
