/* Learning-rate schedules read from [net] cfg text, against hand-worked values,
 * and the bookkeeping of one training step (seen, iteration, subdivisions). */
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "test.h"

static network *net_with(const char *net_keys)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=4\nsubdivisions=2\nwidth=3\nheight=3\nchannels=2\n%s\n"
             "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=linear\n",
             net_keys);
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    return net;
}

typedef struct {
    int it;
    double lr;
} point;

static void check_points(const char *what, const char *keys, const point *p, int n)
{
    network *net = net_with(keys);
    if (!net) return;
    for (int i = 0; i < n; ++i) {
        net->iteration = p[i].it;
        double got = network_current_lr(net);
        CHECK_MSG(fabs(got - p[i].lr) <= 1e-6 * fmax(1e-3, fabs(p[i].lr)),
                  "%s: lr at iteration %d is %.9g, expected %.9g", what, p[i].it, got, p[i].lr);
    }
    free_network(net);
}

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

TEST(lr_constant)
{
    static const point p[] = {{0, 0.01}, {1, 0.01}, {100, 0.01}, {1000000, 0.01}};
    check_points("constant", "learning_rate=0.01\npolicy=constant", p, N(p));
    check_points("default policy", "learning_rate=0.01", p, N(p));
}

TEST(lr_steps)
{
    /* rate multiplied by each scale once its step is reached (steps[i] <= it) */
    static const point p[] = {{0, 0.1},    {9, 0.1},     {10, 0.05},  {19, 0.05},
                              {20, 0.005}, {29, 0.005},  {30, 0.01},  {100000, 0.01}};
    check_points("steps", "learning_rate=0.1\npolicy=steps\nsteps=10,20,30\nscales=.5,.1,2", p, N(p));
    /* two steps at the same iteration both apply */
    static const point q[] = {{4, 1}, {5, 0.01}};
    check_points("steps repeated", "learning_rate=1\npolicy=steps\nsteps=5,5\nscales=.1,.1", q, N(q));
}

TEST(lr_step)
{
    static const point p[] = {{0, 0.1}, {4, 0.1}, {5, 0.05}, {9, 0.05}, {10, 0.025}, {12, 0.025},
                              {25, 0.003125}};
    check_points("step", "learning_rate=0.1\npolicy=step\nstep=5\nscale=0.5", p, N(p));
}

TEST(lr_poly)
{
    /* lr * (1 - it/max_batches)^power, 0 past the end */
    static const point p[] = {{0, 0.1}, {50, 0.025}, {90, 0.001}, {100, 0}, {150, 0}};
    check_points("poly", "learning_rate=0.1\npolicy=poly\npower=2\nmax_batches=100", p, N(p));
    static const point q[] = {{0, 0.2}, {50, 0.2 * 0.0625}};
    check_points("poly default power 4", "learning_rate=0.2\npolicy=poly\nmax_batches=100", q, N(q));
}

TEST(lr_cosine)
{
    /* min + (lr - min) * (1 + cos(pi * it / max_batches)) / 2, min past the end */
    static const point p[] = {{0, 0.1},
                              {25, 0.01 + 0.045 * (1 + 0.70710678118654752)},
                              {50, 0.055},
                              {75, 0.01 + 0.045 * (1 - 0.70710678118654752)},
                              {100, 0.01},
                              {200, 0.01}};
    check_points("cosine", "learning_rate=0.1\nlearning_rate_min=0.01\npolicy=cosine\nmax_batches=100", p,
                 N(p));
    static const point q[] = {{0, 0.1}, {50, 0.05}, {100, 0}};
    check_points("cosine to 0", "learning_rate=0.1\npolicy=cosine\nmax_batches=100", q, N(q));
}

TEST(lr_exp)
{
    static const point p[] = {{0, 0.1}, {1, 0.09}, {3, 0.0729}, {10, 0.1 * 0.34867844009999998}};
    check_points("exp", "learning_rate=0.1\npolicy=exp\ngamma=0.9", p, N(p));
}

TEST(lr_burn_in)
{
    /* lr * (it/burn_in)^power before burn_in, then the policy */
    static const point p[] = {{0, 0}, {1, 0.1 * 1e-4}, {5, 0.1 * 0.0625}, {9, 0.1 * 0.6561},
                              {10, 0.1}, {99, 0.1}, {100, 0.01}};
    check_points("burn_in steps", "learning_rate=0.1\nburn_in=10\npolicy=steps\nsteps=100\nscales=.1", p, N(p));
    /* power is shared with poly, as in darknet */
    static const point q[] = {{2, 0.1 * 0.25}, {3, 0.1 * 0.5625}, {4, 0.1 * 0.96 * 0.96}};
    check_points("burn_in poly", "learning_rate=0.1\nburn_in=4\npower=2\npolicy=poly\nmax_batches=100", q,
                 N(q));
}

/* A schedule scaled to a quarter (or twice) its length keeps its shape:
 * burn-in and steps move in proportion, exp ends at the same rate. */
TEST(lr_schedule_scaled_to_another_length_keeps_its_shape)
{
    network *net = net_with("learning_rate=0.1\nburn_in=40\npower=1\npolicy=steps\nsteps=800,900\nscales=.1,.1\n"
                            "max_batches=1000");
    if (!net) return;
    CHECK(network_scale_schedule(net, 250) == 0);
    CHECK(network_max_batches(net) == 250);
    static const int it[] = {5, 10, 199, 200, 224, 225};
    static const double want[] = {0.05, 0.1, 0.1, 0.01, 0.01, 0.001};
    for (int i = 0; i < 6; ++i) {
        net->iteration = it[i];
        CHECK_NEAR(network_current_lr(net), want[i], 1e-7);
    }
    free_network(net);
    net = net_with("learning_rate=0.1\npolicy=exp\ngamma=0.99\nmax_batches=100");
    if (!net) return;
    CHECK(network_scale_schedule(net, 200) == 0);
    net->iteration = 200;
    CHECK_NEAR(network_current_lr(net), 0.1 * pow(0.99, 100), 1e-7);
    CHECK(network_scale_schedule(net, 0) != 0);
    free_network(net);
}

/* One training step on batch=4 subdivisions=2: two forward/backward passes of
 * 2 images each, over all 4 images, then one update. */
TEST(train_step_counts_seen_and_iteration)
{
    network *net = net_with("learning_rate=0.1\nmomentum=0\ndecay=0");
    if (!net) return;
    CHECK(network_batch(net) == 2 && network_subdivisions(net) == 2);
    CHECK(network_seen(net) == 0 && network_iteration(net) == 0);
    int in = network_inputs(net), out = network_outputs(net);
    float *x = malloc(sizeof(float) * 4 * in), *y2 = malloc(sizeof(float) * 2 * out);
    random_fill(x, 4 * in, -1, 1, 3);
    /* the second subdivision's output, with the weights before the update */
    memcpy(y2, network_predict(net, x + 2 * in), sizeof(float) * 2 * out);
    train_network_step(net, x, NULL);
    CHECK_MSG(network_seen(net) == 4, "seen %llu after one step of batch 4",
              (unsigned long long)network_seen(net));
    CHECK(network_iteration(net) == 1);
    int where = 0;
    CHECK_MSG(max_rel_diff(net->layers[0].output, y2, 2 * out, &where) < 1e-6,
              "the last forward did not see images 2-3 (output %d)", where);
    train_network_step(net, x, NULL);
    CHECK(network_seen(net) == 8 && network_iteration(net) == 2);
    /* a changed subdivision count still counts whole batches */
    set_subdivisions_network(net, 1);
    set_batch_network(net, 4);
    train_network_step(net, x, NULL);
    CHECK(network_seen(net) == 12 && network_iteration(net) == 3);
    free(x);
    free(y2);
    free_network(net);
}

/* With a loss layer the step returns the loss per image over all subdivisions. */
TEST(train_step_loss_is_per_image_over_subdivisions)
{
    const char *cfg = "[net]\nbatch=4\nsubdivisions=2\nwidth=2\nheight=2\nchannels=1\nlearning_rate=0\n"
                      "momentum=0\ndecay=0\n"
                      "[convolutional]\nfilters=1\nsize=1\nactivation=linear\n[cost]\ntype=sse\n";
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    if (!net) return;
    int in = network_inputs(net), tr = network_truths(net);
    CHECK(tr == 4);
    float x[16], t[16];
    random_fill(x, 16, -1, 1, 1);
    random_fill(t, 16, -1, 1, 2);
    double per_chunk = 0;
    net->train = 1;
    for (int s = 0; s < 2; ++s) {
        net->truth = t + s * 2 * tr;
        forward_network(net, x + s * 2 * in);
        per_chunk += network_cost(net);
    }
    net->train = 0;
    net->truth = NULL;
    CHECK(per_chunk > 0);
    float loss = train_network_step(net, x, t);
    CHECK_NEAR(loss, per_chunk / 4, 1e-6 * per_chunk);
    free_network(net);
}
