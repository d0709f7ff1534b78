/* [connected], [softmax], [dropout], [cost], [layernorm]: forward against plain
 * loops in double, backward against finite differences (losses with net->truth
 * set, so grad_check's probe includes their cost), dropout's mask checked
 * analytically and by finite differences with the rng reseeded, loss values
 * worked by hand, and layernorm's weights-file order. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"


/* Random values in every trainable tensor (scales kept positive). */
static void randomize_params(network *net, unsigned seed)
{
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p)
            random_fill(net->layers[i].params[p].val, net->layers[i].params[p].n, 0.2f, 1.2f, seed + 8 * i + p);
}

/* ---------------- connected ---------------- */

#define CONN_NET "[net]\nbatch=3\nwidth=3\nheight=2\nchannels=2\n"

/* y[b][o] = sum_i W[o][i] x[b][i] + bias[o], in double. */
static void reference_connected(const float *x, const float *wt, const float *bias, int batch, int in, int out,
                                double *y)
{
    for (int b = 0; b < batch; ++b)
        for (int o = 0; o < out; ++o) {
            double s = bias[o];
            for (int i = 0; i < in; ++i) s += (double)wt[o * in + i] * x[b * in + i];
            y[b * out + o] = s;
        }
}

TEST(connected_forward_matches_reference)
{
    /* default activation is logistic, as darknet's */
    network *net = build_net(CONN_NET "[conn]\noutput=5\n");
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->out_w == 1 && l->out_h == 1 && l->out_c == 5 && l->outputs == 5);
    /* stored: biases, weights */
    CHECK(l->n_stored == 2 && l->stored_n[0] == 5 && l->stored_n[1] == 60);
    random_fill(l->stored[0], 5, -1, 1, 4);
    float *x = random_input(net, 1);
    double y[15];
    reference_connected(x, l->stored[1], l->stored[0], 3, 12, 5, y);
    float *out = network_predict(net, x);
    for (int i = 0; i < 15; ++i) CHECK_NEAR(out[i], 1 / (1 + exp(-y[i])), 1e-6);
    free(x);
    free_network(net);
}

TEST(connected_init_is_uniform_he)
{
    network *net = build_net("[net]\nbatch=1\nwidth=1\nheight=1\nchannels=200\n[connected]\noutput=50\n");
    if (!net) return;
    const float *w = net->layers[0].stored[1];
    double scale = sqrt(2.0 / 200), sum2 = 0, lo = 1, hi = -1;
    for (int i = 0; i < 10000; ++i) {
        sum2 += (double)w[i] * w[i];
        lo = fmin(lo, w[i]);
        hi = fmax(hi, w[i]);
    }
    CHECK(lo >= -scale && hi <= scale);
    CHECK(lo < -0.9 * scale && hi > 0.9 * scale);
    /* uniform on [-s, s]: variance s^2/3 */
    CHECK_NEAR(sqrt(sum2 / 10000), scale / sqrt(3.0), 0.03 * scale);
    free_network(net);
}

TEST(connected_batchnorm_forward_matches_reference)
{
    network *net = build_net(CONN_NET "[connected]\noutput=4\nbatch_normalize=1\nactivation=linear\n");
    if (!net) return;
    layer *l = &net->layers[0];
    /* stored: biases, weights, scales, rolling mean, rolling var */
    CHECK(l->n_stored == 5 && l->stored_n[1] == 48 && l->stored_n[2] == 4 && l->stored_n[4] == 4);
    float *bias = l->stored[0], *wt = l->stored[1], *scale = l->stored[2];
    random_fill(bias, 4, -1, 1, 2);
    random_fill(scale, 4, 0.5f, 2, 3);
    float *x = random_input(net, 5);
    double z[12];
    float fzero[4] = {0};
    reference_connected(x, wt, fzero, 3, 12, 4, z);
    /* training: batch statistics (biased variance), eps 1e-5 */
    net->train = 1;
    forward_network(net, x);
    for (int o = 0; o < 4; ++o) {
        double m = 0, v = 0;
        for (int b = 0; b < 3; ++b) m += z[b * 4 + o] / 3;
        for (int b = 0; b < 3; ++b) v += (z[b * 4 + o] - m) * (z[b * 4 + o] - m) / 3;
        for (int b = 0; b < 3; ++b)
            CHECK_NEAR(l->output[b * 4 + o], scale[o] * (z[b * 4 + o] - m) / sqrt(v + 1e-5) + bias[o], 1e-4);
    }
    /* inference: rolling statistics */
    for (int o = 0; o < 4; ++o) {
        l->stored[3][o] = 0.1f * o;
        l->stored[4][o] = 0.5f + o;
    }
    float *out = network_predict(net, x);
    for (int i = 0; i < 12; ++i) {
        int o = i % 4;
        CHECK_NEAR(out[i], scale[o] * (z[i] - 0.1 * o) / sqrt(0.5 + o + 1e-5) + bias[o], 1e-5);
    }
    free(x);
    free_network(net);
}

TEST(connected_backward_matches_finite_differences)
{
    const char *cfgs[] = {
        CONN_NET "[connected]\noutput=5\nactivation=tanh\n",
        CONN_NET "[connected]\noutput=5\nactivation=logistic\nbatch_normalize=1\n",
        /* a conv before it (input deltas added into its delta) and a second connected */
        CONN_NET "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                 "[connected]\noutput=6\nactivation=tanh\nbatch_normalize=1\n"
                 "[connected]\noutput=4\nactivation=linear\n",
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
        network *net = build_net(cfgs[i]);
        if (!net) continue;
        float *x = random_input(net, 20 + i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        free(x);
        free_network(net);
    }
}

TEST(connected_rejects_resize_and_bad_output)
{
    network *net = build_net(CONN_NET "[connected]\noutput=5\n");
    if (net) {
        CHECK(resize_network(net, 4, 4) != 0);
        CHECK(strstr(dn_last_error(), "12 inputs") != NULL);
        free_network(net);
    }
    dn_clear_error();
    CHECK(net_from_text(CONN_NET "[connected]\noutput=0\n") == NULL);
    CHECK(strstr(dn_last_error(), "output") != NULL);
}

/* ---------------- softmax ---------------- */

static void reference_softmax(const float *x, int n, double temperature, double *p)
{
    double max = x[0], sum = 0;
    for (int i = 1; i < n; ++i) max = fmax(max, x[i]);
    for (int i = 0; i < n; ++i) sum += p[i] = exp((x[i] - max) / temperature);
    for (int i = 0; i < n; ++i) p[i] /= sum;
}

TEST(softmax_forward_matches_reference)
{
    /* 2 images of 2x1x6 = 12 inputs in 3 groups of 4, temperature 2 */
    network *net = build_net("[net]\nbatch=2\nwidth=2\nheight=1\nchannels=6\n[soft]\ngroups=3\ntemperature=2\n");
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->out_w == 2 && l->out_h == 1 && l->out_c == 6);
    float x[24];
    random_fill(x, 24, -3, 3, 9);
    x[5] += 1000; /* large logits must not overflow */
    float *out = network_predict(net, x);
    for (int g = 0; g < 6; ++g) {
        double p[4];
        reference_softmax(x + 4 * g, 4, 2, p);
        for (int i = 0; i < 4; ++i) CHECK_NEAR(out[4 * g + i], p[i], 1e-6);
    }
    CHECK(l->cost == 0);
    free_network(net);
}

/* One-hot truths, one per group. */
static float *one_hot(int batch, int inputs, int groups, unsigned seed)
{
    float *t = calloc((size_t)batch * inputs, sizeof *t);
    int n = inputs / groups;
    for (int g = 0; g < batch * groups; ++g) t[g * n + (int)((seed * 7 + g * 5) % n)] = 1;
    return t;
}

TEST(softmax_cross_entropy_cost_and_gradient)
{
    network *net = build_net("[net]\nbatch=2\nwidth=1\nheight=1\nchannels=5\n[softmax]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->truths == 5 && net->truths == 5);
    float x[10], *t = one_hot(2, 5, 1, 1);
    random_fill(x, 10, -2, 2, 3);
    net->truth = t;
    net->train = 1;
    forward_network(net, x);
    double want = 0;
    for (int b = 0; b < 2; ++b) {
        double p[5];
        reference_softmax(x + 5 * b, 5, 1, p);
        for (int i = 0; i < 5; ++i) want -= t[5 * b + i] * log(p[i]);
    }
    CHECK_NEAR(l->cost, want, 1e-5);
    /* the negative gradient w.r.t. the logits, truth - p, reaches the input */
    float dx[10] = {0};
    net->input_grad = dx;
    backward_network(net, x);
    net->input_grad = NULL;
    for (int i = 0; i < 10; ++i) CHECK_NEAR(dx[i], t[i] - l->output[i], 1e-6);
    /* inference reports no loss */
    network_predict(net, x);
    CHECK(l->cost == 0);
    free(t);
    free_network(net);
}

TEST(softmax_cross_entropy_matches_finite_differences)
{
    const char *cfgs[] = {
        "[net]\nbatch=2\nwidth=1\nheight=1\nchannels=6\n[softmax]\n",
        "[net]\nbatch=2\nwidth=1\nheight=1\nchannels=6\n[softmax]\ngroups=2\ntemperature=0.5\n",
        /* parameters before it */
        "[net]\nbatch=3\nwidth=2\nheight=2\nchannels=2\n[connected]\noutput=8\nactivation=linear\n"
        "[softmax]\ngroups=2\ntemperature=3\n",
    };
    const int groups[] = {1, 2, 2};
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
        network *net = build_net(cfgs[i]);
        if (!net) continue;
        layer *last = &net->layers[net->n - 1];
        float *x = random_input(net, 30 + i), *t = one_hot(net->batch, last->inputs, groups[i], i);
        net->truth = t;
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        CHECK_MSG(last->cost > 0, "case %zu: no loss computed", i);
        free(x);
        free(t);
        free_network(net);
    }
}

TEST(softmax_jacobian_matches_finite_differences)
{
    /* not the last layer: no loss of its own, the exact Jacobian-vector product */
    const char *cfgs[] = {
        "[net]\nbatch=2\nwidth=1\nheight=1\nchannels=6\n[softmax]\ngroups=2\ntemperature=1.5\n"
        "[cost]\ntype=sse\n",
        "[net]\nbatch=2\nwidth=2\nheight=2\nchannels=3\n[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
        "[softmax]\ngroups=4\ntemperature=0.7\n[convolutional]\nfilters=2\nsize=1\nactivation=linear\n",
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
        network *net = build_net(cfgs[i]);
        if (!net) continue;
        float *x = random_input(net, 40 + i);
        float *t = calloc((size_t)net->batch * (net->truths ? net->truths : 1), sizeof *t);
        random_fill(t, net->batch * net->truths, 0, 1, 41);
        net->truth = t;
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        for (int k = 0; k < net->n - 1; ++k)
            CHECK_MSG(net->layers[k].cost == 0, "case %zu: layer %d reports a loss", i, k);
        free(x);
        free(t);
        free_network(net);
    }
}

TEST(softmax_rejects_uneven_groups)
{
    CHECK(net_from_text("[net]\nbatch=1\nwidth=1\nheight=1\nchannels=5\n[softmax]\ngroups=2\n") == NULL);
    CHECK(strstr(dn_last_error(), "groups") != NULL);
}

/* ---------------- dropout ---------------- */

#define DROP_NET "[net]\nbatch=4\nwidth=25\nheight=25\nchannels=4\n[dropout]\nprobability=0.3\n"

TEST(dropout_inference_is_identity)
{
    network *net = build_net(DROP_NET);
    if (!net) return;
    float *x = random_input(net, 1);
    float *out = network_predict(net, x);
    CHECK(!memcmp(out, x, sizeof(float) * net->batch * net->inputs));
    free(x);
    free_network(net);
}

TEST(dropout_training_drops_and_scales)
{
    network *net = build_net(DROP_NET);
    if (!net) return;
    layer *l = &net->layers[0];
    int n = net->batch * net->inputs;
    float *x = random_input(net, 2);
    for (int i = 0; i < n; ++i) x[i] += x[i] >= 0 ? 0.1f : -0.1f; /* no zero inputs */
    net->train = 1;
    forward_network(net, x);
    int dropped = 0, bad = 0;
    for (int i = 0; i < n; ++i) {
        if (l->output[i] == 0) ++dropped;
        else if (fabsf(l->output[i] - x[i] / 0.7f) > 1e-6f * fabsf(x[i])) ++bad;
    }
    CHECK_MSG(bad == 0, "%d survivors not scaled by 1/(1-p)", bad);
    /* 10000 draws: 0.3 +- 4.6 sigma */
    CHECK_MSG(fabs(dropped / (double)n - 0.3) < 0.02, "dropped %d of %d", dropped, n);
    /* a second forward draws a new mask */
    float *first = malloc(sizeof(float) * n);
    memcpy(first, l->output, sizeof(float) * n);
    forward_network(net, x);
    CHECK(memcmp(first, l->output, sizeof(float) * n) != 0);

    /* backward multiplies by the same mask */
    random_fill(l->delta, n, -1, 1, 3);
    float *dx = calloc(n, sizeof *dx);
    net->input_grad = dx;
    backward_network(net, x);
    net->input_grad = NULL;
    bad = 0;
    for (int i = 0; i < n; ++i) {
        float want = l->output[i] == 0 ? 0 : l->delta[i] / 0.7f;
        if (fabsf(dx[i] - want) > 1e-6f) ++bad;
    }
    CHECK_MSG(bad == 0, "%d input deltas do not follow the mask", bad);
    free(first);
    free(dx);
    free(x);
    free_network(net);
}

/* L = r . output with the rng reseeded before each forward, so every forward
 * draws the same mask. */
static double seeded_loss(network *net, const float *x, const float *r)
{
    rng_seed(&net->rng, 77);
    net->train = 1;
    forward_network(net, x);
    layer *last = &net->layers[net->n - 1];
    double s = 0;
    for (int i = 0; i < last->batch * last->outputs; ++i) s += (double)r[i] * last->output[i];
    return s;
}

TEST(dropout_backward_matches_seeded_finite_differences)
{
    network *net = build_net("[net]\nbatch=2\nwidth=3\nheight=3\nchannels=2\n"
                         "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                         "[dropout]\nprobability=0.4\n[connected]\noutput=4\nactivation=linear\n");
    if (!net) return;
    int n_in = net->batch * net->inputs, n_out = net->batch * 4;
    float *x = random_input(net, 6), r[8], *dx = calloc(n_in, sizeof *dx);
    random_fill(r, n_out, -1, 1, 7);
    seeded_loss(net, x, r);
    layer *last = &net->layers[net->n - 1];
    for (int i = 0; i < n_out; ++i) last->delta[i] = -r[i];
    net->input_grad = dx;
    backward_network(net, x);
    net->input_grad = NULL;
    double worst = 0;
    for (int i = 0; i < n_in; ++i) {
        float keep = x[i];
        x[i] = keep + 1e-2f;
        double up = seeded_loss(net, x, r);
        x[i] = keep - 1e-2f;
        double down = seeded_loss(net, x, r);
        x[i] = keep;
        worst = fmax(worst, fabs((up - down) / 2e-2 + dx[i]));
    }
    CHECK_MSG(worst < 1e-2, "input gradient error %g", worst);
    free(x);
    free(dx);
    free_network(net);
}

/* ---------------- cost ---------------- */

/* x = {0.5, -1, 2.5, 0.2}, t = {0, 1, 0.5, 0.2}: d = x - t = {0.5, -2, 2, 0}. */
static void check_cost(const char *type, float scale, const float *t, double want_cost, const float *want_delta)
{
    char cfg[256];
    snprintf(cfg, sizeof cfg, "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=1\n[cost]\ntype=%s\nscale=%g\n", type,
             scale);
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    float x[4] = {0.5f, -1, 2.5f, 0.2f}, dx[4] = {0};
    CHECK(net->truths == 4);
    net->truth = t;
    net->train = 1;
    forward_network(net, x);
    CHECK(!memcmp(l->output, x, sizeof x));
    CHECK_MSG(fabs(l->cost - want_cost) < 1e-5, "%s: cost %g, want %g", type, l->cost, want_cost);
    net->input_grad = dx;
    backward_network(net, x);
    net->input_grad = NULL;
    for (int i = 0; i < 4; ++i)
        CHECK_MSG(fabsf(dx[i] - want_delta[i]) < 1e-6f, "%s: delta[%d] %g, want %g", type, i, dx[i],
                  want_delta[i]);
    /* no truth, no loss */
    network_predict(net, x);
    CHECK(l->cost == 0);
    free_network(net);
}

TEST(cost_values_by_hand)
{
    const float t[4] = {0, 1, 0.5f, 0.2f}, masked_t[4] = {0, -1234, 0.5f, 0.2f};
    /* sse: 0.5 * (0.25 + 4 + 4) */
    check_cost("sse", 1, t, 4.125, (const float[]){-0.5f, 2, -2, 0});
    check_cost("sse", 2, t, 8.25, (const float[]){-1, 4, -4, 0});
    /* smooth L1: 0.125 + 1.5 + 1.5 */
    check_cost("smooth", 1, t, 3.125, (const float[]){-0.5f, 1, -1, 0});
    /* l1: 0.5 + 2 + 2, sign gradient (0 at d = 0) */
    check_cost("l1", 1, t, 4.5, (const float[]){-1, 1, -1, 0});
    check_cost("L1", 0.5f, t, 2.25, (const float[]){-0.5f, 0.5f, -0.5f, 0});
    /* masked: the -1234 truth contributes nothing */
    check_cost("masked", 1, masked_t, 2.125, (const float[]){-0.5f, 0, -2, 0});
}

TEST(cost_matches_finite_differences)
{
    /* sse behind parameters */
    network *net = build_net("[net]\nbatch=2\nwidth=2\nheight=2\nchannels=2\n"
                         "[connected]\noutput=5\nactivation=tanh\n[cost]\ntype=sse\nscale=1.5\n");
    if (net) {
        float *x = random_input(net, 50), t[10];
        random_fill(t, 10, -1, 1, 51);
        net->truth = t;
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "sse: gradient error %g", err);
        free(x);
        free_network(net);
    }
    /* smooth L1 on the input, every |x - t| well away from the kink at 1 */
    net = build_net("[net]\nbatch=2\nwidth=4\nheight=1\nchannels=1\n[cost]\ntype=smooth\nscale=2\n");
    if (net) {
        float x[8], t[8];
        random_fill(x, 8, -1, 1, 52);
        const float d[8] = {0.3f, -0.7f, 1.5f, -2, 0.05f, 1.3f, -1.4f, 0.8f};
        for (int i = 0; i < 8; ++i) t[i] = x[i] - d[i];
        net->truth = t;
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "smooth: gradient error %g", err);
        free_network(net);
    }
}

TEST(cost_rejects_unknown_type)
{
    CHECK(net_from_text("[net]\nbatch=1\nwidth=1\nheight=1\nchannels=2\n[cost]\ntype=wgan\n") == NULL);
    CHECK(strstr(dn_last_error(), "type") != NULL);
}

/* ---------------- layernorm ---------------- */

/* Per image and position: normalise over channels, in double. */
static void reference_layernorm(const float *x, const float *gamma, const float *beta, int batch, int c,
                                int spatial, double eps, double *y)
{
    for (int b = 0; b < batch; ++b)
        for (int p = 0; p < spatial; ++p) {
            const float *xp = x + (size_t)b * c * spatial + p;
            double m = 0, v = 0;
            for (int k = 0; k < c; ++k) m += xp[k * spatial] / (double)c;
            for (int k = 0; k < c; ++k) v += (xp[k * spatial] - m) * (xp[k * spatial] - m) / c;
            for (int k = 0; k < c; ++k)
                y[((size_t)b * c + k) * spatial + p] = (xp[k * spatial] - m) / sqrt(v + eps) * gamma[k] + beta[k];
        }
}

#define LN_NET "[net]\nbatch=2\nwidth=4\nheight=3\nchannels=5\n"

TEST(layernorm_forward_matches_reference)
{
    network *net = build_net(LN_NET "[layernorm]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    CHECK(l->out_w == 4 && l->out_h == 3 && l->out_c == 5);
    /* stored: beta, then gamma (initially 0 and 1) */
    CHECK(l->n_stored == 2 && l->stored_n[0] == 5 && l->stored_n[1] == 5);
    CHECK(l->stored[0][2] == 0 && l->stored[1][2] == 1);
    float *beta = l->stored[0], *gamma = l->stored[1];
    random_fill(beta, 5, -1, 1, 60);
    random_fill(gamma, 5, 0.5f, 2, 61);
    float *x = random_input(net, 62);
    for (int i = 0; i < 120; ++i) x[i] = 3 * x[i] + 50; /* an offset the variance must survive */
    double y[120];
    reference_layernorm(x, gamma, beta, 2, 5, 12, 1e-6, y);
    float *out = network_predict(net, x);
    for (int i = 0; i < 120; ++i) CHECK_NEAR(out[i], y[i], 2e-5);
    /* training mode normalises the same way (no batch statistics) */
    net->train = 1;
    forward_network(net, x);
    for (int i = 0; i < 120; ++i) CHECK_NEAR(l->output[i], y[i], 2e-5);
    free(x);
    free_network(net);
}

TEST(layernorm_eps_key)
{
    network *net = build_net(LN_NET "[layernorm]\neps=0.5\n");
    if (!net) return;
    float *x = random_input(net, 63);
    double y[120];
    reference_layernorm(x, net->layers[0].stored[1], net->layers[0].stored[0], 2, 5, 12, 0.5, y);
    float *out = network_predict(net, x);
    for (int i = 0; i < 120; ++i) CHECK_NEAR(out[i], y[i], 1e-5);
    free(x);
    free_network(net);
}

TEST(layernorm_backward_matches_finite_differences)
{
    const char *cfgs[] = {
        LN_NET "[layernorm]\n",
        /* behind and before convolutions, batch 1 */
        "[net]\nbatch=1\nwidth=3\nheight=3\nchannels=2\n[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=tanh\n"
        "[layernorm]\neps=1e-5\n[convolutional]\nfilters=3\nsize=1\nactivation=linear\n",
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
        network *net = build_net(cfgs[i]);
        if (!net) continue;
        randomize_params(net, 70);
        float *x = random_input(net, 71 + i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        free(x);
        free_network(net);
    }
}

TEST(layernorm_weights_file_order)
{
    /* header (0.2, 64-bit seen), then beta[3], gamma[3] */
    const char *cfg = temp_file("[net]\nbatch=1\nwidth=1\nheight=1\nchannels=3\n[layernorm]\n");
    char wpath[] = "/tmp/dn_ln_XXXXXX";
    int fd = mkstemp(wpath);
    CHECK(fd >= 0);
    if (fd < 0) return;
    int32_t ver[3] = {0, 2, 0};
    uint64_t seen = 0;
    const float beta[3] = {0.5f, -1, 2}, gamma[3] = {2, 3, -1};
    int ok = write(fd, ver, sizeof ver) == sizeof ver && write(fd, &seen, 8) == 8 &&
             write(fd, beta, sizeof beta) == sizeof beta && write(fd, gamma, sizeof gamma) == sizeof gamma;
    close(fd);
    CHECK(ok);
    network *net = load_network(cfg, wpath, 0);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (net) {
        float x[3] = {1, 2, 6};
        double y[3];
        reference_layernorm(x, gamma, beta, 1, 3, 1, 1e-6, y);
        float *out = network_predict(net, x);
        for (int i = 0; i < 3; ++i) CHECK_NEAR(out[i], y[i], 1e-5);
        free_network(net);
    }
    unlink(wpath);
    unlink(cfg);
}

TEST(layernorm_large_map_matches_reference)
{
    /* big enough to be split over threads, in chunks that cross image boundaries */
    network *net = build_net("[net]\nbatch=3\nwidth=37\nheight=29\nchannels=16\n[layernorm]\n");
    if (!net) return;
    layer *l = &net->layers[0];
    enum { B = 3, C = 16, S = 37 * 29, N = B * C * S };
    float *beta = l->params[0].val, *gamma = l->params[1].val;
    random_fill(beta, C, -1, 1, 80);
    random_fill(gamma, C, 0.5f, 2, 81);
    float *x = random_input(net, 82), *dx = calloc(N, sizeof *dx);
    double *y = malloc(N * sizeof *y);
    reference_layernorm(x, gamma, beta, B, C, S, 1e-6, y);
    net->train = 1;
    forward_network(net, x);
    int where = 0;
    float *yf = malloc(N * sizeof *yf);
    for (int i = 0; i < N; ++i) yf[i] = (float)y[i];
    CHECK_MSG(max_rel_diff(l->output, yf, N, &where) < 1e-4, "output %d: %g vs %g", where, l->output[where],
              yf[where]);
    /* backward against the layer-norm gradient in double */
    random_fill(l->delta, N, -1, 1, 83);
    memset(l->params[0].grad, 0, C * sizeof(float));
    memset(l->params[1].grad, 0, C * sizeof(float));
    net->input_grad = dx;
    backward_network(net, x);
    net->input_grad = NULL;
    double gb[C] = {0}, gg[C] = {0}, worst = 0;
    for (int b = 0; b < B; ++b)
        for (int p = 0; p < S; ++p) {
            const float *xp = x + (size_t)b * C * S + p, *dp = l->delta + (size_t)b * C * S + p;
            double m = 0, v = 0, xh[C], mg = 0, mgx = 0;
            for (int k = 0; k < C; ++k) m += xp[k * S] / (double)C;
            for (int k = 0; k < C; ++k) v += (xp[k * S] - m) * (xp[k * S] - m) / C;
            double inv = 1 / sqrt(v + 1e-6);
            for (int k = 0; k < C; ++k) {
                xh[k] = (xp[k * S] - m) * inv;
                mg += dp[k * S] * gamma[k] / C;
                mgx += dp[k * S] * gamma[k] * xh[k] / C;
                gb[k] += dp[k * S];
                gg[k] += dp[k * S] * xh[k];
            }
            for (int k = 0; k < C; ++k) {
                double want = inv * (dp[k * S] * gamma[k] - mg - xh[k] * mgx);
                worst = fmax(worst, fabs(dx[(size_t)b * C * S + k * S + p] - want));
            }
        }
    CHECK_MSG(worst < 1e-4, "input gradient differs by %g", worst);
    for (int k = 0; k < C; ++k) {
        CHECK_NEAR(l->params[0].grad[k], gb[k], 1e-3);
        CHECK_NEAR(l->params[1].grad[k], gg[k], 1e-3);
    }
    free(x);
    free(dx);
    free(y);
    free(yf);
    free_network(net);
}
