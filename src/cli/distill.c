/* distill.c: `darknet distill compare DATA STUDENT_CFG`: what distillation
 * gains, measured the way the CWD paper measures it. The student cfg (with
 * [cwd], [fd] or [kd] layers naming a teacher) is trained in pairs from the
 * same initial weights on the same batches and the same schedule: once with
 * distillation switched off (network_set_distillation: the plain student)
 * and once on. A pair runs for each schedule length (-lengths, fractions of
 * the schedule, whose burn-in and steps are scaled, not cut) and seed
 * (-seeds). The teacher of the first distillation layer and every student
 * are evaluated on valid=; distill_report.c prints the runs, the mean and
 * spread by length, Direct Gain = distilled - student, Effective Gain =
 * Direct Gain / teacher, and warns when the plain student reaches the
 * teacher (the gain would then not be distillation's). */
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
    "distill compare DATA STUDENT_CFG [-iters N] [-lengths F,F,...] [-seeds S,S,...] [-out DIR] [-erf IMAGE_LIST]\n"
    "                [-erf_n N] [-threads T]\n"
    "      trains STUDENT_CFG (a cfg whose [cwd], [fd] or [kd] layers name a teacher) in pairs from\n"
    "      the same initial weights on the same batches and schedule, with distillation off (the\n"
    "      student) and on (distilled). The schedule is the cfg's, or N iterations with its burn-in\n"
    "      and steps scaled to N; -lengths runs a pair at each fraction of it (default 1), -seeds\n"
    "      with each seed (default 1; -seed S for one). Evaluates the teacher of the first\n"
    "      distillation layer and every student on valid= (COCO AP and AP50 in %, or top-1 and\n"
    "      top-k) and prints each run, then by length the mean and sd over seeds, Direct Gain\n"
    "      (distilled - student), Effective Gain (Direct Gain / teacher) and the teacher's lead,\n"
    "      with a warning where the plain student reaches the teacher or a gain is within its\n"
    "      spread. DIR (default distill_compare): compare.txt, gain_by_length.png (several\n"
    "      lengths), and per run the weights, chart and NAME_losses.csv (every loss by name per\n"
    "      iteration) of baseline and distilled (suffixed _ITERS_sSEED when there are several runs);\n"
    "      -erf: the ERF of the paired layers (longest run, first seed) over the first N (100)\n"
    "      listed images: erf_teacher.png, erf_baseline.png, erf_distilled.png, erf_compare.png\n";

enum { MAX_LIST = 16 };

typedef struct {
    const char *data, *cfg, *out, *erf_list;
    int iters, threads, erf_n;
    double lengths[MAX_LIST], seeds[MAX_LIST];
    int n_lengths, n_seeds;
} compare_opts;

/* What the student cfg says about itself (read once, before any training). */
typedef struct {
    int classifier;                 /* else a detector */
    int from, teacher_layer;        /* the first pairing */
    int max_batches;
    char *teacher_cfg, *teacher_weights;
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

/* Builds the student once (which loads its teachers: a bad one fails here,
 * before anything trains) and fills *info. 0 or -1. */
static int probe_student(const compare_opts *o, student_info *info)
{
    network *net = load_network(o->cfg, NULL, 1);
    if (!net) return -1;
    distill_pairing p;
    int rc = -1;
    if (!network_distill_pairing(net, 0, &p)) {
        dn_error("%s has no distillation layer ([cwd], [fd] or [kd] naming its teacher with teacher= and "
                 "teacher_weights=): there is nothing to compare", o->cfg);
    } else {
        info->classifier = is_classifier(net);
        info->from = p.from;
        info->teacher_layer = p.teacher_layer;
        info->max_batches = network_max_batches(net);
        info->teacher_cfg = dn_strdup(p.teacher_cfg);
        info->teacher_weights = dn_strdup(p.teacher_weights);
        rc = info->teacher_cfg && info->teacher_weights ? 0 : -1;
    }
    free_network(net);
    return rc;
}

/* Trains one student into o->out/NAME_final.weights (its losses into
 * NAME_losses.csv). Returns the exit code. */
static int train_student(const compare_opts *o, const char *name, int distill, int iters, uint64_t seed,
                         int classifier)
{
    char csv[PATH_MAX + 64];
    snprintf(csv, sizeof csv, "%s/%s_losses.csv", o->out, name);
    train_session t = {.out_dir = o->out, .name = name, .iters = iters, .scale_schedule = 1, .threads = o->threads,
                       .loss_log = csv};
    classifier_train_data cd = {0};
    loader *L = NULL;
    loader_config lc;
    int rc = 1;
    if (train_session_open(&t, "distill compare", o->data, o->cfg, NULL, 1, seed)) goto done;
    network_set_distillation(t.net, distill);
    printf("== %s: %s with distillation %s, %d iterations, seed %llu ==\n", name, o->cfg, distill ? "on" : "off",
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

/* A run's file names: "baseline" for the only run, else "baseline_750_s2". */
static void run_name(char *buf, size_t n, const char *kind, const compare_opts *o, int iters, uint64_t seed)
{
    if (o->n_lengths * o->n_seeds == 1) snprintf(buf, n, "%s", kind);
    else snprintf(buf, n, "%s_%d_s%llu", kind, iters, (unsigned long long)seed);
}

static void weights_path(char *buf, size_t n, const compare_opts *o, const char *name)
{
    snprintf(buf, n, "%s/%s_final.weights", o->out, name);
}

/* Trains and evaluates the plain and the distilled student of one length and seed. */
static int run_pair(const compare_opts *o, const student_info *info, const data_cfg *d, compare_results *r,
                    pair_result *p)
{
    char base[64], dist[64], w[PATH_MAX + 96];
    run_name(base, sizeof base, "baseline", o, p->iterations, p->seed);
    run_name(dist, sizeof dist, "distilled", o, p->iterations, p->seed);
    if (train_student(o, base, 0, p->iterations, p->seed, info->classifier) ||
        train_student(o, dist, 1, p->iterations, p->seed, info->classifier))
        return -1;
    weights_path(w, sizeof w, o, base);
    if (evaluate(o, d, info->classifier, o->cfg, w, p->student, &r->k)) return -1;
    weights_path(w, sizeof w, o, dist);
    return evaluate(o, d, info->classifier, o->cfg, w, p->distilled, &r->k);
}

/* Every length and seed, shortest first; each finished pair is printed. */
static int run_all(const compare_opts *o, const student_info *info, const data_cfg *d, compare_results *r)
{
    int full = o->iters ? o->iters : info->max_batches;
    if (full < 1) return dn_error("%s sets no max_batches and no -iters was given", o->cfg);
    for (int i = 0; i < o->n_lengths; ++i)
        for (int s = 0; s < o->n_seeds; ++s) {
            pair_result *p = &r->runs[r->n_runs];
            long iters = lround(o->lengths[i] * full);
            *p = (pair_result){.iterations = iters > 0 ? (int)iters : 1, .seed = (uint64_t)o->seeds[s]};
            if (run_pair(o, info, d, r, p)) return -1;
            r->n_runs++;
            printf("pair done: ");
            print_pair(stdout, r, p);
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
    printf("chart of the gain by schedule length in %s\n", path);
    return 0;
}

/* The ERFs of the longest schedule's first seed, appended to compare.txt. */
static int draw_erfs(const compare_opts *o, const student_info *info, const compare_results *r)
{
    const pair_result *p = &r->runs[r->n_runs - o->n_seeds];
    char base[64], dist[64], wb[PATH_MAX + 96], wd[PATH_MAX + 96], path[PATH_MAX + 64];
    run_name(base, sizeof base, "baseline", o, p->iterations, p->seed);
    run_name(dist, sizeof dist, "distilled", o, p->iterations, p->seed);
    weights_path(wb, sizeof wb, o, base);
    weights_path(wd, sizeof wd, o, dist);
    erf_models m = {info->teacher_cfg, info->teacher_weights, o->cfg, wb, wd, info->teacher_layer, info->from};
    snprintf(path, sizeof path, "%s/compare.txt", o->out);
    FILE *txt = fopen(path, "a");
    if (!txt) return dn_error("cannot append to %s", path);
    int rc = compare_erfs(o->out, o->erf_list, o->erf_n, &m, txt);
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
    o->cfg = arg_pos(&a, 1);
    if (args_check(&a) || !o->cfg || arg_pos(&a, 2) || o->iters < 0 || o->threads < 1 || o->erf_n < 1) return -1;
    if (!o->n_lengths) o->lengths[o->n_lengths++] = 1;
    if (!o->n_seeds) o->seeds[o->n_seeds++] = seed;
    for (int i = 0; i < o->n_lengths; ++i)
        if (!(o->lengths[i] > 0 && o->lengths[i] <= 100)) return -1;
    for (int i = 0; i < o->n_seeds; ++i)
        if (!(o->seeds[i] >= 0 && o->seeds[i] == floor(o->seeds[i]))) return -1;
    return 0;
}

static int distill_compare(int argc, char **argv)
{
    compare_opts o = {0};
    if (parse_opts(argc, argv, &o)) return usage_error("distill");
    student_info info = {0};
    data_cfg *d = NULL;
    compare_results r = {.cfg = o.cfg};
    int rc = 1;
    if (probe_student(&o, &info) || !(d = data_cfg_read(o.data))) goto done;
    if (!d->valid) {
        dn_error("%s names no valid= list to evaluate on", d->path);
        goto done;
    }
    r = (compare_results){o.cfg, d->valid, info.teacher_cfg, info.teacher_weights, info.classifier, 0, {0, 0},
                          calloc((size_t)o.n_lengths * o.n_seeds, sizeof(pair_result)), 0};
    printf("evaluating the teacher %s %s on %s\n", info.teacher_cfg, info.teacher_weights, d->valid);
    if (!r.runs || evaluate(&o, d, info.classifier, info.teacher_cfg, info.teacher_weights, r.teacher, &r.k) ||
        run_all(&o, &info, d, &r) || write_report(&o, &r) || (o.erf_list && draw_erfs(&o, &info, &r)))
        goto done;
    rc = 0;
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    free(r.runs);
    data_cfg_free(d);
    free(info.teacher_cfg);
    free(info.teacher_weights);
    return rc;
}

int run_distill(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"compare", distill_compare},
    };
    return run_subcommand("distill", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}
