/* iou_kinds.h: IoU and its variants as box-regression objectives, with
 * their gradients with respect to the first box (darknet's iou_loss=).
 *
 *   iou:  I / U
 *   giou: IoU - (C - U) / C, C the area of the enclosing box (boxes.h)
 *   diou: IoU - rho^2 / c^2, rho the distance of the centres and c the
 *         diagonal of the enclosing box (Zheng et al. 2020)
 *   ciou: DIoU - alpha v, v = 4/pi^2 (atan(wb/hb) - atan(wa/ha))^2 and
 *         alpha = v / (1 - IoU + v) (0 when that is 0)
 *
 * Gradients are the exact ones of these values: the CIoU paper holds alpha
 * constant in its gradient; here alpha's own derivative is included, so the
 * gradient is that of the value reported (and finite differences agree). */
#ifndef DN_IOU_KINDS_H
#define DN_IOU_KINDS_H

#include "boxes.h"

typedef enum { IOU_PLAIN, IOU_GIOU, IOU_DIOU, IOU_CIOU } iou_kind;

/* The names in darknet's spelling ("iou", "giou", "diou", "ciou"), NULL-terminated, in enum order. */
extern const char *const iou_kind_names[];

/* The kind's similarity of a and b (1 for equal boxes). With grad_a not
 * NULL it receives d value / d (x1, y1, x2, y2) of a. Boxes of zero area
 * give IoU 0 and no IoU gradient. */
float cbox_iou_kind(cbox a, cbox b, iou_kind kind, float grad_a[4]);

#endif
