/* lr_policy.h: darknet's learning-rate schedules with burn-in warm-up. */
#ifndef DN_LR_POLICY_H
#define DN_LR_POLICY_H

#include "cfg.h"

typedef enum { LR_CONSTANT, LR_STEPS, LR_STEP, LR_POLY, LR_COSINE, LR_EXP } lr_policy;

typedef struct {
    lr_policy policy;
    float base, min;          /* min: floor of the cosine schedule */
    int burn_in;              /* warm-up iterations: lr * (it/burn_in)^power */
    float power;              /* of burn-in and poly (darknet's default 4) */
    int max_batches;
    int *steps;               /* LR_STEPS: iterations at which ... */
    float *scales;            /* ... the rate is multiplied by these */
    int n_steps;
    int step;                 /* LR_STEP: every `step` iterations ... */
    float scale;              /* ... multiply by scale */
    float gamma;              /* LR_EXP: lr * gamma^it */
} lr_schedule;

/* Reads learning_rate, policy, steps, scales, ... from the [net] section. */
int lr_schedule_parse(lr_schedule *s, cfg_section *net);
float lr_at(const lr_schedule *s, int iteration);
/* Stretches or shrinks the schedule to max_batches iterations: burn-in,
 * steps and step in proportion (rounded), exp's gamma so that the rate at the
 * end is the same; poly and cosine follow max_batches. 0 or -1. */
int lr_schedule_scale(lr_schedule *s, int max_batches);
void lr_schedule_free(lr_schedule *s);

#endif
