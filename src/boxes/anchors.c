/* anchors.c: RetinaNet anchors of one level (conventions in anchors.h). */
#include <math.h>
#include <stdint.h>

#include "anchors.h"
#include "errors.h"

anchor_config anchor_config_retinanet(float base_size)
{
    anchor_config c = {0};
    c.base_size = base_size;
    c.n_scales = 3;
    c.n_ratios = 3;
    for (int i = 0; i < 3; ++i) c.scales[i] = (float)pow(2.0, i / 3.0);
    c.ratios[0] = 0.5f;
    c.ratios[1] = 1.0f;
    c.ratios[2] = 2.0f;
    return c;
}

int anchors_per_position(const anchor_config *c)
{
    if (!c) return dn_error("anchors: no config");
    if (!(c->base_size > 0) || !isfinite(c->base_size))
        return dn_error("anchors: base size %g must be a positive number", c->base_size);
    if (c->n_scales < 1 || c->n_scales > ANCHOR_MAX_SCALES)
        return dn_error("anchors: %d scales, expected 1..%d", c->n_scales, ANCHOR_MAX_SCALES);
    if (c->n_ratios < 1 || c->n_ratios > ANCHOR_MAX_RATIOS)
        return dn_error("anchors: %d aspect ratios, expected 1..%d", c->n_ratios,
                        ANCHOR_MAX_RATIOS);
    for (int i = 0; i < c->n_scales; ++i)
        if (!(c->scales[i] > 0) || !isfinite(c->scales[i]))
            return dn_error("anchors: scale %d is %g, expected a positive number", i, c->scales[i]);
    for (int i = 0; i < c->n_ratios; ++i)
        if (!(c->ratios[i] > 0) || !isfinite(c->ratios[i]))
            return dn_error("anchors: aspect ratio %d is %g, expected a positive number", i,
                            c->ratios[i]);
    if (!isfinite(c->center_offset)) return dn_error("anchors: centre offset is not a number");
    return c->n_scales * c->n_ratios;
}

int make_base_anchors(const anchor_config *c, cbox *out)
{
    int A = anchors_per_position(c);
    if (A < 0) return -1;
    for (int r = 0; r < c->n_ratios; ++r) {
        for (int s = 0; s < c->n_scales; ++s) {
            cbox *b = &out[r * c->n_scales + s];
            if (c->torchvision_round) {
                /* torchvision: sizes int(base * 2^(k/3)) (Python doubles), then in
                 * float32: h_ratio = sqrt(r), w_ratio = 1 / h_ratio,
                 * half extents (ratio * size) / 2 rounded half to even (rintf in
                 * the default rounding mode, like torch.round). */
                float size = (float)(long)((double)c->base_size * c->scales[s]);
                float hr = sqrtf(c->ratios[r]), wr = 1.0f / hr;
                float hw = rintf(wr * size / 2), hh = rintf(hr * size / 2);
                *b = (cbox){-hw, -hh, hw, hh};
            } else {
                double size = (double)c->base_size * c->scales[s], hr = sqrt(c->ratios[r]);
                float hw = (float)(size / hr / 2), hh = (float)(size * hr / 2);
                *b = (cbox){-hw, -hh, hw, hh};
            }
        }
    }
    return A;
}

int make_anchors(const anchor_config *c, int w, int h, float stride, cbox *out)
{
    cbox base[ANCHOR_MAX_SCALES * ANCHOR_MAX_RATIOS];
    int A = make_base_anchors(c, base);
    if (A < 0) return -1;
    if (w < 0 || h < 0 || (int64_t)w * h * A > INT32_MAX)
        return dn_error("anchors: bad grid %d x %d (%d anchors per position)", w, h, A);
    if (!(stride > 0) || !isfinite(stride))
        return dn_error("anchors: stride %g must be a positive number", stride);
    cbox *o = out;
    for (int y = 0; y < h; ++y) {
        float cy = (y + c->center_offset) * stride;
        for (int x = 0; x < w; ++x) {
            float cx = (x + c->center_offset) * stride;
            for (int a = 0; a < A; ++a, ++o)
                *o = (cbox){cx + base[a].x1, cy + base[a].y1, cx + base[a].x2, cy + base[a].y2};
        }
    }
    return w * h * A;
}
