/* image_ops.c: resampling, letterbox, crop, flip and colour jitter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "image.h"

/* Resampling weights along one axis of `in` pixels to `out`: output i takes
 * count[i] source pixels from first[i] on, with weights wt[i*taps ...]. */
typedef struct {
    int taps;
    int *first, *count;
    float *wt;
} axis_weights;

static void free_axis(axis_weights *a)
{
    free(a->first);
    free(a->count);
    free(a->wt);
}

static int make_axis(axis_weights *a, int in, int out)
{
    a->taps = in > out ? (int)ceil((double)in / out) + 1 : 2;
    a->first = dn_calloc(out, sizeof(int));
    a->count = dn_calloc(out, sizeof(int));
    a->wt = dn_calloc((size_t)out * a->taps, sizeof(float));
    if (!a->first || !a->count || !a->wt) {
        free_axis(a);
        return -1;
    }
    double s = (double)in / out;
    for (int i = 0; i < out; ++i) {
        float *w = a->wt + (size_t)i * a->taps;
        if (in > out) {
            /* shrinking: the average over the footprint [i*s, (i+1)*s) */
            double lo = i * s, hi = (i + 1) * s;
            int j0 = (int)floor(lo), j1 = (int)ceil(hi) - 1;
            if (j1 > in - 1) j1 = in - 1;
            a->first[i] = j0;
            for (int j = j0; j <= j1 && j - j0 < a->taps; ++j) {
                double cover = fmin(hi, j + 1.0) - fmax(lo, (double)j);
                w[a->count[i]++] = (float)(cover > 0 ? cover / s : 0);
            }
        } else {
            /* enlarging: bilinear between the two nearest pixel centres */
            double u = (i + 0.5) * s - 0.5;
            u = u < 0 ? 0 : u > in - 1 ? in - 1 : u;
            int j = (int)floor(u);
            float f = (float)(u - j);
            a->first[i] = j;
            w[0] = 1 - f;
            a->count[i] = 1;
            if (j + 1 < in && f > 0) {
                w[1] = f;
                a->count[i] = 2;
            }
        }
    }
    return 0;
}

image *resize_image(const image *im, int w, int h)
{
    if (!im || !im->data || im->w <= 0 || im->h <= 0 || w <= 0 || h <= 0) {
        dn_error("cannot resize %d x %d to %d x %d", im ? im->w : 0, im ? im->h : 0, w, h);
        return NULL;
    }
    if (w == im->w && h == im->h) return copy_image(im);
    image *out = make_image(w, h, im->c);
    float *tmp = dn_calloc((size_t)im->h * w, sizeof(float));
    axis_weights ax = {0}, ay = {0};
    if (!out || !tmp || make_axis(&ax, im->w, w) || make_axis(&ay, im->h, h)) {
        free_image(out);
        free(tmp);
        free_axis(&ax);
        free_axis(&ay);
        return NULL;
    }
    for (int k = 0; k < im->c; ++k) {
        /* rows first (in_h x w), then columns (h x w) */
        for (int y = 0; y < im->h; ++y) {
            const float *src = image_at(im, 0, y, k);
            float *dst = tmp + (size_t)y * w;
            for (int x = 0; x < w; ++x) {
                const float *wt = ax.wt + (size_t)x * ax.taps;
                const float *s = src + ax.first[x];
                float v = 0;
                for (int t = 0; t < ax.count[x]; ++t) v += wt[t] * s[t];
                dst[x] = v;
            }
        }
        for (int y = 0; y < h; ++y) {
            float *dst = image_at(out, 0, y, k);
            const float *wt = ay.wt + (size_t)y * ay.taps;
            for (int t = 0; t < ay.count[y]; ++t) {
                const float *s = tmp + (size_t)(ay.first[y] + t) * w;
                for (int x = 0; x < w; ++x) dst[x] += wt[t] * s[x];
            }
        }
    }
    free(tmp);
    free_axis(&ax);
    free_axis(&ay);
    return out;
}

image *enlarge_image(const image *im, int min_side)
{
    int shorter = im->w < im->h ? im->w : im->h, zoom = (min_side + shorter - 1) / shorter;
    if (zoom < 1) zoom = 1;
    image *out = make_image((int)((int64_t)im->w * zoom), (int)((int64_t)im->h * zoom), im->c);
    if (!out) return NULL;
    for (int k = 0; k < im->c; ++k)
        for (int y = 0; y < out->h; ++y)
            for (int x = 0; x < out->w; ++x) *image_at(out, x, y, k) = *image_at(im, x / zoom, y / zoom, k);
    return out;
}

image *crop_image(const image *im, int x, int y, int w, int h)
{
    image *out = im ? make_image_fill(w, h, im->c, 0.5f) : NULL;
    if (!out) return NULL;
    int x0 = x < 0 ? 0 : x, x1 = x + w > im->w ? im->w : x + w;
    int y0 = y < 0 ? 0 : y, y1 = y + h > im->h ? im->h : y + h;
    for (int k = 0; k < im->c && x1 > x0; ++k)
        for (int yy = y0; yy < y1; ++yy)
            memcpy(image_at(out, x0 - x, yy - y, k), image_at(im, x0, yy, k), sizeof(float) * (x1 - x0));
    return out;
}

void flip_image(image *im)
{
    for (int k = 0; k < im->c; ++k)
        for (int y = 0; y < im->h; ++y) {
            float *row = image_at(im, 0, y, k);
            for (int i = 0, j = im->w - 1; i < j; ++i, --j) {
                float t = row[i];
                row[i] = row[j];
                row[j] = t;
            }
        }
}

/* ---- letterbox ---- */

image *letterbox_image(const image *im, int w, int h, letterbox_geom *g)
{
    if (!im || !im->data || im->w <= 0 || im->h <= 0 || w <= 0 || h <= 0) {
        dn_error("cannot letterbox %d x %d into %d x %d", im ? im->w : 0, im ? im->h : 0, w, h);
        return NULL;
    }
    letterbox_geom geom = {.src_w = im->w, .src_h = im->h, .w = w, .h = h};
    /* darknet's rounding: the limiting side fills the canvas exactly */
    if ((long long)w * im->h < (long long)h * im->w) {
        geom.new_w = w;
        geom.new_h = (int)((long long)im->h * w / im->w);
    } else {
        geom.new_h = h;
        geom.new_w = (int)((long long)im->w * h / im->h);
    }
    if (geom.new_w < 1) geom.new_w = 1;
    if (geom.new_h < 1) geom.new_h = 1;
    geom.dx = (w - geom.new_w) / 2;
    geom.dy = (h - geom.new_h) / 2;
    geom.sx = (float)geom.new_w / im->w;
    geom.sy = (float)geom.new_h / im->h;
    if (g) *g = geom;
    image *scaled = resize_image(im, geom.new_w, geom.new_h);
    image *out = scaled ? make_image_fill(w, h, im->c, 0.5f) : NULL;
    if (out)
        for (int k = 0; k < im->c; ++k)
            for (int y = 0; y < geom.new_h; ++y)
                memcpy(image_at(out, geom.dx, geom.dy + y, k), image_at(scaled, 0, y, k), sizeof(float) * geom.new_w);
    free_image(scaled);
    return out;
}

box letterbox_box_to_image(const letterbox_geom *g, box b)
{
    box r;
    r.x = (b.x * g->w - g->dx) / g->new_w;
    r.y = (b.y * g->h - g->dy) / g->new_h;
    r.w = b.w * g->w / g->new_w;
    r.h = b.h * g->h / g->new_h;
    return r;
}

box letterbox_box_to_canvas(const letterbox_geom *g, box b)
{
    box r;
    r.x = (b.x * g->new_w + g->dx) / g->w;
    r.y = (b.y * g->new_h + g->dy) / g->h;
    r.w = b.w * g->new_w / g->w;
    r.h = b.h * g->new_h / g->h;
    return r;
}

/* ---- colour ---- */

void rgb_to_hsv(float r, float g, float b, float *h, float *s, float *v)
{
    float max = fmaxf(r, fmaxf(g, b)), min = fminf(r, fminf(g, b)), delta = max - min;
    *v = max;
    *s = max > 0 ? delta / max : 0;
    float hue = 0;
    if (delta > 0) {
        if (r == max) hue = (g - b) / delta;
        else if (g == max) hue = 2 + (b - r) / delta;
        else hue = 4 + (r - g) / delta;
        hue /= 6;
        if (hue < 0) hue += 1;
    }
    *h = hue;
}

void hsv_to_rgb(float h, float s, float v, float *r, float *g, float *b)
{
    float hh = (h - floorf(h)) * 6;
    int i = (int)hh;
    float f = hh - i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i % 6) {
    case 0: *r = v, *g = t, *b = p; break;
    case 1: *r = q, *g = v, *b = p; break;
    case 2: *r = p, *g = v, *b = t; break;
    case 3: *r = p, *g = q, *b = v; break;
    case 4: *r = t, *g = p, *b = v; break;
    default: *r = v, *g = p, *b = q; break;
    }
}

static float clamp01(float x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

void distort_image(image *im, float dhue, float dsat, float dexp)
{
    if (im->c != 3 || (dhue == 0 && dsat == 1 && dexp == 1)) return;
    size_t plane = (size_t)im->w * im->h;
    float *R = im->data, *G = R + plane, *B = G + plane;
    for (size_t i = 0; i < plane; ++i) {
        float h, s, v;
        rgb_to_hsv(R[i], G[i], B[i], &h, &s, &v);
        /* saturation beyond 1 has no colour meaning: clamp it (darknet lets
         * it run over, which shifts hues); value over 1 clips below */
        hsv_to_rgb(h + dhue, clamp01(s * dsat), v * dexp, &R[i], &G[i], &B[i]);
        R[i] = clamp01(R[i]);
        G[i] = clamp01(G[i]);
        B[i] = clamp01(B[i]);
    }
}

float rand_scale(rng_state *r, float s)
{
    float u = rng_range(r, 1, s);
    return rng_u32(r) & 1 ? u : 1 / u;
}

void random_distort_image(image *im, float hue, float saturation, float exposure, rng_state *r)
{
    float dhue = rng_range(r, -hue, hue);
    float dsat = rand_scale(r, saturation);
    float dexp = rand_scale(r, exposure);
    distort_image(im, dhue, dsat, dexp);
}
