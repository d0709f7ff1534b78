/* teacher.h: frozen teacher networks for the distillation layers.
 *
 * A student network owns its teachers. Layers that name the same teacher cfg
 * and weights share one, loaded once at build time. When the student runs a
 * training forward, every teacher first runs one inference forward (batch norm
 * with rolling statistics, no deltas, no gradients) on the same input batch,
 * i.e. on exactly the augmented images the student sees. */
#ifndef DN_TEACHER_H
#define DN_TEACHER_H

#include "darknet.h"

typedef struct teacher {
    char *cfg, *weights;   /* as found (relative paths may resolve beside the student's cfg) */
    network *net;          /* inference-only */
    long runs;             /* forwards run, for tests and profiles */
} teacher;

/* The student's teacher for this cfg and weights file, loading it the first
 * time. The teacher must take the student's input size. Returns NULL with an
 * error recorded (missing file, bad cfg, wrong input size). */
teacher *network_attach_teacher(network *student, const char *cfg, const char *weights);
/* One inference forward of every teacher on the student's input batch. */
void run_teachers(network *student, const float *input);
/* Gives the teachers the student's batch size (after it changed). Returns 0 or -1. */
int resize_teachers(network *student);
void free_teachers(network *student);

#endif
