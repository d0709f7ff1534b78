/* corrupt.c: ImageNet-C's gaussian noise, defocus blur, contrast and JPEG
 * compression (see corrupt.h for the sources). Values in [0,1] as
 * ImageNet-C's x / 255; the results are clipped to [0,1] as it clips. */
#include "corrupt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "image.h"
#include "rng.h"

const char *const corrupt_kind_names[CORRUPT_KINDS] = {"gaussian_noise", "defocus_blur", "contrast",
                                                       "jpeg_compression"};
const char *const corrupt_table_names[CORRUPT_TABLES] = {"imagenet", "tiny", "cifar"};

/* Severity 1..5 of each generator (make_imagenet_c.py, make_tinyimagenet_c.py,
 * make_cifar_c.py: gaussian_noise c, defocus_blur c = (radius, alias_blur),
 * contrast c, jpeg_compression c = quality). */
static const float noise_sd[CORRUPT_TABLES][5] = {
    {.08f, .12f, .18f, .26f, .38f}, {.04f, .08f, .12f, .15f, .18f}, {.04f, .06f, .08f, .09f, .10f}};
static const float blur[CORRUPT_TABLES][5][2] = {
    {{3, .1f}, {4, .5f}, {6, .5f}, {8, .5f}, {10, .5f}},
    {{.5f, .6f}, {1, .1f}, {1.5f, .1f}, {2.5f, .01f}, {3, .1f}},
    {{.3f, .4f}, {.4f, .5f}, {.5f, .6f}, {1, .2f}, {1.5f, .1f}}};
static const float contrast_c[CORRUPT_TABLES][5] = {
    {.4f, .3f, .2f, .1f, .05f}, {.4f, .3f, .2f, .1f, .05f}, {.75f, .5f, .4f, .3f, .15f}};
static const int jpeg_quality[CORRUPT_TABLES][5] = {{25, 18, 15, 10, 7}, {65, 58, 50, 40, 25}, {80, 65, 58, 50, 40}};

int corrupt_lookup(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; ++i)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

corrupt_table corrupt_table_for_size(int size)
{
    return size <= 45 ? CORRUPT_CIFAR : size <= 150 ? CORRUPT_TINY : CORRUPT_IMAGENET;
}

static float clip01(float v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

void corrupt_gaussian_noise(image *im, float sigma, uint64_t seed)
{
    rng_state r;
    rng_seed(&r, seed);
    size_t n = (size_t)im->w * im->h * im->c;
    for (size_t i = 0; i < n; ++i) im->data[i] = clip01(im->data[i] + sigma * rng_normal(&r));
}

/* OpenCV's BORDER_REFLECT_101: ... 2 1 | 0 1 2 ... n-1 | n-2 ... */
static int reflect101(int p, int n)
{
    if (n == 1) return 0;
    int period = 2 * n - 2;
    p = abs(p) % period;
    return p < n ? p : period - p;
}

/* out = in correlated with k (side x side, anchor at the centre), reflect-101 borders. */
static void filter_plane(const float *in, int w, int h, const float *k, int side, float *out)
{
    int a = side / 2;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double s = 0;
            for (int i = 0; i < side; ++i) {
                const float *row = in + (size_t)reflect101(y + i - a, h) * w;
                for (int j = 0; j < side; ++j) s += (double)k[i * side + j] * row[reflect101(x + j - a, w)];
            }
            out[(size_t)y * w + x] = (float)s;
        }
}

void corrupt_defocus_kernel(float radius, float alias, float *k, int *side)
{
    /* make_*_c.py disk(): support -8..8 with a 3x3 antialiasing blur up to radius 8,
     * else -radius..radius with a 5x5 one */
    int half = radius <= 8 ? 8 : (int)radius, n = 2 * half + 1, g = radius <= 8 ? 3 : 5;
    *side = n;
    if (!k) return;
    float disk[21 * 21], gk[25], gsum = 0, dsum = 0;
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            float dy = (float)(y - half), dx = (float)(x - half);
            dsum += disk[y * n + x] = dx * dx + dy * dy <= radius * radius ? 1.0f : 0.0f;
        }
    for (int i = 0; i < n * n; ++i) disk[i] /= dsum;
    /* cv2.GaussianBlur(ksize=(g, g), sigmaX=alias): separable, weights exp(-d^2 / 2 alias^2) normalised */
    float w1[5];
    for (int i = 0; i < g; ++i) gsum += w1[i] = expf(-(float)((i - g / 2) * (i - g / 2)) / (2 * alias * alias));
    for (int i = 0; i < g; ++i)
        for (int j = 0; j < g; ++j) gk[i * g + j] = w1[i] / gsum * w1[j] / gsum;
    filter_plane(disk, n, n, gk, g, k);
}

void corrupt_filter(image *im, const float *k, int side)
{
    size_t plane = (size_t)im->w * im->h;
    float *out = malloc(sizeof(float) * plane);
    if (!out) return;   /* too small to fail in practice; the image stays as it was */
    for (int c = 0; c < im->c; ++c) {
        float *p = im->data + c * plane;
        filter_plane(p, im->w, im->h, k, side, out);
        for (size_t i = 0; i < plane; ++i) p[i] = clip01(out[i]);
    }
    free(out);
}

void corrupt_contrast(image *im, float c)
{
    size_t plane = (size_t)im->w * im->h;
    for (int ch = 0; ch < im->c; ++ch) {
        float *p = im->data + ch * plane;
        double mean = 0;
        for (size_t i = 0; i < plane; ++i) mean += p[i];
        mean /= (double)plane;
        for (size_t i = 0; i < plane; ++i) p[i] = clip01((float)((p[i] - mean) * c + mean));
    }
}

int corrupt_jpeg(image *im, int quality)
{
    size_t len = 0;
    unsigned char *buf = encode_image_jpg(im, quality, &len);
    image *back = buf ? decode_image_memory(buf, len, "JPEG-compressed image", 0, 0, 0, NULL, NULL) : NULL;
    free(buf);
    int ok = back && back->w == im->w && back->h == im->h && back->c == im->c;
    if (ok) memcpy(im->data, back->data, sizeof(float) * im->w * im->h * im->c);
    else if (back) dn_error("JPEG round trip changed a %d x %d x %d image", im->w, im->h, im->c);
    free_image(back);
    return ok ? 0 : -1;
}

int corrupt_image(image *im, corrupt_kind kind, int severity, corrupt_table table, uint64_t seed)
{
    if (severity < 1 || severity > CORRUPT_SEVERITIES || (unsigned)kind >= CORRUPT_KINDS ||
        (unsigned)table >= CORRUPT_TABLES)
        return dn_error("corruption %d at severity %d (1..5) of table %d does not exist", (int)kind, severity,
                        (int)table);
    int s = severity - 1;
    switch (kind) {
    case CORRUPT_NOISE: corrupt_gaussian_noise(im, noise_sd[table][s], seed); return 0;
    case CORRUPT_CONTRAST: corrupt_contrast(im, contrast_c[table][s]); return 0;
    case CORRUPT_JPEG: return corrupt_jpeg(im, jpeg_quality[table][s]);
    default: break;
    }
    float k[21 * 21];
    int side;
    corrupt_defocus_kernel(blur[table][s][0], blur[table][s][1], k, &side);
    corrupt_filter(im, k, side);
    return 0;
}
