/* scene_test_util.h: synthetic detection scenes for the learning tests
 * (test_retina_learning.c, test_cwd_learning.c): training on scenes drawn in
 * memory and COCO AP on held-out ones, without files or the loader. */
#ifndef DN_SCENE_TEST_UTIL_H
#define DN_SCENE_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "darknet.h"

/* Trains `iters` steps of the network's batch on the training scenes of
 * `seed` (step i sees scenes i*batch .. i*batch+batch-1), `size` pixels
 * square, `classes` classes. Returns the loss averaged with a 0.9 decay, the
 * first loss in *first when not NULL. With DN_VERBOSE set, prints the losses
 * by name every 10 steps. */
float train_on_scenes(network *net, uint64_t seed, int size, int classes, int iters, float *first);

/* COCO AP50 (and AP in *ap) of `net` on n validation scenes of `seed`;
 * crowd regions count as ignore areas. Leaves the network at its batch. */
double scenes_ap50(network *net, uint64_t seed, int size, int classes, int n, double *ap);

/* The cfg of a small RetinaNet for 64 x 64 scenes with 3 classes: backbone
 * of f-2f-2f-4f-4f filters (f = `filters`), 32-channel FPN levels P3 (layer
 * 14) and P4 (layer 16), batch 16, lr with a 10% burn-in and a x0.1 step at
 * 80% of `iters`. */
void small_retina_cfg(char *buf, size_t size, int filters, float lr, int iters);

/* The cfg of a small yolov3-tiny-style network for the same scenes: two
 * [yolo] heads (layers 13 at 4 x 4 and 20 at 8 x 8, necks 11 and 18), f = `filters`,
 * the same batch and lr schedule as small_retina_cfg. */
void small_yolo_cfg(char *buf, size_t size, int filters, float lr, int iters);

/* A learning run's numbers: held-out AP50 before and after training, AP
 * after, and the first and the averaged last losses. */
typedef struct {
    double before, ap50, ap;
    float first, last;
} scene_learning;

/* 1 for the whole run; 0 under AddressSanitizer (several times slower)
 * unless DN_SLOW_TESTS=1. */
int scene_full_run(void);

/* Builds the network of cfg_text with `seed`, measures it on held-out
 * scenes (100 before, 200 after; 5 and 10 when not full), trains `iters`
 * steps on the training scenes, and fills r (printed with DN_VERBOSE).
 * 0, or -1 (a test failure recorded) when the network cannot be built. */
int learn_scenes(const char *cfg_text, int seed, int iters, int full, scene_learning *r);

/* Integer from the environment, for experiment knobs. */
int env_int(const char *name, int def);
double env_double(const char *name, double def);

#endif
