/* distill_report.h: what `distill compare` measured, as a reviewer of a
 * distillation paper would want it: every run, then per schedule length the
 * mean and spread over seeds, the gains, whether the teacher is really better
 * than the plain student at that length, and a chart of both by length. */
#ifndef DN_DISTILL_REPORT_H
#define DN_DISTILL_REPORT_H

#include <stdint.h>
#include <stdio.h>

enum { N_METRICS = 2 };   /* detectors: COCO AP, AP50; classifiers: top-1, top-k */

/* One plain/distilled pair trained on the same schedule and seed. */
typedef struct {
    int iterations;
    uint64_t seed;
    double student[N_METRICS], distilled[N_METRICS];   /* percent */
} pair_result;

typedef struct {
    const char *cfg, *valid, *teacher_cfg, *teacher_weights;
    int classifier, k;                /* top-k's k */
    double teacher[N_METRICS];
    pair_result *runs;
    int n_runs;
} compare_results;

/* The metric names ("AP", "AP50" or "top1", "topK") into names[N_METRICS][16]. */
void metric_names(const compare_results *r, char names[N_METRICS][16]);
/* One line for a finished pair (printed as the runs finish). */
void print_pair(FILE *f, const compare_results *r, const pair_result *p);
/* The header, every run, the summary by schedule length and the warnings:
 * a plain student that reaches its teacher, a gain smaller than its spread
 * over seeds. */
void print_compare(FILE *f, const compare_results *r);
/* The first metric (AP50 for detectors, top-1 for classifiers) of student,
 * distilled (mean and sd over seeds) and teacher by schedule length. 0 or -1. */
int save_gain_chart(const char *path, const compare_results *r);

#endif
