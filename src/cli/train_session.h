/* train_session.h: what `detector train` and `classifier train` share: the
 * .data and network, backups (CFG_last.weights every N iterations,
 * CFG_ITER.weights every ten of those, CFG_final.weights at the end) with the
 * chart in the backup= directory, the loop with its progress line and NaN
 * check, and saving on Ctrl-C or SIGTERM. Resuming from a backup continues its
 * schedule (the iteration comes from the file's `seen`); -clear starts anew. */
#ifndef DN_TRAIN_SESSION_H
#define DN_TRAIN_SESSION_H

#include <limits.h>
#include <stdint.h>

#include "darknet.h"
#include "data_cfg.h"
#include "loader.h"

typedef struct train_session train_session;
struct train_session {
    const char *cmd;         /* "detector train": starts messages */
    const char *cfg;
    data_cfg *data;
    network *net;
    char backup[PATH_MAX];
    char base[256];          /* cfg file name without directory and extension */
    float *losses;           /* per iteration, for the chart */
    int *metric_iter;        /* evaluations during training (mAP, accuracy) */
    float *metric;
    int n_metric, max_iter, threads;
    const char *metric_name; /* the chart's right axis; NULL: mAP */
    /* called after every iteration, after its backups if any (may be NULL) */
    void (*on_iteration)(train_session *t, int iteration, void *ctx);
    void *ctx;
    int interrupted;         /* train_session_run stopped on Ctrl-C or SIGTERM */
    int failed_backups;      /* backups that could not be written (the run went on) */
    /* Optional, set before train_session_open (zero: the defaults): */
    const char *out_dir;     /* backups and chart here, not in the .data's backup= */
    const char *name;        /* the file names' base instead of the cfg's name */
    int iters;               /* stop after this many iterations, at most max_batches
                                (the lr schedule stays the cfg's); 0: max_batches */
    int scale_schedule;      /* with iters: stretch or shrink the cfg's lr schedule
                                (burn-in, steps) to iters instead of cutting it */
    const char *loss_log;    /* CSV of every iteration's losses by name, or NULL */
};

/* Reads the .data (which must name train=) and builds the network; the
 * backup directory (or t->out_dir) is created. 0, or -1 with dn_last_error(). */
int train_session_open(train_session *t, const char *cmd, const char *data_path, const char *cfg,
                       const char *weights, int clear, uint64_t seed);
void train_session_close(train_session *t);

/* A training loader_config for the network: the cfg's augmentation keys,
 * its size, a whole batch per loader_next, t->threads workers and a seed
 * that moves on with a resumed run. The caller sets list or paths. */
int train_session_loader_config(train_session *t, loader_config *lc, uint64_t seed);

/* Saves backup/BASE_SUFFIX.weights and the chart; 0 or -1 (printed). */
int train_session_save(train_session *t, const char *suffix);

/* Trains on L's batches (truth_floats per image) to max_batches (or
 * t->iters), backing up every backup_every iterations, until done (saves
 * _final), a NaN loss (saves nothing), a loader failure, Ctrl-C or SIGTERM
 * (save _last; the signals set t->interrupted). A failed backup is reported
 * and retried at the next one. Returns the exit code: 0 when the last save
 * worked and the run was not stopped by a failure. */
int train_session_run(train_session *t, loader *L, int truth_floats, int backup_every);

#endif
