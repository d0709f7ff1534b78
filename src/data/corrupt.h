/* corrupt.h: common corruptions of images at five severities, after
 * ImageNet-C (Hendrycks and Dietterich, "Benchmarking Neural Network
 * Robustness to Common Corruptions and Perturbations", ICLR 2019): gaussian
 * noise, defocus blur, contrast and JPEG compression, with the parameters of
 * the authors' generators (github.com/hendrycks/robustness,
 * ImageNet-C/create_c/): make_imagenet_c.py for 224 x 224 images,
 * make_tinyimagenet_c.py (and make_imagenet_64_c.py, the same numbers) for
 * 64 x 64, make_cifar_c.py for 32 x 32. Written from those definitions; see
 * corrupt.c for each formula. Differences: the noise comes from our own
 * generator (not numpy's), JPEG from stb_image_write's baseline encoder (IJG
 * quality scaling, 4:2:0 chroma below quality 91, like PIL's defaults, but not
 * byte for byte libjpeg), and the copies are saved as PNG (ImageNet-C stores
 * its sets as JPEG of quality 85, a further small corruption). */
#ifndef DN_CORRUPT_H
#define DN_CORRUPT_H

#include <stdint.h>

#include "darknet.h"

typedef enum { CORRUPT_NOISE, CORRUPT_BLUR, CORRUPT_CONTRAST, CORRUPT_JPEG, CORRUPT_KINDS } corrupt_kind;
typedef enum { CORRUPT_IMAGENET, CORRUPT_TINY, CORRUPT_CIFAR, CORRUPT_TABLES } corrupt_table;
enum { CORRUPT_SEVERITIES = 5 };

/* ImageNet-C's names: gaussian_noise, defocus_blur, contrast, jpeg_compression. */
extern const char *const corrupt_kind_names[CORRUPT_KINDS];
/* imagenet, tiny, cifar */
extern const char *const corrupt_table_names[CORRUPT_TABLES];
/* The index of a name in a NULL-free list of n, or -1. */
int corrupt_lookup(const char *name, const char *const *names, int n);
/* The table made for the nearest image size: cifar up to 45, tiny up to 150, imagenet above. */
corrupt_table corrupt_table_for_size(int size);

/* Corrupts im (values in [0,1], 1 or 3 channels) in place: severity 1..5;
 * seed drives the noise. Returns 0, or -1 (JPEG coding failed). */
int corrupt_image(image *im, corrupt_kind kind, int severity, corrupt_table table, uint64_t seed);

/* The pieces, exposed for tests: */
/* x + N(0, sigma^2) per value, clipped to [0, 1]. */
void corrupt_gaussian_noise(image *im, float sigma, uint64_t seed);
/* The defocus kernel (the disk of `radius`, antialiased by a 3x3 or 5x5
 * Gaussian of sd `alias` with cv2.GaussianBlur's reflect-101 border, not
 * renormalised: where the disk reaches its support's edge, radius 8 and 10,
 * ImageNet-C severities 4 and 5, the weights sum to 1.013 and 1.011 as
 * theirs do): writes its side into *side and, when k is not NULL, side x side
 * weights; side is at most 2 * 10 + 1. */
void corrupt_defocus_kernel(float radius, float alias, float *k, int *side);
/* Correlates every channel with the side x side kernel, borders reflected
 * without repeating the edge (OpenCV's BORDER_REFLECT_101), then clips. */
void corrupt_filter(image *im, const float *k, int side);
/* (x - mean) * c + mean per channel (mean over its pixels), clipped. */
void corrupt_contrast(image *im, float c);
/* JPEG-encodes at quality q and decodes back. 0 or -1. */
int corrupt_jpeg(image *im, int quality);

#endif
