/* iou_kinds.c: IoU, GIoU, DIoU and CIoU with their gradients (iou_kinds.h).
 * Computed in double; d/da accumulated term by term. */
#include "iou_kinds.h"

#include <math.h>

const char *const iou_kind_names[] = {"iou", "giou", "diou", "ciou", NULL};

static const double PI = 3.14159265358979323846;

static double dmax(double a, double b) { return a > b ? a : b; }
static double dmin(double a, double b) { return a < b ? a : b; }

/* IoU of a and b and dIoU/da (x1, y1, x2, y2). Edge ties go to a. */
static double iou_grad(cbox a, cbox b, double g[4])
{
    g[0] = g[1] = g[2] = g[3] = 0;
    double aw = (double)a.x2 - a.x1, ah = (double)a.y2 - a.y1, bw = (double)b.x2 - b.x1, bh = (double)b.y2 - b.y1;
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0)) return 0;
    int ax1 = a.x1 >= b.x1, ay1 = a.y1 >= b.y1, ax2 = a.x2 <= b.x2, ay2 = a.y2 <= b.y2;
    double iw = dmin(a.x2, b.x2) - dmax(a.x1, b.x1), ih = dmin(a.y2, b.y2) - dmax(a.y1, b.y1);
    int overlap = iw > 0 && ih > 0;
    double inter = overlap ? iw * ih : 0, uni = aw * ah + bw * bh - inter;
    double d_inter = (uni + inter) / (uni * uni), d_area = -inter / (uni * uni);
    g[0] = -d_area * ah, g[1] = -d_area * aw, g[2] = d_area * ah, g[3] = d_area * aw;
    if (overlap) {
        if (ax1) g[0] -= d_inter * ih;
        if (ay1) g[1] -= d_inter * iw;
        if (ax2) g[2] += d_inter * ih;
        if (ay2) g[3] += d_inter * iw;
    }
    return inter / uni;
}

/* rho^2 / c^2 (centre distance over the enclosing diagonal, squared) and its gradient. */
static double distance_term(cbox a, cbox b, double g[4])
{
    double dx = ((double)a.x1 + a.x2 - b.x1 - b.x2) / 2, dy = ((double)a.y1 + a.y2 - b.y1 - b.y2) / 2;
    double cw = dmax(a.x2, b.x2) - dmin(a.x1, b.x1), ch = dmax(a.y2, b.y2) - dmin(a.y1, b.y1);
    double rho2 = dx * dx + dy * dy, c2 = cw * cw + ch * ch;
    g[0] = g[1] = g[2] = g[3] = 0;
    if (!(c2 > 0)) return 0;
    /* d rho2: each corner moves the centre by half */
    double dr[4] = {dx, dy, dx, dy};
    /* d c2: only the corners of a that bound the enclosure */
    double dc[4] = {a.x1 <= b.x1 ? -2 * cw : 0, a.y1 <= b.y1 ? -2 * ch : 0, a.x2 >= b.x2 ? 2 * cw : 0,
                    a.y2 >= b.y2 ? 2 * ch : 0};
    for (int i = 0; i < 4; ++i) g[i] = dr[i] / c2 - rho2 * dc[i] / (c2 * c2);
    return rho2 / c2;
}

/* v of CIoU and dv/da; 0 for boxes without area. */
static double aspect_term(cbox a, cbox b, double g[4])
{
    double aw = (double)a.x2 - a.x1, ah = (double)a.y2 - a.y1, bw = (double)b.x2 - b.x1, bh = (double)b.y2 - b.y1;
    g[0] = g[1] = g[2] = g[3] = 0;
    if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0)) return 0;
    double k = 4 / (PI * PI), diff = atan(bw / bh) - atan(aw / ah), r2 = aw * aw + ah * ah;
    double d_aw = -2 * k * diff * ah / r2, d_ah = 2 * k * diff * aw / r2;
    g[0] = -d_aw, g[1] = -d_ah, g[2] = d_aw, g[3] = d_ah;
    return k * diff * diff;
}

float cbox_iou_kind(cbox a, cbox b, iou_kind kind, float grad_a[4])
{
    if (kind == IOU_GIOU) return cbox_giou(a, b, grad_a, NULL);
    double gi[4], gd[4], gv[4], value;
    double iou = iou_grad(a, b, gi);
    double d = kind == IOU_PLAIN ? 0 : distance_term(a, b, gd);
    if (kind == IOU_PLAIN) gd[0] = gd[1] = gd[2] = gd[3] = 0;
    double v = kind == IOU_CIOU ? aspect_term(a, b, gv) : 0, den = 1 - iou + v;
    double alpha = v > 0 && den > 0 ? v / den : 0;
    value = iou - d - alpha * v;
    if (grad_a)
        /* d(alpha v) = alpha (2 - alpha) dv + alpha^2 dIoU, alpha = v / (1 - IoU + v) */
        for (int i = 0; i < 4; ++i)
            grad_a[i] = (float)(gi[i] - gd[i] - (alpha > 0 ? alpha * (2 - alpha) * gv[i] + alpha * alpha * gi[i] : 0));
    return (float)value;
}
