/* im2col.h: unfolds image patches into columns so a convolution is one gemm.
 * Layout of `col`: rows (channel, ky, kx), columns (out_y, out_x). */
#ifndef DN_IM2COL_H
#define DN_IM2COL_H

#include <stddef.h>

typedef struct {
    int c, h, w;              /* input */
    int ksize_y, ksize_x;
    int stride_y, stride_x;
    int pad_y, pad_x;         /* per side, top/left */
    int dilation;
    int out_h, out_w;
} conv_geometry;

/* Range [lo, hi) of output x whose input x = ox*stride_x + x0 lies inside [0, w):
 * the loops over it need no bounds checks. */
void conv_valid_range(const conv_geometry *g, int x0, int *lo, int *hi);

void im2col(const float *im, const conv_geometry *g, float *col);
/* Adds the columns back into the image (the transpose of im2col). */
void col2im_add(const float *col, const conv_geometry *g, float *im);
/* The same for `images` images image_stride floats apart, their columns side
 * by side: col row r is [image 0's out_h*out_w | image 1's | ...], so one gemm
 * covers them all (small maps give too few columns per image). */
void im2col_images(const float *im, int images, size_t image_stride, const conv_geometry *g, float *col);
void col2im_add_images(const float *col, const conv_geometry *g, float *im, int images, size_t image_stride);

#endif
