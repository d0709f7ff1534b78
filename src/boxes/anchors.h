/* anchors.h: the anchor boxes of one FPN level.
 *
 * Geometry (torchvision AnchorGenerator and mmdetection v2+ AnchorGenerator
 * agree): for aspect ratio r (= h / w) and scale s, an anchor of size
 * S = base_size * s has w = S / sqrt(r), h = S * sqrt(r) (area S^2), centred
 * on (x * stride, y * stride) for grid cell (x, y): no half-stride offset
 * (mmdetection's center_offset = 0; center_offset here moves the centre to
 * (x + offset) * stride as mmdetection's does).
 *
 * Order: anchor index ((y * w + x) * A + a), positions row-major and the A
 * anchors of a position innermost, with a = ratio_index * n_scales +
 * scale_index (ratio-major, scale-minor: torchvision, and mmdetection's
 * scale_major=True). So the head's output channel a*K + k (class k) and
 * a*4 + j (box coordinate j) at position (x, y) belong to anchor a here.
 *
 * Rounding: mmdetection uses the exact sizes (P3: 32, 40.32, 50.80), the
 * default here. torchvision truncates the sizes to integers (32, 40, 50) and
 * rounds the half-extents to integers (half to even, as torch.round), e.g.
 * P3 ratio 0.5 scale 1: [-23, -11, 23, 11]; torchvision_round = 1 does the same. */
#ifndef DN_ANCHORS_H
#define DN_ANCHORS_H

#include "boxes.h"

enum { ANCHOR_MAX_SCALES = 8, ANCHOR_MAX_RATIOS = 8 };

typedef struct {
    float base_size;                 /* RetinaNet: 4 * stride (32 at P3 .. 512 at P7) */
    int n_scales, n_ratios;          /* A = n_scales * n_ratios anchors per position */
    float scales[ANCHOR_MAX_SCALES]; /* multiples of base_size */
    float ratios[ANCHOR_MAX_RATIOS]; /* h / w */
    float center_offset;             /* in strides; 0 as torchvision and mmdetection v2+ */
    int torchvision_round;           /* 1: torchvision's integer sizes and rounded extents */
} anchor_config;

/* RetinaNet's: scales 2^0, 2^(1/3), 2^(2/3), ratios 0.5, 1, 2, offset 0, exact sizes. */
anchor_config anchor_config_retinanet(float base_size);

/* A for the config, or -1 (with dn_last_error()) if the config is invalid. */
int anchors_per_position(const anchor_config *c);

/* The A anchors of a position centred on (0, 0), in the order above.
 * Returns A, or -1 with dn_last_error() on an invalid config. */
int make_base_anchors(const anchor_config *c, cbox *out);

/* All w * h * A anchors of a level with a w x h grid and the given stride
 * (pixels per cell, as configured: mmdetection's choice; torchvision derives
 * it as image_size // feature_size, the same when the size divides), written
 * into out (w * h * A boxes). Returns the count, or -1 with dn_last_error(). */
int make_anchors(const anchor_config *c, int w, int h, float stride, cbox *out);

#endif
