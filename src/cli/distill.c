/* distill.c: `darknet distill compare DATA STUDENT_CFG [MORE_CFGS]`: what
 * distillation gains, measured the way the CWD paper measures it. Each cfg is
 * the same student with distillation layers ([cwd], [fd] or [kd]) naming a
 * teacher: one method. For each schedule length (-lengths, fractions of the
 * schedule, whose burn-in and steps are scaled, not cut) and seed (-seeds),
 * the plain student (the first cfg with distillation switched off) and every
 * method's distilled student train from the same initial weights on the same
 * batches. The teachers and every student are evaluated on valid=;
 * distill_report.c prints the runs, the mean and spread by method and length,
 * Direct Gain = distilled - student, Effective Gain = Direct Gain / teacher,
 * and warns when the plain student reaches a teacher (the gain would then not
 * be distillation's). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "atomic_file.h"
#include "commands.h"
#include "dist.h"
#include "distill_cmds.h"
#include "distill_erf.h"
#include "errors.h"

const char usage_distill[] =
    "distill compare DATA STUDENT_CFG [MORE_CFGS...] [-iters N] [-lengths F,F,...] [-seeds S,S,...] [-out DIR]\n"
    "                [-eval_every K] [-erf IMAGE_LIST] [-erf_n N] [-threads T]\n"
    "      STUDENT_CFG (and each further cfg: the same student with other distillation layers or\n"
    "      teachers, one method each) names teachers in [cwd], [fd] or [kd] layers. For each schedule\n"
    "      length and seed, the plain student (the first cfg with distillation off) and every\n"
    "      method's distilled student train from the same initial weights on the same batches. The\n"
    "      schedule is the cfg's, or N iterations with its burn-in and steps scaled to N; -lengths\n"
    "      runs at each fraction of it (default 1), -seeds with each seed (default 1; -seed S: one).\n"
    "      The teachers and students are evaluated on valid= (COCO AP and AP50 in %, or top-1 and\n"
    "      top-k); printed: each run, then per method and length the mean and sd over seeds, Direct\n"
    "      Gain (distilled - student), Effective Gain (Direct Gain / teacher) and the teacher's lead,\n"
    "      with a warning where the plain student reaches the teacher or a gain is within its\n"
    "      spread. DIR (default distill_compare): compare.txt, gain_by_length.png (several lengths),\n"
    "      per run the weights, chart and NAME_losses.csv (every loss by name per iteration) of the\n"
    "      students: baseline and distilled, or distilled_METHOD with several methods, suffixed\n"
    "      _ITERS_sSEED with several runs. -eval_every K: every student is also evaluated every K\n"
    "      iterations: when each distilled student first reached the plain student's final value,\n"
    "      and curves.png. -erf: the ERF of the first method's paired layers\n"
    "      (longest run, first seed) over the first N (100) listed images: erf_teacher.png,\n"
    "      erf_baseline.png, erf_distilled.png and all three in erf_compare.png\n"
    "distill study DATA STUDENT_CFG -teachers T.cfg,T.cfg,... [-teacher_weights W,W,...] [-methods kd,nkd,fd]\n"
    "              [-teacher_iters N] [the flags of compare; -out default distill_study]\n"
    "      the large-kernel teacher study for a classifier STUDENT_CFG: trains each teacher (into\n"
    "      DIR/teachers; reused when there; or takes -teacher_weights), writes one cfg per teacher\n"
    "      and method (DIR/cfgs: [kd] method=kd or nkd in place of the student's [softmax], or\n"
    "      [fd] on every stage of the cfgs' \"# stage_outputs=\" lines, paired from the last),\n"
    "      runs compare on them (use -eval_every for convergence), and writes the table per\n"
    "      teacher and method: teacher top-1 and ERF area at 50% (DIR/erf_TEACHER.png), distilled\n"
    "      top-1, Direct and Effective Gain (mean and sd over seeds), when it first reached the\n"
    "      plain student's final top-1, and top-1 on the .data's corrupt= sets: DIR/study.md,\n"
    "      DIR/study.csv\n";

/* What the first cfg says about the student (read before any training). */
typedef struct {
    int classifier;                 /* else a detector */
    int from, teacher_layer;        /* the first method's first pairing */
    int max_batches;
} student_info;

/* The model as a classifier: its last layer that does more than pass its input
 * through ([cwd], [fd]) is a [softmax], or a [kd] in place of one. */
static int is_classifier(network *net)
{
    for (int i = network_n_layers(net) - 1; i >= 0; --i) {
        const char *type = layer_student_type(network_layer(net, i));
        if (type) return !strcmp(type, "softmax");
    }
    return 0;
}

/* Method j's name (its file name without .cfg), cfg and first teacher. */
static int describe_method(const char *cfg, network *net, compare_results *r, int j)
{
    distill_pairing p;
    if (!network_distill_pairing(net, 0, &p))
        return dn_error("%s has no distillation layer ([cwd], [fd] or [kd] naming its teacher with teacher= and "
                        "teacher_weights=): there is nothing to compare", cfg);
    compare_method *m = &r->methods[j];
    const char *slash = strrchr(cfg, '/');
    snprintf(m->name, sizeof m->name, "%s", slash ? slash + 1 : cfg);
    char *dot = strrchr(m->name, '.');
    if (dot && dot != m->name) *dot = 0;
    for (int i = 0; i < j; ++i)
        if (!strcmp(r->methods[i].name, m->name))
            return dn_error("%s and %s have the same name %s: rename one", r->methods[i].cfg, cfg, m->name);
    m->cfg = cfg;
    m->teacher_cfg = dn_strdup(p.teacher_cfg);
    m->teacher_weights = dn_strdup(p.teacher_weights);
    return m->teacher_cfg && m->teacher_weights ? 0 : -1;
}

/* Builds every cfg once with one seed (which loads the teachers: a bad one
 * fails here, before anything trains): each must be the first cfg's student
 * with the same initial weights, so one plain baseline serves them all. */
static int probe_methods(const compare_opts *o, student_info *info, compare_results *r)
{
    network *first = load_network_seeded(o->cfgs[0], NULL, 1, 1), *net = first;
    int rc = first ? 0 : -1;
    for (int j = 0; !rc && j < o->n_cfgs; ++j) {
        if (j && !(net = load_network_seeded(o->cfgs[j], NULL, 1, 1))) rc = -1;
        else if (describe_method(o->cfgs[j], net, r, j)) rc = -1;
        else if (j && !network_same_student(first, net))
            rc = dn_error("%s is not the same student as %s (other layers, or initial weights drawn in another "
                          "order): compare them separately", o->cfgs[j], o->cfgs[0]);
        if (j) free_network(net);
    }
    if (!rc) {
        distill_pairing p;
        network_distill_pairing(first, 0, &p);
        *info = (student_info){is_classifier(first), p.from, p.teacher_layer, network_max_batches(first)};
        r->classifier = info->classifier;
        r->n_methods = o->n_cfgs;
    }
    free_network(first);
    return rc;
}

/* A student's file names: "baseline", "distilled" or "distilled_METHOD" (with
 * several methods), suffixed "_750_s2" when there are several runs. */
static void student_name(char *buf, size_t n, const compare_opts *o, const compare_results *r, int method,
                         const compare_run *run)
{
    int len = snprintf(buf, n, "%s", method < 0 ? "baseline" : "distilled");
    if (method >= 0 && o->n_cfgs > 1) len += snprintf(buf + len, n - len, "_%s", r->methods[method].name);
    if (o->n_lengths * o->n_seeds > 1)
        snprintf(buf + len, n - len, "_%d_s%llu", run->iterations, (unsigned long long)run->seed);
}

/* Trains student `method` (-1: the plain baseline) of a run and evaluates it. */
static int train_and_evaluate(const compare_opts *o, const data_cfg *d, compare_results *r, int method,
                              compare_run *run)
{
    char name[128], w[PATH_MAX + 160];
    const char *cfg = o->cfgs[method < 0 ? 0 : method];
    metric_curve *curve = method < 0 ? &run->student_curve : &run->distilled_curve[method];
    student_name(name, sizeof name, o, r, method, run);
    if (train_student(o, d, cfg, name, method >= 0, run->iterations, run->seed, r->classifier, curve)) return -1;
    snprintf(w, sizeof w, "%s/%s_final.weights", o->out, name);
    double *corrupt = method < 0 ? &run->student_corrupt : &run->distilled_corrupt[method];
    *corrupt = NAN;
    if (evaluate_weights(o, d, r->classifier, cfg, w, method < 0 ? run->student : run->distilled[method], &r->k))
        return -1;
    return r->classifier && d->corrupt ? evaluate_corruption(o, d, cfg, w, corrupt) : 0;
}

/* Every length and seed, shortest first; each finished run is printed. */
static int run_all(const compare_opts *o, const student_info *info, const data_cfg *d, compare_results *r)
{
    int full = o->iters ? o->iters : info->max_batches;
    if (full < 1) return dn_error("%s sets no max_batches and no -iters was given", o->cfgs[0]);
    for (int i = 0; o->eval_every && i < o->n_lengths; ++i)
        if (o->lengths[i] * full / o->eval_every >= MAX_EVALS)
            return dn_error("-eval_every %d evaluates a %.0f-iteration run more than %d times: raise it", o->eval_every,
                            o->lengths[i] * full, MAX_EVALS - 1);
    for (int i = 0; i < o->n_lengths; ++i)
        for (int s = 0; s < o->n_seeds; ++s) {
            compare_run *run = &r->runs[r->n_runs];
            long iters = lround(o->lengths[i] * full);
            *run = (compare_run){.iterations = iters > 0 ? (int)iters : 1, .seed = (uint64_t)o->seeds[s]};
            for (int j = -1; j < r->n_methods; ++j)
                if (train_and_evaluate(o, d, r, j, run)) return -1;
            r->n_runs++;
            printf("run done:\n");
            print_run(stdout, r, run);
        }
    return 0;
}

/* Each method's teacher on valid= (a teacher shared by methods once). */
static int evaluate_teachers(const compare_opts *o, const data_cfg *d, compare_results *r)
{
    for (int j = 0; j < r->n_methods; ++j) {
        compare_method *m = &r->methods[j];
        int done = 0;
        for (int i = 0; i < j && !done; ++i)
            if (!strcmp(r->methods[i].teacher_cfg, m->teacher_cfg) &&
                !strcmp(r->methods[i].teacher_weights, m->teacher_weights)) {
                memcpy(m->teacher, r->methods[i].teacher, sizeof m->teacher);
                done = 1;
            }
        printf("evaluating the teacher %s %s on %s\n", m->teacher_cfg, m->teacher_weights, d->valid);
        if (!done && evaluate_weights(o, d, r->classifier, m->teacher_cfg, m->teacher_weights, m->teacher, &r->k))
            return -1;
    }
    return 0;
}

static int write_report(const compare_opts *o, const compare_results *r)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/compare.txt", o->out);
    atomic_file a;
    if (atomic_file_open(&a, path)) return -1;
    print_compare(a.fp, r);
    if (atomic_file_commit(&a)) return -1;
    print_compare(stdout, r);
    printf("table in %s\n", path);
    if (o->eval_every) {
        snprintf(path, sizeof path, "%s/curves.png", o->out);
        if (save_curves_chart(path, r)) return -1;
        printf("the students' curves in %s\n", path);
    }
    if (o->n_lengths < 2) return 0;
    snprintf(path, sizeof path, "%s/gain_by_length.png", o->out);
    if (save_gain_chart(path, r)) return -1;
    printf("chart of the gains by schedule length in %s\n", path);
    return 0;
}

/* The ERFs of the first method, longest schedule, first seed; their area
 * lines are appended to compare.txt. */
static int draw_erfs(const compare_opts *o, const student_info *info, const compare_results *r)
{
    const compare_run *run = &r->runs[r->n_runs - o->n_seeds];
    char base[128], dist[128], wb[PATH_MAX + 160], wd[PATH_MAX + 160], path[PATH_MAX + 64];
    student_name(base, sizeof base, o, r, -1, run);
    student_name(dist, sizeof dist, o, r, 0, run);
    snprintf(wb, sizeof wb, "%s/%s_final.weights", o->out, base);
    snprintf(wd, sizeof wd, "%s/%s_final.weights", o->out, dist);
    const compare_method *m = &r->methods[0];
    erf_models models = {m->teacher_cfg, m->teacher_weights, m->cfg, wb, wd, info->teacher_layer, info->from};
    snprintf(path, sizeof path, "%s/compare.txt", o->out);
    FILE *txt = fopen(path, "a");
    if (!txt) return dn_error("cannot append to %s", path);
    int rc = compare_erfs(o->out, o->erf_list, o->erf_n, &models, txt);
    return fclose(txt) || rc ? -1 : 0;
}

void read_compare_flags(args *a, compare_opts *o, const char *default_out)
{
    o->iters = arg_int(a, "-iters", 0);
    o->n_lengths = arg_numbers(a, "-lengths", o->lengths, MAX_LIST);
    o->n_seeds = arg_numbers(a, "-seeds", o->seeds, MAX_LIST);
    o->seed = arg_int(a, "-seed", 1);
    o->out = arg_str(a, "-out", default_out);
    o->erf_list = arg_str(a, "-erf", NULL);
    o->erf_n = arg_int(a, "-erf_n", 100);
    o->threads = arg_int(a, "-threads", 2);
    o->eval_every = arg_int(a, "-eval_every", 0);
}

int check_compare_flags(compare_opts *o)
{
    if (o->iters < 0 || o->threads < 1 || o->erf_n < 1 || o->eval_every < 0) return -1;
    if (!o->n_lengths) o->lengths[o->n_lengths++] = 1;
    if (!o->n_seeds) o->seeds[o->n_seeds++] = o->seed;
    for (int i = 0; i < o->n_lengths; ++i)
        if (!(o->lengths[i] > 0 && o->lengths[i] <= 100)) return -1;
    for (int i = 0; i < o->n_seeds; ++i)
        if (!(o->seeds[i] >= 0 && o->seeds[i] == floor(o->seeds[i]))) return -1;
    return 0;
}

static int parse_opts(int argc, char **argv, compare_opts *o)
{
    args a;
    args_init(&a, argc, argv);
    read_compare_flags(&a, o, "distill_compare");
    o->data = arg_pos(&a, 0);
    while (o->n_cfgs < MAX_METHODS && (o->cfgs[o->n_cfgs] = arg_pos(&a, o->n_cfgs + 1))) o->n_cfgs++;
    if (args_check(&a) || !o->n_cfgs || arg_pos(&a, o->n_cfgs + 1)) return -1;
    return check_compare_flags(o);
}

void free_results(compare_results *r)
{
    for (int j = 0; j < MAX_METHODS; ++j) {
        free((char *)r->methods[j].teacher_cfg);
        free((char *)r->methods[j].teacher_weights);
    }
    free(r->valid);
    free(r->runs);
    memset(r, 0, sizeof *r);
}

int run_comparison(const compare_opts *o, compare_results *r)
{
    student_info info = {0};
    data_cfg *d = NULL;
    int rc = -1;
    memset(r, 0, sizeof *r);
    if (probe_methods(o, &info, r) || !(d = data_cfg_read(o->data))) goto done;
    if (!d->valid) {
        dn_error("%s names no valid= list to evaluate on", d->path);
        goto done;
    }
    if (!(r->valid = dn_strdup(d->valid)) || !(r->runs = dn_calloc((size_t)o->n_lengths * o->n_seeds, sizeof *r->runs)))
        goto done;
    /* under mpirun every rank trains and evaluates; rank 0 writes the report and ERFs */
    if (evaluate_teachers(o, d, r) || run_all(o, &info, d, r) || (!dist_rank() && write_report(o, r)) ||
        (o->erf_list && !dist_rank() && draw_erfs(o, &info, r)))
        goto done;
    rc = 0;
done:
    data_cfg_free(d);
    return rc;
}

static int distill_compare(int argc, char **argv)
{
    compare_opts o = {0};
    if (parse_opts(argc, argv, &o)) return usage_error("distill");
    compare_results r;
    int rc = run_comparison(&o, &r) ? 1 : 0;
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    free_results(&r);
    return rc;
}

int run_distill(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"compare", distill_compare},
        {"study", distill_study},
    };
    return run_subcommand("distill", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}
