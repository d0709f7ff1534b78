/* distill_cmds.h: what the `distill` commands share: their options, and
 * training and evaluating one student (distill_train.c). */
#ifndef DN_DISTILL_CMDS_H
#define DN_DISTILL_CMDS_H

#include <stdint.h>

#include "args.h"
#include "darknet.h"
#include "data_cfg.h"
#include "distill_report.h"

enum { MAX_LIST = 16 };

typedef struct {
    const char *data, *out, *erf_list, *cfgs[MAX_METHODS];
    int n_cfgs, iters, threads, erf_n;
    int eval_every;                   /* evaluate during training every this many iterations (0: never) */
    double lengths[MAX_LIST], seeds[MAX_LIST];
    int n_lengths, n_seeds;
    int seed;                         /* -seed: the one seed when -seeds is not given */
} compare_opts;

/* The two metrics of net (frozen, built from cfg) on valid=, in percent: COCO
 * AP and AP50, or top-1 and top-k (*k gets k). 0 or -1. */
int evaluate_network(const compare_opts *o, const data_cfg *d, int classifier, network *net, const char *cfg,
                     double v[N_METRICS], int *k);
/* The same for cfg with the weights of a file. */
int evaluate_weights(const compare_opts *o, const data_cfg *d, int classifier, const char *cfg, const char *weights,
                     double v[N_METRICS], int *k);

/* Mean top-1 in percent of cfg + weights over the corrupted validation sets
 * that d's corrupt= names (classifiers). 0 or -1. */
int evaluate_corruption(const compare_opts *o, const data_cfg *d, const char *cfg, const char *weights, double *mean);

/* The whole comparison of o's cfgs: every run, the report and its pictures
 * (rank 0). *r gets the results; free them with free_results. 0 or -1. */
int run_comparison(const compare_opts *o, compare_results *r);
void free_results(compare_results *r);
/* The flags both distill commands take (-iters, -lengths, -seeds, -seed, -out,
 * -eval_every, -erf, -erf_n, -threads) into o, with their defaults. */
void read_compare_flags(args *a, compare_opts *o, const char *default_out);
/* The checks of those flags after args_check. 0 or -1 (a usage error). */
int check_compare_flags(compare_opts *o);

/* `distill study` (distill_study.c). */
int distill_study(int argc, char **argv);

/* Trains the student of cfg (distillation on or off) for `iters` iterations
 * of its scaled schedule into o->out/NAME_final.weights, its losses into
 * NAME_losses.csv; with o->eval_every, its metrics every that many
 * iterations and at the end into *curve. Returns the exit code. */
int train_student(const compare_opts *o, const data_cfg *d, const char *cfg, const char *name, int distill,
                  int iters, uint64_t seed, int classifier, metric_curve *curve);

#endif
