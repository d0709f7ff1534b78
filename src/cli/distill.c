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
#include "classifier_cmds.h"
#include "commands.h"
#include "detector_cmds.h"
#include "distill_erf.h"
#include "distill_report.h"
#include "errors.h"
#include "train_session.h"

const char usage_distill[] =
    "distill compare DATA STUDENT_CFG [MORE_CFGS...] [-iters N] [-lengths F,F,...] [-seeds S,S,...] [-out DIR]\n"
    "                [-erf IMAGE_LIST] [-erf_n N] [-threads T]\n"
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
    "      _ITERS_sSEED with several runs. -erf: the ERF of the first method's paired layers\n"
    "      (longest run, first seed) over the first N (100) listed images: erf_teacher.png,\n"
    "      erf_baseline.png, erf_distilled.png and all three in erf_compare.png\n";

enum { MAX_LIST = 16 };

typedef struct {
    const char *data, *out, *erf_list, *cfgs[MAX_METHODS];
    int n_cfgs, iters, threads, erf_n;
    double lengths[MAX_LIST], seeds[MAX_LIST];
    int n_lengths, n_seeds;
} compare_opts;

/* What the first cfg says about the student (read before any training). */
typedef struct {
    int classifier;                 /* else a detector */
    int from, teacher_layer;        /* the first method's first pairing */
    int max_batches;
} student_info;

/* The model as a classifier: its last layer that is not [cwd] or [fd] (which
 * pass their input through) is a [softmax] or a [kd]. */
static int is_classifier(network *net)
{
    for (int i = network_n_layers(net) - 1; i >= 0; --i) {
        const char *type = layer_type_name(network_layer(net, i));
        if (!strcmp(type, "cwd") || !strcmp(type, "fd")) continue;
        return !strcmp(type, "softmax") || !strcmp(type, "kd");
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

/* Trains one student into o->out/NAME_final.weights (its losses into
 * NAME_losses.csv). Returns the exit code. */
static int train_student(const compare_opts *o, const char *cfg, const char *name, int distill, int iters,
                         uint64_t seed, int classifier)
{
    char csv[PATH_MAX + 64];
    snprintf(csv, sizeof csv, "%s/%s_losses.csv", o->out, name);
    train_session t = {.out_dir = o->out, .name = name, .iters = iters, .scale_schedule = 1, .threads = o->threads,
                       .loss_log = csv};
    classifier_train_data cd = {0};
    loader *L = NULL;
    loader_config lc;
    int rc = 1;
    if (train_session_open(&t, "distill compare", o->data, cfg, NULL, 1, seed)) goto done;
    network_set_distillation(t.net, distill);
    printf("== %s: %s with distillation %s, %d iterations, seed %llu ==\n", name, cfg, distill ? "on" : "off",
           t.max_iter, (unsigned long long)seed);
    if (classifier) {
        if (classifier_train_open(&t, seed, &cd)) goto done;
        L = cd.loader;
    } else {
        if (train_session_loader_config(&t, &lc, seed)) goto done;
        lc.list = t.data->train;
        if (!(L = loader_open(&lc))) goto done;
    }
    /* backups only at the end: 10x this still fits an int */
    rc = train_session_run(&t, L, classifier ? cd.n_labels : DN_MAX_BOXES * 5, 1 << 26);
    if (!rc && t.interrupted) {
        dn_error("interrupted: the comparison is incomplete");
        rc = 1;
    }
    char last[PATH_MAX + 300];
    snprintf(last, sizeof last, "%s/%s_last.weights", t.backup, t.base);
    if (!rc) remove(last);   /* the same as _final here */
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    if (classifier) classifier_train_close(&cd);
    else loader_close(L);
    train_session_close(&t);
    return rc;
}

/* The two metrics of one model on valid=, in percent; *k gets top-k's k. 0 or -1. */
static int evaluate(const compare_opts *o, const data_cfg *d, int classifier, const char *cfg, const char *weights,
                    double v[N_METRICS], int *k)
{
    network *net = load_network_frozen(cfg, weights);
    if (!net) return -1;
    int rc = -1;
    if (classifier) {
        class_accuracy acc;
        int skipped;
        if (!classifier_valid_accuracy(d, net, cfg, o->threads, &acc, &skipped)) {
            v[0] = 100.0 * acc.top1 / acc.images;
            v[1] = 100.0 * acc.topk / acc.images;
            *k = acc.k;
            rc = 0;
        }
    } else {
        detector_eval_options eo = {0.005f, 0.5, 0, o->threads};
        detector_eval e;
        if (!detector_evaluate(net, d, &eo, &e)) {
            v[0] = 100 * e.coco.stats[0];   /* AP at IoU 0.50:0.95 */
            v[1] = 100 * e.coco.stats[1];   /* AP50 */
            detector_eval_free(&e);
            rc = 0;
        }
    }
    free_network(net);
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

/* Trains student `method` (-1: the plain baseline) of a run and evaluates it into v. */
static int train_and_evaluate(const compare_opts *o, const data_cfg *d, compare_results *r, int method,
                              compare_run *run, double v[N_METRICS])
{
    char name[128], w[PATH_MAX + 160];
    const char *cfg = o->cfgs[method < 0 ? 0 : method];
    student_name(name, sizeof name, o, r, method, run);
    if (train_student(o, cfg, name, method >= 0, run->iterations, run->seed, r->classifier)) return -1;
    snprintf(w, sizeof w, "%s/%s_final.weights", o->out, name);
    return evaluate(o, d, r->classifier, cfg, w, v, &r->k);
}

/* Every length and seed, shortest first; each finished run is printed. */
static int run_all(const compare_opts *o, const student_info *info, const data_cfg *d, compare_results *r)
{
    int full = o->iters ? o->iters : info->max_batches;
    if (full < 1) return dn_error("%s sets no max_batches and no -iters was given", o->cfgs[0]);
    for (int i = 0; i < o->n_lengths; ++i)
        for (int s = 0; s < o->n_seeds; ++s) {
            compare_run *run = &r->runs[r->n_runs];
            long iters = lround(o->lengths[i] * full);
            *run = (compare_run){.iterations = iters > 0 ? (int)iters : 1, .seed = (uint64_t)o->seeds[s]};
            if (train_and_evaluate(o, d, r, -1, run, run->student)) return -1;
            for (int j = 0; j < r->n_methods; ++j)
                if (train_and_evaluate(o, d, r, j, run, run->distilled[j])) return -1;
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
        if (!done && evaluate(o, d, r->classifier, m->teacher_cfg, m->teacher_weights, m->teacher, &r->k)) return -1;
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

static int parse_opts(int argc, char **argv, compare_opts *o)
{
    args a;
    args_init(&a, argc, argv);
    o->iters = arg_int(&a, "-iters", 0);
    o->n_lengths = arg_numbers(&a, "-lengths", o->lengths, MAX_LIST);
    o->n_seeds = arg_numbers(&a, "-seeds", o->seeds, MAX_LIST);
    int seed = arg_int(&a, "-seed", 1);
    o->out = arg_str(&a, "-out", "distill_compare");
    o->erf_list = arg_str(&a, "-erf", NULL);
    o->erf_n = arg_int(&a, "-erf_n", 100);
    o->threads = arg_int(&a, "-threads", 2);
    o->data = arg_pos(&a, 0);
    while (o->n_cfgs < MAX_METHODS && (o->cfgs[o->n_cfgs] = arg_pos(&a, o->n_cfgs + 1))) o->n_cfgs++;
    if (args_check(&a) || !o->n_cfgs || arg_pos(&a, o->n_cfgs + 1) || o->iters < 0 || o->threads < 1 || o->erf_n < 1)
        return -1;
    if (!o->n_lengths) o->lengths[o->n_lengths++] = 1;
    if (!o->n_seeds) o->seeds[o->n_seeds++] = seed;
    for (int i = 0; i < o->n_lengths; ++i)
        if (!(o->lengths[i] > 0 && o->lengths[i] <= 100)) return -1;
    for (int i = 0; i < o->n_seeds; ++i)
        if (!(o->seeds[i] >= 0 && o->seeds[i] == floor(o->seeds[i]))) return -1;
    return 0;
}

static void free_results(compare_results *r)
{
    for (int j = 0; j < MAX_METHODS; ++j) {
        free((char *)r->methods[j].teacher_cfg);
        free((char *)r->methods[j].teacher_weights);
    }
    free(r->runs);
}

static int distill_compare(int argc, char **argv)
{
    compare_opts o = {0};
    if (parse_opts(argc, argv, &o)) return usage_error("distill");
    student_info info = {0};
    data_cfg *d = NULL;
    compare_results r = {0};
    int rc = 1;
    if (probe_methods(&o, &info, &r) || !(d = data_cfg_read(o.data))) goto done;
    if (!d->valid) {
        dn_error("%s names no valid= list to evaluate on", d->path);
        goto done;
    }
    r.valid = d->valid;
    if (!(r.runs = calloc((size_t)o.n_lengths * o.n_seeds, sizeof *r.runs))) goto done;
    if (evaluate_teachers(&o, d, &r) || run_all(&o, &info, d, &r) || write_report(&o, &r) ||
        (o.erf_list && draw_erfs(&o, &info, &r)))
        goto done;
    rc = 0;
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    free_results(&r);
    data_cfg_free(d);
    return rc;
}

int run_distill(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"compare", distill_compare},
    };
    return run_subcommand("distill", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}
