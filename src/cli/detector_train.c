/* detector_train.c: `detector train DATA CFG [WEIGHTS]`: trains with the
 * threaded loader (train_session.h: progress line, backups, chart, Ctrl-C),
 * and with -map evaluates mAP@0.5 on the valid list every -map_every
 * iterations (default: a tenth of the run, at least -backup_every) and at
 * the end, drawing it on the chart. */
#include <stdio.h>

#include "args.h"
#include "commands.h"
#include "detector_cmds.h"
#include "train_session.h"

typedef struct {
    int with_map, map_every;
} map_schedule;

/* mAP@0.5 every map_every iterations and at the end, on its own schedule (not
 * only at backups): the current weights are copied into a frozen copy of the
 * network, so the training network is left as it is. */
static void measure_map(train_session *t, int it, void *ctx)
{
    const map_schedule *m = ctx;
    if (!m->with_map || (it % m->map_every && it != t->max_iter)) return;
    network *frozen = load_network_frozen(t->cfg, NULL);
    if (frozen && copy_weights(frozen, t->net)) {
        free_network(frozen);
        frozen = NULL;
    }
    detector_eval_options o = {0.005f, 0.5, 0, t->threads};
    detector_eval e;
    if (!frozen || detector_evaluate(frozen, t->data, &o, &e)) {
        fprintf(stderr, "darknet detector train: -map: %s\n", dn_last_error());
    } else {
        printf("mAP at iteration %d:\n", it);
        print_detector_eval(&e, &o);
        t->metric_iter[t->n_metric] = it;
        t->metric[t->n_metric++] = (float)e.voc_map;
        detector_eval_free(&e);
    }
    free_network(frozen);
}

int detector_train(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    map_schedule m = {arg_flag(&a, "-map"), arg_int(&a, "-map_every", 0)};
    int clear = arg_flag(&a, "-clear");
    (void)arg_flag(&a, "-dont_show"); /* darknet's: no window is ever opened here */
    uint64_t seed = (uint64_t)arg_int(&a, "-seed", 1);
    int backup_every = arg_int(&a, "-backup_every", 100);
    train_session t = {.on_iteration = measure_map, .ctx = &m};
    t.threads = arg_int(&a, "-threads", 2);
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2);
    if (args_check(&a) || !cfg || backup_every < 1 || m.map_every < 0) return usage_error("detector");
    loader *L = NULL;
    loader_config lc;
    int rc = 1;
    if (train_session_open(&t, "detector train", data, cfg, weights, clear, seed) ||
        train_session_loader_config(&t, &lc, seed))
        goto done;
    lc.list = t.data->train;
    if (!(L = loader_open(&lc))) goto done;
    if (!m.map_every) m.map_every = t.max_iter / 10 > backup_every ? t.max_iter / 10 : backup_every;
    rc = train_session_run(&t, L, DN_MAX_BOXES * 5, backup_every);
done:
    if (rc && L == NULL) fprintf(stderr, "darknet detector train: %s\n", dn_last_error());
    loader_close(L);
    train_session_close(&t);
    return rc;
}
