/* detector_train.c: `detector train DATA CFG [WEIGHTS]`: trains with the
 * threaded loader, prints a progress line per iteration, saves backups
 * (CFG_last.weights every -backup_every iterations, CFG_ITER.weights every ten
 * of those, CFG_final.weights at the end) and a loss/mAP chart, evaluates
 * mAP@0.5 on the valid list with -map, and on Ctrl-C saves before leaving.
 * Resuming from a backup continues its schedule (the iteration comes from the
 * file's `seen`); -clear starts a new one. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "chart.h"
#include "commands.h"
#include "data_cfg.h"
#include "detector_cmds.h"
#include "files.h"
#include "loader.h"
#include "progress.h"

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

typedef struct {
    const char *cfg;
    data_cfg *data;
    network *net;
    char backup[PATH_MAX];
    char base[256];          /* cfg file name without directory and extension */
    float *losses;           /* per iteration, for the chart */
    int *map_iter;
    float *map;
    int n_map, max_iter, threads;
} trainer;

static int save_backup(trainer *t, const char *suffix)
{
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s_%s.weights", t->backup, t->base, suffix);
    if (save_weights(t->net, path)) {
        fprintf(stderr, "darknet detector train: %s\n", dn_last_error());
        return -1;
    }
    printf("saved %s\n", path);
    snprintf(path, sizeof path, "%s/chart_%s.png", t->backup, t->base);
    chart_data c = {t->losses, network_iteration(t->net), t->map_iter, t->map, t->n_map, t->max_iter, t->base, NULL};
    if (save_chart(path, &c)) fprintf(stderr, "darknet detector train: chart: %s\n", dn_last_error());
    return 0;
}

/* mAP@0.5 of the weights just saved as _last, on a frozen copy of the network. */
static void measure_map(trainer *t)
{
    char path[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s_last.weights", t->backup, t->base);
    network *frozen = load_network_frozen(t->cfg, path);
    detector_eval_options o = {0.005f, 0.5, 0, t->threads};
    detector_eval e;
    if (!frozen || detector_evaluate(frozen, t->data, &o, &e)) {
        fprintf(stderr, "darknet detector train: -map: %s\n", dn_last_error());
    } else {
        print_detector_eval(&e, &o);
        t->map_iter[t->n_map] = network_iteration(t->net);
        t->map[t->n_map++] = (float)e.voc_map;
        detector_eval_free(&e);
    }
    free_network(frozen);
}

static int open_trainer(trainer *t, const char *data_path, const char *cfg, const char *weights, int clear,
                        uint64_t seed)
{
    t->cfg = cfg;
    if (!(t->data = data_cfg_read(data_path))) return -1;
    if (!t->data->train) {
        fprintf(stderr, "darknet detector train: %s names no train= list\n", data_path);
        return -1;
    }
    if (!(t->net = load_network_seeded(cfg, weights, clear, seed))) return -1;
    const char *b = strrchr(cfg, '/');
    snprintf(t->base, sizeof t->base, "%s", b ? b + 1 : cfg);
    char *dot = strrchr(t->base, '.');
    if (dot) *dot = 0;
    snprintf(t->backup, sizeof t->backup, "%s", t->data->backup ? t->data->backup : "backup");
    if (make_dirs(t->backup)) return -1;
    t->max_iter = network_max_batches(t->net);
    if (t->max_iter < 1) {
        fprintf(stderr, "darknet detector train: %s sets no max_batches\n", cfg);
        return -1;
    }
    t->losses = calloc(t->max_iter, sizeof(float));
    t->map_iter = calloc(t->max_iter, sizeof(int));
    t->map = calloc(t->max_iter, sizeof(float));
    return t->losses && t->map_iter && t->map ? 0 : -1;
}

static void close_trainer(trainer *t)
{
    free(t->losses);
    free(t->map_iter);
    free(t->map);
    free_network(t->net);
    data_cfg_free(t->data);
}

static loader *open_loader(trainer *t, uint64_t seed)
{
    loader_config lc;
    loader_config_default(&lc);
    if (loader_config_from_cfg(&lc, t->cfg)) return NULL;
    lc.list = t->data->train;
    lc.classes = t->data->classes;
    lc.width = network_width(t->net);
    lc.height = network_height(t->net);
    lc.batch = network_batch(t->net) * network_subdivisions(t->net);
    lc.threads = t->threads;
    /* a resumed run draws new batches rather than repeating the first ones */
    lc.seed = seed + (uint64_t)network_iteration(t->net) * 7919;
    return loader_open(&lc);
}

int detector_train(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int with_map = arg_flag(&a, "-map"), clear = arg_flag(&a, "-clear");
    (void)arg_flag(&a, "-dont_show"); /* darknet's: no window is ever opened here */
    uint64_t seed = (uint64_t)arg_int(&a, "-seed", 1);
    int backup_every = arg_int(&a, "-backup_every", 100), map_every = arg_int(&a, "-map_every", 0);
    trainer t = {0};
    t.threads = arg_int(&a, "-threads", 2);
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2);
    if (args_check(&a) || !cfg || backup_every < 1 || map_every < 0) return usage_error("detector");
    loader *L = NULL;
    float *x = NULL, *truth = NULL;
    int rc = 1;
    if (open_trainer(&t, data, cfg, weights, clear, seed) || !(L = open_loader(&t, seed))) goto done;
    if (!map_every) map_every = t.max_iter / 10 > backup_every ? t.max_iter / 10 : backup_every;
    int images = network_batch(t.net) * network_subdivisions(t.net);
    x = malloc(sizeof(float) * images * network_inputs(t.net));
    truth = malloc(sizeof(float) * images * DN_MAX_BOXES * 5);
    if (!x || !truth) goto done;
    signal(SIGINT, on_interrupt);
    printf("training %s on %s from iteration %d to %d, %d images per iteration\n", cfg, t.data->train,
           network_iteration(t.net), t.max_iter, images);
    progress p;
    progress_start(&p, t.net);
    rc = 0;
    while (network_iteration(t.net) < t.max_iter && !interrupted) {
        if (loader_next(L, x, truth, NULL) < 0) {
            rc = 1;
            break;
        }
        float loss = train_network_step(t.net, x, truth);
        int it = network_iteration(t.net);
        t.losses[it - 1] = loss;
        progress_report(&p, t.net, loss);
        if (loss != loss) {
            fprintf(stderr, "darknet detector train: the loss is NaN at iteration %d; not saving it. "
                            "Lower learning_rate or raise burn_in.\n", it);
            rc = 1;
            break;
        }
        if (it % backup_every == 0 || it == t.max_iter) {
            char suffix[32];
            snprintf(suffix, sizeof suffix, "%d", it);
            if (save_backup(&t, "last") || (it % (10 * backup_every) == 0 && save_backup(&t, suffix))) rc = 1;
            if (with_map && (it % map_every == 0 || it == t.max_iter)) measure_map(&t);
        }
    }
    if (interrupted) printf("interrupted: saving before leaving\n");
    if (!rc || interrupted) rc = save_backup(&t, interrupted ? "last" : "final") ? 1 : rc;
done:
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet detector train: %s\n", dn_last_error());
    loader_close(L);
    free(x);
    free(truth);
    close_trainer(&t);
    return rc;
}
