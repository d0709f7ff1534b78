/* distill_train.c: training and evaluating one student of `distill compare`
 * (see distill_cmds.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "classifier_cmds.h"
#include "detector_cmds.h"
#include "dist.h"
#include "distill_cmds.h"
#include "errors.h"
#include "train_session.h"

int evaluate_network(const compare_opts *o, const data_cfg *d, int classifier, network *net, const char *cfg,
                     double v[N_METRICS], int *k)
{
    if (classifier) {
        class_accuracy acc;
        int skipped;
        if (classifier_valid_accuracy(d, net, cfg, o->threads, &acc, &skipped)) return -1;
        v[0] = 100.0 * acc.top1 / acc.images;
        v[1] = 100.0 * acc.topk / acc.images;
        *k = acc.k;
        return 0;
    }
    detector_eval_options eo = {0.005f, 0.5, 0, o->threads};
    detector_eval e;
    if (detector_evaluate(net, d, &eo, &e)) return -1;
    v[0] = 100 * e.coco.stats[0];   /* AP at IoU 0.50:0.95 */
    v[1] = 100 * e.coco.stats[1];   /* AP50 */
    detector_eval_free(&e);
    return 0;
}

int evaluate_weights(const compare_opts *o, const data_cfg *d, int classifier, const char *cfg, const char *weights,
                     double v[N_METRICS], int *k)
{
    network *net = load_network_frozen(cfg, weights);
    int rc = net ? evaluate_network(o, d, classifier, net, cfg, v, k) : -1;
    free_network(net);
    return rc;
}

int evaluate_corruption(const compare_opts *o, const data_cfg *d, const char *cfg, const char *weights, double *mean)
{
    network *net = load_network_frozen(cfg, weights);
    corrupt_result *res = NULL;
    int n = 0, rc = net ? classifier_corrupt_accuracy(d, net, cfg, o->threads, &res, &n) : -1;
    if (!rc) *mean = 100 * corrupt_mean_top1(res, n);
    corrupt_results_free(res, n);
    free_network(net);
    return rc;
}

/* The evaluations during training: the current weights copied into a frozen
 * network (built once), so the training network is left as it is. */
typedef struct {
    const compare_opts *o;
    const data_cfg *d;
    int classifier, k, failed;
    network *frozen;
    metric_curve *curve;
} eval_hook;

static void evaluate_now(train_session *t, int it, void *ctx)
{
    eval_hook *h = ctx;
    if (h->failed || (it % h->o->eval_every && it != t->max_iter) || h->curve->n == MAX_EVALS) return;
    if (!h->frozen && !(h->frozen = load_network_frozen(t->cfg, NULL))) h->failed = 1;
    metric_curve *c = h->curve;
    if (!h->failed && (copy_weights(h->frozen, t->net) ||
                       evaluate_network(h->o, h->d, h->classifier, h->frozen, t->cfg, c->v[c->n], &h->k)))
        h->failed = 1;
    if (h->failed) {
        fprintf(stderr, "darknet distill compare: evaluation during training: %s\n", dn_last_error());
        return;
    }
    c->iteration[c->n++] = it;
    printf("evaluated at iteration %d: %.2f %.2f\n", it, c->v[c->n - 1][0], c->v[c->n - 1][1]);
}

static loader *open_loader(train_session *t, uint64_t seed, int classifier, classifier_train_data *cd)
{
    if (classifier) return classifier_train_open(t, seed, cd) ? NULL : cd->loader;
    loader_config lc;
    if (train_session_loader_config(t, &lc, seed)) return NULL;
    lc.list = t->data->train;
    return loader_open(&lc);
}

int train_student(const compare_opts *o, const data_cfg *d, const char *cfg, const char *name, int distill,
                  int iters, uint64_t seed, int classifier, metric_curve *curve)
{
    char csv[PATH_MAX + 64];
    snprintf(csv, sizeof csv, "%s/%s_losses.csv", o->out, name);
    eval_hook hook = {o, d, classifier, 0, 0, NULL, curve};
    curve->n = 0;
    train_session t = {.out_dir = o->out, .name = name, .iters = iters, .scale_schedule = 1, .threads = o->threads,
                       .loss_log = csv, .on_iteration = o->eval_every ? evaluate_now : NULL, .ctx = &hook};
    classifier_train_data cd = {0};
    loader *L = NULL;
    int rc = 1;
    if (train_session_open(&t, "distill compare", o->data, cfg, NULL, 1, seed)) goto done;
    network_set_distillation(t.net, distill);
    printf("== %s: %s with distillation %s, %d iterations, seed %llu ==\n", name, cfg, distill ? "on" : "off",
           t.max_iter, (unsigned long long)seed);
    if (!(L = open_loader(&t, seed, classifier, &cd))) goto done;
    /* backups only at the end: 10x this still fits an int */
    rc = train_session_run(&t, L, classifier ? cd.n_labels : DN_MAX_BOXES * 5, 1 << 26);
    if (!rc && (t.interrupted || hook.failed)) {
        if (t.interrupted) dn_error("interrupted: the comparison is incomplete");
        rc = 1;
    }
    char last[PATH_MAX + 300];
    snprintf(last, sizeof last, "%s/%s_last.weights", t.backup, t.base);
    if (!rc && !dist_rank()) remove(last);   /* the same as _final here */
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet distill compare: %s\n", dn_last_error());
    if (classifier) classifier_train_close(&cd);
    else loader_close(L);
    free_network(hook.frozen);
    train_session_close(&t);
    return rc;
}
