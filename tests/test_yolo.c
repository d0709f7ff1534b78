/* [yolo]: the output activations against plain loops, box decoding of
 * hand-made logits against boxes worked out by hand, cfg errors naming their
 * key (training: test_yolo_training.c). */
#include <stdlib.h>
#include <string.h>

#include "network.h"
#include "test.h"

/* A 1x1 stride-2 convolution (set to the identity) brings an 8x6 input down to
 * a 4x3 grid, so the grid differs from the network size the anchors are
 * measured against. 2 anchors of 3 (mask=2,0), 2 classes: 14 channels. */
static const char *yolo_cfg =
    "[net]\nbatch=2\nwidth=8\nheight=6\nchannels=14\n"
    "[convolutional]\nfilters=14\nsize=1\nstride=2\npad=0\nactivation=linear\n"
    "[yolo]\nmask=2,0\nanchors=2,3, 4,1.5, 6,5\nclasses=2\nnum=3\n"
    "jitter=.3\nignore_thresh=.7\ntruth_thresh=1\nrandom=1\n";

enum { W = 8, H = 6, C = 14, GW = 4, GH = 3, ENTRIES = 7 };

static network *yolo_net(void)
{
    network *net = build_net(yolo_cfg);
    if (!net) return NULL;
    layer *conv = &net->layers[0];
    memset(conv->params[0].val, 0, C * sizeof(float));   /* biases */
    float *wt = conv->params[1].val;                      /* identity */
    memset(wt, 0, C * C * sizeof(float));
    for (int i = 0; i < C; ++i) wt[i * C + i] = 1;
    return net;
}

/* Sets input channel (anchor slot n, entry e) of grid cell (row, col) of image b. */
static void set_logit(float *x, int b, int n, int e, int row, int col, float v)
{
    x[((b * C + n * ENTRIES + e) * H + 2 * row) * W + 2 * col] = v;
}

TEST(yolo_output_applies_logistic_to_xy_objectness_classes)
{
    network *net = yolo_net();
    if (!net) return;
    float *x = random_input(net, 3);
    for (int i = 0; i < 2 * net->inputs; ++i) x[i] *= 4;
    float *out = network_predict(net, x);
    layer *l = &net->layers[1];
    CHECK(l->out_w == GW && l->out_h == GH && l->out_c == C);
    double worst = 0;
    for (int b = 0; b < 2; ++b)
        for (int ch = 0; ch < C; ++ch)
            for (int row = 0; row < GH; ++row)
                for (int col = 0; col < GW; ++col) {
                    double v = x[((b * C + ch) * H + 2 * row) * W + 2 * col];
                    int e = ch % ENTRIES;
                    double want = (e == 2 || e == 3) ? v : 1 / (1 + exp(-v));
                    double got = out[((b * C + ch) * GH + row) * GW + col];
                    if (fabs(got - want) > worst) worst = fabs(got - want);
                }
    CHECK_MSG(worst < 1e-6, "output differs from the reference by %g", worst);
    free(x);
    free_network(net);
}

TEST(yolo_decodes_hand_made_logits)
{
    network *net = yolo_net();
    if (!net) return;
    float *x = calloc(2 * net->inputs, sizeof(float));
    /* no object anywhere in image 0, objects everywhere in image 1 (must not leak) */
    for (int n = 0; n < 2; ++n)
        for (int row = 0; row < GH; ++row)
            for (int col = 0; col < GW; ++col) {
                set_logit(x, 0, n, 4, row, col, -10);
                set_logit(x, 1, n, 4, row, col, 5);
            }
    /* A: cell (row 1, col 2), slot 0 = anchor 2 (6 x 5 pixels) */
    float a[7] = {0.5f, -1, 0.3f, -0.2f, 2, 1, -1};
    /* B: cell (row 2, col 0), slot 1 = anchor 0 (2 x 3 pixels) */
    float bl[7] = {-0.4f, 0.8f, -0.5f, 0.6f, 1.5f, -2, 3};
    for (int e = 0; e < 7; ++e) {
        set_logit(x, 0, 0, e, 1, 2, a[e]);
        set_logit(x, 0, 1, e, 2, 0, bl[e]);
    }
    network_predict(net, x);
    int n = -1;
    detection *d = get_network_boxes(net, 0.5f, &n);
    CHECK(d != NULL);
    CHECK_MSG(n == 2, "%d detections, expected 2", n);
    if (d && n == 2) {
        /* worked by hand: sigmoid(0.5) = 0.6224593, exp(0.3) = 1.3498588, ... */
        CHECK_NEAR(d[0].bbox.x, (2 + 0.6224593) / 4, 1e-6);       /* 0.6556148 */
        CHECK_NEAR(d[0].bbox.y, (1 + 0.2689414) / 3, 1e-6);       /* 0.4229805 */
        CHECK_NEAR(d[0].bbox.w, 1.3498588 * 6 / 8, 1e-6);         /* 1.0123941 */
        CHECK_NEAR(d[0].bbox.h, 0.8187308 * 5 / 6, 1e-6);         /* 0.6822757 */
        CHECK_NEAR(d[0].objectness, 0.8807971, 1e-6);
        CHECK(d[0].classes == 2);
        CHECK_NEAR(d[0].prob[0], 0.8807971 * 0.7310586, 1e-6);    /* 0.6439 > thresh */
        CHECK_NEAR(d[0].prob[1], 0, 0);                            /* 0.2369 < thresh */
        CHECK_NEAR(d[1].bbox.x, (0 + 0.4013123) / 4, 1e-6);       /* 0.1003281 */
        CHECK_NEAR(d[1].bbox.y, (2 + 0.6899745) / 3, 1e-6);       /* 0.8966582 */
        CHECK_NEAR(d[1].bbox.w, 0.6065307 * 2 / 8, 1e-6);         /* 0.1516327 */
        CHECK_NEAR(d[1].bbox.h, 1.8221188 * 3 / 6, 1e-6);         /* 0.9110594 */
        CHECK_NEAR(d[1].objectness, 0.8175745, 1e-6);
        CHECK_NEAR(d[1].prob[0], 0, 0);                            /* 0.0975 */
        CHECK_NEAR(d[1].prob[1], 0.8175745 * 0.9525741, 1e-6);    /* 0.7788 */
    }
    free_detections(d, n);
    /* threshold 0 keeps every box of image 0: 4 x 3 cells x 2 anchors */
    d = get_network_boxes(net, 0, &n);
    CHECK_MSG(n == GW * GH * 2, "%d boxes at threshold 0, expected %d", n, GW * GH * 2);
    free_detections(d, n);
    /* nothing above 0.9 */
    d = get_network_boxes(net, 0.9f, &n);
    CHECK(d != NULL && n == 0);
    free_detections(d, n);
    free(x);
    free_network(net);
}

/* cfg text with the [yolo] section's extra lines and the filters before it */
static network *yolo_variant(int filters, const char *yolo_keys)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=1\nwidth=8\nheight=8\nchannels=3\n"
             "[convolutional]\nfilters=%d\nsize=1\nstride=1\npad=1\nactivation=linear\n"
             "[yolo]\n%s\n",
             filters, yolo_keys);
    return net_from_text(cfg);
}

TEST(yolo_cfg_errors_name_the_key)
{
    static const struct {
        int filters;
        const char *keys, *named;
    } bad[] = {
        {20, "mask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3", "classes"}, /* needs 21 */
        {14, "mask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3", "mask"},    /* 2 anchors' worth */
        {21, "mask=0,1,3\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3", "mask"},    /* no anchor 3 */
        {21, "mask=0,1,2\nanchors=1,1,2,2,3\nclasses=2\nnum=3", "anchors"},
        {21, "mask=0,1,2\nclasses=2\nnum=3", "anchors"},
        {21, "mask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3\nscale_x_y=0.9", "scale_x_y"},
        {21, "mask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3\nnew_coords=1", "new_coords"},
        {21, "mask=0,1,2\nanchors=1,1,2,2,3,3\nclasses=2\nnum=3\nbogus=1", "bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        network *net = yolo_variant(bad[i].filters, bad[i].keys);
        CHECK_MSG(net == NULL, "case %zu accepted", i);
        CHECK_MSG(strstr(dn_last_error(), bad[i].named) != NULL, "case %zu: message does not name '%s': %s",
                  i, bad[i].named, dn_last_error());
        free_network(net);
    }
}

TEST(yolo_accepts_darknet_training_keys)
{
    network *net = yolo_variant(
        21, "mask=0,1,2\nanchors=1,1, 2,2, 3,3\nclasses=2\nnum=3\njitter=.3\nignore_thresh=.7\n"
            "truth_thresh=1\nrandom=1\nscale_x_y=1.0\niou_normalizer=0.07\ncls_normalizer=1\n"
            "iou_loss=ciou\nnms_kind=greedynms\nbeta_nms=0.6\nmax_delta=5\ncounters_per_class=3,4\n"
            "label_smooth_eps=0.1\nobjectness_smooth=0\nnew_coords=0\nresize=1\nfocal_loss=0\n"
            "uc_normalizer=1\niou_thresh=0.213\nmax=200");
    CHECK_MSG(net != NULL, "rejected: %s", dn_last_error());
    free_network(net);
    /* no mask: every anchor, as darknet */
    net = yolo_variant(14, "anchors=1,1, 2,2\nclasses=2\nnum=2");
    CHECK_MSG(net != NULL, "rejected: %s", dn_last_error());
    free_network(net);
}
