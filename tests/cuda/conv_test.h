/* conv_test.h: the convolution shapes the host and device kernel tests share. */
#ifndef DN_CONV_TEST_H
#define DN_CONV_TEST_H

extern "C" {
#include "im2col.h"
}

/* A geometry with its output size worked out as the convolutional layer does. */
static inline conv_geometry conv_shape(int c, int h, int w, int ky, int kx, int sy, int sx, int py, int px,
                                       int dilation)
{
    conv_geometry g = {c, h, w, ky, kx, sy, sx, py, px, dilation, 0, 0};
    g.out_h = (h + 2 * py - dilation * (ky - 1) - 1) / sy + 1;
    g.out_w = (w + 2 * px - dilation * (kx - 1) - 1) / sx + 1;
    return g;
}

static inline long conv_in_size(const conv_geometry &g) { return (long)g.c * g.h * g.w; }
static inline long conv_out_plane(const conv_geometry &g) { return (long)g.out_h * g.out_w; }
static inline long conv_col_size(const conv_geometry &g)
{
    return (long)g.c * g.ksize_y * g.ksize_x * conv_out_plane(g);
}

/* Awkward shapes: rectangular, strided with odd inputs, dilated, padded
 * beyond the kernel, 1x1 maps, and a kernel as large as the image. */
static const conv_geometry conv_shapes[] = {
    conv_shape(3, 7, 9, 3, 3, 1, 1, 1, 1, 1),
    conv_shape(2, 11, 13, 3, 5, 2, 2, 1, 2, 1),
    conv_shape(4, 9, 10, 3, 3, 1, 2, 2, 2, 2),
    conv_shape(2, 13, 17, 5, 1, 3, 1, 2, 0, 1),
    conv_shape(3, 1, 1, 1, 1, 1, 1, 0, 0, 1),
    conv_shape(2, 1, 1, 3, 3, 1, 1, 1, 1, 1),
    conv_shape(1, 52, 51, 51, 51, 1, 1, 25, 25, 1),
    conv_shape(2, 6, 7, 2, 4, 2, 3, 3, 0, 1),
};
enum { N_CONV_SHAPES = sizeof conv_shapes / sizeof conv_shapes[0] };

/* Depthwise shapes (c = the channels), "same" padding as the layer: 3x3,
 * stride 2 on odd inputs, dilation, and the large kernels 51x51, 51x5, 5x51. */
static const conv_geometry depthwise_shapes[] = {
    conv_shape(3, 9, 11, 3, 3, 1, 1, 1, 1, 1),
    conv_shape(2, 13, 11, 3, 3, 2, 2, 1, 1, 1),
    conv_shape(2, 15, 9, 3, 3, 2, 1, 2, 2, 2),
    conv_shape(2, 53, 52, 51, 51, 1, 1, 25, 25, 1),
    conv_shape(3, 21, 55, 5, 51, 2, 2, 2, 25, 1),
    conv_shape(3, 55, 21, 51, 5, 2, 2, 25, 2, 1),
    conv_shape(4, 1, 1, 3, 3, 1, 1, 1, 1, 1),
};
enum { N_DEPTHWISE_SHAPES = sizeof depthwise_shapes / sizeof depthwise_shapes[0], DEPTHWISE_BATCH = 3 };

#endif
