/* distill_report.h: what `distill compare` measured, as a reviewer of a
 * distillation paper would want it: every run, then per method and schedule
 * length the mean and spread over seeds, the gains, whether the teacher is
 * really better than the plain student at that length, and a chart of all of
 * them by length. */
#ifndef DN_DISTILL_REPORT_H
#define DN_DISTILL_REPORT_H

#include <stdint.h>
#include <stdio.h>

enum { N_METRICS = 2, MAX_METHODS = 16, MAX_EVALS = 64 };   /* metrics: COCO AP, AP50; or top-1, top-k */

/* A student's metrics measured during its training (distill compare -eval_every). */
typedef struct {
    int n;
    int iteration[MAX_EVALS];
    double v[MAX_EVALS][N_METRICS];
} metric_curve;

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
    metric_curve student_curve, distilled_curve[MAX_METHODS];   /* empty without -eval_every */
    /* classifiers whose .data names corrupt=: mean top-1 over those sets (else NAN) */
    double student_corrupt, distilled_corrupt[MAX_METHODS];
} compare_run;

typedef struct {
    char *valid;                      /* the list evaluated on (owned) */
    int classifier, k;                /* top-k's k */
    compare_method methods[MAX_METHODS];
    int n_methods;
    compare_run *runs;
    int n_runs;
} compare_results;

/* Mean and sample standard deviation (0 for one value) over n values. */
typedef struct {
    double mean, sd;
    int n;
} stat;
/* The runs of one schedule length, metric k and method j, over seeds. */
typedef struct {
    int iterations;
    stat student, distilled, gain;
} summary;
summary summarise(const compare_results *r, int iterations, int k, int j);
/* The first evaluated iteration at which c reaches target in metric k; -1: never. */
int first_reaching(const metric_curve *c, int k, double target);
/* The metric charts and one-number summaries use: AP50 (what detection
 * papers on small data quote) or top-1. */
int main_metric(const compare_results *r);
/* "AP", "AP50" or "top1", "topK" into names[N_METRICS][16]. */
void metric_names(const compare_results *r, char names[N_METRICS][16]);

/* One line per metric for a finished run (printed as the runs finish). */
void print_run(FILE *f, const compare_results *r, const compare_run *run);
/* The methods and teachers, every run, the summary by method and length and
 * the warnings: a plain student that reaches the teacher, a gain smaller
 * than its spread over seeds; with curves, when each distilled student first
 * reached the plain student's final value. */
void print_compare(FILE *f, const compare_results *r);
/* The main metric (AP50 for detectors, top-1 for classifiers) of the plain
 * and distilled students (mean and sd over seeds) and of the teachers, by
 * schedule length. 0 or -1. */
int save_gain_chart(const char *path, const compare_results *r);
/* The main metric during training (-eval_every) of the plain and each
 * distilled student at the longest schedule, mean over seeds. 0 or -1. */
int save_curves_chart(const char *path, const compare_results *r);

#endif
