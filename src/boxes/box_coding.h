/* box_coding.h: RetinaNet's box regression targets (torchvision BoxCoder,
 * mmdetection DeltaXYWHBBoxCoder; the same formula).
 *
 * With anchor (centre px, py, size pw, ph) and box (gx, gy, gw, gh):
 *   dx = wx (gx - px) / pw     dy = wy (gy - py) / ph
 *   dw = ww log(gw / pw)       dh = wh log(gh / ph)
 * weights (wx, wy, ww, wh) = (1, 1, 1, 1) for RetinaNet (torchvision; NULL
 * means these); mmdetection's target_stds are 1 / weights. Decoding divides
 * by the weights and clamps dw, dh from above at log(1000/16) before exp, as
 * torchvision does (mmdetection clamps at +-log(1000/16)). */
#ifndef DN_BOX_CODING_H
#define DN_BOX_CODING_H

#include "boxes.h"

#define BOX_CODING_CLIP 4.13516655674235575f   /* log(1000 / 16) */

/* Deltas of gt relative to anchor. A gt side of zero (or negative) length
 * counts as 1e-6 of the anchor's, so dw/dh stay finite (log 1e-6 = -13.8);
 * anchors must have positive sides. */
void box_encode(cbox gt, cbox anchor, const float weights[4], float delta[4]);

/* The box that delta[0..3] describes relative to anchor. Weights must be
 * nonzero. */
cbox box_decode(const float delta[4], cbox anchor, const float weights[4]);

/* Chain rule through box_decode, for losses on decoded boxes (GIoU):
 * given grad_box = dL/d(x1, y1, x2, y2) of the decoded box, writes
 * grad_delta = dL/d(delta). A clamped dw or dh passes no gradient (as
 * torch.clamp: the value at the clip itself still passes it). */
void box_decode_backward(const float delta[4], cbox anchor, const float weights[4],
                         const float grad_box[4], float grad_delta[4]);

#endif
