/* synth_shapes.c: a toy image-classification stream (one shape per image) for
 * the quick start and the learning tests; no files needed. */
#include <math.h>

#include "darknet.h"
#include "rng.h"

const char *const synth_shape_names[SYNTH_SHAPE_CLASSES] = {"square", "circle", "triangle", "cross"};

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

int synth_shape_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image)
{
    rng_state r;
    rng_seed(&r, seed * 0x9E3779B97F4A7C15ULL + index);
    int shape = (int)(rng_u32(&r) % SYNTH_SHAPE_CLASSES);
    float radius = rng_range(&r, 0.2f, 0.4f) * (w < h ? w : h);
    float cx = rng_range(&r, radius, w - radius), cy = rng_range(&r, radius, h - radius);
    float bg[3], fg[3];
    for (int k = 0; k < 3; ++k) {
        bg[k] = rng_range(&r, 0.0f, 1.0f);
        /* keep the shape visible: at least 0.3 away from the background */
        fg[k] = bg[k] > 0.5f ? bg[k] - rng_range(&r, 0.3f, bg[k]) : bg[k] + rng_range(&r, 0.3f, 1 - bg[k]);
    }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            int in = inside(shape, (x + 0.5f - cx) / radius, (y + 0.5f - cy) / radius);
            for (int k = 0; k < c; ++k) {
                float v = (in ? fg[k % 3] : bg[k % 3]) + rng_range(&r, -0.1f, 0.1f);
                image[((size_t)k * h + y) * w + x] = v < 0 ? 0 : (v > 1 ? 1 : v);
            }
        }
    return shape;
}
