/* Adam (darknet's adam=1 in [net]): a 1x1 linear [convolutional] under a [cost]
 * sse layer, three steps against the rule computed by hand in double:
 *   g = negative gradient summed over the batch, g += -decay * batch * w (weights only)
 *   m = B1 m + (1-B1) g,  v = B2 v + (1-B2) g^2
 *   w += lr * (m / (1-B1^t)) / (sqrt(v / (1-B2^t)) + eps),  t = 1, 2, 3
 * and the cfg keys' checks. */
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

enum { B = 2, C = 2, F = 2 }; /* images, input channels, filters; 1x1 images */

static void adam_by_hand(double *w, double *m, double *v, double g, int t)
{
    const double b1 = 0.8, b2 = 0.99, eps = 1e-3, lr = 0.05;
    *m = b1 * *m + (1 - b1) * g;
    *v = b2 * *v + (1 - b2) * g * g;
    *w += lr * (*m / (1 - pow(b1, t))) / (sqrt(*v / (1 - pow(b2, t))) + eps);
}

TEST(adam_three_steps_match_darknets_rule_computed_by_hand)
{
    const double decay = 0.05;
    network *net = net_from_text("[net]\nbatch=2\nwidth=1\nheight=1\nchannels=2\nlearning_rate=0.05\n"
                                 "decay=0.05\nadam=1\nB1=0.8\nB2=0.99\neps=0.001\n"
                                 "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n[cost]\ntype=sse\n");
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    if (!net) return;
    layer *l = &net->layers[0];
    float *bias = l->params[0].val, *w = l->params[1].val;
    const float w0[F * C] = {0.5f, -0.25f, 1.0f, 0.75f}, b0[F] = {0.1f, -0.2f};
    const float x[B * C] = {1.0f, 2.0f, -1.5f, 0.5f}, t[B * F] = {0.3f, -0.7f, 1.2f, 0.4f};
    memcpy(w, w0, sizeof w0);
    memcpy(bias, b0, sizeof b0);
    double W[F * C], Bi[F], mW[F * C] = {0}, vW[F * C] = {0}, mB[F] = {0}, vB[F] = {0};
    for (int i = 0; i < F * C; ++i) W[i] = w0[i];
    for (int i = 0; i < F; ++i) Bi[i] = b0[i];
    for (int step = 1; step <= 3; ++step) {
        double gW[F * C] = {0}, gB[F] = {0};
        for (int n = 0; n < B; ++n)
            for (int f = 0; f < F; ++f) {
                double y = Bi[f];
                for (int c = 0; c < C; ++c) y += W[f * C + c] * x[n * C + c];
                double d = t[n * F + f] - y;   /* [cost] sse: loss 0.5 d^2, negative gradient t - y */
                gB[f] += d;
                for (int c = 0; c < C; ++c) gW[f * C + c] += d * x[n * C + c];
            }
        for (int i = 0; i < F * C; ++i) adam_by_hand(&W[i], &mW[i], &vW[i], gW[i] - decay * B * W[i], step);
        for (int i = 0; i < F; ++i) adam_by_hand(&Bi[i], &mB[i], &vB[i], gB[i], step);
        train_network_step(net, x, t);
        for (int i = 0; i < F * C; ++i) CHECK_NEAR(w[i], W[i], 1e-5);
        for (int i = 0; i < F; ++i) CHECK_NEAR(bias[i], Bi[i], 1e-5);
        for (int i = 0; i < F * C; ++i) CHECK(l->params[1].grad[i] == 0);   /* the buffer is cleared */
    }
    free_network(net);
}

TEST(adam_keys_out_of_range_are_errors_naming_the_key)
{
    network *net = net_from_text("[net]\nbatch=2\nwidth=1\nheight=1\nchannels=2\nadam=1\nB2=1.5\n"
                                 "[convolutional]\nfilters=2\nsize=1\n");
    CHECK(net == NULL);
    CHECK_MSG(strstr(dn_last_error(), "B2") != NULL, "%s", dn_last_error());
    free_network(net);
}

TEST(adam_moments_exist_for_training_networks_only)
{
    const char *cfg = "[net]\nbatch=1\nwidth=1\nheight=1\nchannels=2\nadam=1\n"
                      "[convolutional]\nfilters=2\nsize=1\n";
    network *train = net_from_text(cfg);
    const char *path = temp_file(cfg);
    network *frozen = load_network_frozen(path, NULL);
    unlink(path);
    CHECK(train && train->layers[0].params[0].m && train->layers[0].params[0].v);
    CHECK(frozen && !frozen->layers[0].params[0].m && !frozen->layers[0].params[0].v);
    free_network(train);
    free_network(frozen);
}
