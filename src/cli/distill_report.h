/* distill_report.h: what `distill compare` measured, as a reviewer of a
 * distillation paper would want it: every run, then per method and schedule
 * length the mean and spread over seeds, the gains, whether the teacher is
 * really better than the plain student at that length, and a chart of all of
 * them by length. */
#ifndef DN_DISTILL_REPORT_H
#define DN_DISTILL_REPORT_H

#include <stdint.h>
#include <stdio.h>

enum { N_METRICS = 2, MAX_METHODS = 8 };   /* metrics: COCO AP, AP50; or top-1, top-k */

/* One distillation cfg of the student, and its teacher. */
typedef struct {
    char name[64];                    /* the cfg's file name without .cfg */
    const char *cfg, *teacher_cfg, *teacher_weights;
    double teacher[N_METRICS];        /* percent */
} compare_method;

/* The plain student and every method's distilled student, trained on one
 * schedule length and seed from the same initial weights and batches. */
typedef struct {
    int iterations;
    uint64_t seed;
    double student[N_METRICS], distilled[MAX_METHODS][N_METRICS];
} compare_run;

typedef struct {
    const char *valid;
    int classifier, k;                /* top-k's k */
    compare_method methods[MAX_METHODS];
    int n_methods;
    compare_run *runs;
    int n_runs;
} compare_results;

/* One line per metric for a finished run (printed as the runs finish). */
void print_run(FILE *f, const compare_results *r, const compare_run *run);
/* The methods and teachers, every run, the summary by method and length and
 * the warnings: a plain student that reaches the teacher, a gain smaller
 * than its spread over seeds. */
void print_compare(FILE *f, const compare_results *r);
/* The main metric (AP50 for detectors, top-1 for classifiers) of the plain
 * and distilled students (mean and sd over seeds) and of the teachers, by
 * schedule length. 0 or -1. */
int save_gain_chart(const char *path, const compare_results *r);

#endif
