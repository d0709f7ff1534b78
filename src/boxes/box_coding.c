/* box_coding.c: (dx, dy, log dw, log dh) deltas against anchors. */
#include <math.h>

#include "box_coding.h"

static const float unit_weights[4] = {1, 1, 1, 1};

void box_encode(cbox gt, cbox anchor, const float weights[4], float delta[4])
{
    const float *wt = weights ? weights : unit_weights;
    float pw = anchor.x2 - anchor.x1, ph = anchor.y2 - anchor.y1;
    float px = anchor.x1 + 0.5f * pw, py = anchor.y1 + 0.5f * ph;
    float gw = gt.x2 - gt.x1, gh = gt.y2 - gt.y1;
    float gx = gt.x1 + 0.5f * gw, gy = gt.y1 + 0.5f * gh;
    /* a degenerate gt would give log(0) = -inf; keep it finite */
    if (!(gw > 1e-6f * pw)) gw = 1e-6f * pw;
    if (!(gh > 1e-6f * ph)) gh = 1e-6f * ph;
    delta[0] = wt[0] * (gx - px) / pw;
    delta[1] = wt[1] * (gy - py) / ph;
    delta[2] = wt[2] * logf(gw / pw);
    delta[3] = wt[3] * logf(gh / ph);
}

cbox box_decode(const float delta[4], cbox anchor, const float weights[4])
{
    const float *wt = weights ? weights : unit_weights;
    float pw = anchor.x2 - anchor.x1, ph = anchor.y2 - anchor.y1;
    float px = anchor.x1 + 0.5f * pw, py = anchor.y1 + 0.5f * ph;
    float dx = delta[0] / wt[0], dy = delta[1] / wt[1];
    float dw = delta[2] / wt[2], dh = delta[3] / wt[3];
    /* torchvision clamps from above only; a very negative dw just gives width 0 */
    if (dw > BOX_CODING_CLIP) dw = BOX_CODING_CLIP;
    if (dh > BOX_CODING_CLIP) dh = BOX_CODING_CLIP;
    float cx = dx * pw + px, cy = dy * ph + py;
    float hw = 0.5f * expf(dw) * pw, hh = 0.5f * expf(dh) * ph;
    cbox b = {cx - hw, cy - hh, cx + hw, cy + hh};
    return b;
}

/* x1 = cx - w/2, x2 = cx + w/2 with cx = (d0 / wx) pw + px and
 * w = exp(min(d2 / ww, clip)) pw, so dcx/dd0 = pw / wx and dw/dd2 = w / ww
 * (0 when clamped); likewise in y. */
void box_decode_backward(const float delta[4], cbox anchor, const float weights[4],
                         const float grad_box[4], float grad_delta[4])
{
    const float *wt = weights ? weights : unit_weights;
    float pw = anchor.x2 - anchor.x1, ph = anchor.y2 - anchor.y1;
    float dw = delta[2] / wt[2], dh = delta[3] / wt[3];
    float half_w = 0.5f * expf(dw) * pw, half_h = 0.5f * expf(dh) * ph;
    grad_delta[0] = (grad_box[0] + grad_box[2]) * pw / wt[0];
    grad_delta[1] = (grad_box[1] + grad_box[3]) * ph / wt[1];
    grad_delta[2] = dw <= BOX_CODING_CLIP ? (grad_box[2] - grad_box[0]) * half_w / wt[2] : 0;
    grad_delta[3] = dh <= BOX_CODING_CLIP ? (grad_box[3] - grad_box[1]) * half_h / wt[3] : 0;
}
