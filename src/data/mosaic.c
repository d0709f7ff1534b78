/* mosaic.c: quadrants, pasting and box cutting of the mosaic augmentation. */
#include "mosaic.h"

#include <string.h>

#include "darknet.h"

void mosaic_quadrants(int W, int H, int cx, int cy, mosaic_rect q[4])
{
    q[0] = (mosaic_rect){0, 0, cx, cy};
    q[1] = (mosaic_rect){cx, 0, W - cx, cy};
    q[2] = (mosaic_rect){0, cy, cx, H - cy};
    q[3] = (mosaic_rect){cx, cy, W - cx, H - cy};
}

void mosaic_paste(const float *src, mosaic_rect from, float *dst, int W, int H, int tx, int ty)
{
    size_t plane = (size_t)W * H;
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < from.h; ++y)
            memcpy(dst + c * plane + (size_t)(ty + y) * W + tx, src + c * plane + (size_t)(from.y + y) * W + from.x,
                   (size_t)from.w * sizeof(float));
}

/* The part of [a0, a1) inside [lo, hi) in *c0, *c1; 0 when too little of it stays. */
static int cut(float a0, float a1, float lo, float hi, float min_pixels, float min_kept, float *c0, float *c1)
{
    *c0 = a0 > lo ? a0 : lo;
    *c1 = a1 < hi ? a1 : hi;
    float kept = *c1 - *c0;
    return kept >= min_pixels && kept >= min_kept * (a1 - a0);
}

int mosaic_boxes(const float *truth, int W, int H, mosaic_rect from, int tx, int ty, float min_pixels, float min_kept,
                 float *out, int kept)
{
    for (int i = 0; i < DN_MAX_BOXES && truth[5 * i + 2] != 0 && kept < DN_MAX_BOXES; ++i) {
        const float *t = truth + 5 * i;
        float x0, x1, y0, y1;
        if (!cut((t[0] - t[2] / 2) * W, (t[0] + t[2] / 2) * W, from.x, from.x + from.w, min_pixels, min_kept, &x0, &x1) ||
            !cut((t[1] - t[3] / 2) * H, (t[1] + t[3] / 2) * H, from.y, from.y + from.h, min_pixels, min_kept, &y0, &y1))
            continue;
        float dx = tx - from.x, dy = ty - from.y, *o = out + 5 * kept++;
        o[0] = ((x0 + x1) / 2 + dx) / W, o[1] = ((y0 + y1) / 2 + dy) / H;
        o[2] = (x1 - x0) / W, o[3] = (y1 - y0) / H, o[4] = t[4];
    }
    return kept;
}
