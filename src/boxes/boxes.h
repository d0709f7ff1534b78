/* boxes.h: corner-form boxes and their overlap measures.
 *
 * A cbox is (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1 for a proper box, in
 * any unit (pixels in RetinaNet code). Width is x2 - x1 with no +1: the
 * convention of torchvision and of mmdetection v2+ (the +1 pixel widths of
 * Detectron/mmdetection 1.x are not used). A box with x2 < x1 or y2 < y1 has
 * area 0. darknet.h's `box` is the centre form (x, y, w, h). */
#ifndef DN_BOXES_H
#define DN_BOXES_H

#include "darknet.h"

typedef struct {
    float x1, y1, x2, y2;
} cbox;

cbox cbox_from_box(box b);          /* centre form -> corners */
box box_from_cbox(cbox c);          /* corners -> centre form */
float cbox_area(cbox b);            /* max(0, w) * max(0, h) */
cbox cbox_clip(cbox b, float w, float h);   /* every coordinate clamped to [0,w] / [0,h] */

/* Intersection over union. 0 (never NaN) when the union is empty or not a
 * positive number (both boxes of zero area, NaN coordinates). */
float cbox_iou(cbox a, cbox b);

/* Generalized IoU (Rezatofighi et al. 2019): IoU - (C - U) / C, C the area of
 * the smallest box enclosing both, U the union; in [-1, 1]. torchvision adds
 * eps = 1e-7 to U and C; here the terms are guarded instead: IoU is 0 when
 * U <= 0 and the enclosure term is 0 when C <= 0.
 * When grad_a / grad_b are not NULL they receive dGIoU/d(x1, y1, x2, y2) of
 * a and of b (computed in double). At a tie (e.g. a.x2 == b.x2) the
 * derivative goes to one side, a subgradient; when U <= 0 both are 0. */
float cbox_giou(cbox a, cbox b, float grad_a[4], float grad_b[4]);

#endif
