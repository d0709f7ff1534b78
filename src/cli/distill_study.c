/* distill_study.c: `darknet distill study DATA STUDENT_CFG -teachers T1,T2,...
 * -methods kd,nkd,fd`: the teacher study of "Are Large Kernels Better Teachers
 * than Transformers for ConvNets?" in one command. Each teacher is trained
 * (or its weights taken), each (teacher, method) becomes a distillation cfg of
 * the student, and `distill compare` trains the plain student and all of them
 * from the same initial weights on the same batches (run_comparison). Then the
 * paper's table: per teacher its accuracy and ERF area, per method the
 * distilled accuracy, Direct and Effective Gain, when it first reached the
 * plain student's final accuracy and its accuracy on corrupted images; as
 * text, Markdown (study.md) and CSV (study.csv). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "commands.h"
#include "dist.h"
#include "distill_cmds.h"
#include "erf.h"
#include "errors.h"
#include "files.h"
#include "text_file.h"

enum { MAX_TEACHERS = 8, MAX_STUDY_METHODS = 3, MAX_STAGES = 8 };

typedef struct {
    compare_opts c;
    const char *student;
    char *teacher_cfgs[MAX_TEACHERS], *teacher_weights[MAX_TEACHERS];
    char *methods[MAX_STUDY_METHODS];
    int n_teachers, n_methods, teacher_iters;
    char *lists[3];                   /* the copies the lists above point into */
    char names[MAX_TEACHERS][64];
    double erf50[MAX_TEACHERS];       /* share of the image holding half the ERF */
    char cfg_paths[MAX_METHODS][PATH_MAX];
} study_opts;

/* Cuts a copy of "a,b,c" into out (at most max); returns the count or -1. */
static int split_list(const char *text, char **copy, char **out, int max)
{
    if (!text) return 0;
    if (!(*copy = dn_strdup(text))) return -1;
    int n = 0;
    for (char *save = NULL, *t = strtok_r(*copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n == max) return -1;
        out[n++] = t;
    }
    return n;
}

static int parse_study(int argc, char **argv, study_opts *s)
{
    args a;
    args_init(&a, argc, argv);
    read_compare_flags(&a, &s->c, "distill_study");
    const char *teachers = arg_str(&a, "-teachers", NULL), *weights = arg_str(&a, "-teacher_weights", NULL);
    const char *methods = arg_str(&a, "-methods", "kd,nkd,fd");
    s->teacher_iters = arg_int(&a, "-teacher_iters", 0);
    s->c.data = arg_pos(&a, 0);
    s->student = arg_pos(&a, 1);
    if (args_check(&a) || !s->student || arg_pos(&a, 2) || !teachers || s->teacher_iters < 0) return -1;
    s->n_teachers = split_list(teachers, &s->lists[0], s->teacher_cfgs, MAX_TEACHERS);
    int n_weights = split_list(weights, &s->lists[1], s->teacher_weights, MAX_TEACHERS);
    s->n_methods = split_list(methods, &s->lists[2], s->methods, MAX_STUDY_METHODS);
    if (s->n_teachers < 1 || s->n_methods < 1 || (n_weights && n_weights != s->n_teachers)) return -1;
    for (int m = 0; m < s->n_methods; ++m)
        if (strcmp(s->methods[m], "kd") && strcmp(s->methods[m], "nkd") && strcmp(s->methods[m], "fd")) return -1;
    return check_compare_flags(&s->c);
}

static void base_name(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, n, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

/* Teacher i's weights: given, trained by an earlier study (reused), or
 * trained now for its cfg's schedule (or -teacher_iters, scaled). */
static int prepare_teacher(study_opts *s, int i)
{
    char dir[PATH_MAX], path[PATH_MAX + 96];
    base_name(s->teacher_cfgs[i], s->names[i], sizeof s->names[i]);
    if (s->teacher_weights[i]) return 0;
    snprintf(dir, sizeof dir, "%s/teachers", s->c.out);
    snprintf(path, sizeof path, "%s/%s_final.weights", dir, s->names[i]);
    if (!(s->teacher_weights[i] = dn_strdup(path))) return -1;
    if (!access(path, R_OK)) {
        printf("teacher %s: reusing %s (delete it to train the teacher again)\n", s->teacher_cfgs[i], path);
        return 0;
    }
    compare_opts t = s->c;
    t.out = dir;
    t.eval_every = 0;
    metric_curve none;
    int iters = s->teacher_iters;
    return make_dirs(dir) || train_student(&t, NULL, s->teacher_cfgs[i], s->names[i], 0, iters, 1000 + (uint64_t)s->c.seeds[0],
                                           1, &none)
               ? -1
               : 0;
}

/* The stage outputs a cfg names in its "# stage_outputs=a,b,c" line. */
static int stage_outputs(const char *cfg, int *out)
{
    char *text = read_text_file(cfg, "cfg file");
    const char *line = text ? strstr(text, "# stage_outputs=") : NULL;
    int n = 0;
    for (const char *p = line ? line + 16 : NULL; p && n < MAX_STAGES;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        out[n++] = (int)v;
        p = *end == ',' ? end + 1 : NULL;
    }
    free(text);
    if (!n && text) dn_error("%s names no \"# stage_outputs=\" line: the layers [fd] pairs are unknown", cfg);
    return n ? n : -1;
}

/* The [fd] sections: the student's stages paired with the teacher's, from
 * the last (the maps resized where their sizes differ). */
static int fd_sections(const study_opts *s, int t, char *buf, size_t size)
{
    int st[MAX_STAGES], te[MAX_STAGES], ns = stage_outputs(s->student, st), nt = stage_outputs(s->teacher_cfgs[t], te);
    if (ns < 0 || nt < 0) return -1;
    int k = ns < nt ? ns : nt;
    size_t len = 0;
    for (int i = 0; i < k && len < size; ++i)
        len += (size_t)snprintf(buf + len, size - len,
                                "[fd]\nfrom=%d\nteacher=%s\nteacher_weights=%s\nteacher_layer=%d\nresize=1\n",
                                st[ns - k + i], s->teacher_cfgs[t], s->teacher_weights[t], te[nt - k + i]);
    return len < size ? 0 : dn_error("fd sections for %s do not fit", s->teacher_cfgs[t]);
}

/* The student cfg for teacher t and method m: [kd] (method=kd or nkd) in
 * place of its last [softmax], or [fd] per stage before it ([softmax] is a
 * loss only as the last layer; the [fd]s pass their input through). */
static int write_method_cfg(study_opts *s, int t, int m, char *path, size_t n)
{
    char *text = read_text_file(s->student, "cfg file"), extra[4096];
    char *soft = text ? strstr(text, "\n[softmax]") : NULL;
    for (char *next; soft && (next = strstr(soft + 1, "\n[softmax]"));) soft = next;
    int fd = !strcmp(s->methods[m], "fd"), rc = -1;
    if (text && (!soft || strstr(soft + 1, "\n[")))
        dn_error("%s does not end in a [softmax] for [kd] to take the place of: distill study is for classifiers",
                 s->student);
    else if (text && (fd ? !fd_sections(s, t, extra, sizeof extra)
                         : snprintf(extra, sizeof extra, "[kd]\nmethod=%s\nteacher=%s\nteacher_weights=%s\n",
                                    s->methods[m], s->teacher_cfgs[t], s->teacher_weights[t]) > 0)) {
        snprintf(path, n, "%s/cfgs/%s_%s.cfg", s->c.out, s->names[t], s->methods[m]);
        int head = (int)(soft + 1 - text);   /* up to the last [softmax]: [kd] replaces it, the [fd]s precede it */
        atomic_file a;
        if (!atomic_file_open(&a, path)) {
            fprintf(a.fp, "%.*s%s%s", head, text, extra, fd ? soft + 1 : "");
            rc = atomic_file_commit(&a);
        }
    }
    free(text);
    return rc;
}

/* The share of the image that holds half of teacher t's effective receptive
 * field at its last stage (over the first erf_n validation images), and its
 * picture as OUT/erf_TEACHER.png. */
static int teacher_erf(study_opts *s, int t, char **paths, int n)
{
    int stages[MAX_STAGES], k = stage_outputs(s->teacher_cfgs[t], stages);
    network *net = k > 0 ? load_network(s->teacher_cfgs[t], s->teacher_weights[t], 0) : NULL;
    image *im = NULL;
    erf_summary sum;
    if (net && !set_batch_network(net, 1))
        im = erf_picture(net, stages[k - 1], paths, n, ERF_GRAD_ABS, s->names[t], &sum, NULL, NULL);
    char path[PATH_MAX + 96];
    snprintf(path, sizeof path, "%s/erf_%s.png", s->c.out, s->names[t]);
    int rc = im && !save_image(im, path) ? 0 : -1;
    if (!rc) s->erf50[t] = 100 * sum.area[2];
    free_image(im);
    free_network(net);
    return rc;
}

static int teacher_erfs(study_opts *s)
{
    data_cfg *d = data_cfg_read(s->c.data);
    int n = 0, rc = -1;
    char **paths = d && d->valid ? read_image_list(s->c.erf_list ? s->c.erf_list : d->valid, &n) : NULL;
    rc = paths ? 0 : -1;
    for (int t = 0; !rc && t < s->n_teachers; ++t) rc = teacher_erf(s, t, paths, n < s->c.erf_n ? n : s->c.erf_n);
    free_string_list(paths, n);
    data_cfg_free(d);
    return rc;
}

/* Student j's (-1: the plain one) mean top-1 on the corrupted sets over the
 * runs of `iterations`. */
static double corrupt_mean(const compare_results *r, int iterations, int j)
{
    double sum = 0;
    int n = 0;
    for (int i = 0; i < r->n_runs; ++i)
        if (r->runs[i].iterations == iterations) {
            sum += j < 0 ? r->runs[i].student_corrupt : r->runs[i].distilled_corrupt[j];
            ++n;
        }
    return n ? sum / n : 0;
}

/* The iterations at which method j's students first reached their plain
 * student's final accuracy, over seeds: "1200/900/-" ("" without curves). */
static void reached(const compare_results *r, int iterations, int j, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; r->runs[0].student_curve.n && i < r->n_runs && len + 16 < size; ++i) {
        const compare_run *run = &r->runs[i];
        if (run->iterations != iterations) continue;
        int at = first_reaching(&run->distilled_curve[j], main_metric(r), run->student[main_metric(r)]);
        if (len) buf[len++] = '/';
        len += (size_t)(at < 0 ? snprintf(buf + len, size - len, "-") : snprintf(buf + len, size - len, "%d", at));
    }
}

enum { N_COLS = 11, CELL = 64 };
static const char *const columns[N_COLS] = {
    "teacher", "teacher top1", "teacher ERF50 %", "method", "top1", "top1 sd",
    "direct gain", "direct gain sd", "effective gain", "reached plain's final at", "corrupted top1"};

static void write_row(FILE *f, char cells[N_COLS][CELL], int md)
{
    for (int c = 0; c < N_COLS; ++c) fprintf(f, md ? "| %s " : c ? ",%s" : "%s", cells[c]);
    fputs(md ? "|\n" : "\n", f);
}

/* Row j of the table (-1: the plain student) at `iterations`. */
static void table_row(const study_opts *s, const compare_results *r, int iterations, int j, char cells[N_COLS][CELL])
{
    int k = main_metric(r), t = j / s->n_methods, corrupt = r->runs[0].student_corrupt == r->runs[0].student_corrupt;
    summary su = summarise(r, iterations, k, j < 0 ? 0 : j);
    stat acc = j < 0 ? su.student : su.distilled;
    memset(cells, 0, sizeof(char) * N_COLS * CELL);
    snprintf(cells[4], CELL, "%.2f", acc.mean);
    snprintf(cells[5], CELL, "%.2f", acc.sd);
    if (corrupt) snprintf(cells[10], CELL, "%.2f", corrupt_mean(r, iterations, j));
    if (j < 0) {
        snprintf(cells[0], CELL, "(none)");
        snprintf(cells[3], CELL, "plain student");
        return;
    }
    double teacher = r->methods[j].teacher[k];
    snprintf(cells[0], CELL, "%s", s->names[t]);
    snprintf(cells[1], CELL, "%.2f", teacher);
    snprintf(cells[2], CELL, "%.1f", s->erf50[t]);
    snprintf(cells[3], CELL, "%s", s->methods[j % s->n_methods]);
    snprintf(cells[6], CELL, "%+.2f", su.gain.mean);
    snprintf(cells[7], CELL, "%.2f", su.gain.sd);
    snprintf(cells[8], CELL, teacher > 0 ? "%+.4f" : "n/a", teacher > 0 ? su.gain.mean / teacher : 0);
    reached(r, iterations, j, cells[9], CELL);
}

static void write_table(FILE *f, const study_opts *s, const compare_results *r, int md)
{
    int iterations = r->runs[r->n_runs - 1].iterations;
    char cells[N_COLS][CELL];
    for (int c = 0; c < N_COLS; ++c) snprintf(cells[c], CELL, "%s", columns[c]);
    write_row(f, cells, md);
    if (md) {
        for (int c = 0; c < N_COLS; ++c) snprintf(cells[c], CELL, "---");
        write_row(f, cells, md);
    }
    for (int j = -1; j < r->n_methods; ++j) {
        table_row(s, r, iterations, j, cells);
        write_row(f, cells, md);
    }
}

static int save_table(const study_opts *s, const compare_results *r, const char *name, int md)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", s->c.out, name);
    atomic_file a;
    if (atomic_file_open(&a, path)) return -1;
    if (md)
        fprintf(a.fp, "Students of %s after %d iterations, mean (and sd) over %d seeds; top-1 in %%.\n\n", s->student,
                r->runs[r->n_runs - 1].iterations, s->c.n_seeds);
    write_table(a.fp, s, r, md);
    return atomic_file_commit(&a);
}

/* Teachers, cfgs, the comparison, ERFs and the tables. 0 or -1. */
static int run_study(study_opts *s, compare_results *r)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/cfgs", s->c.out);
    if (s->n_teachers * s->n_methods > MAX_METHODS)
        return dn_error("%d teachers x %d methods: at most %d students a study", s->n_teachers, s->n_methods,
                        MAX_METHODS);
    if (make_dirs(dir)) return -1;
    for (int t = 0; t < s->n_teachers; ++t)
        if (prepare_teacher(s, t)) return -1;
    for (int j = 0; j < s->n_teachers * s->n_methods; ++j) {
        if (write_method_cfg(s, j / s->n_methods, j % s->n_methods, s->cfg_paths[j], sizeof s->cfg_paths[j]))
            return -1;
        s->c.cfgs[s->c.n_cfgs++] = s->cfg_paths[j];
    }
    if (run_comparison(&s->c, r) || dist_rank()) return dist_rank() ? 0 : -1;
    if (teacher_erfs(s) || save_table(s, r, "study.md", 1) || save_table(s, r, "study.csv", 0)) return -1;
    printf("\nthe study (%s/study.md, study.csv):\n", s->c.out);
    write_table(stdout, s, r, 1);
    return 0;
}

int distill_study(int argc, char **argv)
{
    study_opts s = {0};
    compare_results r = {0};
    int rc = 2;
    if (!parse_study(argc, argv, &s)) rc = run_study(&s, &r) ? 1 : 0;
    if (rc == 1 && dn_last_error()[0]) fprintf(stderr, "darknet distill study: %s\n", dn_last_error());
    free_results(&r);
    for (int t = 0; !s.lists[1] && t < MAX_TEACHERS; ++t) free(s.teacher_weights[t]);   /* prepare_teacher's */
    for (int i = 0; i < 3; ++i) free(s.lists[i]);
    return rc == 2 ? usage_error("distill") : rc;
}
