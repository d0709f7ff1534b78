/* teacher.h: frozen teacher networks for the distillation layers.
 *
 * A student network owns its teachers, each one of its companions (companion.h),
 * which core runs, resizes and frees through their hooks. Layers that name the
 * same teacher cfg and weights share one, loaded once at build time. When the
 * student runs a training forward, every teacher first runs one inference forward (batch norm
 * with rolling statistics, no deltas, no gradients) on the same input batch,
 * i.e. on exactly the augmented images the student sees, and only as far as
 * the deepest layer a distillation layer reads (a RetinaNet teacher paired on
 * its FPN levels skips its heads and detection decoding). */
#ifndef DN_TEACHER_H
#define DN_TEACHER_H

#include "darknet.h"

typedef struct teacher {
    char *cfg, *weights;   /* as found (relative paths may resolve beside the student's cfg) */
    network *net;          /* inference-only */
    int last_layer;        /* the deepest layer a distillation layer reads */
    long runs;             /* forwards run, for tests and profiles */
} teacher;

/* The student's teacher for this cfg and weights file, loading it the first
 * time. The teacher must take the student's input size. Returns NULL with an
 * error recorded (missing file, bad cfg, wrong input size); *bad_weights (may
 * be NULL) then says whether the weights file was at fault (missing,
 * unreadable or not matching the cfg) rather than the cfg. */
teacher *network_attach_teacher(network *student, const char *cfg, const char *weights, int *bad_weights);
/* A distillation layer reads teacher layer `index`: forwards go at least that far. */
void teacher_needs_layer(teacher *t, int index);
/* The student's k-th teacher (in the order loaded), or NULL past the last. */
teacher *network_teacher(const network *student, int k);

#endif
