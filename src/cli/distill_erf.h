/* distill_erf.h: `distill compare -erf`: the effective receptive fields of
 * the paired layers of teacher, plain and distilled student, side by side. */
#ifndef DN_DISTILL_ERF_H
#define DN_DISTILL_ERF_H

#include <stdio.h>

/* The models to draw: the first pairing's teacher layer and student layer. */
typedef struct {
    const char *teacher_cfg, *teacher_weights, *student_cfg, *baseline_weights, *distilled_weights;
    int teacher_layer, student_layer;
} erf_models;

/* Draws OUT/erf_teacher.png, erf_baseline.png, erf_distilled.png and all three
 * in OUT/erf_compare.png, over the first n images of list; the area lines go
 * to stdout and txt. 0 or -1. */
int compare_erfs(const char *out, const char *list, int n, const erf_models *m, FILE *txt);

#endif
