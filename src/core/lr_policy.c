#include "lr_policy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static const char *const policy_names[] = {"constant", "steps", "step", "poly", "cosine", "exp", NULL};

/* Keys of the policies not chosen (steps= left over after switching to
 * policy=poly): darknet ignores them, so they get a note rather than the
 * "unknown key" error; the policy's own keys were read and marked used. */
static void note_other_policy_keys(cfg_section *net)
{
    static const char *const keys[] = {"steps", "scales", "step", "scale", "gamma", NULL};
    for (int i = 0; i < net->n_opts; ++i) {
        cfg_option *o = &net->opts[i];
        for (int k = 0; keys[k] && !o->used; ++k)
            if (!strcmp(o->key, keys[k])) {
                o->used = 1;
                dn_info("note: %s:%d: [%s] %s is not used with policy=%s; ignored", net->file, o->line,
                        net->name, o->key, cfg_str(net, "policy", "constant"));
            }
    }
}

int lr_schedule_parse(lr_schedule *s, cfg_section *net)
{
    memset(s, 0, sizeof *s);
    s->base = cfg_float_range(net, "learning_rate", 0.001f, 0, 100);
    s->min = cfg_float_range(net, "learning_rate_min", 0, 0, 100);
    s->burn_in = cfg_int_range(net, "burn_in", 0, 0, 1 << 30);
    s->power = cfg_float(net, "power", 4);
    s->max_batches = cfg_int_range(net, "max_batches", 0, 0, 1 << 30);
    s->policy = (lr_policy)cfg_enum(net, "policy", policy_names, LR_CONSTANT);
    switch (s->policy) {
    case LR_STEPS: {
        s->n_steps = cfg_int_list(net, "steps", &s->steps);
        int n_scales = cfg_float_list(net, "scales", &s->scales);
        if (s->n_steps <= 0) return cfg_fail(net, "steps", "policy=steps needs steps=");
        if (n_scales != s->n_steps)
            return cfg_fail(net, "scales", "needs one scale per step (%d steps)", s->n_steps);
        for (int i = 1; i < s->n_steps; ++i)
            if (s->steps[i] < s->steps[i - 1])
                return cfg_fail(net, "steps", "steps must be in increasing order");
        break;
    }
    case LR_STEP:
        s->step = cfg_int_range(net, "step", 1, 1, 1 << 30);
        s->scale = cfg_float(net, "scale", 1);
        break;
    case LR_EXP:
        s->gamma = cfg_float(net, "gamma", 1);
        break;
    case LR_POLY:
    case LR_COSINE:
        if (s->max_batches <= 0) return cfg_fail(net, "policy", "needs max_batches > 0");
        break;
    case LR_CONSTANT:
        break;
    }
    note_other_policy_keys(net);
    return cfg_failed(net) ? -1 : 0;
}

float lr_at(const lr_schedule *s, int it)
{
    if (it < s->burn_in) return s->base * powf((float)it / s->burn_in, s->power);
    switch (s->policy) {
    case LR_STEPS: {
        float rate = s->base;
        for (int i = 0; i < s->n_steps && s->steps[i] <= it; ++i) rate *= s->scales[i];
        return rate;
    }
    case LR_STEP: return s->base * powf(s->scale, (float)(it / s->step));
    case LR_EXP: return s->base * powf(s->gamma, (float)it);
    case LR_POLY: {
        float left = 1.0f - (float)it / s->max_batches;
        return left > 0 ? s->base * powf(left, s->power) : 0;
    }
    case LR_COSINE: {
        float t = it < s->max_batches ? (float)it / s->max_batches : 1.0f;
        return s->min + 0.5f * (s->base - s->min) * (1.0f + cosf(3.14159265358979f * t));
    }
    case LR_CONSTANT: break;
    }
    return s->base;
}

static int scaled(int at, double ratio) { return (int)lround(at * ratio); }

int lr_schedule_scale(lr_schedule *s, int max_batches)
{
    if (s->max_batches < 1 || max_batches < 1)
        return dn_error("cannot scale a learning-rate schedule of max_batches=%d to %d iterations", s->max_batches,
                        max_batches);
    double r = (double)max_batches / s->max_batches;
    s->burn_in = scaled(s->burn_in, r);
    for (int i = 0; i < s->n_steps; ++i) s->steps[i] = scaled(s->steps[i], r);
    if (s->policy == LR_STEP) s->step = scaled(s->step, r) > 0 ? scaled(s->step, r) : 1;
    if (s->policy == LR_EXP) s->gamma = powf(s->gamma, (float)(1 / r));
    s->max_batches = max_batches;
    return 0;
}

void lr_schedule_free(lr_schedule *s)
{
    free(s->steps);
    free(s->scales);
    s->steps = NULL;
    s->scales = NULL;
}
