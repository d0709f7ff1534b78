/* synth_shapes.c: toy image-classification streams for the quick start, the
 * learning tests and the distillation studies; no files needed.
 *   shapes:  one shape per image, its class (square, circle, triangle, cross).
 *   context: a shape and a small disc (the marker) 0.30-0.42 image sides
 *            apart; the class is where the marker lies as seen from the shape
 *            (left, right, above, below), so it is only seen by looking at
 *            both at once, far apart: a network whose receptive field is much
 *            smaller than that distance has to guess (or read the borders).
 *            With distractors, more marker-sized discs in other colours: the
 *            marker is the disc of the shape's colour. */
#include <math.h>

#include "darknet.h"
#include "rng.h"

const char *const synth_shape_names[SYNTH_SHAPE_CLASSES] = {"square", "circle", "triangle", "cross"};
const char *const synth_context_names[SYNTH_CONTEXT_CLASSES] = {"left", "right", "above", "below"};

/* Whether (x, y), relative to the shape's centre and in units of its radius, is inside. */
static int inside(int shape, float x, float y)
{
    switch (shape) {
    case 0: return fabsf(x) <= 0.8f && fabsf(y) <= 0.8f;
    case 1: return x * x + y * y <= 1.0f;
    case 2: return y <= 0.8f && y >= -1.0f && fabsf(x) <= (y + 1.0f) * 0.55f;
    default: return (fabsf(x) <= 0.25f && fabsf(y) <= 1.0f) || (fabsf(y) <= 0.25f && fabsf(x) <= 1.0f);
    }
}

typedef struct {
    int shape;
    float cx, cy, radius;
    float colour[3];
} blob;

/* A colour channel that stays visible on `bg`: at least 0.3 away from it. */
static float contrasting(rng_state *r, float bg)
{
    return bg > 0.5f ? bg - rng_range(r, 0.3f, bg) : bg + rng_range(r, 0.3f, 1 - bg);
}

/* The blobs (later ones on top) on the background, with +-0.1 noise per value. */
static void paint(rng_state *r, const blob *blobs, int n, const float bg[3], int w, int h, int c, float *image)
{
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const float *col = bg;
            for (int i = 0; i < n; ++i)
                if (inside(blobs[i].shape, (x + 0.5f - blobs[i].cx) / blobs[i].radius,
                           (y + 0.5f - blobs[i].cy) / blobs[i].radius))
                    col = blobs[i].colour;
            for (int k = 0; k < c; ++k) {
                float v = col[k % 3] + rng_range(r, -0.1f, 0.1f);
                image[((size_t)k * h + y) * w + x] = v < 0 ? 0 : (v > 1 ? 1 : v);
            }
        }
}

int synth_shape_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image)
{
    rng_state r;
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ULL + index);
    blob b = {(int)(rng_u32(&r) % SYNTH_SHAPE_CLASSES), 0, 0, 0, {0}};
    b.radius = rng_range(&r, 0.2f, 0.4f) * (w < h ? w : h);
    b.cx = rng_range(&r, b.radius, w - b.radius), b.cy = rng_range(&r, b.radius, h - b.radius);
    float bg[3];
    for (int k = 0; k < 3; ++k) {
        bg[k] = rng_range(&r, 0.0f, 1.0f);
        b.colour[k] = contrasting(&r, bg[k]);
    }
    paint(&r, &b, 1, bg, w, h, c, image);
    return b.shape;
}

/* A centre in [0, n] for a blob of radius ro whose partner of radius rm sits
 * at offset d, both inside. */
static float place(rng_state *r, float ro, float rm, float d, int n)
{
    float lo = fmaxf(ro, rm - d), hi = fminf(n - ro, n - rm - d);
    return lo < hi ? rng_range(r, lo, hi) : 0.5f * (lo + hi);
}

/* A colour that stays visible on bg (0.3 from it in every channel) and is at
 * least 0.3 from `avoid` in some channel. On a mid-grey background the
 * visible range of a channel is narrow on each side, so if random draws stay
 * too close, one channel goes to the other side of bg than `avoid`. */
static void other_colour(rng_state *r, const float bg[3], const float avoid[3], float out[3])
{
    for (int tries = 0; tries < 8; ++tries) {
        float far = 0;
        for (int k = 0; k < 3; ++k) {
            out[k] = contrasting(r, bg[k]);
            far = fmaxf(far, fabsf(out[k] - avoid[k]));
        }
        if (far >= 0.3f) return;
    }
    for (int k = 0; k < 3; ++k) {
        if (avoid[k] > bg[k] && bg[k] >= 0.3f) out[k] = rng_range(r, 0.0f, bg[k] - 0.3f);
        else if (avoid[k] < bg[k] && bg[k] <= 0.7f) out[k] = rng_range(r, bg[k] + 0.3f, 1.0f);
        else continue;
        return;
    }
    /* every channel near 0 or 1: its visible side is over 0.4 wide; take its far end */
    out[0] = bg[0] > 0.5f ? (avoid[0] > 0.5f * (bg[0] - 0.3f) ? 0.0f : bg[0] - 0.3f)
                          : (avoid[0] < 0.5f * (bg[0] + 1.3f) ? 1.0f : bg[0] + 0.3f);
}

/* Whether a disc of radius rad at (x, y) keeps a marker's diameter clear of the blobs. */
static int clear_of(const blob *blobs, int n, float x, float y, float rad)
{
    for (int i = 0; i < n; ++i)
        if (hypotf(x - blobs[i].cx, y - blobs[i].cy) < blobs[i].radius + 3 * rad) return 0;
    return 1;
}

/* Adds the distractors: marker-sized discs in other colours than the shape's, apart from the rest. */
static int add_distractors(rng_state *r, blob *blobs, int distractors, const float bg[3], int w, int h)
{
    int n = 2;
    float rad = blobs[1].radius;
    for (int d = 0; d < distractors; ++d) {
        blob b = {1, 0, 0, rad, {0}};
        for (int tries = 0; tries < 64; ++tries) {
            b.cx = rng_range(r, rad, w - rad), b.cy = rng_range(r, rad, h - rad);
            if (clear_of(blobs, n, b.cx, b.cy, rad)) break;
        }
        other_colour(r, bg, blobs[0].colour, b.colour);
        blobs[n++] = b;
    }
    return n;
}

int synth_context_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image)
{
    return synth_context_image_distractors(seed, index, 0, w, h, c, image);
}

int synth_context_image_distractors(uint64_t seed, uint64_t index, int distractors, int w, int h, int c,
                                    float *image)
{
    rng_state r;
    rng_seed(&r, (seed ^ 0xC0C0A5A5ULL) * 0x9E3779B97F4A7C15ULL + index);   /* not the shapes stream */
    int dir = (int)(rng_u32(&r) % SYNTH_CONTEXT_CLASSES);
    float side = (float)(w < h ? w : h);
    blob obj = {(int)(rng_u32(&r) % SYNTH_SHAPE_CLASSES), 0, 0, 0, {0}};   /* one draw per statement: */
    obj.radius = rng_range(&r, 0.08f, 0.13f) * side;                        /* initialisers are unordered */
    blob mark = {1, 0, 0, fmaxf(1.5f, 0.045f * side), {0}};
    float d = rng_range(&r, 0.30f, 0.42f) * side, across = rng_range(&r, -0.1f, 0.1f) * side;
    float dx = dir == 0 ? -d : dir == 1 ? d : across, dy = dir == 2 ? -d : dir == 3 ? d : across;
    obj.cx = place(&r, obj.radius, mark.radius, dx, w);
    obj.cy = place(&r, obj.radius, mark.radius, dy, h);
    mark.cx = obj.cx + dx, mark.cy = obj.cy + dy;
    float bg[3];
    for (int k = 0; k < 3; ++k) {
        bg[k] = rng_range(&r, 0.0f, 1.0f);
        obj.colour[k] = contrasting(&r, bg[k]);
        mark.colour[k] = contrasting(&r, bg[k]);
    }
    blob blobs[2 + SYNTH_MAX_DISTRACTORS] = {obj, mark};
    if (distractors > SYNTH_MAX_DISTRACTORS) distractors = SYNTH_MAX_DISTRACTORS;
    if (distractors > 0)   /* the marker is then told apart by its colour: the shape's */
        for (int k = 0; k < 3; ++k) blobs[1].colour[k] = obj.colour[k];
    int n = distractors > 0 ? add_distractors(&r, blobs, distractors, bg, w, h) : 2;
    paint(&r, blobs, n, bg, w, h, c, image);
    return dir;
}
