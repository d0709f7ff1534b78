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

int main_metric(const compare_results *r) { return r->classifier ? 0 : 1; }

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

static stat stat_of(const double *v, int n)
{
    stat s = {0, 0, n};
    for (int i = 0; i < n; ++i) s.mean += v[i] / n;
    for (int i = 0; n > 1 && i < n; ++i) s.sd += (v[i] - s.mean) * (v[i] - s.mean) / (n - 1);
    s.sd = sqrt(s.sd);
    return s;
}

summary summarise(const compare_results *r, int iterations, int k, int j)
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

int first_reaching(const metric_curve *c, int k, double target)
{
    for (int i = 0; i < c->n; ++i)
        if (c->v[i][k] >= target) return c->iteration[i];
    return -1;
}

/* Speed of convergence, as the large-kernel paper reports it: when each
 * distilled student first reached the plain student's final accuracy. */
static void print_convergence(FILE *f, const compare_results *r, const int *lengths, int n_lengths)
{
    char m[N_METRICS][16];
    metric_names(r, m);
    int k = main_metric(r);
    fprintf(f, "\nconvergence: the iteration at which each distilled student first reached the plain student's "
               "final %s (evaluated during training; per seed, - where it never did):\n", m[k]);
    for (int j = 0; j < r->n_methods; ++j)
        for (int i = 0; i < n_lengths; ++i) {
            fprintf(f, "%10d %-20s", lengths[i], r->methods[j].name);
            for (int s = 0; s < r->n_runs; ++s) {
                const compare_run *run = &r->runs[s];
                if (run->iterations != lengths[i]) continue;
                int at = first_reaching(&run->distilled_curve[j], k, run->student[k]);
                if (at < 0) fprintf(f, " %8s", "-");
                else fprintf(f, " %8d", at);
            }
            fputc('\n', f);
        }
}

/* Robustness: mean top-1 over the corrupted validation sets of the plain and
 * each distilled student (mean over seeds). */
static void print_robustness(FILE *f, const compare_results *r, const int *lengths, int n_lengths)
{
    fprintf(f, "\nrobustness: mean top-1 over the corrupted validation sets (mean over seeds):\n");
    fprintf(f, "%10s %-20s %8s %10s %8s\n", "iterations", "method", "student", "distilled", "gain");
    for (int j = 0; j < r->n_methods; ++j)
        for (int i = 0; i < n_lengths; ++i) {
            double st = 0, di = 0;
            int n = 0;
            for (int s = 0; s < r->n_runs; ++s) {
                const compare_run *run = &r->runs[s];
                if (run->iterations != lengths[i]) continue;
                st += run->student_corrupt;
                di += run->distilled_corrupt[j];
                ++n;
            }
            fprintf(f, "%10d %-20s %8.2f %10.2f %+8.2f\n", lengths[i], r->methods[j].name, st / n, di / n,
                    (di - st) / n);
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
    if (r->n_runs && r->runs[0].student_curve.n) print_convergence(f, r, lengths, n);
    if (r->n_runs && r->runs[0].student_corrupt == r->runs[0].student_corrupt) print_robustness(f, r, lengths, n);
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

/* Series s of the curves chart (0: the plain student, then each method):
 * the main metric at each evaluation of the longest schedule, mean over seeds. */
static plot_series curve_series(const compare_results *r, int longest, int s, double *v)
{
    int k = main_metric(r), n = 0, seeds = 0;
    double *x = v, *y = v + MAX_EVALS;
    for (int i = 0; i < r->n_runs; ++i) {
        const compare_run *run = &r->runs[i];
        if (run->iterations != longest) continue;
        const metric_curve *c = s ? &run->distilled_curve[s - 1] : &run->student_curve;
        n = seeds ? (c->n < n ? c->n : n) : c->n;
        for (int e = 0; e < c->n; ++e) {
            x[e] = c->iteration[e];
            y[e] = (seeds ? y[e] : 0) + c->v[e][k];
        }
        ++seeds;
    }
    for (int e = 0; e < n; ++e) y[e] /= seeds;
    return (plot_series){s ? r->methods[s - 1].name : "plain student", x, y, NULL, n};
}

int save_curves_chart(const char *path, const compare_results *r)
{
    int longest = 0, n_series = 1 + r->n_methods;
    for (int i = 0; i < r->n_runs; ++i)
        if (r->runs[i].iterations > longest) longest = r->runs[i].iterations;
    double *v = malloc(sizeof(double) * 2 * MAX_EVALS * n_series);
    plot_series *series = malloc(sizeof *series * n_series);
    int rc = -1;
    if (v && series) {
        for (int s = 0; s < n_series; ++s) series[s] = curve_series(r, longest, s, v + 2 * MAX_EVALS * s);
        char m[N_METRICS][16], title[256];
        metric_names(r, m);
        snprintf(title, sizeof title, "%s during training, %d iterations (mean over seeds)", m[main_metric(r)],
                 longest);
        plot_data p = {title, "iteration", m[main_metric(r)], series, n_series};
        rc = save_plot(path, &p);
    }
    free(v);
    free(series);
    return rc;
}
