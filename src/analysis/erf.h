/* erf.h: the effective receptive field (ERF) of a feature map.
 *
 * For image x and feature map F = output of layer L (C x h x w), the ERF is
 * the gradient of sum_c relu(F[c, h/2, w/2]) (the ReLU'd centre position,
 * summed over channels) with respect to x, taken as |g| (or relu(g), as the
 * RepLKNet/SLaK scripts do), summed over the colour channels and averaged
 * over the images: one value per input pixel. The network runs in inference
 * mode (batch norm with its rolling statistics), forward only up to L, and
 * backward from L down to the input (net->input_grad).
 *
 * Files: erf.c (the gradients, the average over images, the area fractions),
 * erf_render.c (heat-map picture, side-by-side strips). */
#ifndef DN_ERF_H
#define DN_ERF_H

#include "darknet.h"

typedef enum {
    ERF_GRAD_ABS = 0,    /* |d centre / d x| */
    ERF_GRAD_RELU = 1,   /* max(0, d centre / d x): positive contributions only */
} erf_grad;

/* The default target: the last layer whose output has more than one position
 * (w*h > 1), has a backward pass and is not a loss layer (for a classifier,
 * the last map before global pooling; for detectors with several FPN levels
 * pass the level's layer instead). -1 when there is none. */
int erf_default_layer(network *net);

/* 0 if layer `target` can be an ERF target of net; else -1 with a message naming it:
 * out of range, an inference-only network (no deltas), a layer without a
 * backward pass, or a loss layer. */
int erf_check_layer(network *net, int target);

/* The ERF of the first n (1..batch) images of `input` (network_batch(net)
 * images of network_inputs(net) floats; the remaining slots are run but not
 * seeded, so they contribute nothing): adds each image's per-pixel value into
 * sum (network_width * network_height doubles). Overwrites the deltas and
 * adds into the parameters' gradient buffers (which double as momentum), so
 * do not call it between the steps of a training run. Returns 0 or -1. */
int erf_add_batch(network *net, int target, const float *input, int n, erf_grad mode, double *sum);

/* Called after each image of erf_from_files (done counts skipped ones too). */
typedef void (*erf_progress_fn)(void *ctx, int done, int total);

/* The ERF averaged over images read from files: each is loaded and
 * letterboxed to the network input as the detector's evaluation loader does,
 * and run network_batch(net) at a time. Images that cannot be read or have
 * the wrong number of channels are skipped with a warning. out receives
 * width*height floats (the mean over the images used), *used (may be NULL)
 * their count. progress may be NULL. Returns 0, or -1 when no image could be
 * used or the network fails. */
int erf_from_files(network *net, int target, char *const *paths, int n, erf_grad mode, float *out, int *used,
                   erf_progress_fn progress, void *ctx);

/* In place: x -> log10(1 + x), then divided by the maximum, so the map lies in
 * [0, 1] (an all-zero map stays zero). Values must be >= 0. */
void erf_log_scale(float *map, int n);

/* For each threshold t[i] (a fraction in (0, 1]): sort the n values (>= 0)
 * in descending order, count how many it takes for their running sum to
 * reach t[i] of the total, and divide by n: the share of the area that holds
 * that share of the total. All zero for an all-zero map. Returns 0 or -1. */
int erf_area_fractions(const float *map, int n, const float *t, int nt, float *out);

/* The thresholds erf_area_fractions is usually asked for (RepLKNet, SLaK). */
enum { ERF_N_LEVELS = 4 };
extern const float erf_levels[ERF_N_LEVELS];   /* 0.2, 0.3, 0.5, 0.99 */

/* ---- erf_render.c ---- */

/* Colour of v in [0, 1] (clamped) in a viridis-like map (dark purple to yellow). */
void erf_colormap(float v, float rgb[3]);

/* The picture of a map of w x h values in [0, 1]: colour-mapped, enlarged by
 * an integer factor (nearest neighbour) until the shorter side is at least
 * 256 pixels so the text stays readable, with `title` in a white band above
 * and `caption` in one below (either may be NULL or ""). NULL on error. */
image *erf_render(const float *map, int w, int h, const char *title, const char *caption);

/* The images left to right, top-aligned, `gap` white pixels apart, on white
 * (e.g. the ERFs of teacher, student and distilled student). Three channels;
 * one-channel images are shown grey. NULL on error. */
image *images_side_by_side(const image *const *images, int n, int gap);

/* What erf_picture measured: the images used and the area fractions at erf_levels. */
typedef struct {
    int used;
    float area[ERF_N_LEVELS];
} erf_summary;

/* One network's ERF picture (`darknet erf`, `darknet distill compare`):
 * erf_from_files over the first n paths, erf_log_scale, the area fractions
 * into *s, and erf_render with `title` and a caption giving the 50% area.
 * progress may be NULL. NULL on error. */
image *erf_picture(network *net, int target, char *const *paths, int n, erf_grad mode, const char *title,
                   erf_summary *s, erf_progress_fn progress, void *ctx);

/* panel to the right of the picture stored in `path` (`darknet erf -append`);
 * panel stays the caller's. NULL on error (an unreadable file). */
image *erf_append_to_file(const image *panel, const char *path);

#endif
