/* train_session.c: the training loop, backups and chart shared by the
 * training commands (see train_session.h). */
#include "train_session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "errors.h"
#include "files.h"
#include "progress.h"

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

int train_session_save(train_session *t, const char *suffix)
{
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s_%s.weights", t->backup, t->base, suffix);
    if (save_weights(t->net, path)) {
        fprintf(stderr, "darknet %s: %s\n", t->cmd, dn_last_error());
        return -1;
    }
    printf("saved %s\n", path);
    snprintf(path, sizeof path, "%s/chart_%s.png", t->backup, t->base);
    chart_data c = {t->losses,   network_iteration(t->net), t->metric_iter, t->metric, t->n_metric,
                    t->max_iter, t->base,                   t->metric_name};
    if (save_chart(path, &c)) fprintf(stderr, "darknet %s: chart: %s\n", t->cmd, dn_last_error());
    return 0;
}

int train_session_open(train_session *t, const char *cmd, const char *data_path, const char *cfg,
                       const char *weights, int clear, uint64_t seed)
{
    t->cmd = cmd;
    t->cfg = cfg;
    if (!(t->data = data_cfg_read(data_path))) return -1;
    if (!t->data->train) return dn_error("%s names no train= list", data_path);
    if (!(t->net = load_network_seeded(cfg, weights, clear, seed))) return -1;
    const char *b = strrchr(cfg, '/');
    snprintf(t->base, sizeof t->base, "%s", t->name ? t->name : b ? b + 1 : cfg);
    char *dot = t->name ? NULL : strrchr(t->base, '.');
    if (dot) *dot = 0;
    snprintf(t->backup, sizeof t->backup, "%s",
             t->out_dir ? t->out_dir : t->data->backup ? t->data->backup : "backup");
    if (make_dirs(t->backup)) return -1;
    t->max_iter = network_max_batches(t->net);
    if (t->max_iter < 1) return dn_error("%s sets no max_batches", cfg);
    if (t->iters > t->max_iter)
        return dn_error("%d iterations asked for, but %s sets max_batches=%d (its lr schedule ends there): "
                        "raise max_batches", t->iters, cfg, t->max_iter);
    t->losses = calloc(t->max_iter, sizeof(float));
    t->metric_iter = calloc(t->max_iter, sizeof(int));
    t->metric = calloc(t->max_iter, sizeof(float));
    if (!t->losses || !t->metric_iter || !t->metric) return dn_error("out of memory for %d iterations", t->max_iter);
    if (t->iters > 0) t->max_iter = t->iters;
    return 0;
}

void train_session_close(train_session *t)
{
    free(t->losses);
    free(t->metric_iter);
    free(t->metric);
    free_network(t->net);
    data_cfg_free(t->data);
}

int train_session_loader_config(train_session *t, loader_config *lc, uint64_t seed)
{
    loader_config_default(lc);
    if (loader_config_from_cfg(lc, t->cfg)) return -1;
    lc->classes = t->data->classes;
    lc->width = network_width(t->net);
    lc->height = network_height(t->net);
    lc->batch = network_batch(t->net) * network_subdivisions(t->net);
    lc->threads = t->threads;
    /* a resumed run draws new batches rather than repeating the first ones */
    lc->seed = seed + (uint64_t)network_iteration(t->net) * 7919;
    return 0;
}

int train_session_run(train_session *t, loader *L, int truth_floats, int backup_every)
{
    int images = network_batch(t->net) * network_subdivisions(t->net);
    float *x = malloc(sizeof(float) * images * network_inputs(t->net));
    float *truth = malloc(sizeof(float) * images * truth_floats);
    int rc = 1;
    if (!x || !truth) goto done;
    signal(SIGINT, on_interrupt);
    printf("training %s on %s from iteration %d to %d, %d images per iteration\n", t->cfg, t->data->train,
           network_iteration(t->net), t->max_iter, images);
    progress p;
    progress_start(&p, t->net);
    p.max_iter = t->max_iter;
    rc = 0;
    while (network_iteration(t->net) < t->max_iter && !interrupted) {
        if (loader_next(L, x, truth, NULL) < 0) {
            rc = 1;
            break;
        }
        float loss = train_network_step(t->net, x, truth);
        int it = network_iteration(t->net);
        t->losses[it - 1] = loss;
        progress_report(&p, t->net, loss);
        if (loss != loss) {
            fprintf(stderr, "darknet %s: the loss is NaN at iteration %d; not saving it. "
                            "Lower learning_rate or raise burn_in.\n", t->cmd, it);
            rc = 1;
            break;
        }
        if (it % backup_every == 0 || it == t->max_iter) {
            char suffix[32];
            snprintf(suffix, sizeof suffix, "%d", it);
            if (train_session_save(t, "last") || (it % (10 * backup_every) == 0 && train_session_save(t, suffix)))
                rc = 1;
        }
        if (t->on_iteration) t->on_iteration(t, it, t->ctx);
    }
    t->interrupted = interrupted != 0;
    if (interrupted) printf("interrupted: saving before leaving\n");
    if (!rc || interrupted) rc = train_session_save(t, interrupted ? "last" : "final") ? 1 : rc;
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet %s: %s\n", t->cmd, dn_last_error());
    free(x);
    free(truth);
    return rc;
}
