/* train_session.c: the training loop, backups and chart shared by the
 * training commands (see train_session.h). */
#include "train_session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "dist.h"
#include "dist_agree.h"
#include "errors.h"
#include "files.h"
#include "progress.h"
#include "text_file.h"

static volatile sig_atomic_t interrupted;

int train_session_save(train_session *t, const char *suffix)
{
    if (dist_rank()) return 0;   /* every rank holds the same weights: rank 0 writes them */
    char path[PATH_MAX + 300];
    dn_clear_error(); /* the message printed is this save's */
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

/* The network must be able to learn, and predict the dataset's classes. */
static int check_network(const train_session *t, const char *data_path)
{
    if (network_check_trainable(t->net)) return -1;
    int k = network_classes(t->net);
    if (k && t->data->classes && k != t->data->classes)
        return dn_error("%s says classes=%d but %s predicts %d", data_path, t->data->classes, t->cfg, k);
    return 0;
}

/* The run's length: max_batches, cut to t->iters, or with t->scale_schedule
 * the whole schedule stretched or shrunk to t->iters. */
static int set_length(train_session *t)
{
    t->max_iter = network_max_batches(t->net);
    if (t->max_iter < 1) return dn_error("%s sets no max_batches", t->cfg);
    if (t->iters > 0 && t->scale_schedule) {
        if (network_scale_schedule(t->net, t->iters)) return -1;
        t->max_iter = t->iters;
    }
    if (t->iters > t->max_iter)
        return dn_error("%d iterations asked for, but %s sets max_batches=%d (its lr schedule ends there): "
                        "raise max_batches", t->iters, t->cfg, t->max_iter);
    return 0;
}

/* With several ranks: each trains its share of every batch of the same
 * list (whose contents are compared first, with the cfg and weights). */
static int go_data_parallel(train_session *t)
{
    if (dist_size() == 1) return 0;
    char *list = read_text_file(t->data->train, "image list");
    uint64_t h = list ? hash_bytes(list, strlen(list), 0) : 0;
    free(list);
    char what[PATH_MAX + 32];
    snprintf(what, sizeof what, "the image list %s", t->data->train);
    if (dist_any(!list)) return list ? dn_error("another rank could not read %s", t->data->train) : -1;
    return dist_check_same(h, what) || network_set_data_parallel(t->net) ? -1 : 0;
}

int train_session_open(train_session *t, const char *cmd, const char *data_path, const char *cfg,
                       const char *weights, int clear, uint64_t seed)
{
    t->cmd = cmd;
    t->cfg = cfg;
    if (!(t->data = data_cfg_read(data_path))) return -1;
    if (!t->data->train) return dn_error("%s names no train= list", data_path);
    if (!(t->net = load_network_seeded(cfg, weights, clear, seed)) || check_network(t, data_path)) return -1;
    const char *b = strrchr(cfg, '/');
    snprintf(t->base, sizeof t->base, "%s", t->name ? t->name : b ? b + 1 : cfg);
    char *dot = t->name ? NULL : strrchr(t->base, '.');
    if (dot) *dot = 0;
    snprintf(t->backup, sizeof t->backup, "%s",
             t->out_dir ? t->out_dir : t->data->backup ? t->data->backup : "backup");
    if ((!dist_rank() && make_dirs(t->backup)) || set_length(t) || go_data_parallel(t)) return -1;
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
    lc->batch = network_batch(t->net) * network_subdivisions(t->net) * network_replicas(t->net);
    /* each rank loads its own places of every pass of the whole batch */
    lc->shards = network_replicas(t->net);
    lc->shard = dist_rank();
    lc->shard_groups = network_subdivisions(t->net);
    lc->threads = t->threads;
    /* a resumed run draws new batches rather than repeating the first ones */
    lc->seed = seed + (uint64_t)network_iteration(t->net) * 7919;
    return 0;
}

/* Backups at iteration `it`: _last every backup_every, _ITER every ten of
 * those. A failure is reported and training goes on: the next backup may
 * work again (space freed on a full disk), and the final save is tried.
 * With several ranks they first check that all still hold the same weights
 * (what rank 0 saves is then every rank's model); -1 when they do not. */
static int save_backups(train_session *t, int it, int backup_every)
{
    if (network_replicas(t->net) > 1 && network_check_replicas(t->net)) {
        if (!dist_rank()) fprintf(stderr, "darknet %s: %s\n", t->cmd, dn_last_error());
        return -1;
    }
    char suffix[32];
    snprintf(suffix, sizeof suffix, "%d", it);
    int failed = train_session_save(t, "last") != 0;
    if (it % (10 * backup_every) == 0) failed |= train_session_save(t, suffix) != 0;
    t->failed_backups += failed;
    return 0;
}

/* A loss of exactly 0 for this many iterations from the start means nothing
 * is learned: labels without objects, or a loss layer that does nothing. */
enum { ZERO_LOSS_ITERATIONS = 10 };

/* Why a run stops. The loss, and so STOP_NAN, is the same on every rank;
 * a failed loader or step is this rank's own. */
enum { GO_ON, STOP_LOADER_FAILED, STOP_STEP_FAILED, STOP_NAN, STOP_REPLICAS_DIFFER };

/* What the losses so far say about the run: warnings, each once. */
typedef struct {
    int zero_run;        /* iterations with a loss of exactly 0 from the start; -1 after any other */
    int seen;
    double recent;       /* running mean of the loss (0.9 decay) */
    int warned_jump;
} loss_watch;

/* A loss this many times its running mean: the step diverged. The weights it
 * left may never recover (a jump to 1e19 and back to a flat, high loss), and
 * no NaN need follow to stop the run, so it is said when it happens. */
enum { JUMP_FACTOR = 100, JUMP_AFTER = 2 };

static void watch_loss(const train_session *t, loss_watch *w, float loss, int it)
{
    w->zero_run = loss == 0 && w->zero_run >= 0 ? w->zero_run + 1 : -1;
    if (w->zero_run == ZERO_LOSS_ITERATIONS)
        fprintf(stderr, "darknet %s: warning: the loss has been exactly 0 for %d iterations: nothing is "
                        "learned (do the labels hold objects? does every loss layer train?)\n", t->cmd, w->zero_run);
    if (w->seen >= JUMP_AFTER && !w->warned_jump && loss > JUMP_FACTOR * w->recent && w->recent > 0) {
        w->warned_jump = 1;
        fprintf(stderr, "darknet %s: warning: the loss jumped to %g at iteration %d, over %d times its recent "
                        "mean %g: training diverged and the weights may not recover. Lower learning_rate, raise "
                        "burn_in, or lower the loss_weight of distillation layers; the backups before iteration %d "
                        "hold weights from before it.\n", t->cmd, loss, it, JUMP_FACTOR, w->recent, it);
    }
    w->recent = w->seen++ ? 0.9 * w->recent + 0.1 * loss : loss;
}

/* One iteration: GO_ON, or why the run must stop. */
/* Multi-scale training (random=1): the network takes the size of the next batch. */
static int follow_batch_size(train_session *t, loader *L)
{
    int w, h;
    loader_next_size(L, &w, &h);
    if (w == network_width(t->net) && h == network_height(t->net)) return 0;
    if (resize_network(t->net, w, h)) {
        fprintf(stderr, "darknet %s: resizing to %d x %d: %s\n", t->cmd, w, h, dn_last_error());
        return -1;
    }
    if (!dist_rank()) printf("resized to %d x %d\n", w, h);
    return 0;
}

static int train_one(train_session *t, loader *L, float *x, float *truth, progress *p, loss_watch *w)
{
    if (follow_batch_size(t, L)) return STOP_STEP_FAILED;
    if (loader_next(L, x, truth, NULL) < 0) {
        fprintf(stderr, "darknet %s: %s\n", t->cmd, dn_last_error());
        return STOP_LOADER_FAILED;
    }
    dn_clear_error();
    float loss = train_network_step(t->net, x, truth);
    int it = network_iteration(t->net);
    if (loss != loss && dn_has_error()) {   /* not the numbers: a sum over the ranks failed */
        fprintf(stderr, "darknet %s: iteration %d: %s\n", t->cmd, it, dn_last_error());
        return STOP_STEP_FAILED;
    }
    t->losses[it - 1] = loss;
    progress_report(p, t->net, loss);
    int speak = dist_rank() == 0;   /* the loss is every rank's mean: one says it */
    if (loss != loss) {
        if (speak)
            fprintf(stderr, "darknet %s: the loss is NaN at iteration %d; not saving it. "
                            "Lower learning_rate or raise burn_in.\n", t->cmd, it);
        return STOP_NAN;
    }
    if (speak) watch_loss(t, w, loss, it);
    return GO_ON;
}

/* The gradient sums of a run over several ranks (rank 0 prints). */
static void print_allreduce_stats(const train_session *t)
{
    dn_allreduce_stats s = network_allreduce_stats(t->net);
    if (s.replicas < 2 || !s.steps) return;
    printf("gradients summed over %d ranks: %.1f MB per step in %d buckets; per step %.2f ms after backward "
           "and %.2f ms during it (overlap %s)\n",
           s.replicas, s.mbytes, s.buckets, s.exposed_ms, s.hooks_ms, s.overlap ? "on" : "off");
}

/* The end of a run: the final weights, or _last when stopped early (a
 * signal, a failed loader: the work so far is kept), and the exit code. A
 * NaN loss saves nothing: the weights are NaN too. `leave`: all ranks agreed
 * to stop for a signal (which may have reached another rank only). */
static int finish_run(train_session *t, int stop, int leave)
{
    t->interrupted = leave;
    if (leave)
        printf("interrupted by %s: saving before leaving\n",
               interrupted == SIGTERM ? "SIGTERM" : interrupted ? "SIGINT" : "a signal to another rank");
    int rc = stop != GO_ON;
    int keep = stop != STOP_NAN && stop != STOP_REPLICAS_DIFFER;
    if (keep && train_session_save(t, rc || leave ? "last" : "final")) rc = 1;
    if (t->failed_backups)
        fprintf(stderr, "darknet %s: %d of the backups failed (see above)%s\n", t->cmd, t->failed_backups,
                rc ? "" : "; the final weights are saved");
    print_allreduce_stats(t);
    return rc;
}

static void on_stop_signal(int sig) { interrupted = sig; }

int train_session_run(train_session *t, loader *L, int truth_floats, int backup_every)
{
    int images = network_batch(t->net) * network_subdivisions(t->net);   /* this rank's share */
    int max_w, max_h;   /* of every batch, with multi-scale training */
    loader_max_size(L, &max_w, &max_h);
    float *x = dn_alloc_batch((size_t)images * max_w * max_h * network_channels(t->net));
    float *truth = dn_alloc_batch((size_t)images * truth_floats);
    if (!x || !truth) {
        fprintf(stderr, "darknet %s: out of memory for a batch of %d images\n", t->cmd, images);
        dn_free_batch(x);
        dn_free_batch(truth);
        return 1;
    }
    /* Ctrl-C, and SIGTERM from timeouts, docker stop, batch schedulers and mpirun */
    signal(SIGINT, on_stop_signal);
    signal(SIGTERM, on_stop_signal);
    int ranks = network_replicas(t->net);
    printf("training %s on %s from iteration %d to %d, %d images per iteration", t->cfg, t->data->train,
           network_iteration(t->net), t->max_iter, images * ranks);
    if (ranks > 1) printf(" (%d on each of %d ranks)", images, ranks);
    if (network_gpu(t->net) >= 0) printf(", on GPU %d", network_gpu(t->net));
    printf("\n");
    progress p;
    progress_start(&p, t->net);
    p.max_iter = t->max_iter;
    if (t->loss_log && !dist_rank() && !(p.csv = fopen(t->loss_log, "w")))
        fprintf(stderr, "darknet %s: warning: cannot write %s; losses are not logged\n", t->cmd, t->loss_log);
    /* the ranks stop together: at the same step, whichever got the signal */
    int stop = GO_ON, leave = dist_any(interrupted != 0);
    loss_watch watch = {0};
    int first = network_iteration(t->net);
    while (stop == GO_ON && network_iteration(t->net) < t->max_iter && !leave) {
        stop = train_one(t, L, x, truth, &p, &watch);
        int it = network_iteration(t->net);
        if (stop != GO_ON) break;
        if (it == first + 1 && network_gpu(t->net) >= 0)
            printf("GPU %d: a training step holds at most %.1f MiB of device memory\n", network_gpu(t->net),
                   network_gpu_peak_bytes(t->net) / 1048576.0);
        if ((it % backup_every == 0 || it == t->max_iter) && save_backups(t, it, backup_every))
            stop = STOP_REPLICAS_DIFFER;
        if (stop == GO_ON && t->on_iteration) t->on_iteration(t, it, t->ctx);
        leave = dist_any(interrupted != 0);
    }
    dn_free_batch(x);
    dn_free_batch(truth);
    if (p.csv && fclose(p.csv)) fprintf(stderr, "darknet %s: warning: %s is incomplete\n", t->cmd, t->loss_log);
    return finish_run(t, stop, leave);
}
