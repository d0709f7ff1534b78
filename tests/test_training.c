/* SGD numerics: a 1x1 linear [convolutional] under a [cost] sse layer, two
 * training steps with known weights, inputs, truths, lr, momentum and decay,
 * against darknet's rule computed by hand in double:
 *   grad (the momentum buffer) += negative gradient summed over the batch
 *   grad += -decay * batch * w          (weights only)
 *   w    += lr / batch * grad
 *   grad *= momentum
 * with lr taken at the iteration the step completes (darknet's
 * get_current_batch after `seen` was advanced). Also: subdivisions only split
 * the work, they do not change the update; deltas do not leak between steps;
 * decay applies to weights only (not to biases or batch-norm scales). */
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "test.h"

enum { B = 2, C = 2, F = 2 }; /* images, input channels, filters; 1x1 images */

/* The scale k of the sse layer's reported loss, k * sum (t - y)^2, measured
 * from one forward; the negative gradient it must write is 2k (t - y). */
static double sse_scale(network *net, const float *x, const float *t)
{
    net->train = 1;
    net->truth = t;
    forward_network(net, x);
    const float *y = net->layers[0].output;
    double sq = 0;
    for (int i = 0; i < B * F; ++i) sq += ((double)t[i] - y[i]) * ((double)t[i] - y[i]);
    double k = net->layers[1].cost / sq;
    net->train = 0;
    net->truth = NULL;
    return k;
}

TEST(sgd_momentum_decay_two_steps_match_hand_computation)
{
    const double lr0 = 0.5, momentum = 0.9, decay = 0.05;
    const char *cfg = "[net]\nbatch=2\nsubdivisions=1\nwidth=1\nheight=1\nchannels=2\n"
                      "learning_rate=0.5\nmomentum=0.9\ndecay=0.05\npolicy=steps\nsteps=2\nscales=.1\n"
                      "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
                      "[cost]\ntype=sse\n";
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->n_params == 2 && l->params[0].n == F && l->params[1].n == F * C);
    if (l->n_params != 2) goto done;
    float *bias = l->params[0].val, *w = l->params[1].val;
    const float w0[F * C] = {0.5f, -0.25f, 1.0f, 0.75f}, b0[F] = {0.1f, -0.2f};
    memcpy(w, w0, sizeof w0);
    memcpy(bias, b0, sizeof b0);
    /* x[n][c], t[n][f] */
    const float x[B * C] = {1.0f, 2.0f, -1.5f, 0.5f}, t[B * F] = {0.3f, -0.7f, 1.2f, 0.4f};

    double k = sse_scale(net, x, t);
    CHECK_MSG(fabs(k - 1) < 1e-6 || fabs(k - 0.5) < 1e-6, "sse loss is %g * sum of squares", k);

    double W[F * C], Bi[F], vW[F * C] = {0}, vB[F] = {0};
    for (int i = 0; i < F * C; ++i) W[i] = w0[i];
    for (int i = 0; i < F; ++i) Bi[i] = b0[i];
    for (int step = 1; step <= 2; ++step) {
        double lr = step < 2 ? lr0 : lr0 * 0.1; /* steps=2: the second update already uses 0.1 */
        double loss = 0;
        for (int n = 0; n < B; ++n)
            for (int f = 0; f < F; ++f) {
                double y = Bi[f];
                for (int c = 0; c < C; ++c) y += W[f * C + c] * x[n * C + c];
                double d = 2 * k * (t[n * F + f] - y); /* negative gradient of the loss */
                loss += k * (t[n * F + f] - y) * (t[n * F + f] - y);
                vB[f] += d;
                for (int c = 0; c < C; ++c) vW[f * C + c] += d * x[n * C + c];
            }
        for (int i = 0; i < F * C; ++i) {
            vW[i] += -decay * B * W[i];
            W[i] += lr / B * vW[i];
            vW[i] *= momentum;
        }
        for (int i = 0; i < F; ++i) {
            Bi[i] += lr / B * vB[i];
            vB[i] *= momentum;
        }
        float got_loss = train_network_step(net, x, t);
        CHECK_NEAR(got_loss, loss / B, 1e-6);
        for (int i = 0; i < F * C; ++i) CHECK_NEAR(w[i], W[i], 1e-6);
        for (int i = 0; i < F; ++i) CHECK_NEAR(bias[i], Bi[i], 1e-6);
        for (int i = 0; i < F * C; ++i) CHECK_NEAR(l->params[1].grad[i], vW[i], 1e-6);
        CHECK(network_iteration(net) == step);
    }
done:
    free_network(net);
}

/* batch=4 subdivisions=2 gives the same update as batch=4 subdivisions=1 when no
 * layer depends on the batch composition (no batch norm). */
TEST(sgd_subdivisions_accumulate_like_one_batch)
{
    static const char *fmt = "[net]\nbatch=4\nsubdivisions=%d\nwidth=4\nheight=4\nchannels=2\n"
                             "learning_rate=0.1\nmomentum=0.9\ndecay=0.01\n"
                             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                             "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
                             "[cost]\ntype=sse\n";
    char cfg[512];
    network *net[2];
    for (int i = 0; i < 2; ++i) {
        snprintf(cfg, sizeof cfg, fmt, i + 1);
        net[i] = net_from_text(cfg);
        CHECK_MSG(net[i] != NULL, "cfg rejected: %s", dn_last_error());
    }
    if (net[0] && net[1]) {
        int in = network_inputs(net[0]), tr = network_truths(net[0]);
        CHECK(network_truths(net[1]) == tr && tr == 32);
        float *x = malloc(sizeof(float) * 4 * in), *t = malloc(sizeof(float) * 4 * tr);
        random_fill(x, 4 * in, -1, 1, 11);
        random_fill(t, 4 * tr, -1, 1, 12);
        for (int step = 0; step < 2; ++step) {
            float l0 = train_network_step(net[0], x, t), l1 = train_network_step(net[1], x, t);
            CHECK_NEAR(l0, l1, 1e-5 * fabs(l0));
        }
        for (int li = 0; li < 2; ++li) {
            layer *a = &net[0]->layers[li], *b = &net[1]->layers[li];
            for (int p = 0; p < a->n_params; ++p) {
                int where = 0;
                double err = max_rel_diff(a->params[p].val, b->params[p].val, a->params[p].n, &where);
                CHECK_MSG(err < 1e-5, "layer %d param %d[%d]: %g vs %g", li, p, where, a->params[p].val[where],
                          b->params[p].val[where]);
                /* and the parameters did move */
                CHECK(a->params[p].grad[where] != 0);
            }
        }
        CHECK(network_seen(net[0]) == 8 && network_seen(net[1]) == 8);
        free(x);
        free(t);
    }
    free_network(net[0]);
    free_network(net[1]);
}

/* A layer's delta is zeroed at every forward: a step's gradient does not leak
 * into the next step except through momentum (momentum=0: two identical steps
 * from identical states give identical updates). */
TEST(sgd_no_gradient_leak_between_steps)
{
    const char *cfg = "[net]\nbatch=2\nwidth=3\nheight=3\nchannels=1\nlearning_rate=0.1\nmomentum=0\ndecay=0\n"
                      "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=linear\n[cost]\ntype=sse\n";
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    if (!net) return;
    layer *l = &net->layers[0];
    int nw = l->params[1].n;
    float *w0 = malloc(sizeof(float) * nw), *step1 = malloc(sizeof(float) * nw);
    float x[18], t[36];
    random_fill(x, 18, -1, 1, 1);
    random_fill(t, 36, -1, 1, 2);
    memcpy(w0, l->params[1].val, sizeof(float) * nw);
    train_network_step(net, x, t);
    for (int i = 0; i < nw; ++i) step1[i] = l->params[1].val[i] - w0[i];
    memcpy(l->params[1].val, w0, sizeof(float) * nw); /* back to the start (biases moved; reset them too) */
    memset(l->params[0].val, 0, sizeof(float) * l->params[0].n);
    train_network_step(net, x, t);
    for (int i = 0; i < nw; ++i) CHECK_NEAR(l->params[1].val[i] - w0[i], step1[i], 1e-6);
    free(w0);
    free(step1);
    free_network(net);
}

/* Without a loss only weight decay moves parameters: weights shrink by exactly
 * darknet's rule, while biases and batch-norm scales (no decay) stay put. */
TEST(sgd_decay_only_on_weights)
{
    const char *cfg = "[net]\nbatch=4\nsubdivisions=2\nwidth=3\nheight=3\nchannels=2\n"
                      "learning_rate=0.1\nmomentum=0.5\ndecay=0.01\n"
                      "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
                      "[connected]\noutput=4\nbatch_normalize=1\nactivation=linear\n"
                      "[connected]\noutput=2\nactivation=linear\n";
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    if (!net) return;
    float x[4 * 18];
    random_fill(x, 4 * 18, -1, 1, 4);
    /* biases and scales away from 0, so a wrong decay on them shows */
    for (int li = 0; li < net->n; ++li)
        for (int p = 0; p < net->layers[li].n_params; ++p) {
            param *q = &net->layers[li].params[p];
            if (!q->decay) random_fill(q->val, q->n, 0.5f, 1.5f, 7 + p);
        }
    int checked_decay = 0, checked_fixed = 0;
    /* expected: w1 = w0 (1 - lr decay); buffer m1 = -momentum decay batch w0;
     *           w2 = w1 + lr/batch (m1 - decay batch w1) */
    int total = 0;
    for (int li = 0; li < net->n; ++li) total += net->layers[li].n_params;
    float **start = calloc(total, sizeof *start);
    int k = 0;
    for (int li = 0; li < net->n; ++li)
        for (int p = 0; p < net->layers[li].n_params; ++p, ++k) {
            param *q = &net->layers[li].params[p];
            start[k] = malloc(sizeof(float) * q->n);
            memcpy(start[k], q->val, sizeof(float) * q->n);
        }
    train_network_step(net, x, NULL);
    train_network_step(net, x, NULL);
    const double lr = 0.1, mom = 0.5, decay = 0.01, batch = 4;
    k = 0;
    for (int li = 0; li < net->n; ++li)
        for (int p = 0; p < net->layers[li].n_params; ++p, ++k) {
            param *q = &net->layers[li].params[p];
            for (int i = 0; i < q->n; ++i) {
                double w0 = start[k][i], want = w0;
                if (q->decay) {
                    double w1 = w0 * (1 - lr * decay), m1 = -mom * decay * batch * w0;
                    want = w1 + lr / batch * (m1 - decay * batch * w1);
                    ++checked_decay;
                } else {
                    ++checked_fixed;
                }
                CHECK_NEAR(q->val[i], want, 1e-6);
            }
            free(start[k]);
        }
    free(start);
    /* the conv and connected weights decay; 2 + 2 biases and 2 scales do not */
    CHECK(checked_decay == 3 * 2 * 9 + 4 * 27 + 2 * 4);
    CHECK(checked_fixed == (3 + 3) + (4 + 4) + 2);
    free_network(net);
}
