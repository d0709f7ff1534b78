/* boxes.c: corner-form box helpers, IoU, and GIoU with its gradient. */
#include "boxes.h"

cbox cbox_from_box(box b)
{
    cbox c = {b.x - b.w / 2, b.y - b.h / 2, b.x + b.w / 2, b.y + b.h / 2};
    return c;
}

box box_from_cbox(cbox c)
{
    box b = {(c.x1 + c.x2) / 2, (c.y1 + c.y2) / 2, c.x2 - c.x1, c.y2 - c.y1};
    return b;
}

float cbox_area(cbox b)
{
    float w = b.x2 - b.x1, h = b.y2 - b.y1;
    return (w > 0 && h > 0) ? w * h : 0;    /* also 0 for NaN coordinates */
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

cbox cbox_clip(cbox b, float w, float h)
{
    cbox c = {clampf(b.x1, 0, w), clampf(b.y1, 0, h), clampf(b.x2, 0, w), clampf(b.y2, 0, h)};
    return c;
}

float cbox_iou(cbox a, cbox b)
{
    float area_a = cbox_area(a), area_b = cbox_area(b);
    if (area_a <= 0 || area_b <= 0) return 0;   /* zero-area (or NaN) boxes overlap nothing */
    float iw = (a.x2 < b.x2 ? a.x2 : b.x2) - (a.x1 > b.x1 ? a.x1 : b.x1);
    float ih = (a.y2 < b.y2 ? a.y2 : b.y2) - (a.y1 > b.y1 ? a.y1 : b.y1);
    if (!(iw > 0 && ih > 0)) return 0;
    float inter = iw * ih;
    float uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0;
}

/* GIoU = I/U - (C - U)/C = I/U - 1 + U/C, with U = Aa + Ab - I. Its partial
 * derivatives, I and the areas treated as independent first:
 *   dG/dI (through I/U and through U) = 1/U + I/U^2 - 1/C
 *   dG/dAa = dG/dAb                   = -I/U^2 + 1/C
 *   dG/dC                             = -U/C^2
 * and then each area is a product of two extents whose ends are coordinates
 * of a or of b (whichever is the min or max). */
float cbox_giou(cbox a, cbox b, float grad_a[4], float grad_b[4])
{
    double ga[4] = {0, 0, 0, 0}, gb[4] = {0, 0, 0, 0};
    double aw = (double)a.x2 - a.x1, ah = (double)a.y2 - a.y1;
    double bw = (double)b.x2 - b.x1, bh = (double)b.y2 - b.y1;
    int a_ok = aw > 0 && ah > 0, b_ok = bw > 0 && bh > 0;
    double area_a = a_ok ? aw * ah : 0, area_b = b_ok ? bw * bh : 0;

    /* intersection: which box supplies each edge (ties: a) */
    int ia_x1 = a.x1 >= b.x1, ia_y1 = a.y1 >= b.y1, ia_x2 = a.x2 <= b.x2, ia_y2 = a.y2 <= b.y2;
    double iw = (double)(ia_x2 ? a.x2 : b.x2) - (ia_x1 ? a.x1 : b.x1);
    double ih = (double)(ia_y2 ? a.y2 : b.y2) - (ia_y1 ? a.y1 : b.y1);
    int i_ok = a_ok && b_ok && iw > 0 && ih > 0;
    double inter = i_ok ? iw * ih : 0;

    /* enclosing box (ties: a) */
    int ca_x1 = a.x1 <= b.x1, ca_y1 = a.y1 <= b.y1, ca_x2 = a.x2 >= b.x2, ca_y2 = a.y2 >= b.y2;
    double cw = (double)(ca_x2 ? a.x2 : b.x2) - (ca_x1 ? a.x1 : b.x1);
    double ch = (double)(ca_y2 ? a.y2 : b.y2) - (ca_y1 ? a.y1 : b.y1);
    int c_ok = cw > 0 && ch > 0;
    double encl = c_ok ? cw * ch : 0;

    double uni = area_a + area_b - inter;
    double giou = (uni > 0 ? inter / uni : 0) - (c_ok ? (encl - uni) / encl : 0);

    if (uni > 0) {
        double inv_c = c_ok ? 1 / encl : 0;
        double g_inter = 1 / uni + inter / (uni * uni) - inv_c;
        double g_area = -inter / (uni * uni) + inv_c;
        double g_encl = c_ok ? -uni / (encl * encl) : 0;
        if (a_ok) {   /* dAa/d(x1, y1, x2, y2) = (-h, -w, h, w) */
            ga[0] -= g_area * ah; ga[1] -= g_area * aw; ga[2] += g_area * ah; ga[3] += g_area * aw;
        }
        if (b_ok) {
            gb[0] -= g_area * bh; gb[1] -= g_area * bw; gb[2] += g_area * bh; gb[3] += g_area * bw;
        }
        if (i_ok) {
            (ia_x1 ? ga : gb)[0] -= g_inter * ih;
            (ia_y1 ? ga : gb)[1] -= g_inter * iw;
            (ia_x2 ? ga : gb)[2] += g_inter * ih;
            (ia_y2 ? ga : gb)[3] += g_inter * iw;
        }
        if (c_ok) {
            (ca_x1 ? ga : gb)[0] -= g_encl * ch;
            (ca_y1 ? ga : gb)[1] -= g_encl * cw;
            (ca_x2 ? ga : gb)[2] += g_encl * ch;
            (ca_y2 ? ga : gb)[3] += g_encl * cw;
        }
    }
    for (int i = 0; i < 4; ++i) {
        if (grad_a) grad_a[i] = (float)ga[i];
        if (grad_b) grad_b[i] = (float)gb[i];
    }
    return (float)giou;
}
