/* synth_detect.h: scenes of the synthetic object-detection dataset: shape
 * objects (several classes, textures, colours, COCO small/medium/large
 * sizes, partial occlusion, background clutter), deterministic in
 * (seed, split, index). synth_dataset.c writes them to disk. */
#ifndef DN_SYNTH_DETECT_H
#define DN_SYNTH_DETECT_H

#include <stdint.h>

#include "darknet.h"

enum { SYNTH_MAX_OBJECTS = 16 };   /* entries one scene can return: up to 6 objects and 1 crowd */
/* square, circle, triangle, cross, ring, diamond, hbar, vbar */
extern const char *const synth_detect_names[SYNTH_DETECT_CLASSES];

typedef enum { SYNTH_TRAIN = 0, SYNTH_VALID = 1 } synth_split;

typedef struct {
    int cls;              /* 0 .. classes-1 */
    int x, y, w, h;       /* the tight box of its visible pixels: top-left corner and size */
    int area;             /* visible pixels (as COCO's area is the visible mask's) */
    int crowd;            /* 1: a crowd region (COCO iscrowd=1) over a cluster of small
                             objects of class cls that are not listed one by one */
} synth_object;

/* Draws scene `index` of `split` into im (square, 3 channels, side >= 32)
 * with objects of classes 0..classes-1 (1..8): 1 to 6 objects, and on about
 * a third of the validation scenes one crowd region. Objects hidden behind
 * others beyond 70% are left out of the scene. Writes up to max_objs entries
 * into objs; returns their count, or -1 on bad arguments. */
int synth_detect_scene(uint64_t seed, synth_split split, uint64_t index, int classes, image *im,
                       synth_object *objs, int max_objs);

/* synth_write_dataset (darknet.h) writes these scenes as a dataset. */

#endif
