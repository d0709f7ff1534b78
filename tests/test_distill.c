/* test_distill.c: the [kd] and [fd] distillation layers. Loss and gradient
 * against plain double-precision references, finite differences through the
 * whole student (teachers whose output ignores the input, so perturbing the
 * input moves only the student), zero loss for identical teacher and student,
 * [kd] as the classifier's last layer (probabilities out, truth in, named
 * losses), and cfg errors naming file, line and key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill_test_util.h"
#include "network.h"
#include "teacher.h"
#include "test.h"

#define K 5   /* classes of the [kd] tests */

/* ---------------- losses by name ---------------- */

/* network_losses (the progress line's parts) sums the losses of layers of the
 * same name, in first-seen order: two [cwd] give one "cwd", then "fd". */
TEST(network_losses_sum_layers_of_one_name)
{
    char tcfg[256], tw[256], text[2048];
    save_teacher("[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n",
                 tcfg, tw, 61, 0);
    snprintf(text, sizeof text,
             "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
             "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n"
             "[fd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n"
             "[cwd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n",
             tcfg, tw, tcfg, tw, tcfg, tw);
    network *net = build_net(text);
    if (net) {
        float *x = random_input(net, 2);
        float truth = 0;
        train_network_step(net, x, &truth);
        float cwd = net->layers[2].step_loss + net->layers[4].step_loss, fd = net->layers[3].step_loss;
        CHECK(net->layers[2].step_loss > 0 && net->layers[4].step_loss > 0 && fd > 0);
        const char *names[4];
        float values[4];
        int n = network_losses(net, names, values, 4);
        CHECK(n == 2);
        if (n == 2) {
            CHECK(strcmp(names[0], "cwd") == 0 && strcmp(names[1], "fd") == 0);
            CHECK_NEAR(values[0], cwd, 1e-6 * cwd);
            CHECK_NEAR(values[1], fd, 1e-6 * fd);
        }
        /* no room for the second name: it is dropped, the first still sums both */
        CHECK(network_losses(net, names, values, 1) == 1);
        CHECK_NEAR(values[0], cwd, 1e-6 * cwd);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* ---------------- [kd] ---------------- */

#define KD_NET "[net]\nbatch=3\nwidth=2\nheight=1\nchannels=3\n"   /* lines 1-5 */

/* The teacher: logits from a [connected], then a [softmax] (so [kd]'s default
 * teacher_layer must read the layer before it). */
static const char kd_teacher_text[] = KD_NET "[connected]\noutput=5\nactivation=linear\n[softmax]\n";

/* Student: [connected] logits (line 6), then [kd] (line 9, its keys from 10). */
static network *kd_student(const char *tcfg, const char *tw, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             KD_NET "[connected]\noutput=5\nactivation=linear\n[kd]\nteacher=%s\nteacher_weights=%s\n%s\n", tcfg, tw,
             extra);
    return build_net(text);
}

/* Reference in double, written straight from the formulas: returns the batch
 * loss, the parts summed over the batch, and the negative gradient. */
static double kd_reference(const float *s, const float *t, const float *y, int batch, int nkd, double T, double a,
                           double gamma, double parts[3], double *neg_grad)
{
    double total = 0;
    parts[0] = parts[1] = parts[2] = 0;
    for (int b = 0; b < batch; ++b) {
        const float *x = s + b * K, *z = t + b * K, *yb = y + b * K;
        double p[K], P[K], qs[K], qt[K], zs = 0, zt = 0, zsT = 0, ztT = 0, Y = 0, ce = 0;
        int k = -1;
        for (int i = 0; i < K; ++i) {
            zs += exp(x[i]), zt += exp(z[i]), zsT += exp(x[i] / T), ztT += exp(z[i] / T), Y += yb[i];
            if (yb[i] > 0 && (k < 0 || yb[i] > yb[k])) k = i;
        }
        for (int i = 0; i < K; ++i) {
            p[i] = exp(x[i]) / zs, P[i] = exp(z[i]) / zt, qs[i] = exp(x[i] / T) / zsT, qt[i] = exp(z[i] / T) / ztT;
            ce -= yb[i] * log(p[i]);
        }
        double *g = neg_grad + b * K;
        for (int i = 0; i < K; ++i) g[i] = (1 - a) * (yb[i] - Y * p[i]);
        parts[0] += (1 - a) * ce;
        if (!nkd) {
            double kl = 0;
            for (int i = 0; i < K; ++i) {
                kl += qt[i] * log(qt[i] / qs[i]);
                g[i] += a * T * (qt[i] - qs[i]);
            }
            parts[1] += a * T * T * kl;
        } else if (k >= 0) {
            /* non-target distributions: softmax over j != k at temperature T */
            double ns = 0, nt = 0, non = 0;
            for (int j = 0; j < K; ++j)
                if (j != k) ns += exp(x[j] / T), nt += exp(z[j] / T);
            for (int i = 0; i < K; ++i) {
                double gi = P[k] * (p[i] - (i == k));
                if (i != k) {
                    double rs = exp(x[i] / T) / ns, rt = exp(z[i] / T) / nt;
                    non += rt * log(rs);
                    gi += gamma * T * (rs - rt);
                }
                g[i] -= a * gi;
            }
            parts[1] += a * -P[k] * log(p[k]);
            parts[2] += a * -gamma * T * T * non;
        }
    }
    total = parts[0] + parts[1] + parts[2];
    return total;
}

/* One-hot labels for images 0 and 1, none for image 2 (no CE, no NKD term). */
static void kd_truth(float *y)
{
    memset(y, 0, sizeof(float) * 3 * K);
    y[0 * K + 3] = 1;
    y[1 * K + 0] = 1;
}

static void kd_check_reference(const char *tcfg, const char *tw, int nkd, double T, double a)
{
    char extra[256];
    double gamma = 2.5;
    if (nkd) snprintf(extra, sizeof extra, "method=nkd\ntemperature=%g\nalpha=%g\ngamma=%g", T, a, gamma);
    else snprintf(extra, sizeof extra, "temperature=%g\nalpha=%g", T, a);
    network *net = kd_student(tcfg, tw, extra);
    if (!net) return;
    float *x = random_input(net, 4), y[3 * K];
    for (int i = 0; i < 3 * 6; ++i) x[i] *= 3;   /* logits of a few units */
    kd_truth(y);
    net->truth = y;
    net->train = 1;
    forward_network(net, x);
    layer *kd = &net->layers[1];
    const float *s = net->layers[0].output, *t = network_teacher(net, 0)->net->layers[0].output;
    double g[3 * K], parts[3];
    double want = kd_reference(s, t, y, 3, nkd, T, a, gamma, parts, g);
    CHECK_MSG(fabs(kd->cost - want) <= 1e-5 * fmax(1, fabs(want)), "nkd %d T %g alpha %g: cost %.8g, want %.8g", nkd,
              T, a, kd->cost, want);
    if (a > 0) CHECK(fabs(want) > 1e-3);
    const char *names[4];
    float values[4];
    int n = layer_losses(kd, names, values, 4);
    CHECK(n == (nkd ? 3 : 2));
    CHECK(!strcmp(names[0], "ce") && !strcmp(names[1], nkd ? "nkd_target" : "kd"));
    for (int i = 0; i < n && i < 3; ++i)
        CHECK_MSG(fabs(values[i] - parts[i] / 3) <= 1e-5 * fmax(1, fabs(parts[i])), "part %s: %g, want %g",
                  names[i], values[i], parts[i] / 3);
    /* the [kd] backward alone adds its negative gradient into the logits' delta */
    const float *d = student_map_gradient(net);
    double worst = 0;
    for (int i = 0; i < 3 * K; ++i) worst = fmax(worst, fabs(d[i] - g[i]));
    CHECK_MSG(worst < 1e-6, "nkd %d T %g alpha %g: gradient off by %g", nkd, T, a, worst);
    free(x);
    free_network(net);
}

TEST(kd_loss_and_gradient_match_reference)
{
    char tcfg[256], tw[256];
    save_teacher(kd_teacher_text, tcfg, tw, 5, 0);
    const double temps[2] = {1, 4}, alphas[3] = {0, 0.5, 1};
    for (int nkd = 0; nkd < 2; ++nkd)
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j) kd_check_reference(tcfg, tw, nkd, temps[i], alphas[j]);
    remove_teacher(tcfg, tw);
}

TEST(kd_output_is_softmax_and_predict_needs_no_teacher)
{
    char tcfg[256], tw[256];
    save_teacher(kd_teacher_text, tcfg, tw, 6, 0);
    network *net = kd_student(tcfg, tw, "");
    if (net) {
        CHECK(net->truths == K && network_outputs(net) == K && net->layers[1].truths == K);
        float *x = random_input(net, 8);
        const float *p = network_predict(net, x);
        CHECK(network_teacher(net, 0)->runs == 0);
        const float *z = net->layers[0].output;
        for (int b = 0; b < 3; ++b) {
            double sum = 0;
            for (int i = 0; i < K; ++i) sum += exp(z[b * K + i]);
            for (int i = 0; i < K; ++i) CHECK_NEAR(p[b * K + i], exp(z[b * K + i]) / sum, 1e-6);
        }
        CHECK(net->layers[1].cost == 0);
        /* a training step runs the teacher once and reports the parts by name */
        float y[3 * K];
        kd_truth(y);
        float loss = train_network_step(net, x, y);
        CHECK(network_teacher(net, 0)->runs == 1);
        CHECK(loss > 0 && isfinite(loss));
        float values[2];
        const char *names[2];
        CHECK(layer_losses(&net->layers[1], names, values, 2) == 2);
        CHECK_NEAR(values[0] + values[1], net->layers[1].cost / 3, 1e-5);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* The defaults differ by method: kd T 4, alpha 0.9; nkd T 1, alpha 0.5, gamma 1.5. */
static float kd_cost(const char *tcfg, const char *tw, const char *extra)
{
    network *net = kd_student(tcfg, tw, extra);
    if (!net) return NAN;
    float *x = random_input(net, 4), y[3 * K];
    kd_truth(y);
    net->truth = y;
    net->train = 1;
    forward_network(net, x);
    float cost = net->layers[1].cost;
    free(x);
    free_network(net);
    return cost;
}

TEST(kd_defaults_depend_on_method)
{
    char tcfg[256], tw[256];
    save_teacher(kd_teacher_text, tcfg, tw, 7, 0);
    CHECK_NEAR(kd_cost(tcfg, tw, ""), kd_cost(tcfg, tw, "method=kd\ntemperature=4\nalpha=0.9"), 1e-6);
    CHECK_NEAR(kd_cost(tcfg, tw, "method=nkd"),
               kd_cost(tcfg, tw, "method=nkd\ntemperature=1\nalpha=0.5\ngamma=1.5"), 1e-6);
    CHECK(fabs(kd_cost(tcfg, tw, "method=nkd") - kd_cost(tcfg, tw, "method=nkd\ntemperature=4")) > 1e-3);
    CHECK(fabs(kd_cost(tcfg, tw, "") - kd_cost(tcfg, tw, "alpha=0.5")) > 1e-3);
    remove_teacher(tcfg, tw);
}

/* Whole-student finite differences (inputs, then the [connected] weights):
 * the probe loss is the [kd] cost plus a random projection of its softmax
 * output, so both backward paths are covered. */
TEST(kd_gradient_matches_finite_differences)
{
    char tcfg[256], tw[256];
    save_teacher(KD_NET "[connected]\noutput=5\nactivation=linear\n", tcfg, tw, 9, 1);
    const char *cases[] = {"temperature=4\nalpha=0.5", "temperature=1\nalpha=1",
                           "method=nkd\ntemperature=2\nalpha=0.7\ngamma=1.5", "method=nkd\ntemperature=1\nalpha=1"};
    for (int c = 0; c < 4; ++c) {
        network *net = kd_student(tcfg, tw, cases[c]);
        if (!net) continue;
        float *x = random_input(net, 12 + c), y[3 * K];
        kd_truth(y);
        net->truth = y;
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 1e-2, "case '%s': finite differences differ by %g", cases[c], err);
        CHECK(net->layers[1].cost > 0);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

TEST(kd_identical_logits_give_zero_kd_loss_and_gradient)
{
    char tcfg[256], tw[256];
    save_teacher(kd_teacher_text, tcfg, tw, 21, 0);
    network *net = kd_student(tcfg, tw, "alpha=1\ntemperature=4");
    if (net) {
        copy_teacher_layer0(net);
        float *x = random_input(net, 2), y[3 * K];
        kd_truth(y);
        net->truth = y;
        net->train = 1;
        forward_network(net, x);
        CHECK_NEAR(net->layers[1].cost, 0, 1e-6);
        const float *d = student_map_gradient(net);
        double worst = 0;
        for (int i = 0; i < 3 * K; ++i) worst = fmax(worst, fabs(d[i]));
        CHECK_MSG(worst < 1e-6, "gradient %g", worst);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* ---------------- [fd] ---------------- */

#define FD_NET "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"   /* lines 1-5 */

static const char *fd_teacher_text(int filters, int stride)
{
    static char text[512];
    snprintf(text, sizeof text, FD_NET "[convolutional]\nfilters=%d\nsize=3\nstride=%d\npad=1\nactivation=linear\n",
             filters, stride);
    return text;
}

/* Student: a tanh conv (line 6), then [fd] on it (line 12, its keys from 13). */
static network *fd_student(int filters, const char *tcfg, const char *tw, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             FD_NET "[convolutional]\nfilters=%d\nsize=3\nstride=1\npad=1\nactivation=tanh\n"
                    "[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n%s\n",
             filters, tcfg, tw, extra);
    return build_net(text);
}

static double fd_reference(const float *s, const float *t, int n, int per_image, int smooth, double beta,
                           double weight, double *neg_grad, int *inside)
{
    double loss = 0;
    *inside = 0;
    for (int i = 0; i < n; ++i) {
        double d = (double)s[i] - t[i], f, df;
        if (!smooth) f = d * d, df = 2 * d;
        else if (fabs(d) < beta) f = 0.5 * d * d / beta, df = d / beta, ++*inside;
        else f = fabs(d) - 0.5 * beta, df = d > 0 ? 1 : -1;
        loss += weight * f / per_image;
        neg_grad[i] = -weight * df / per_image;
    }
    return loss;
}

TEST(fd_loss_and_gradient_match_reference)
{
    char tcfg[256], tw[256];
    save_teacher(fd_teacher_text(3, 1), tcfg, tw, 5, 0);
    for (int smooth = 0; smooth < 2; ++smooth) {
        const char *keys = smooth ? "type=smooth_l1\nbeta=0.5\nloss_weight=2.5" : "loss_weight=2.5";
        network *net = fd_student(3, tcfg, tw, keys);
        if (!net) continue;
        float *x = random_input(net, 3);
        for (int i = 0; i < 2 * 84; ++i) x[i] *= 2;
        net->train = 1;
        forward_network(net, x);
        layer *l = &net->layers[1];
        const float *s = net->layers[0].output, *t = network_teacher(net, 0)->net->layers[0].output;
        int n = 2 * 3 * 42, inside;
        double *g = calloc(n, sizeof *g);
        double want = fd_reference(s, t, n, 3 * 42, smooth, 0.5, 2.5, g, &inside);
        CHECK(want > 1e-2);
        CHECK_NEAR(l->cost, want, 1e-5 * want);
        if (smooth) CHECK_MSG(inside > n / 10 && inside < n - n / 10, "%d of %d inside beta", inside, n);
        CHECK(memcmp(l->output, s, sizeof(float) * n) == 0);   /* pass-through */
        const float *d = student_map_gradient(net);
        double worst = 0;
        for (int i = 0; i < n; ++i) worst = fmax(worst, fabs(d[i] - g[i]));
        CHECK_MSG(worst < 1e-6, "smooth %d: gradient off by %g", smooth, worst);
        free(g);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* Whole-student finite differences over the input, the conv's parameters and
 * the adapter's (the teacher's maps are constant per channel: zero weights). */
TEST(fd_gradient_through_adapter_matches_finite_differences)
{
    struct { int tfilters, tstride, sfilters, adapter_params; const char *extra; } cases[] = {
        {3, 1, 3, 0, "loss_weight=3"},                                  /* plain */
        {5, 1, 4, 2, "loss_weight=3"},                                  /* adapter 4 -> 5 (auto) */
        {4, 1, 4, 2, "adapter=always\ntype=smooth_l1\nbeta=0.3"},       /* adapter at equal width */
        {5, 2, 4, 2, "loss_weight=2\nresize=1"},                        /* adapter and resize */
    };
    for (int k = 0; k < 4; ++k) {
        char tcfg[256], tw[256];
        save_teacher(fd_teacher_text(cases[k].tfilters, cases[k].tstride), tcfg, tw, 31 + k, 1);
        network *net = fd_student(cases[k].sfilters, tcfg, tw, cases[k].extra);
        if (net) {
            CHECK(net->layers[1].n_params == cases[k].adapter_params);
            float *x = random_input(net, 7 + k);
            double err = grad_check(net, x, 1e-2);
            CHECK_MSG(err < 1e-2, "case %d: finite differences differ by %g", k, err);
            CHECK(net->layers[1].cost > 0);
            free(x);
            free_network(net);
        }
        remove_teacher(tcfg, tw);
    }
}

TEST(fd_identical_maps_give_zero_loss_and_gradient)
{
    char tcfg[256], tw[256];
    save_teacher(FD_NET "[convolutional]\nfilters=3\nsize=3\nstride=1\npad=1\nactivation=tanh\n", tcfg, tw, 41, 0);
    for (int smooth = 0; smooth < 2; ++smooth) {
        network *net = fd_student(3, tcfg, tw, smooth ? "type=smooth_l1\nadapter=none" : "loss_weight=4");
        if (!net) continue;
        CHECK(net->layers[1].n_params == 0);   /* equal widths: no adapter by default */
        layer *sl = &net->layers[0];
        copy_teacher_layer0(net);
        float *x = random_input(net, 2);
        net->train = 1;
        forward_network(net, x);
        CHECK_NEAR(net->layers[1].cost, 0, 1e-9);
        const float *d = student_map_gradient(net);
        double worst = 0;
        for (int i = 0; i < sl->batch * sl->outputs; ++i) worst = fmax(worst, fabs(d[i]));
        CHECK_MSG(worst < 1e-9, "smooth %d: gradient %g", smooth, worst);
        /* and one changed student weight makes both non-zero */
        sl->stored[1][0] += 0.5f;
        forward_network(net, x);
        CHECK(net->layers[1].cost > 1e-6);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* The multi-layer FD of "Are Large Kernels Better Teachers": one [fd] per
 * stage, all naming one teacher. It is loaded once and run once per training
 * pass, as deep as the deepest paired stage; each layer adds its own loss
 * (one "fd" by name, their sum); and the gradients of all stages add up in the
 * student (finite differences through it all; the teacher's maps are constant). */
TEST(fd_on_every_stage_shares_one_teacher_run_once_per_batch)
{
    char tcfg[256], tw[256], text[4096];
    save_teacher(FD_NET "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"
                        "[convolutional]\nfilters=6\nsize=3\nstride=2\npad=1\nactivation=linear\n"
                        "[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\nactivation=linear\n",
                 tcfg, tw, 71, 1);
    snprintf(text, sizeof text,
             FD_NET "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                    "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
                    "[convolutional]\nfilters=5\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
                    "[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n"
                    "[fd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=1\nloss_weight=2\n"
                    "[fd]\nfrom=2\nteacher=%s\nteacher_weights=%s\nteacher_layer=2\ntype=smooth_l1\n",
             tcfg, tw, tcfg, tw, tcfg, tw);
    network *net = build_net(text);
    if (net) {
        CHECK(one_teacher(net) && network_teacher(net, 0)->last_layer == 2);
        float *x = random_input(net, 5), truth = 0;
        for (int i = 0; i < 3; ++i) train_network_step(net, x, &truth);
        CHECK(network_teacher(net, 0)->runs == 3);
        float sum = 0;
        for (int i = 3; i < 6; ++i) {
            CHECK_MSG(net->layers[i].step_loss > 0, "[fd] %d: loss %g", i, net->layers[i].step_loss);
            sum += net->layers[i].step_loss;
        }
        const char *names[4];
        float values[4];
        CHECK(network_losses(net, names, values, 4) == 1 && !strcmp(names[0], "fd"));
        CHECK_NEAR(values[0], sum, 1e-5 * sum);
        free(x);
        free_network(net);
    }
    net = build_net(text);
    if (net) {
        float *x = random_input(net, 6);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 1e-2, "finite differences differ by %g", err);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* ---------------- cfg errors ---------------- */

/* The cfg must be refused with "PATH:LINE: [section] KEY" in the message and `words`. */
static void expect_error(const char *text, const char *section, int line, const char *key, const char *words)
{
    dn_clear_error();
    network *net = net_from_text(text);
    CHECK_MSG(net == NULL, "accepted: %s", text);
    free_network(net);
    const char *e = dn_last_error();
    char where[64];
    snprintf(where, sizeof where, ":%d: [%s] %s", line, section, key);
    CHECK_MSG(strstr(e, "/tmp/dn_test_") && strstr(e, where) && strstr(e, words), "want '%s' ... '%s' in: %s", where,
              words, e);
}

TEST(kd_and_fd_bad_cfgs_are_refused_naming_line_and_key)
{
    char kcfg[256], kw[256], kplain[256], kplain_w[256], k4[256], k4w[256], fcfg[256], fw[256], text[2048];
    save_teacher(kd_teacher_text, kcfg, kw, 51, 0);
    save_teacher(KD_NET "[connected]\noutput=5\nactivation=linear\n", kplain, kplain_w, 52, 0);
    save_teacher(KD_NET "[connected]\noutput=4\nactivation=linear\n[softmax]\n", k4, k4w, 53, 0);
    save_teacher(fd_teacher_text(5, 1), fcfg, fw, 54, 0);
#define KD_TEXT(tc, tw_, extra)                                                                       \
    snprintf(text, sizeof text,                                                                       \
             KD_NET "[connected]\noutput=5\nactivation=linear\n[kd]\nteacher=%s\nteacher_weights=%s\n%s\n", tc, \
             tw_, extra)
    KD_TEXT(kcfg, "/nonexistent/kd_teacher.weights", "");
    expect_error(text, "kd", 11, "teacher_weights=", "/nonexistent/kd_teacher.weights");   /* the key at fault */
    KD_TEXT("/nonexistent/kd_teacher.cfg", kw, "");
    expect_error(text, "kd", 10, "teacher=", "/nonexistent/kd_teacher.cfg");
    KD_TEXT(kcfg, kw, "teacher_layer=2");
    expect_error(text, "kd", 12, "teacher_layer", "out of range");
    KD_TEXT(kcfg, kw, "teacher_layer=-1");
    expect_error(text, "kd", 12, "teacher_layer", "[softmax]");
    KD_TEXT(k4, k4w, "");
    expect_error(text, "kd", 9, "teacher_layer", "4 class scores");
    KD_TEXT(kplain, kplain_w, "adapter=always");
    expect_error(text, "kd", 12, "adapter", "one to one");
    KD_TEXT(kcfg, kw, "gamma=2");
    expect_error(text, "kd", 12, "gamma", "method=nkd");
    KD_TEXT(kcfg, kw, "method=dkd");
    expect_error(text, "kd", 12, "method", "");
    KD_TEXT(kcfg, kw, "alpha=1.5");
    expect_error(text, "kd", 12, "alpha", "");
    /* an explicit teacher_layer that is not a [softmax] is taken as it is */
    KD_TEXT(kcfg, kw, "teacher_layer=0");
    network *ok = build_net(text);
    free_network(ok);
#define FD_TEXT(sf, tc, tw_, extra)                                                                   \
    snprintf(text, sizeof text,                                                                       \
             FD_NET "[convolutional]\nfilters=%d\nsize=3\npad=1\nactivation=linear\n"                   \
                    "[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\n%s\n",                                \
             sf, tc, tw_, extra)
    FD_TEXT(3, fcfg, fw, "teacher_layer=0\nadapter=none");
    expect_error(text, "fd", 16, "adapter", "channels");
    FD_TEXT(5, fcfg, fw, "teacher_layer=3");
    expect_error(text, "fd", 15, "teacher_layer", "out of range");
    FD_TEXT(5, fcfg, "/nonexistent/fd.weights", "");
    expect_error(text, "fd", 14, "teacher_weights=", "/nonexistent/fd.weights");
    FD_TEXT(5, fcfg, fw, "beta=2");
    expect_error(text, "fd", 15, "beta", "smooth_l1");
    FD_TEXT(5, fcfg, fw, "type=l2");
    expect_error(text, "fd", 15, "type", "");
    snprintf(text, sizeof text,
             FD_NET "[convolutional]\nfilters=5\nsize=3\npad=1\n[fd]\nteacher=%s\nteacher_weights=%s\n",
             fcfg, fw);
    expect_error(text, "fd", 10, "from", "required");
    /* after a [softmax] (then no longer the last layer, so no loss): refused */
    snprintf(text, sizeof text,
             FD_NET "[convolutional]\nfilters=5\nsize=3\npad=1\nactivation=linear\n[softmax]\n"
                    "[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\n", fcfg, fw);
    expect_error(text, "fd", 13, "from", "put the distillation layers before it");
#undef KD_TEXT
#undef FD_TEXT
    remove_teacher(kcfg, kw);
    remove_teacher(kplain, kplain_w);
    remove_teacher(k4, k4w);
    remove_teacher(fcfg, fw);
}

/* distill compare's one baseline for several methods rests on this: cfgs that
 * differ only in their [cwd]/[fd] layers build the same student (same layers,
 * same initial weights), and anything else does not. */
TEST(students_differing_only_in_distillers_are_the_same_student)
{
    char tcfg[256], tw[256], wide[256], wide_w[256];
    save_teacher(fd_teacher_text(3, 1), tcfg, tw, 61, 0);
    save_teacher(fd_teacher_text(5, 1), wide, wide_w, 62, 0);
    char text[2048];
    const char *conv = "[convolutional]\nfilters=3\nsize=3\nstride=1\npad=1\nactivation=tanh\n";
    const char *next = "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n";
    snprintf(text, sizeof text, FD_NET "%s%s", conv, next);
    network *plain = build_net(text);
    snprintf(text, sizeof text, FD_NET "%s%s[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n", conv,
             next, tcfg, tw);
    network *fd = build_net(text);
    snprintf(text, sizeof text, FD_NET "%s%s[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n", conv,
             next, tcfg, tw);
    network *cwd = build_net(text);
    /* a distiller with a 1x1 adapter (5 -> 3 channels) before a layer draws its
     * initial weights first: the next conv starts elsewhere */
    snprintf(text, sizeof text, FD_NET "%s[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n%s", conv,
             wide, wide_w, next);
    network *adapter_first = build_net(text);
    snprintf(text, sizeof text, FD_NET "%s[convolutional]\nfilters=4\nsize=1\nactivation=linear\n", conv);
    network *other = build_net(text);
    if (plain && fd && cwd && adapter_first && other) {
        CHECK(network_same_student(fd, cwd) && network_same_student(plain, fd));
        CHECK(!network_same_student(plain, adapter_first));
        CHECK(!network_same_student(plain, other) && !network_same_student(other, plain));
    }
    free_network(plain);
    free_network(fd);
    free_network(cwd);
    free_network(adapter_first);
    free_network(other);
    remove_teacher(tcfg, tw);
    remove_teacher(wide, wide_w);
}
