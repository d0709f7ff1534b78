/* loader.h: the threaded batch loader for detection training and evaluation.
 *
 * Worker threads load and augment images into a ring of batch buffers while
 * the caller trains on the previous batch. What lands in a batch depends only
 * on the seed and the batch number, never on thread timing: image k of the
 * run (batch k / batch, slot k % batch) is entry k % n of the list's shuffle
 * for epoch k / n, augmented with random numbers drawn from (seed, k). So the
 * same seed gives the same batches for any number of threads.
 *
 * Training: per image, darknet's augmentation: a random crop/pad of up to
 * `jitter` of each side (pad: 0.5 grey), then a plain resize or letterbox to
 * the network size, a random horizontal flip, and hue/saturation/exposure
 * jitter. Boxes follow; those left under one pixel wide or high are dropped.
 * An image that is missing or corrupt is skipped with one warning and
 * replaced by another image of the list (chosen from the same seed). Of a
 * label file with more than DN_MAX_BOXES boxes, the first DN_MAX_BOXES that
 * stay in the crop are used (one warning per file).
 *
 * Multi-scale (random=1, darknet's): batch b's images are sized f * width x
 * f * height, each side rounded to a multiple of 32 within 0.7x .. 1.4x of
 * the configured one (the configured side when no multiple fits), f uniform
 * in [0.7, 1.4] drawn from (seed, b / 10): a new size every 10 batches, the
 * same for every thread count and shard. loader_next_size says the size of
 * the next batch (the network is resized to it by the caller).
 *
 * Mosaic (mosaic=1, AlexeyAB's): each training image is four: its own and
 * three more of the list (drawn from its seed), each augmented as above at
 * the batch size, a window of each pasted into one quadrant around a random
 * centre (0.3 .. 0.7 of each side). A box keeps the part inside its window;
 * it is dropped when that part is under MOSAIC_MIN_PIXELS on a side or under
 * MOSAIC_MIN_KEPT of its side before the cut. Every box stays inside the image.
 *
 * Sharded (shards > 1, for data-parallel ranks): each loader takes its own
 * places of every batch by position, so the loaders of all shards together
 * deliver exactly the batches of one unsharded loader with the same seed.
 *
 * Evaluation (eval=1): the list once, in order, letterboxed, no
 * augmentation; the last batch may be short.
 *
 * Classification (image_classes set): the same images and augmentation, but
 * no label files: an image's truth is the one-hot of its class over
 * `classes` floats (what a last [softmax] reads), and evaluation keeps the
 * training geometry (plain resize, or letterbox with letter_box=1). */
#ifndef DN_LOADER_H
#define DN_LOADER_H

#include <stdint.h>

#include "darknet.h"

/* mosaic: a cut box is kept when what stays is at least this many pixels and
 * this fraction of its side before the cut, on both sides */
#define MOSAIC_MIN_PIXELS 2
#define MOSAIC_MIN_KEPT 0.25f

typedef struct {
    /* the images: a list file, or (when paths != NULL) an array of paths */
    const char *list;
    char *const *paths;
    int n_paths;
    int classes;            /* labels with a class >= classes are bad lines (0: no bound) */
    int width, height;      /* network input; images come out 3 x height x width */
    int batch;              /* images per loader_next */
    int threads;            /* worker threads (0: 2) */
    int ahead;              /* batches buffered ahead of the caller (0: 2) */
    uint64_t seed;
    int eval;               /* 1: sequential, letterbox, no augmentation, one pass */
    /* augmentation (training only); names and meaning as darknet's [net] keys */
    float jitter;           /* 0 .. 0.9: crop/pad each side by up to this fraction */
    int flip;               /* 1: mirror half of the images left-right */
    float hue;              /* 0 .. 0.5 turns: hue shifted uniformly in [-hue, hue] */
    float saturation;       /* >= 1: factor in [1/s, s] */
    float exposure;         /* >= 1: factor in [1/e, e] */
    int letterbox;          /* 1: keep the aspect ratio (letter_box=1); 0: plain resize */
    int random;             /* 1: multi-scale batches (see above; training only) */
    int mosaic;             /* 1: four images per image (see above; detection training only) */
    /* classification: the class (0 .. classes-1) of each image, in list
     * order, one per image of the list (copied); NULL: detection */
    const int *image_classes;
    /* Data-parallel training (0: off): `batch` stays the whole batch of a
     * step, cut into `shard_groups` passes (subdivisions) of `shards` equal
     * parts each; this loader loads part `shard` of every pass, so loader_next
     * gives batch / shards images: those (and their augmentation) that the
     * same places of the whole batch hold, in order. Training only. */
    int shards, shard, shard_groups;
} loader_config;

/* No augmentation, 2 threads, 2 batches ahead, seed DN_DEFAULT_SEED. */
void loader_config_default(loader_config *c);
/* Reads width, height and the augmentation keys (jitter, flip, hue,
 * saturation, exposure, letter_box, random, mosaic) from the [net] section of
 * a darknet cfg; jitter and random, which darknet keeps in [yolo]/[region],
 * are also taken from the first such section when [net] has none. Keys absent keep out's values. Bad values
 * are errors naming file, line and key. Returns 0 or -1. */
int loader_config_from_cfg(loader_config *out, const char *cfg_path);

typedef struct {
    int index;              /* in the list */
    int loaded;             /* 0: the file could not be read (eval only; the image is grey) */
    int src_w, src_h;       /* size stored in the file */
    /* eval: the letterbox geometry. Its src_w/src_h are the decoded size,
     * which JPEG scaled decoding may make smaller than the file's: map
     * boxes with letterbox_box_to_image (relative) and multiply by the
     * file's src_w, src_h above for pixels. Zero in training. */
    letterbox_geom geom;
} loader_image_info;

typedef struct {
    int64_t images;         /* images delivered */
    int bad_images;         /* list entries found missing or corrupt */
    int missing_labels;     /* loads without a label file */
    int bad_label_files;    /* label files with bad lines */
} loader_stats;

typedef struct loader loader;

/* Starts the workers; NULL on error (no images, bad sizes, ...). cfg and
 * its strings are copied. Memory: `ahead` buffers of a whole batch. */
loader *loader_open(const loader_config *cfg);
/* Waits for the next batch and copies it out (call from one thread): images (batch * 3 * h * w
 * floats), truth (batch * DN_MAX_BOXES * 5, or batch * classes when
 * classifying; may be NULL) and info (batch
 * entries, may be NULL), where batch is batch / shards when sharded. Returns the number of
 * images (batch in training; eval: up to batch, the rest zeroed, 0 after the last), or -1 on
 * an error (every image of the list unreadable, out of memory). */
int loader_next(loader *L, float *images, float *truth, loader_image_info *info);
int loader_n_images(const loader *L);   /* in the list */
/* The image size of the batch the next loader_next returns (width x height
 * unless random=1), and the largest any batch may have. */
void loader_next_size(loader *L, int *w, int *h);
void loader_max_size(const loader *L, int *w, int *h);
loader_stats loader_get_stats(loader *L);
/* Stops the workers (an image in progress is finished first) and frees
 * everything. NULL is fine. */
void loader_close(loader *L);

#endif
