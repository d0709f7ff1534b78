/* [yolo] training: the loss of one image worked out by hand, its gradient
 * against finite differences for every iou_loss, the IoU variants' values
 * and gradients, and the darknet keys acted on or refused by name. */
#include <stdlib.h>
#include <string.h>

#include "iou_kinds.h"
#include "network.h"
#include "test.h"

/* ---- the IoU variants ---- */

TEST(iou_kinds_give_hand_worked_values)
{
    cbox a = {0, 0, 2, 2}, b = {1, 0, 3, 1};
    /* I = 1, U = 4 + 2 - 1 = 5; enclosure 3 x 2: C = 6, c^2 = 13; centres (1,1), (2,0.5): rho^2 = 1.25 */
    CHECK_NEAR(cbox_iou_kind(a, b, IOU_PLAIN, NULL), 0.2, 1e-6);
    CHECK_NEAR(cbox_iou_kind(a, b, IOU_GIOU, NULL), 0.2 - 1.0 / 6, 1e-6);
    CHECK_NEAR(cbox_iou_kind(a, b, IOU_DIOU, NULL), 0.2 - 1.25 / 13, 1e-6);
    double v = 4 / (M_PI * M_PI) * pow(atan(2.0) - atan(1.0), 2), alpha = v / (1 - 0.2 + v);
    CHECK_NEAR(cbox_iou_kind(a, b, IOU_CIOU, NULL), 0.2 - 1.25 / 13 - alpha * v, 1e-6);
    CHECK_NEAR(cbox_iou_kind(a, a, IOU_CIOU, NULL), 1, 1e-6);
}

TEST(iou_kinds_gradients_match_finite_differences)
{
    cbox pairs[][2] = {{{0, 0, 2, 2}, {1, 0.2f, 3, 1.3f}}, {{0.3f, 0.1f, 1.1f, 2.4f}, {0, 0, 2, 2}},
                       {{0, 0, 1, 1}, {1.5f, 1.2f, 2.5f, 3}}};
    for (int kind = IOU_PLAIN; kind <= IOU_CIOU; ++kind)
        for (int p = 0; p < 3; ++p) {
            float g[4];
            cbox_iou_kind(pairs[p][0], pairs[p][1], (iou_kind)kind, g);
            for (int j = 0; j < 4; ++j) {
                double eps = 1e-3;
                cbox up = pairs[p][0], down = pairs[p][0];
                ((float *)&up)[j] += (float)eps;
                ((float *)&down)[j] -= (float)eps;
                double num = (cbox_iou_kind(up, pairs[p][1], (iou_kind)kind, NULL) -
                              cbox_iou_kind(down, pairs[p][1], (iou_kind)kind, NULL)) / (2 * eps);
                CHECK_MSG(fabs(num - g[j]) < 2e-3, "%s pair %d coordinate %d: numeric %g analytic %g",
                          iou_kind_names[kind], p, j, num, g[j]);
            }
        }
}

/* ---- the loss of one image by hand ---- */

/* A 2x2 grid on a 2x2 input (so anchors are in cells), 2 anchors, 1 class:
 * 12 input channels, [yolo] straight on the network input. */
static const char *hand_cfg =
    "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=12\n"
    "[yolo]\nmask=0,1\nanchors=1,1, 2,2\nclasses=1\nnum=2\nignore_thresh=0.3\n";

TEST(yolo_loss_of_one_image_with_two_truths_is_the_hand_worked_one)
{
    network *net = build_net(hand_cfg);
    if (!net) return;
    float x[48] = {0}, grad[48] = {0};
    /* A: cell (0,0), best anchor 0 (the same shape); B: cell (1,1), anchor 1 (IoU 0.8 against 0.3125) */
    float truth[DN_MAX_BOXES * 5] = {0.3f, 0.25f, 0.5f, 0.5f, 0, 0.75f, 0.75f, 1.0f, 0.8f, 0};
    net->train = 1;
    net->truth = truth;
    net->input_grad = grad;
    forward_network(net, x);
    backward_network(net, x);
    net->input_grad = NULL;
    net->truth = NULL;
    net->train = 0;
    /* Every logit 0: sigma 0.5, boxes centred in their cells with the anchor's size.
     * Slot 0 at cell 3 (0.5 x 0.5 at (0.75, 0.75)) lies inside B: IoU 0.3125 > 0.3, ignored.
     * The 5 other untrained slots: ln 2 each; trained objectness and class: ln 2 each. */
    double ln2 = log(2.0);
    /* A: t_x = 0.6 against 0.5, scale 2 - 0.25; B: t_h = ln 0.8, scale 2 - 0.8 */
    double kl = 0.6 * log(0.6 / 0.5) + 0.4 * log(0.4 / 0.5);
    double box = 1.75 * kl + 1.2 * 0.5 * log(0.8) * log(0.8);
    const char *names[8];
    float v[8];
    int k = network_losses(net, names, v, 8);
    CHECK(k == 5);
    CHECK_NEAR(v[0], box, 1e-5);          /* iou */
    CHECK_NEAR(v[1], 2 * ln2, 1e-5);      /* class */
    CHECK_NEAR(v[2], 2 * ln2, 1e-5);      /* obj */
    CHECK_NEAR(v[3], 5 * ln2, 1e-5);      /* noobj */
    CHECK_NEAR(v[4], 2, 0);               /* count */
    CHECK_NEAR(net->layers[0].cost, box + 9 * ln2, 1e-5);
    /* channels: slot n entry e is channel n*6 + e; cell p = row * 2 + col */
#define G(n, e, p) (grad[((n) * 6 + (e)) * 4 + (p)])
    CHECK_NEAR(G(0, 4, 0), 0.5, 1e-6);              /* trained: towards 1 */
    CHECK_NEAR(G(0, 4, 1), -0.5, 1e-6);             /* untrained: towards 0 */
    CHECK_NEAR(G(0, 4, 3), 0, 0);                   /* ignored */
    CHECK_NEAR(G(0, 0, 0), 1.75 * (0.6 - 0.5), 1e-6);   /* darknet's delta scale (t_x - x) */
    CHECK_NEAR(G(1, 3, 3), 1.2 * log(0.8), 1e-6);
    CHECK_NEAR(G(1, 5, 3), 0.5, 1e-6);              /* class */
    CHECK_NEAR(G(0, 5, 1), 0, 0);                   /* no class term where nothing is trained */
#undef G
    free_network(net);
}

/* ---- the gradient of every iou_loss ---- */

/* 2 images on an 8x6 grid (anchors in cells), 3 of 4 anchors, 2 classes, every option that
 * keeps the loss smooth switched on; ignore_thresh=1 keeps every untrained
 * slot's term (the ignore is a step, with no gradient to check). */
static const char *fd_cfg =
    "[net]\nbatch=2\nwidth=8\nheight=6\nchannels=21\n"
    "[yolo]\nmask=0,2,3\nanchors=1,1.5, 2,3, 4,2, 5,5\nclasses=2\nnum=4\nignore_thresh=1\n"
    "iou_thresh=0.3\nscale_x_y=1.1\nlabel_smooth_eps=0.1\ncounters_per_class=30,10\n"
    "iou_normalizer=0.5\ncls_normalizer=1.5\nobj_normalizer=0.8\niou_loss=%s\n";

static double loss_at(network *net, float *x, const float *truth, float *grad)
{
    net->train = 1;
    net->truth = truth;
    net->input_grad = grad;
    forward_network(net, x);
    if (grad) backward_network(net, x);
    net->input_grad = NULL;
    net->truth = NULL;
    net->train = 0;
    return net->layers[0].cost;
}

TEST(yolo_gradient_matches_finite_differences_for_every_iou_loss)
{
    static const float truth_of[2][15] = {{0.3f, 0.4f, 0.25f, 0.4f, 1, 0.8f, 0.7f, 0.5f, 0.45f, 0},
                                          {0.55f, 0.2f, 0.3f, 0.3f, 0, 0.1f, 0.9f, 0.15f, 0.2f, 1, 0.6f, 0.6f,
                                           0.7f, 0.6f, 1}};
    float truth[2 * DN_MAX_BOXES * 5] = {0};
    memcpy(truth, truth_of[0], sizeof truth_of[0]);
    memcpy(truth + DN_MAX_BOXES * 5, truth_of[1], sizeof truth_of[1]);
    const char *kinds[] = {"mse", "iou", "giou", "diou", "ciou"};
    for (int k = 0; k < 5; ++k) {
        char cfg[1024];
        snprintf(cfg, sizeof cfg, fd_cfg, kinds[k]);
        network *net = build_net(cfg);
        if (!net) return;
        int n = 2 * net->inputs;
        float *x = random_input(net, 7 + k), *grad = calloc(n, sizeof(float));
        for (int i = 0; i < n; ++i) x[i] *= 2;
        loss_at(net, x, truth, grad);
        double worst = 0, eps = 4e-3;   /* CIoU curves fast: 1e-2 is too coarse */
        int where = -1;
        for (int i = 0; i < n; ++i) {
            float keep = x[i];
            x[i] = keep + (float)eps;
            double up = loss_at(net, x, truth, NULL);
            x[i] = keep - (float)eps;
            double down = loss_at(net, x, truth, NULL);
            x[i] = keep;
            double err = fabs((up - down) / (2 * eps) + grad[i]) / fmax(1, fabs(grad[i]));
            if (err > worst) worst = err, where = i;
        }
        CHECK_MSG(worst < 5e-3, "iou_loss=%s: worst relative error %g at input %d (analytic %g)", kinds[k], worst, where, where >= 0 ? -grad[where] : 0.0);
        free(x);
        free(grad);
        free_network(net);
    }
}

TEST(yolo_iou_thresh_trains_more_anchors_and_max_delta_clips)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, fd_cfg, "giou");
    network *net = build_net(cfg);
    float truth[2 * DN_MAX_BOXES * 5] = {0.3f, 0.4f, 0.25f, 0.4f, 1};
    if (!net) return;
    float *x = random_input(net, 3), *grad = calloc(2 * net->inputs, sizeof(float));
    loss_at(net, x, truth, grad);
    const char *names[8];
    float v[8];
    network_losses(net, names, v, 8);
    /* 2 x 2.4 pixels: best anchor 1 (not here), and anchors 0 and 2 pass IoU 0.3 */
    CHECK_MSG(v[4] * 2 == 2, "count %g per image", v[4]);
    free_network(net);
    snprintf(cfg, sizeof cfg, fd_cfg, "giou\nmax_delta=0.01");
    net = build_net(cfg);
    if (!net) return;
    memset(grad, 0, 2 * net->inputs * sizeof(float));
    loss_at(net, x, truth, grad);
    double biggest = 0;   /* box channels of slots 0 and 1 at every cell of image 0 */
    for (int ch = 0; ch < 4; ++ch)
        for (int p = 0; p < 48; ++p) biggest = fmax(biggest, fabs(grad[ch * 48 + p]) + fabs(grad[(7 + ch) * 48 + p]));
    CHECK_MSG(biggest <= 0.02 + 1e-6 && biggest > 0, "largest box gradient %g with max_delta=0.01", biggest);
    free(x);
    free(grad);
    free_network(net);
}

TEST(yolo_training_keys_are_acted_on_or_refused_by_name_and_line)
{
    static const struct {
        const char *keys, *named;
    } bad[] = {
        {"iou_loss=l2", "iou_loss"},           {"truth_thresh=0.7", "truth_thresh"},
        {"objectness_smooth=1", "objectness_smooth"}, {"focal_loss=1", "focal_loss"},
        {"counters_per_class=3,4", "counters_per_class"}, {"scale_x_y=0.5", "scale_x_y"},
        {"track_history_size=5", "track_history_size"}, {"map=coco.map", "map"},
        {"nms_kind=diounms", "nms_kind"},      {"iou_thresh_kind=l1", "iou_thresh_kind"},
        {"resize=1.5", "resize"},              {"random=2", "random"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        char cfg[512];
        snprintf(cfg, sizeof cfg, "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=12\n"
                                  "[yolo]\nmask=0,1\nanchors=1,1, 2,2\nclasses=1\nnum=2\n%s\n", bad[i].keys);
        network *net = net_from_text(cfg);
        CHECK_MSG(net == NULL, "'%s' accepted", bad[i].keys);
        /* the key is on line 11 */
        CHECK_MSG(strstr(dn_last_error(), bad[i].named) && strstr(dn_last_error(), ":11:"),
                  "'%s': the message does not name the key and line: %s", bad[i].keys, dn_last_error());
        free_network(net);
    }
}
