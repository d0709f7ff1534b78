/* yolo_body.cuh: the body of [yolo]'s forward, one element each. */
#ifndef DN_YOLO_BODY_CUH
#define DN_YOLO_BODY_CUH

#include <math.h>

#include "activation_math.h"
#include "hd.h"

/* out = in with the logistic applied to x, y, objectness and the classes of
 * each mask entry (channels n * entries + {0, 1, 4, 5..}), x and y scaled as
 * s * x - (s - 1) / 2 (s = scale_x_y); w, h copied raw. */
struct yolo_forward_body {
    const float *in;
    float *out;
    int hw, channels, entries;
    float scale_x_y;
    DN_HD void operator()(long i) const
    {
        int j = (int)(i / hw % channels) % entries;
        float v = j == 2 || j == 3 ? in[i] : act_logistic(in[i]);
        out[i] = j < 2 ? scale_x_y * v - 0.5f * (scale_x_y - 1) : v;
    }
};

#endif
