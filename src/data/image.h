/* image.h: images for the data pipeline: decode, encode, resize, letterbox,
 * augmentation and drawing.
 *
 * An `image` (darknet.h) is w*h*c floats in [0,1], channel-major (CHW), the
 * layout network inputs use. Functions that allocate return NULL on failure
 * with a message in dn_last_error(); functions that work in place never fail.
 *
 * Files: image.c (create/free/copy), image_io.c (decode/encode), image_ops.c
 * (resize, letterbox, flip, crop, colour jitter), draw.c (boxes and text). */
#ifndef DN_IMAGE_H
#define DN_IMAGE_H

#include "darknet.h"
#include "rng.h"

/* ---- image.c ---- */

/* A w x h x c image with every value `v`. */
image *make_image_fill(int w, int h, int c, float v);
/* Pixel (x, y) of channel k, no bounds check. */
static inline float *image_at(const image *im, int x, int y, int k)
{
    return im->data + ((size_t)k * im->h + y) * im->w + x;
}

/* ---- image_io.c ---- */

/* See load_image_hint in darknet.h. Decodes a file already in memory; `name`
 * only labels error messages. */
image *decode_image_memory(const unsigned char *buf, size_t len, const char *name, int want_w, int want_h,
                           int fit_inside, int *src_w, int *src_h);
/* Interleaved 8-bit pixels (HWC, as decoders and numpy hold them) to a 3-channel
 * image: n bytes per pixel, of which the first 3 are used (n >= 3: RGB, RGBA)
 * or the first, replicated (n = 1, 2: grey, grey and alpha), as files decode. */
image *image_from_bytes(const unsigned char *px, int w, int h, int n);
int save_image_png(const image *im, const char *path);
int save_image_jpg(const image *im, const char *path, int quality);   /* quality 1..100 */
/* JPEG-encodes into a malloc'ed buffer (*len bytes); NULL on failure. */
unsigned char *encode_image_jpg(const image *im, int quality, size_t *len);

/* ---- image_ops.c ---- */

/* Resamples to w x h: bilinear (pixel centres aligned) when enlarging an axis,
 * the average over each output pixel's footprint when shrinking it (bilinear
 * would skip source pixels below half size). Both are exact at integer
 * scales: x2 down averages 2x2 blocks, same size copies. */
image *resize_image(const image *im, int w, int h);
/* A copy enlarged by the smallest integer factor (nearest neighbour: pixels
 * stay crisp) that makes its shorter side at least min_side; a plain copy
 * when it is that large already. For drawing on small images. */
image *enlarge_image(const image *im, int min_side);
/* The region [x, x+w) x [y, y+h) of im; parts outside im are 0.5 grey. */
image *crop_image(const image *im, int x, int y, int w, int h);
void flip_image(image *im);                       /* mirror left-right, in place */
/* darknet's colour jitter on an RGB image, in place: hue shifted by dhue (in
 * turns: 1 = 360 degrees, wrapping), saturation and value multiplied by dsat
 * and dexp, then clamped to [0, 1]. Images with c != 3 are left unchanged. */
void distort_image(image *im, float dhue, float dsat, float dexp);
/* darknet's random_distort_image: dhue uniform in [-hue, hue]; dsat, dexp
 * drawn by rand_scale (uniform in [1, s], inverted half the time), so
 * saturation=1.5 means a factor between 1/1.5 and 1.5. */
void random_distort_image(image *im, float hue, float saturation, float exposure, rng_state *r);
float rand_scale(rng_state *r, float s);
void rgb_to_hsv(float r, float g, float b, float *h, float *s, float *v);   /* h in [0,1) turns */
void hsv_to_rgb(float h, float s, float v, float *r, float *g, float *b);

/* ---- draw.c ---- */

/* Colours are {r, g, b} in [0,1]; one-channel images get the luminance.
 * Coordinates are pixels, inclusive, clipped to the image. */
void fill_rect(image *im, int x0, int y0, int x1, int y1, const float rgb[3]);
/* A straight line, `thickness` pixels wide. */
void draw_line(image *im, int x0, int y0, int x1, int y1, int thickness, const float rgb[3]);
/* Outline whose `thickness` pixels lie inside [x0,x1] x [y0,y1]. */
void draw_rect(image *im, int x0, int y0, int x1, int y1, int thickness, const float rgb[3]);
/* stb_easy_font text with its top-left corner at (x, y), each font pixel drawn
 * as a scale x scale block. Characters outside printable ASCII show as '?'. */
void draw_text(image *im, int x, int y, const char *text, int scale, const float rgb[3]);
int text_width(const char *text, int scale);      /* pixels */
int text_height(int scale);                       /* one line, pixels */
/* The colour draw_detections uses for class k (well spread hues). */
void class_color(int k, float rgb[3]);

#endif
