/* mosaic.h: the pieces of the mosaic augmentation (loader.h): quadrants,
 * pasting a window of one image into another, and cutting its boxes. */
#ifndef DN_MOSAIC_H
#define DN_MOSAIC_H

typedef struct {
    int x, y, w, h;   /* pixels */
} mosaic_rect;

/* The four quadrants of a W x H image around (cx, cy), 0 < cx < W, 0 < cy < H:
 * top left, top right, bottom left, bottom right. */
void mosaic_quadrants(int W, int H, int cx, int cy, mosaic_rect q[4]);

/* Copies window `from` of src (3 x H x W) into dst (3 x H x W) with its top left at (tx, ty). */
void mosaic_paste(const float *src, mosaic_rect from, float *dst, int W, int H, int tx, int ty);

/* Appends to out (truth layout: DN_MAX_BOXES boxes of 5 floats, relative to
 * W x H) the boxes of truth (same layout, ends at w = 0) cut to window
 * `from` and moved with it to (tx, ty); a box is dropped when what stays is
 * under min_pixels or under min_kept of its side before the cut, on either
 * side. kept: the boxes out holds already. Returns the new count. */
int mosaic_boxes(const float *truth, int W, int H, mosaic_rect from, int tx, int ty, float min_pixels, float min_kept,
                 float *out, int kept);

#endif
