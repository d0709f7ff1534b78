/* distill.c: `darknet distill compare DATA STUDENT_CFG`: what distillation
 * gains. The student cfg (with [cwd], [fd] or [kd] layers naming a teacher)
 * is trained twice from the same initial weights on the same batches (same
 * seed): once with distillation switched off (network_set_distillation: the
 * baseline student) and once on. Then the teacher of the first distillation
 * layer and both students are evaluated on valid= and compared (DESIGN.md
 * section 5): Direct Gain = distilled - student, Effective Gain = Direct Gain
 * / teacher. Detectors report COCO AP and AP50, classifiers (a last [softmax]
 * or [kd]) top-1 and top-k. With -erf, the effective receptive fields of the
 * paired layers (the first pairing's from= in the students, teacher_layer in
 * the teacher) are drawn side by side. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "classifier_cmds.h"
#include "commands.h"
#include "detector_cmds.h"
#include "erf.h"
#include "errors.h"
#include "files.h"
#include "train_session.h"

const char usage_distill[] =
    "distill compare DATA STUDENT_CFG [-iters N] [-seed S] [-out DIR] [-erf IMAGE_LIST] [-erf_n N] [-threads T]\n"
    "      trains STUDENT_CFG (a cfg whose [cwd], [fd] or [kd] layers name a teacher) twice\n"
    "      from the same initial weights on the same batches, with distillation off (the\n"
    "      student) and on (distilled), for max_batches or N iterations (the lr schedule stays\n"
    "      the cfg's); then evaluates the teacher of its first distillation layer and both on\n"
    "      valid= (COCO AP and AP50 in %, or top-1 and top-k for classifiers) and prints them\n"
    "      with Direct Gain (distilled - student) and Effective Gain (Direct Gain / teacher).\n"
    "      DIR (default distill_compare): compare.txt, baseline_final.weights,\n"
    "      distilled_final.weights, chart_baseline.png, chart_distilled.png; -erf: the ERF of\n"
    "      the paired layers over the first N (100) listed images: erf_teacher.png,\n"
    "      erf_baseline.png, erf_distilled.png and all three in erf_compare.png\n";

typedef struct {
    const char *data, *cfg, *out, *erf_list;
    int iters, threads, erf_n;
    uint64_t seed;
} compare_opts;

/* What the first training learns about the student cfg. */
typedef struct {
    int classifier;                 /* else a detector */
    int from, teacher_layer;        /* the first pairing */
    char *teacher_cfg, *teacher_weights;
    int iterations;
} student_info;

enum { N_METRICS = 2 };

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

/* Checks the student cfg and fills *info (first run only). 0 or -1. */
static int read_student(train_session *t, student_info *info)
{
    distill_pairing p;
    if (!network_distill_pairing(t->net, 0, &p))
        return dn_error("%s has no distillation layer ([cwd], [fd] or [kd] naming its teacher with teacher= and "
                        "teacher_weights=): there is nothing to compare", t->cfg);
    if (!t->data->valid) return dn_error("%s names no valid= list to evaluate on", t->data->path);
    info->classifier = is_classifier(t->net);
    info->from = p.from;
    info->teacher_layer = p.teacher_layer;
    info->teacher_cfg = dn_strdup(p.teacher_cfg);
    info->teacher_weights = dn_strdup(p.teacher_weights);
    info->iterations = t->max_iter;
    return info->teacher_cfg && info->teacher_weights ? 0 : -1;
}

/* Trains one student into o->out/NAME_final.weights. Returns the exit code. */
static int train_student(const compare_opts *o, const char *name, int distill, student_info *info)
{
    train_session t = {.out_dir = o->out, .name = name, .iters = o->iters, .threads = o->threads};
    classifier_train_data cd = {0};
    loader *L = NULL;
    loader_config lc;
    int rc = 1;
    if (train_session_open(&t, "distill compare", o->data, o->cfg, NULL, 1, o->seed) ||
        (!distill && read_student(&t, info)))
        goto done;
    network_set_distillation(t.net, distill);
    printf("== %s: %s with distillation %s, %d iterations, seed %llu ==\n", name, o->cfg, distill ? "on" : "off",
           t.max_iter, (unsigned long long)o->seed);
    if (info->classifier) {
        if (classifier_train_open(&t, o->seed, &cd)) goto done;
        L = cd.loader;
    } else {
        if (train_session_loader_config(&t, &lc, o->seed)) goto done;
        lc.list = t.data->train;
        if (!(L = loader_open(&lc))) goto done;
    }
    /* backups only at the end: 10x this still fits an int */
    rc = train_session_run(&t, L, info->classifier ? cd.n_labels : DN_MAX_BOXES * 5, 1 << 26);
    if (!rc && t.interrupted) {
        dn_error("interrupted: the comparison is incomplete");
        rc = 1;
    }
    char last[PATH_MAX + 300];
    snprintf(last, sizeof last, "%s/%s_last.weights", t.backup, t.base);
    if (!rc) remove(last);   /* the same as _final here */
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    if (info->classifier) classifier_train_close(&cd);
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

static void print_table(FILE *f, const compare_opts *o, const student_info *info, const char *valid, int k,
                        double v[3][N_METRICS])
{
    char m0[16], m1[16];
    snprintf(m0, sizeof m0, "%s", info->classifier ? "top1" : "AP");
    if (info->classifier) snprintf(m1, sizeof m1, "top%d", k);
    else snprintf(m1, sizeof m1, "AP50");
    fprintf(f, "distill compare: %s, %d iterations, seed %llu; teacher %s (%s); valid %s\n", o->cfg,
            info->iterations, (unsigned long long)o->seed, info->teacher_cfg, info->teacher_weights, valid);
    fprintf(f, "%-15s %9s %9s\n", "model", m0, m1);
    static const char *const rows[3] = {"teacher", "student", "distilled"};
    for (int r = 0; r < 3; ++r) fprintf(f, "%-15s %9.2f %9.2f\n", rows[r], v[r][0], v[r][1]);
    fprintf(f, "%-15s %9.2f %9.2f\n", "direct_gain", v[2][0] - v[1][0], v[2][1] - v[1][1]);
    fprintf(f, "%-15s", "effective_gain");
    for (int m = 0; m < N_METRICS; ++m) {
        if (v[0][m] > 0) fprintf(f, " %9.4f", (v[2][m] - v[1][m]) / v[0][m]);
        else fprintf(f, " %9s", "n/a");   /* a teacher at 0: no ratio */
    }
    fprintf(f, "\n(%s in %%; direct_gain = distilled - student, in points; effective_gain = direct_gain / teacher)\n",
            info->classifier ? "top-1 and top-k accuracy" : "COCO AP and AP50");
}

/* One panel: the ERF of `layer` of cfg + weights, saved as DIR/erf_NAME.png. */
static image *erf_panel(const compare_opts *o, char **paths, int n, const char *name, const char *cfg,
                        const char *weights, int layer, FILE *txt)
{
    network *net = load_network(cfg, weights, 0);
    image *im = NULL;
    if (!net || set_batch_network(net, 1)) {
        free_network(net);
        return NULL;
    }
    char title[64], path[PATH_MAX + 64];
    snprintf(title, sizeof title, "%s layer %d", name, layer);
    erf_summary s;
    if (!erf_check_layer(net, layer) && (im = erf_picture(net, layer, paths, n, ERF_GRAD_ABS, title, &s, NULL, NULL))) {
        snprintf(path, sizeof path, "%s/erf_%s.png", o->out, name);
        if (save_image(im, path)) {
            free_image(im);
            im = NULL;
        } else {
            char line[256];
            snprintf(line, sizeof line, "erf %s layer=%d images=%d area20=%.6f area30=%.6f area50=%.6f area99=%.6f\n",
                     name, layer, s.used, s.area[0], s.area[1], s.area[2], s.area[3]);
            fputs(line, stdout);
            fputs(line, txt);
        }
    }
    free_network(net);
    return im;
}

static int compare_erfs(const compare_opts *o, const student_info *info, const char *w_base, const char *w_dist,
                        FILE *txt)
{
    int n = 0, rc = -1;
    char **paths = read_image_list(o->erf_list, &n);
    if (!paths) return -1;
    if (n > o->erf_n) n = o->erf_n;
    printf("ERF of the paired layers over %d images of %s\n", n, o->erf_list);
    image *im[3] = {erf_panel(o, paths, n, "teacher", info->teacher_cfg, info->teacher_weights, info->teacher_layer,
                              txt),
                    NULL, NULL};
    if (im[0]) im[1] = erf_panel(o, paths, n, "baseline", o->cfg, w_base, info->from, txt);
    if (im[1]) im[2] = erf_panel(o, paths, n, "distilled", o->cfg, w_dist, info->from, txt);
    if (im[2]) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/erf_compare.png", o->out);
        image *strip = images_side_by_side((const image *const *)im, 3, 8);
        if (strip && !save_image(strip, path)) {
            printf("ERF heat maps (teacher | baseline | distilled) in %s\n", path);
            rc = 0;
        }
        free_image(strip);
    }
    for (int i = 0; i < 3; ++i) free_image(im[i]);
    free_string_list(paths, n);
    return rc;
}

static int distill_compare(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    compare_opts o = {0};
    o.iters = arg_int(&a, "-iters", 0);
    o.seed = (uint64_t)arg_int(&a, "-seed", 1);
    o.out = arg_str(&a, "-out", "distill_compare");
    o.erf_list = arg_str(&a, "-erf", NULL);
    o.erf_n = arg_int(&a, "-erf_n", 100);
    o.threads = arg_int(&a, "-threads", 2);
    o.data = arg_pos(&a, 0);
    o.cfg = arg_pos(&a, 1);
    if (args_check(&a) || !o.cfg || arg_pos(&a, 2) || o.iters < 0 || o.threads < 1 || o.erf_n < 1)
        return usage_error("distill");

    student_info info = {0};
    data_cfg *d = NULL;
    FILE *txt = NULL;
    int rc = 1;
    char w_base[PATH_MAX + 64], w_dist[PATH_MAX + 64], path[PATH_MAX + 64];
    snprintf(w_base, sizeof w_base, "%s/baseline_final.weights", o.out);
    snprintf(w_dist, sizeof w_dist, "%s/distilled_final.weights", o.out);
    if (train_student(&o, "baseline", 0, &info) || train_student(&o, "distilled", 1, &info)) goto done;

    double v[3][N_METRICS];
    int k = 0;
    const char *cfgs[3] = {info.teacher_cfg, o.cfg, o.cfg}, *weights[3] = {info.teacher_weights, w_base, w_dist};
    if (!(d = data_cfg_read(o.data))) goto fail;
    for (int r = 0; r < 3; ++r) {
        printf("evaluating %s %s on %s\n", cfgs[r], weights[r], d->valid);
        if (evaluate(&o, d, info.classifier, cfgs[r], weights[r], v[r], &k)) goto fail;
    }
    snprintf(path, sizeof path, "%s/compare.txt", o.out);
    if (!(txt = fopen(path, "w"))) {
        dn_error("cannot write %s", path);
        goto fail;
    }
    print_table(stdout, &o, &info, d->valid, k, v);
    print_table(txt, &o, &info, d->valid, k, v);
    if (o.erf_list && compare_erfs(&o, &info, w_base, w_dist, txt)) goto fail;
    if (fclose(txt)) {
        txt = NULL;
        dn_error("cannot write %s", path);
        goto fail;
    }
    txt = NULL;
    printf("table in %s\n", path);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
done:
    if (txt) fclose(txt);
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
