/* [retina]: focal and box loss worked out by hand, gradients against finite
 * differences (l1, smooth_l1, giou), ignored anchors, gts that overlap
 * nothing, images without gts, decoding and NMS of hand-set head outputs,
 * the prior bias, cfg errors, and the RetinaNet cfgs in cfg/. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

static float ln3(void) { return logf(3.0f); }

/* Named loss `name` of the layer (NAN if absent). */
static float named(const layer *l, const char *name)
{
    const char *names[4];
    float values[4];
    if (!l->ops->named_losses) return NAN;
    int n = l->ops->named_losses(l, names, values, 4);
    for (int i = 0; i < n && i < 4; ++i)
        if (!strcmp(names[i], name)) return values[i];
    return NAN;
}

/* The 2x2 input is the class logits itself (identity 1x1 conv, 2 channels);
 * the box conv has zero weights, so its biases are the deltas everywhere.
 * Stride 2/2 = 1 pixel, one anchor per position of size 1 centred on (x, y). */
static const char *tiny_cfg =
    "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=2\n"
    "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
    "[convolutional]\nfilters=%d\nsize=1\nactivation=linear\n"
    "[retina]\nclasses=2\ncls=0\nbox=1\nanchor_sizes=1\nscales=%s\nratios=1\n";

static network *tiny_net(const char *scales, int A, const float box_bias[4])
{
    char text[1024];
    snprintf(text, sizeof text, tiny_cfg, 4 * A, scales);
    network *net = build_net(text);
    if (!net) return NULL;
    layer *c = &net->layers[0], *b = &net->layers[1];
    memset(c->params[0].val, 0, 2 * sizeof(float));
    float *w = c->params[1].val;
    w[0] = 1, w[1] = 0, w[2] = 0, w[3] = 1;
    memset(b->params[1].val, 0, b->params[1].n * sizeof(float));
    for (int i = 0; i < 4 * A; ++i) b->params[0].val[i] = box_bias[i % 4];
    return net;
}

static void train_forward(network *net, const float *x, const float *truth)
{
    net->train = 1;
    net->truth = truth;
    forward_network(net, x);
}

/* position p = y*2 + x, class k: x[k*4 + p] */
static void set_tiny_logits(float *x)
{
    float L = ln3();
    float v[2][4] = {{0, -L, L, -L}, {0, -L, 0, L}};
    for (int k = 0; k < 2; ++k)
        for (int p = 0; p < 4; ++p) x[k * 4 + p] = v[k][p];
}

TEST(retina_focal_and_box_loss_by_hand)
{
    const float bias[4] = {0.1f, -0.2f, 0.3f, 0};
    network *net = tiny_net("1", 1, bias);
    if (!net) return;
    float x[8], truth[DN_MAX_BOXES * 5] = {0};
    set_tiny_logits(x);
    /* gt of class 1 exactly on the anchor of position (1,1): [0.5,1.5]^2 in pixels */
    truth[0] = 0.5f, truth[1] = 0.5f, truth[2] = 0.5f, truth[3] = 0.5f, truth[4] = 1;
    train_forward(net, x, truth);
    /* Only anchor (1,1) is positive (IoU 1; the others 0). alpha .25, gamma 2:
     * a negative costs (1-alpha) p^2 (-log(1-p)), a positive alpha (1-p)^2 (-log p):
     *   negative, p = .5  : .75 * .25 * ln 2     = .1875 ln 2
     *   negative, p = .25 : .75 * .0625 * ln(4/3) = .046875 ln(4/3)
     *   negative, p = .75 : .75 * .5625 * ln 4    = .84375 ln 2
     *   positive, p = .75 : .25 * .0625 * ln(4/3) = .015625 ln(4/3)
     * (0,0): two p=.5 negatives; (1,0): two p=.25; (0,1): p=.75 and p=.5 negatives;
     * (1,1): class 0 p=.25 negative, class 1 p=.75 positive:
     * total = ln 2 (.375 + .84375 + .1875) + ln(4/3) (.09375 + .046875 + .015625)
     *       = 1.40625 ln 2 + .15625 ln(4/3) = 1.0196885, over max(1, 1 positive). */
    layer *r = &net->layers[2];
    CHECK_NEAR(named(r, "focal"), 1.0196885, 2e-6);
    /* box: target deltas 0 (gt = anchor), L1 = .1 + .2 + .3 + 0 */
    CHECK_NEAR(named(r, "box"), 0.6, 1e-6);
    CHECK_NEAR(r->cost, 1.6196885, 2e-6);
    /* positive logit ln 3: dL/dx = -alpha q^2 (gamma p_t ce + q), q = .25, p_t = .75,
     * ce = ln(4/3): -.015625 (1.5 ln(4/3) + .25) = -.0106488; delta = +.0106488 */
    CHECK_NEAR(net->layers[0].delta[1 * 4 + 3], 0.0106488, 1e-6);
    /* negative p = .5 at (0,0): dL/dx = (1-alpha) p^2 (gamma (1-p) ln 2 + p)
     * = .75 * .25 * (ln 2 + .5) = .2237...; delta is minus that */
    CHECK_NEAR(net->layers[0].delta[0], -0.1875 * (logf(2) + 0.5), 1e-6);
    /* box deltas: -sign(pred - target) at the positive only */
    float *db = net->layers[1].delta;
    CHECK_NEAR(db[0 * 4 + 3], -1, 1e-6);
    CHECK_NEAR(db[1 * 4 + 3], 1, 1e-6);
    CHECK_NEAR(db[2 * 4 + 3], -1, 1e-6);
    CHECK_NEAR(db[3 * 4 + 3], 0, 1e-6);
    CHECK(db[0] == 0 && db[4] == 0 && db[9] == 0);
    free_network(net);
}

/* The plain focal loss of every anchor as a negative (double precision). */
static double all_negative_focal(const float *x, int n)
{
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        double p = 1 / (1 + exp(-(double)x[i]));
        sum += 0.75 * p * p * -log(1 - p);
    }
    return sum;
}

TEST(retina_without_gts_only_negative_focal)
{
    const float bias[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    network *net = tiny_net("1", 1, bias);
    if (!net) return;
    float x[8], truth[DN_MAX_BOXES * 5] = {0};
    random_fill(x, 8, -3, 3, 7);
    /* a box after the terminating w = 0 must be ignored */
    truth[5 + 0] = 0.5f, truth[5 + 1] = 0.5f, truth[5 + 2] = 0.5f, truth[5 + 3] = 0.5f;
    train_forward(net, x, truth);
    layer *r = &net->layers[2];
    double want = all_negative_focal(x, 8);   /* normaliser max(1, 0) = 1 */
    CHECK_NEAR(named(r, "focal"), want, 1e-5);
    CHECK(named(r, "box") == 0);
    CHECK_NEAR(r->cost, want, 1e-5);
    for (int i = 0; i < 16; ++i) CHECK(net->layers[1].delta[i] == 0);

    /* gts that overlap nothing (outside the image), of zero height, or with
     * a bad class or NaN: no positives, no NaN, the same loss */
    float t2[DN_MAX_BOXES * 5] = {0};
    const float rows[4][5] = {{5, 5, 0.3f, 0.3f, 0}, {0.5f, 0.5f, 0.5f, 0, 1}, {0.5f, 0.5f, 0.5f, 0.5f, 7},
                              {NAN, 0.5f, 0.5f, 0.5f, 1}};
    memcpy(t2, rows, sizeof rows);
    dn_set_log_level(DN_LOG_ERROR);   /* the skipped boxes are warned about */
    train_forward(net, x, t2);
    dn_set_log_level(DN_LOG_INFO);
    CHECK(isfinite(r->cost));
    CHECK_NEAR(r->cost, want, 1e-5);
    for (int i = 0; i < 8; ++i) CHECK(isfinite(net->layers[0].delta[i]));
    free_network(net);
}

TEST(retina_ignored_anchors_contribute_nothing)
{
    /* two anchors per position, sizes 1 and 1.5; gt [0.5,1.5]^2 of class 0:
     * anchor (1,1) size 1 has IoU 1 (positive), (1,1) size 1.5 has
     * 1/2.25 = .444 (ignored: .4 <= IoU < .5), every other below .1 (negative) */
    const float bias[4] = {0.2f, 0.1f, -0.1f, 0.3f};
    float truth[DN_MAX_BOXES * 5] = {0};
    truth[0] = 0.5f, truth[1] = 0.5f, truth[2] = 0.5f, truth[3] = 0.5f, truth[4] = 0;
    /* cls layer: 2 anchors x 2 classes = 4 channels; widen the class conv */
    const char *cfg =
        "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=4\n"
        "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
        "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n"
        "[retina]\nclasses=2\ncls=0\nbox=1\nanchor_sizes=1\nscales=1,1.5\nratios=1\n";
    network *net = build_net(cfg);
    if (!net) return;
    layer *c = &net->layers[0], *b = &net->layers[1], *r = &net->layers[2];
    memset(c->params[0].val, 0, 4 * sizeof(float));
    memset(c->params[1].val, 0, 16 * sizeof(float));
    for (int i = 0; i < 4; ++i) c->params[1].val[i * 4 + i] = 1;
    memset(b->params[1].val, 0, b->params[1].n * sizeof(float));
    for (int i = 0; i < 8; ++i) b->params[0].val[i] = bias[i % 4];
    float in[16];
    random_fill(in, 16, -2, 2, 3);
    train_forward(net, in, truth);
    float base = r->cost;
    /* anchor a=1 at position 3: class channels 2 and 3 (a*K + k), box channels 4..7 */
    CHECK(c->delta[2 * 4 + 3] == 0 && c->delta[3 * 4 + 3] == 0);
    for (int j = 4; j < 8; ++j) CHECK(b->delta[j * 4 + 3] == 0);
    /* the positive and the negatives do get gradients */
    CHECK(c->delta[0 * 4 + 3] != 0 && c->delta[2 * 4 + 2] != 0);
    in[2 * 4 + 3] = 9, in[3 * 4 + 3] = -9;
    train_forward(net, in, truth);
    CHECK_NEAR(r->cost, base, 1e-6);
    free_network(net);
}

/* Two levels (4x4 at stride 4, 2x2 at stride 8), two anchors, two classes,
 * heads shared across the levels; tanh before the heads so FD is meaningful. */
static const char *grad_cfg =
    "[net]\nbatch=2\nwidth=16\nheight=16\nchannels=2\n"
    "[convolutional]\nfilters=4\nsize=4\nstride=4\nactivation=tanh\n"                 /* 0: 4x4 */
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"                         /* 1: cls */
    "[route]\nlayers=0\n"                                                            /* 2 */
    "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n"                         /* 3: box */
    "[route]\nlayers=0\n"                                                            /* 4 */
    "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=tanh\n"          /* 5: 2x2 */
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\nshare=1\n"                /* 6: cls */
    "[route]\nlayers=5\n"                                                            /* 7 */
    "[convolutional]\nfilters=8\nsize=1\nactivation=linear\nshare=3\n"                /* 8: box */
    "[retina]\nclasses=2\ncls=1,6\nbox=3,-1\nanchor_sizes=6,12\nscales=1\nratios=0.5,1\n"
    "box_loss=%s\n";

TEST(retina_backward_matches_finite_differences)
{
    const char *losses[] = {"l1", "smooth_l1\nbeta=0.5", "giou"};
    float truth[2 * DN_MAX_BOXES * 5] = {0};
    const float t[3][5] = {{0.4f, 0.5f, 0.3f, 0.4f, 1}, {0.7f, 0.3f, 0.2f, 0.25f, 0}, {0.5f, 0.5f, 0.6f, 0.5f, 0}};
    memcpy(truth, t[0], sizeof t[0]);
    memcpy(truth + 5, t[1], sizeof t[1]);
    memcpy(truth + DN_MAX_BOXES * 5, t[2], sizeof t[2]);
    for (int i = 0; i < 3; ++i) {
        char text[2048];
        snprintf(text, sizeof text, grad_cfg, losses[i]);
        network *net = build_net(text);
        if (!net) continue;
        /* larger head weights so the box deltas spread */
        for (int p = 0; p < net->layers[3].n_params; ++p)
            for (int k = 0; k < net->layers[3].params[p].n; ++k) net->layers[3].params[p].val[k] *= 3;
        float *x = random_input(net, 40 + i);
        net->truth = truth;
        net->train = 1;
        forward_network(net, x);
        layer *r = &net->layers[9];
        CHECK_MSG(named(r, "box") > 0 && named(r, "focal") > 0, "%s: focal %g box %g", losses[i],
                  named(r, "focal"), named(r, "box"));
        /* L1 has a kink at every target; a smaller step keeps FD off it */
        double err = grad_check(net, x, i == 0 ? 2e-3 : 1e-2);
        if (getenv("DN_VERBOSE")) fprintf(stderr, "    box_loss=%s: gradient error %g\n", losses[i], err);
        CHECK_MSG(err < 2e-2, "box_loss=%s: gradient error %g", losses[i], err);
        free(x);
        free_network(net);
    }
}

TEST(retina_decodes_and_suppresses_hand_set_outputs)
{
    /* one 4x4 level at stride 4 of a 16x16 input, one anchor of 8x8, 2 classes;
     * the heads' outputs are written by hand after a forward */
    const char *cfg =
        "[net]\nbatch=1\nwidth=16\nheight=16\nchannels=1\n"
        "[convolutional]\nfilters=2\nsize=4\nstride=4\nactivation=linear\n"
        "[route]\nlayers=-1\n"
        "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
        "[retina]\nclasses=2\ncls=0\nbox=2\nanchor_sizes=8\nscales=1\nratios=1\n";
    network *net = build_net(cfg);
    if (!net) return;
    float in[256] = {0};
    network_predict(net, in);
    float *cls = net->layers[0].output, *bx = net->layers[2].output;
    for (int i = 0; i < 32; ++i) cls[i] = -10;
    memset(bx, 0, 64 * sizeof(float));
    /* position p = y*4 + x; class k at channel k */
    int pa = 1 * 4 + 2, pb = 2 * 4 + 2, pc = 0, pd = 15;
    cls[16 + pa] = logf(9);   /* class 1, score .9 */
    cls[16 + pb] = 0;         /* class 1, score .5 */
    cls[0 + pc] = 0;          /* class 0, score .5 */
    cls[0 + pd] = logf(0.04f / 0.96f);   /* .04: below score_thresh .05 */
    /* A: anchor centre (8, 4), deltas (.25, .5, ln 2, 0): centre (10, 8), 16 x 8:
     * [2,18]x[4,12], clipped to the input [2,16]x[4,12]. B: anchor centre (8, 8),
     * deltas (.25, 0, ln 2, 0): the same box, IoU 1, suppressed. C: anchor
     * [-4,4]^2, clipped to [0,4]^2. */
    float da[4] = {0.25f, 0.5f, logf(2), 0}, db[4] = {0.25f, 0, logf(2), 0};
    for (int j = 0; j < 4; ++j) bx[j * 16 + pa] = da[j], bx[j * 16 + pb] = db[j];
    int n = 0;
    detection *d = get_network_boxes(net, 0, &n);
    CHECK(d != NULL);
    CHECK_MSG(n == 2, "%d detections", n);
    if (d && n == 2) {
        CHECK_NEAR(d[0].objectness, 0.9, 1e-6);
        CHECK(d[0].classes == 2);
        CHECK_NEAR(d[0].prob[1], 0.9, 1e-6);
        CHECK(d[0].prob[0] == 0);
        CHECK_NEAR(d[0].bbox.x, 9.0 / 16, 1e-6);
        CHECK_NEAR(d[0].bbox.y, 0.5, 1e-6);
        CHECK_NEAR(d[0].bbox.w, 14.0 / 16, 1e-6);
        CHECK_NEAR(d[0].bbox.h, 0.5, 1e-6);
        CHECK_NEAR(d[1].prob[0], 0.5, 1e-6);
        CHECK_NEAR(d[1].bbox.x, 0.125, 1e-6);
        CHECK_NEAR(d[1].bbox.w, 0.25, 1e-6);
    }
    free_detections(d, n);
    /* a threshold above .5 keeps only A */
    d = get_network_boxes(net, 0.6f, &n);
    CHECK(n == 1);
    free_detections(d, n);
    free_network(net);
}

TEST(retina_prior_bias_and_init_std)
{
    const char *cfg =
        "[net]\nbatch=1\nwidth=16\nheight=16\nchannels=3\n"
        "[convolutional]\nfilters=18\nsize=3\npad=1\nactivation=linear\ninit_std=0.01\n"
        "[route]\nlayers=-1\n"
        "[convolutional]\nfilters=36\nsize=1\nactivation=linear\n"
        "[retina]\nclasses=2\ncls=0\nbox=2\n";
    network *net = build_net(cfg);
    if (!net) return;
    layer *c = &net->layers[0];
    /* -log((1 - .01) / .01) = -log 99 = -4.59512 */
    for (int i = 0; i < 18; ++i) CHECK_NEAR(c->stored[0][i], -4.59512, 1e-5);
    double sq = 0;
    int n = c->params[1].n;
    for (int i = 0; i < n; ++i) sq += (double)c->params[1].val[i] * c->params[1].val[i];
    CHECK_MSG(fabs(sqrt(sq / n) - 0.01) < 0.002, "weights' std %g, want 0.01", sqrt(sq / n));
    free_network(net);
}

TEST(retina_cfg_errors_name_key_and_shapes)
{
    static const struct {
        const char *retina, *want;
    } cases[] = {
        {"classes=3\ncls=0\nbox=2\n", "cls"},              /* 18 channels != 9 * 3 */
        {"classes=2\ncls=0\nbox=0\n", "box"},              /* 18 != 36 */
        {"classes=2\ncls=0\nbox=2,2\n", "box"},            /* count */
        {"classes=2\ncls=0\nbox=5\n", "box"},              /* not before */
        {"classes=2\ncls=0\nbox=2\nbox_loss=l3\n", "box_loss"},
        {"classes=2\ncls=0\nbox=2\nanchor_sizes=8,16\n", "anchor_sizes"},
        {"classes=2\ncls=0\nbox=2\nneg_iou=0.6\n", "neg_iou"},
        {"classes=2\ncls=0\nbox=2\nratios=1,-2\n", "ratios"},
        {"classes=2\ncls=0\nbox=1\n", "box"},              /* 8x8 box vs 16x16 class layer */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[net]\nbatch=1\nwidth=16\nheight=16\nchannels=3\n"
                 "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n"
                 "[route]\nlayers=-1\n"
                 "[convolutional]\nfilters=36\nsize=1\nactivation=linear\n"
                 "[retina]\n%s", cases[i].retina);
        if (i == 8) {   /* an 8x8 box layer beside a 16x16 class layer */
            snprintf(text, sizeof text,
                     "[net]\nbatch=1\nwidth=16\nheight=16\nchannels=3\n"
                     "[convolutional]\nfilters=18\nsize=1\nactivation=linear\n"
                     "[convolutional]\nfilters=36\nsize=2\nstride=2\nactivation=linear\n"
                     "[retina]\nclasses=2\ncls=0\nbox=1\n");
        }
        dn_set_log_level(DN_LOG_ERROR);
        network *net = net_from_text(text);
        dn_set_log_level(DN_LOG_INFO);
        CHECK_MSG(net == NULL, "case %zu accepted", i);
        if (net) {
            free_network(net);
            continue;
        }
        char key[64];
        snprintf(key, sizeof key, "%s", cases[i].want);
        CHECK_MSG(strstr(dn_last_error(), key) != NULL, "case %zu: '%s' does not name %s", i, dn_last_error(), key);
    }
}

/* ---- the cfgs in cfg/ ------------------------------------------------------ */

/* cfg/NAME with 640 x 640 replaced by size x size, in a temporary file
 * (path returned, "" on failure); run from the repository root or tests/. */
static const char *cfg_at_size(const char *name, int size)
{
    char path[256];
    snprintf(path, sizeof path, "cfg/%s", name);
    if (access(path, R_OK)) snprintf(path, sizeof path, "../cfg/%s", name);
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s (run the tests from the repository root)", name);
    if (!f) return "";
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    CHECK_MSG(n < sizeof text - 1, "%s is larger than the test's buffer", name);
    char *w = strstr(text, "width=640\nheight=640\n");
    if (w && size != 640) {
        char repl[64];
        int k = snprintf(repl, sizeof repl, "width=%d\nheight=%d\n", size, size);
        memmove(w + k, w + 21, strlen(w + 21) + 1);
        memcpy(w, repl, (size_t)k);
    }
    const char *tmp = temp_file(text);
    return tmp ? tmp : "";
}

static long long trainable_params(const network *net)
{
    long long n = 0;
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p) n += net->layers[i].params[p].n;
    return n;
}

TEST(retina_cfgs_parse_and_count_parameters)
{
    /* torchvision's retinanet_resnet50_fpn has 34,014,999 parameters with 91
     * classes (its published num_params). With 80 classes the class conv loses
     * 11 * 9 * (256 * 9 + 1) = 228,195: 33,786,804. The backbone's batch norms
     * are FrozenBatchNorm2d there (buffers, not parameters); here their scales
     * and shifts are trainable parameters, 2 x 26,560 channels = 53,120 more:
     * 33,839,924. (Rolling means and variances are stored but not trained.)
     * The same arithmetic gives R18 20,810,676 + 2 x 4,800 and R101
     * 52,726,708 + 2 x 52,672 (scripts/gen_retinanet_cfg.py's layouts). */
    static const struct {
        const char *name;
        long long params;
        int layers_min;
    } cfgs[] = {
        {"retinanet_r18_fpn.cfg", 20810676LL + 2 * 4800, 100},
        {"retinanet_r50_fpn.cfg", 33786804LL + 2 * 26560, 150},
        {"retinanet_r101_fpn.cfg", 52726708LL + 2 * 52672, 200},
        {"retinanet_tiny.cfg", -1, 40},
        /* large-kernel teachers (scripts/gen_retinanet_cfg.py); the counts are
         * worked out in tests/test_large_kernel_cfgs.c */
        {"retinanet_convnext_fpn.cfg", 37573108LL, 150},
        {"retinanet_slak_fpn.cfg", 59559094LL, 250},
        {"retinanet_convnext_tiny.cfg", 1525548LL, 40},
        {"retinanet_slak_tiny.cfg", 2433622LL, 40},
    };
    for (size_t i = 0; i < sizeof cfgs / sizeof cfgs[0]; ++i) {
        const char *path = cfg_at_size(cfgs[i].name, 64);
        if (!*path) continue;
        network *net = build_network(path, 0, DN_DEFAULT_SEED);
        unlink(path);
        CHECK_MSG(net != NULL, "%s: %s", cfgs[i].name, dn_last_error());
        if (!net) continue;
        CHECK_MSG(net->n >= cfgs[i].layers_min, "%s: %d layers", cfgs[i].name, net->n);
        CHECK(!strcmp(net->layers[net->n - 1].ops->name, "retina"));
        CHECK(network_truths(net) == DN_MAX_BOXES * 5);
        if (cfgs[i].params > 0)
            CHECK_MSG(trainable_params(net) == cfgs[i].params, "%s: %lld parameters, expected %lld",
                      cfgs[i].name, trainable_params(net), cfgs[i].params);
        free_network(net);
    }
}

TEST(retina_r50_forward_at_320)
{
    const char *path = cfg_at_size("retinanet_r50_fpn.cfg", 320);
    if (!*path) return;
    network *net = load_network_frozen(path, NULL);
    unlink(path);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return;
    /* P3..P7: 40, 20, 10, 5 and 3 cells (the last stride 128 by the rounding rule) */
    const layer *r = &net->layers[net->n - 1];
    CHECK(net->layers[r->index - 1].out_w == 3);
    float *x = random_input(net, 5);
    for (int i = 0; i < net->inputs; ++i) x[i] = 0.5f + 0.5f * x[i];
    network_predict(net, x);
    int n = -1;
    detection *d = get_network_boxes(net, 0, &n);
    CHECK(d != NULL && n >= 0 && n <= 100);
    for (int i = 0; i < n; ++i) {
        CHECK(d[i].objectness > 0.05f && d[i].objectness <= 1);
        CHECK(d[i].bbox.w >= 0 && d[i].bbox.w <= 1 && d[i].bbox.x >= 0 && d[i].bbox.x <= 1);
    }
    free_detections(d, n);
    free(x);
    free_network(net);
}
