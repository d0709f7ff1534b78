/* matcher.h: IoU matching of anchors to ground-truth boxes (RetinaNet).
 *
 * Each anchor takes its best ground truth by IoU (ties: the lowest gt index):
 *   IoU >= pos_iou            -> that gt's index (positive)
 *   neg_iou <= IoU < pos_iou  -> MATCH_IGNORE (-2, no loss)
 *   IoU < neg_iou             -> MATCH_NEGATIVE (-1, background)
 * Low-quality matches (torchvision Matcher allow_low_quality_matches): for
 * each gt, every anchor whose IoU with it equals that gt's best IoU (all
 * tied anchors) becomes positive, matched to the anchor's OWN best gt, as
 * torchvision does (mmdetection's MaxIoUAssigner gives it to this gt, later
 * gts winning). Guard absent from both: a gt whose best IoU is 0 (it
 * overlaps no anchor, or has zero area) makes no low-quality match, where
 * they would mark every anchor of IoU 0 positive.
 * No ground truths: every anchor is negative.
 *
 * Cost: O(anchors * gts) time, O(anchors + gts) scratch from the caller and
 * no allocation: 77k anchors (640x640, P3-P7) against 100 large gts took
 * 3-4 ms on one core of the development machine. */
#ifndef DN_MATCHER_H
#define DN_MATCHER_H

#include <stddef.h>

#include "boxes.h"

enum { MATCH_NEGATIVE = -1, MATCH_IGNORE = -2 };

typedef struct {
    float pos_iou;     /* 0.5 */
    float neg_iou;     /* 0.4; must be <= pos_iou */
    int low_quality;   /* 1: keep each gt's best anchors */
} match_config;

match_config match_config_retinanet(void);   /* 0.5, 0.4, low-quality on */

/* Bytes of scratch match_anchors needs for these counts. */
size_t match_scratch_size(int n_anchors, int n_gts);

/* Writes matches[n_anchors] (gt index, MATCH_NEGATIVE or MATCH_IGNORE).
 * scratch: match_scratch_size() bytes, suitably aligned for float (malloc's
 * is). Returns 0, or -1 with dn_last_error() on bad arguments. */
int match_anchors(const cbox *anchors, int n_anchors, const cbox *gts, int n_gts,
                  const match_config *cfg, void *scratch, int *matches);

#endif
