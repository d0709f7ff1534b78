/* distill_report.c: tables, warnings and the chart of `distill compare`
 * (see distill_report.h). */
#include "distill_report.h"

#include <math.h>
#include <stdlib.h>

#include "plot.h"

void metric_names(const compare_results *r, char names[N_METRICS][16])
{
    snprintf(names[0], 16, "%s", r->classifier ? "top1" : "AP");
    if (r->classifier) snprintf(names[1], 16, "top%d", r->k);
    else snprintf(names[1], 16, "AP50");
}

/* The metric a chart and a one-number summary use: AP50 (what detection
 * papers on small data quote) or top-1. */
static int main_metric(const compare_results *r) { return r->classifier ? 0 : 1; }

void print_pair(FILE *f, const compare_results *r, const pair_result *p)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    fprintf(f, "%6d its  seed %-4llu", p->iterations, (unsigned long long)p->seed);
    for (int k = 0; k < N_METRICS; ++k)
        fprintf(f, "  %s %6.2f -> %6.2f (%+6.2f)", m[k], p->student[k], p->distilled[k],
                p->distilled[k] - p->student[k]);
    fputc('\n', f);
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

/* The runs of one schedule length, for metric k. */
typedef struct {
    int iterations;
    stat student, distilled, gain;
} length_summary;

static length_summary summarise(const compare_results *r, int iterations, int k)
{
    double *v = malloc(sizeof(double) * 3 * (r->n_runs + 1));
    int n = 0;
    for (int i = 0; v && i < r->n_runs; ++i) {
        const pair_result *p = &r->runs[i];
        if (p->iterations != iterations) continue;
        v[n] = p->student[k];
        v[r->n_runs + n] = p->distilled[k];
        v[2 * r->n_runs + n++] = p->distilled[k] - p->student[k];
    }
    length_summary s = {iterations, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    if (v) s = (length_summary){iterations, stat_of(v, n), stat_of(v + r->n_runs, n), stat_of(v + 2 * r->n_runs, n)};
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

static void print_warnings(FILE *f, const length_summary *s, const char *metric, double t)
{
    if (s->student.mean >= t)
        fprintf(f, "WARNING: at %d iterations the plain student (%s %.2f) reaches the teacher (%.2f): the teacher "
                   "is not better at this schedule, so a gain here is not what distillation transfers (train the "
                   "teacher longer, or a larger one)\n",
                s->iterations, metric, s->student.mean, t);
    if (s->gain.n > 1 && fabs(s->gain.mean) <= s->gain.sd)
        fprintf(f, "note: at %d iterations the %s gain %+.2f is within its spread over %d seeds (sd %.2f): "
                   "not a measured effect\n",
                s->iterations, metric, s->gain.mean, s->gain.n, s->gain.sd);
    else if (s->gain.n == 1)
        fprintf(f, "note: at %d iterations one seed only: no spread to judge the %s gain %+.2f by (-seeds 1,2,3)\n",
                s->iterations, metric, s->gain.mean);
}

static void print_summary(FILE *f, const compare_results *r, int k, const int *lengths, int n_lengths)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    fprintf(f, "\n%s by schedule length (teacher %.2f; mean +- sd over seeds):\n", m[k], r->teacher[k]);
    fprintf(f, "%10s %5s %16s %16s %16s %10s %10s\n", "iterations", "seeds", "student", "distilled", "direct_gain",
            "eff_gain", "teacher-st");
    for (int i = 0; i < n_lengths; ++i) {
        length_summary s = summarise(r, lengths[i], k);
        char eff[16] = "n/a";
        if (r->teacher[k] > 0) snprintf(eff, sizeof eff, "%+.4f", s.gain.mean / r->teacher[k]);
        fprintf(f, "%10d %5d %8.2f +- %4.2f %8.2f +- %4.2f %+8.2f +- %4.2f %10s %+10.2f\n", s.iterations, s.gain.n,
                s.student.mean, s.student.sd, s.distilled.mean, s.distilled.sd, s.gain.mean, s.gain.sd, eff,
                r->teacher[k] - s.student.mean);
    }
    for (int i = 0; i < n_lengths; ++i) {
        length_summary s = summarise(r, lengths[i], k);
        print_warnings(f, &s, m[k], r->teacher[k]);
    }
}

void print_compare(FILE *f, const compare_results *r)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    fprintf(f, "distill compare: %s; teacher %s (%s); valid %s\n", r->cfg, r->teacher_cfg, r->teacher_weights,
            r->valid);
    fprintf(f, "teacher: %s %.2f, %s %.2f (%s in %%)\n", m[0], r->teacher[0], m[1], r->teacher[1],
            r->classifier ? "top-1 and top-k accuracy" : "COCO AP and AP50");
    fprintf(f, "runs (student -> distilled, same initial weights, batches and schedule):\n");
    for (int i = 0; i < r->n_runs; ++i) print_pair(f, r, &r->runs[i]);
    int *lengths = malloc(sizeof(int) * (r->n_runs + 1));
    if (!lengths) return;
    int n = lengths_of(r, lengths);
    for (int k = 0; k < N_METRICS; ++k) print_summary(f, r, k, lengths, n);
    fprintf(f, "(direct_gain = distilled - student, in points; eff_gain = direct_gain / teacher; teacher-st = "
               "teacher - student: the room the teacher leaves)\n");
    free(lengths);
}

int save_gain_chart(const char *path, const compare_results *r)
{
    int k = main_metric(r), *lengths = malloc(sizeof(int) * (r->n_runs + 1));
    double *v = malloc(sizeof(double) * 6 * (r->n_runs + 1));
    if (!lengths || !v) {
        free(lengths);
        free(v);
        return -1;
    }
    int n = lengths_of(r, lengths);
    double *x = v, *st = v + n, *st_sd = v + 2 * n, *di = v + 3 * n, *di_sd = v + 4 * n, *te = v + 5 * n;
    for (int i = 0; i < n; ++i) {
        length_summary s = summarise(r, lengths[i], k);
        x[i] = lengths[i];
        st[i] = s.student.mean;
        st_sd[i] = s.student.sd;
        di[i] = s.distilled.mean;
        di_sd[i] = s.distilled.sd;
        te[i] = r->teacher[k];
    }
    char m[N_METRICS][16], title[256];
    metric_names(r, m);
    snprintf(title, sizeof title, "%s: %s by schedule length (mean +- sd over seeds)", r->cfg, m[k]);
    plot_series series[3] = {{"teacher", x, te, NULL, n}, {"student", x, st, st_sd, n},
                             {"distilled", x, di, di_sd, n}};
    plot_data p = {title, "iterations of the student's schedule", m[k], series, 3};
    int rc = save_plot(path, &p);
    free(lengths);
    free(v);
    return rc;
}
