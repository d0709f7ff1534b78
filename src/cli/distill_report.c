/* distill_report.c: tables, warnings and the chart of `distill compare`
 * (see distill_report.h). */
#include "distill_report.h"

#include <math.h>
#include <stdlib.h>

#include "plot.h"

static void metric_names(const compare_results *r, char names[N_METRICS][16])
{
    snprintf(names[0], 16, "%s", r->classifier ? "top1" : "AP");
    if (r->classifier) snprintf(names[1], 16, "top%d", r->k);
    else snprintf(names[1], 16, "AP50");
}

/* The metric of the chart: AP50 (what detection papers on small data
 * quote) or top-1. */
static int main_metric(const compare_results *r) { return r->classifier ? 0 : 1; }

void print_run(FILE *f, const compare_results *r, const compare_run *run)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    for (int k = 0; k < N_METRICS; ++k) {
        fprintf(f, "%6d its  seed %-4llu %-5s student %6.2f", run->iterations, (unsigned long long)run->seed, m[k],
                run->student[k]);
        for (int j = 0; j < r->n_methods; ++j)
            fprintf(f, "  %s %6.2f (%+.2f)", r->methods[j].name, run->distilled[j][k],
                    run->distilled[j][k] - run->student[k]);
        fputc('\n', f);
    }
}

/* Mean and sample standard deviation (0 for one value). */
typedef struct {
    double mean, sd;
    int n;
} stat;

static stat stat_of(const double *v, int n)
{
    stat s = {0, 0, n};
    for (int i = 0; i < n; ++i) s.mean += v[i] / n;
    for (int i = 0; n > 1 && i < n; ++i) s.sd += (v[i] - s.mean) * (v[i] - s.mean) / (n - 1);
    s.sd = sqrt(s.sd);
    return s;
}

/* The runs of one schedule length, metric k and method j, over seeds. */
typedef struct {
    int iterations;
    stat student, distilled, gain;
} summary;

static summary summarise(const compare_results *r, int iterations, int k, int j)
{
    summary s = {iterations, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    double *v = malloc(sizeof(double) * 3 * (r->n_runs + 1));
    if (!v) return s;
    double *st = v, *di = v + r->n_runs, *gain = v + 2 * r->n_runs;
    int n = 0;
    for (int i = 0; i < r->n_runs; ++i) {
        const compare_run *run = &r->runs[i];
        if (run->iterations != iterations) continue;
        st[n] = run->student[k];
        di[n] = run->distilled[j][k];
        gain[n++] = run->distilled[j][k] - run->student[k];
    }
    s = (summary){iterations, stat_of(st, n), stat_of(di, n), stat_of(gain, n)};
    free(v);
    return s;
}

/* The schedule lengths in the order first run; returns how many. */
static int lengths_of(const compare_results *r, int *out)
{
    int n = 0;
    for (int i = 0; i < r->n_runs; ++i) {
        int seen = 0;
        for (int j = 0; j < n && !seen; ++j) seen = out[j] == r->runs[i].iterations;
        if (!seen) out[n++] = r->runs[i].iterations;
    }
    return n;
}

static void print_warnings(FILE *f, const summary *s, const compare_method *m, const char *metric, int k)
{
    if (s->student.mean >= m->teacher[k])
        fprintf(f, "WARNING: %s at %d iterations: the plain student (%s %.2f) reaches the teacher (%.2f): the "
                   "teacher is not better at this schedule, so a gain here is not what distillation transfers "
                   "(train the teacher longer, or a larger one)\n",
                m->name, s->iterations, metric, s->student.mean, m->teacher[k]);
    if (s->gain.n > 1 && fabs(s->gain.mean) <= s->gain.sd)
        fprintf(f, "note: %s at %d iterations: the %s gain %+.2f is within its spread over %d seeds (sd %.2f): "
                   "not a measured effect\n",
                m->name, s->iterations, metric, s->gain.mean, s->gain.n, s->gain.sd);
    else if (s->gain.n == 1)
        fprintf(f, "note: %s at %d iterations: one seed only, no spread to judge the %s gain %+.2f by (-seeds 1,2,3)\n",
                m->name, s->iterations, metric, s->gain.mean);
}

static void print_summary(FILE *f, const compare_results *r, int k, const int *lengths, int n_lengths)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    fprintf(f, "\n%s by method and schedule length (mean +- sd over seeds):\n", m[k]);
    fprintf(f, "%10s %5s %-20s %8s %16s %16s %16s %10s %10s\n", "iterations", "seeds", "method", "teacher", "student",
            "distilled", "direct_gain", "eff_gain", "teacher-st");
    for (int j = 0; j < r->n_methods; ++j)
        for (int i = 0; i < n_lengths; ++i) {
            const compare_method *me = &r->methods[j];
            summary s = summarise(r, lengths[i], k, j);
            char eff[16] = "n/a";
            if (me->teacher[k] > 0) snprintf(eff, sizeof eff, "%+.4f", s.gain.mean / me->teacher[k]);
            fprintf(f, "%10d %5d %-20s %8.2f %8.2f +- %5.2f %8.2f +- %5.2f %+8.2f +- %5.2f %10s %+10.2f\n",
                    s.iterations, s.gain.n, me->name, me->teacher[k], s.student.mean, s.student.sd, s.distilled.mean,
                    s.distilled.sd, s.gain.mean, s.gain.sd, eff, me->teacher[k] - s.student.mean);
        }
    for (int j = 0; j < r->n_methods; ++j)
        for (int i = 0; i < n_lengths; ++i) {
            summary s = summarise(r, lengths[i], k, j);
            print_warnings(f, &s, &r->methods[j], m[k], k);
        }
}

void print_compare(FILE *f, const compare_results *r)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    fprintf(f, "distill compare on %s (%s in %%); the plain student is %s with distillation off\n", r->valid,
            r->classifier ? "top-1 and top-k accuracy" : "COCO AP and AP50", r->methods[0].cfg);
    for (int j = 0; j < r->n_methods; ++j) {
        const compare_method *me = &r->methods[j];
        fprintf(f, "method %s: %s; teacher %s (%s): %s %.2f, %s %.2f\n", me->name, me->cfg, me->teacher_cfg,
                me->teacher_weights, m[0], me->teacher[0], m[1], me->teacher[1]);
    }
    fprintf(f, "runs (same initial weights, batches and schedule):\n");
    for (int i = 0; i < r->n_runs; ++i) print_run(f, r, &r->runs[i]);
    int *lengths = malloc(sizeof(int) * (r->n_runs + 1));
    if (!lengths) return;
    int n = lengths_of(r, lengths);
    for (int k = 0; k < N_METRICS; ++k) print_summary(f, r, k, lengths, n);
    fprintf(f, "(direct_gain = distilled - student, in points; eff_gain = direct_gain / teacher; teacher-st = "
               "teacher - student: the room the teacher leaves)\n");
    free(lengths);
}

/* Series s of the chart: the plain student, then each method's distilled
 * student and teacher; v holds 5 arrays of n for it. */
static plot_series chart_series(const compare_results *r, const int *lengths, int n, int s, double *v)
{
    int k = main_metric(r), j = (s - 1) / 2, teacher = s > 0 && s % 2 == 0;
    double *x = v, *y = v + n, *err = v + 2 * n;
    for (int i = 0; i < n; ++i) {
        summary su = summarise(r, lengths[i], k, s ? j : 0);
        x[i] = lengths[i];
        y[i] = teacher ? r->methods[j].teacher[k] : s ? su.distilled.mean : su.student.mean;
        err[i] = teacher ? 0 : s ? su.distilled.sd : su.student.sd;
    }
    const char *name = s == 0 ? "plain student" : r->methods[j].name;
    if (teacher) name = r->n_methods == 1 ? "teacher" : r->methods[j].teacher_cfg;
    return (plot_series){name, x, y, err, n};
}

int save_gain_chart(const char *path, const compare_results *r)
{
    int n_series = 1 + 2 * r->n_methods, *lengths = malloc(sizeof(int) * (r->n_runs + 1));
    double *v = malloc(sizeof(double) * 3 * n_series * (r->n_runs + 1));
    plot_series *series = malloc(sizeof *series * n_series);
    int rc = -1;
    if (lengths && v && series) {
        int n = lengths_of(r, lengths);
        for (int s = 0; s < n_series; ++s) series[s] = chart_series(r, lengths, n, s, v + 3 * n * s);
        char m[N_METRICS][16], title[256];
        metric_names(r, m);
        snprintf(title, sizeof title, "%s by schedule length (mean +- sd over seeds)", m[main_metric(r)]);
        plot_data p = {title, "iterations of the student's schedule", m[main_metric(r)], series, n_series};
        rc = save_plot(path, &p);
    }
    free(lengths);
    free(v);
    free(series);
    return rc;
}
