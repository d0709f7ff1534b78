/* test_cwd.c: the [cwd] layer and the teacher machinery: loss and gradient
 * against a plain double-precision reference, finite differences through the
 * adapter and the resize, zero loss for identical maps, one teacher run once
 * per batch for several layers, and the load-time errors. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bilinear.h"
#include "distill_test_util.h"
#include "network.h"
#include "teacher.h"
#include "test.h"

/* A teacher: one conv (the map the student is compared with), input 7x6x2. */
static const char *teacher_cfg(int filters, int stride, const char *activation)
{
    static char text[512];
    snprintf(text, sizeof text,
             "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
             "[convolutional]\nfilters=%d\nsize=3\nstride=%d\npad=1\nactivation=%s\n", filters, stride,
             activation);
    return text;
}

/* Student: conv to `filters` maps (layer 0), then [cwd] on it. */
static network *student(int filters, const char *tcfg, const char *tweights, const char *extra)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
             "[convolutional]\nfilters=%d\nsize=3\nstride=1\npad=1\nactivation=tanh\n"
             "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n%s\n",
             filters, tcfg, tweights, extra);
    return build_net(text);
}

/* Reference CWD in double: rows of `len` values `stride` apart. */
static double reference(const float *s, const float *t, int batch, int c, int hw, int spatial, double tau,
                        double weight, double *grad)
{
    int rows = spatial ? hw : c, len = spatial ? c : hw, stride = spatial ? hw : 1;
    double loss = 0;
    for (int n = 0; n < batch; ++n)
        for (int r = 0; r < rows; ++r) {
            size_t o = (size_t)n * c * hw + (spatial ? (size_t)r : (size_t)r * hw);
            double zs = 0, zt = 0;
            for (int i = 0; i < len; ++i) {
                zs += exp(s[o + i * stride] / tau);
                zt += exp(t[o + i * stride] / tau);
            }
            for (int i = 0; i < len; ++i) {
                double ps = exp(s[o + i * stride] / tau) / zs, pt = exp(t[o + i * stride] / tau) / zt;
                loss += pt * log(pt / ps);
                grad[o + i * stride] = weight * tau / rows * (pt - ps);
            }
        }
    return loss * weight * tau * tau / rows;
}

static void check_against_reference(double tau, int spatial)
{
    char tcfg[256], tw[256], extra[128];
    save_teacher(teacher_cfg(3, 1, "linear"), tcfg, tw, 5, 0);
    snprintf(extra, sizeof extra, "tau=%g\nloss_weight=2.5\nnorm=%s", tau, spatial ? "spatial" : "channel");
    network *net = student(3, tcfg, tw, extra);
    if (!net) return;
    float *x = random_input(net, 3);
    for (int i = 0; i < 2 * 42 * 2; ++i) x[i] *= 3;   /* peaky maps */
    net->train = 1;
    forward_network(net, x);
    layer *l = &net->layers[1];
    const float *s = net->layers[0].output, *t = network_teacher(net, 0)->net->layers[0].output;
    int n = 2 * 3 * 42;
    double *g = calloc(n, sizeof *g);
    double want = reference(s, t, 2, 3, 42, spatial, tau, 2.5, g);
    CHECK(want > 1e-3);
    CHECK_NEAR(l->cost, want, 1e-5 * want);
    /* the [cwd] backward alone adds its negative gradient into layer 0's delta */
    float *d = net->layers[0].delta;
    memset(d, 0, n * sizeof *d);
    net->input = net->layers[0].output;
    net->input_delta = d;
    l->ops->backward(l, net);
    double worst = 0, row_sum = 0;
    for (int i = 0; i < n; ++i) worst = fmax(worst, fabs(d[i] - g[i]));
    CHECK_MSG(worst < 1e-6, "tau %g spatial %d: gradient off by %g", tau, spatial, worst);
    /* each softmax row's gradient sums to zero (first row of image 1) */
    for (int i = 0; i < (spatial ? 3 : 42); ++i) row_sum += d[3 * 42 + (spatial ? i * 42 : i)];
    CHECK_NEAR(row_sum, 0, 1e-6);
    free(g);
    free(x);
    free_network(net);
    remove_teacher(tcfg, tw);
}

TEST(cwd_loss_and_gradient_match_reference)
{
    check_against_reference(1, 0);
    check_against_reference(4, 0);
    check_against_reference(1, 1);
    check_against_reference(4, 1);
}

/* Finite differences of the [cwd] loss over the student's parameters (the
 * teacher sees the same input, so input perturbations would move it too). */
static double param_fd(network *net, const float *x)
{
    net->train = 1;
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p)
            memset(net->layers[i].params[p].grad, 0, net->layers[i].params[p].n * sizeof(float));
    forward_network(net, x);
    backward_network(net, x);
    double worst = 0, eps = 1e-3;
    for (int li = 0; li < net->n; ++li) {
        layer *l = &net->layers[li];
        for (int p = 0; p < l->n_params; ++p) {
            param *q = &l->params[p];
            for (int i = 0; i < q->n; i += q->n > 40 ? q->n / 40 : 1) {
                float keep = q->val[i];
                q->val[i] = keep + eps;
                forward_network(net, x);
                double up = network_cost(net);
                q->val[i] = keep - eps;
                forward_network(net, x);
                double down = network_cost(net);
                q->val[i] = keep;
                double num = (up - down) / (2 * eps), ana = -q->grad[i];
                worst = fmax(worst, fabs(num - ana) / fmax(1.0, fabs(num)));
            }
        }
    }
    return worst;
}

TEST(cwd_gradient_through_adapter_and_resize_matches_finite_differences)
{
    struct { int tfilters, tstride; const char *extra; } cases[] = {
        {3, 1, "tau=2\nloss_weight=3"},                    /* plain */
        {5, 1, "tau=1\nloss_weight=3"},                    /* adapter 4 -> 5 channels */
        {4, 2, "tau=1\nloss_weight=3\nresize=1"},          /* resize 7x6 -> 4x3 */
        {5, 2, "tau=2\nloss_weight=3\nresize=1\nnorm=spatial"},   /* both */
        {4, 1, "adapter=always\nloss_weight=3"},           /* adapter with equal channels */
    };
    for (int k = 0; k < 5; ++k) {
        char tcfg[256], tw[256];
        save_teacher(teacher_cfg(cases[k].tfilters, cases[k].tstride, "linear"), tcfg, tw, 11 + k, 0);
        network *net = student(cases[k].tfilters == 3 ? 3 : 4, tcfg, tw, cases[k].extra);
        if (net) {
            float *x = random_input(net, 7 + k);
            int adapter_params = net->layers[1].n_params;
            CHECK(adapter_params == ((k == 1 || k >= 3) ? 2 : 0));
            double err = param_fd(net, x);
            CHECK_MSG(err < 2e-3, "case %d: finite differences differ by %g", k, err);
            CHECK(network_cost(net) > 0);
            free(x);
            free_network(net);
        }
        remove_teacher(tcfg, tw);
    }
}

TEST(cwd_identical_teacher_gives_zero_loss_and_gradient)
{
    char tcfg[256], tw[256];
    save_teacher(teacher_cfg(3, 1, "tanh"), tcfg, tw, 21, 0);
    network *net = student(3, tcfg, tw, "tau=4\nloss_weight=10");
    if (net) {
        layer *sl = &net->layers[0], *tl = &network_teacher(net, 0)->net->layers[0];
        for (int p = 0; p < sl->n_stored; ++p) memcpy(sl->stored[p], tl->stored[p], sl->stored_n[p] * sizeof(float));
        float *x = random_input(net, 2);
        net->train = 1;
        forward_network(net, x);
        CHECK_NEAR(net->layers[1].cost, 0, 1e-6);
        float *d = sl->delta;
        memset(d, 0, sizeof(float) * sl->batch * sl->outputs);
        net->input = sl->output;
        net->input_delta = d;
        net->layers[1].ops->backward(&net->layers[1], net);
        double worst = 0;
        for (int i = 0; i < sl->batch * sl->outputs; ++i) worst = fmax(worst, fabs(d[i]));
        CHECK_MSG(worst < 1e-6, "gradient %g", worst);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

TEST(cwd_layers_share_one_teacher_run_once_per_training_batch)
{
    char tcfg[256], tw[256], text[2048];
    save_teacher(teacher_cfg(3, 1, "linear"), tcfg, tw, 31, 0);
    snprintf(text, sizeof text,
             "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
             "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n"
             "[cwd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=-1\n",
             tcfg, tw, tcfg, tw);
    network *net = build_net(text);
    if (net) {
        CHECK(one_teacher(net));
        float *x = random_input(net, 1);
        float truth = 0;
        for (int i = 0; i < 3; ++i) train_network_step(net, x, &truth);
        CHECK(network_teacher(net, 0)->runs == 3);
        network_predict(net, x);   /* inference: no teacher needed */
        CHECK(network_teacher(net, 0)->runs == 3);
        set_subdivisions_network(net, 1);
        set_batch_network(net, 1);  /* the teacher follows the batch size */
        CHECK(network_teacher(net, 0)->net->batch == 1);
        free(x);
        free_network(net);
    }
    remove_teacher(tcfg, tw);
}

/* A teacher runs only as far as the deepest layer a distillation layer reads. */
static int teacher_layers_run(const char *tcfg, const char *tw, const char *teacher_layers)
{
    char text[2048];
    int n = snprintf(text, sizeof text, "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
                                        "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n");
    for (const char *p = teacher_layers; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
        n += snprintf(text + n, sizeof text - n,
                      "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=%d\nadapter=always\n", tcfg,
                      tw, atoi(p));
    network *net = build_net(text);
    if (!net) return -1;
    float *x = random_input(net, 2), truth = 0;
    train_network_step(net, x, &truth);
    const network *t = network_teacher(net, 0)->net;
    int ran = 0;
    for (int i = 0; i < t->n; ++i) {
        int nonzero = 0;
        for (int k = 0; k < t->batch * t->layers[i].outputs; ++k) nonzero |= t->layers[i].output[k] != 0;
        ran += nonzero;
    }
    free(x);
    free_network(net);
    return ran;
}

TEST(cwd_teacher_runs_only_to_the_deepest_paired_layer)
{
    char tcfg[256], tw[256];
    save_teacher("[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
                 "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"
                 "[convolutional]\nfilters=5\nsize=3\npad=1\nactivation=linear\n",
                 tcfg, tw, 41, 0);
    CHECK_MSG(teacher_layers_run(tcfg, tw, "0") == 1, "paired with layer 0: %d layers ran",
              teacher_layers_run(tcfg, tw, "0"));
    CHECK(teacher_layers_run(tcfg, tw, "1,0") == 2);
    CHECK(teacher_layers_run(tcfg, tw, "0,-1") == 3);
    remove_teacher(tcfg, tw);
}

/* A cfg error must name the student cfg's line and the key. */
static void expect_error(const char *extra, const char *tcfg, const char *tw, const char *key, const char *words)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[net]\nbatch=2\nwidth=7\nheight=6\nchannels=2\n"
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n"
             "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\n%s\n", tcfg, tw, extra);
    network *net = net_from_text(text);
    CHECK_MSG(net == NULL, "accepted: %s", extra);
    free_network(net);
    const char *e = dn_last_error();
    CHECK_MSG(strstr(e, "/tmp/dn_test_") && strstr(e, "[cwd]") && strstr(e, key) && strstr(e, words),
              "message for '%s': %s", extra, e);
}

TEST(cwd_bad_teachers_are_refused_naming_line_and_key)
{
    char tcfg[256], tw[256], small[256], small_w[256];
    save_teacher(teacher_cfg(5, 2, "linear"), tcfg, tw, 41, 0);
    save_teacher("[net]\nbatch=1\nwidth=5\nheight=6\nchannels=2\n[convolutional]\nfilters=3\nsize=1\nactivation=linear\n",
                 small, small_w, 42, 0);
    expect_error("teacher_layer=3", tcfg, tw, "teacher_layer", "out of range");
    expect_error("teacher_layer=0\nadapter=none\nresize=1", tcfg, tw, "adapter", "channels");
    expect_error("teacher_layer=0", tcfg, tw, "resize", "resize=1");
    expect_error("tau=0", tcfg, tw, "tau", "");
    /* the file at fault names its key: a missing weights file teacher_weights=, a missing cfg teacher= */
    expect_error("", tcfg, "/nonexistent/t.weights", "] teacher_weights=/nonexistent/t.weights: ", "cannot be read");
    expect_error("", "/nonexistent/t.cfg", tw, "] teacher=/nonexistent/t.cfg: ", "cannot be read");
    expect_error("", tcfg, small_w, "] teacher_weights=", "does not match");
    expect_error("", small, small_w, "teacher", "input");
    remove_teacher(tcfg, tw);
    remove_teacher(small, small_w);
}

/* A teacher cfg that names its own student, directly or through another
 * teacher, used to recurse until the stack overflowed (found by fuzzing). */
TEST(teachers_that_form_a_cycle_are_refused)
{
    char a[64] = "/tmp/dn_cycle_a_XXXXXX", b[64] = "/tmp/dn_cycle_b_XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    if (fa < 0 || fb < 0) return;
    const char *head = "[net]\nbatch=1\nwidth=4\nheight=4\nchannels=2\n[convolutional]\nfilters=2\nsize=1\n"
                       "activation=linear\n[cwd]\nfrom=0\nteacher_layer=0\n";
    dprintf(fa, "%steacher=%s\nteacher_weights=%s\n", head, b, a);  /* A -> B */
    dprintf(fb, "%steacher=%s\nteacher_weights=%s\n", head, a, a);  /* B -> A */
    close(fa);
    close(fb);
    dn_clear_error();
    network *net = load_network(a, NULL, 0);
    CHECK(net == NULL);
    CHECK_MSG(strstr(dn_last_error(), "teacher of itself"), "%s", dn_last_error());
    free_network(net);
    FILE *f = fopen(a, "w");
    fprintf(f, "%steacher=%s\nteacher_weights=%s\n", head, a, b);     /* A -> A */
    fclose(f);
    dn_clear_error();
    net = load_network(a, NULL, 0);
    CHECK(net == NULL);
    CHECK_MSG(strstr(dn_last_error(), "the student's own cfg"), "%s", dn_last_error());
    free_network(net);
    dn_clear_error();
    unlink(a);
    unlink(b);
}

TEST(bilinear_resize_hand_worked)
{
    /* 2x2 -> 4x4 with half-pixel centres: output x (or y) 0..3 reads source
     * 0 (clamped from -0.25), 0.25, 0.75, 1 (clamped at the last pixel). */
    const float in[4] = {0, 1, 2, 3};
    float out[16];
    bilinear_resize(in, 1, 2, 2, out, 4, 4);
    const float want[16] = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f,
                            1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
    for (int i = 0; i < 16; ++i) CHECK_NEAR(out[i], want[i], 1e-6);
    /* the adjoint: <R x, y> == <x, R^T y> */
    float y[16], rty[4] = {0};
    random_fill(y, 16, -1, 1, 3);
    bilinear_resize_backward(y, 1, 2, 2, rty, 4, 4);
    double lhs = 0, rhs = 0;
    for (int i = 0; i < 16; ++i) lhs += out[i] * y[i];
    for (int i = 0; i < 4; ++i) rhs += in[i] * rty[i];
    CHECK_NEAR(lhs, rhs, 1e-5);
}
