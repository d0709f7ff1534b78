/* Box mathematics for RetinaNet (src/boxes/): box forms, IoU, GIoU and its
 * gradient, anchors, box coding, the anchor matcher, top-k, NMS and the
 * post-processing helper. Expected values are worked out by hand in the
 * comments; a few randomised checks compare against plain brute force. */
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "box_coding.h"
#include "boxes.h"
#include "matcher.h"
#include "nms.h"
#include "rng.h"
#include "test.h"

static int cbox_near(cbox a, cbox b, double tol)
{
    return fabs(a.x1 - b.x1) <= tol && fabs(a.y1 - b.y1) <= tol && fabs(a.x2 - b.x2) <= tol &&
           fabs(a.y2 - b.y2) <= tol;
}

#define CHECK_BOX(got, X1, Y1, X2, Y2, tol)                                                    \
    do {                                                                                       \
        cbox g_ = (got), w_ = {(X1), (Y1), (X2), (Y2)};                                        \
        CHECK_MSG(cbox_near(g_, w_, tol), "%s = (%g, %g, %g, %g), expected (%g, %g, %g, %g)",  \
                  #got, g_.x1, g_.y1, g_.x2, g_.y2, w_.x1, w_.y1, w_.x2, w_.y2);               \
    } while (0)

/* ---- boxes ---- */

TEST(boxes_convert_between_centre_and_corner_form)
{
    /* centre (5, 4), size 4 x 2 -> corners (5-2, 4-1, 5+2, 4+1) */
    box b = {5, 4, 4, 2};
    CHECK_BOX(cbox_from_box(b), 3, 3, 7, 5, 0);
    box back = box_from_cbox((cbox){3, 3, 7, 5});
    CHECK(back.x == 5 && back.y == 4 && back.w == 4 && back.h == 2);
    /* area: 4 * 2; inverted and NaN boxes have none */
    CHECK(cbox_area((cbox){3, 3, 7, 5}) == 8);
    CHECK(cbox_area((cbox){7, 3, 3, 5}) == 0);
    CHECK(cbox_area((cbox){NAN, 3, 7, 5}) == 0);
    /* clip to a 10 x 15 image */
    CHECK_BOX(cbox_clip((cbox){-2, 3, 12, 20}, 10, 15), 0, 3, 10, 15, 0);
}

TEST(boxes_iou_hand_cases)
{
    /* overlap: [0,4]^2 and [2,6]^2 share 2x2 = 4; union 16 + 16 - 4 = 28 */
    CHECK_NEAR(cbox_iou((cbox){0, 0, 4, 4}, (cbox){2, 2, 6, 6}), 4.0 / 28, 1e-7);
    /* symmetric */
    CHECK_NEAR(cbox_iou((cbox){2, 2, 6, 6}, (cbox){0, 0, 4, 4}), 4.0 / 28, 1e-7);
    /* identical */
    CHECK(cbox_iou((cbox){1, 2, 3, 5}, (cbox){1, 2, 3, 5}) == 1);
    /* disjoint, and touching along an edge (intersection of width 0) */
    CHECK(cbox_iou((cbox){0, 0, 1, 1}, (cbox){2, 2, 3, 3}) == 0);
    CHECK(cbox_iou((cbox){0, 0, 1, 1}, (cbox){1, 0, 2, 1}) == 0);
    /* contained: inner 2 x 5 = 10 inside 10 x 10 = 100 -> 10 / 100 */
    CHECK_NEAR(cbox_iou((cbox){0, 0, 10, 10}, (cbox){2, 2, 4, 7}), 0.1, 1e-7);
    /* zero-area boxes: 0, never NaN, also for two identical points */
    CHECK(cbox_iou((cbox){1, 1, 1, 5}, (cbox){0, 0, 4, 4}) == 0);
    CHECK(cbox_iou((cbox){1, 1, 1, 1}, (cbox){1, 1, 1, 1}) == 0);
    CHECK(cbox_iou((cbox){4, 4, 0, 0}, (cbox){0, 0, 4, 4}) == 0);   /* inverted */
    CHECK(cbox_iou((cbox){NAN, 0, 4, 4}, (cbox){0, 0, 4, 4}) == 0);
}

TEST(boxes_giou_hand_values)
{
    /* identical: IoU 1, enclosure = union -> 1 */
    CHECK_NEAR(cbox_giou((cbox){0, 0, 4, 4}, (cbox){0, 0, 4, 4}, NULL, NULL), 1, 1e-7);
    /* [0,4]^2 and [2,6]^2: IoU 4/28 = 1/7, enclosure 6x6 = 36, (36-28)/36 = 2/9:
     * 1/7 - 2/9 = -5/63 */
    CHECK_NEAR(cbox_giou((cbox){0, 0, 4, 4}, (cbox){2, 2, 6, 6}, NULL, NULL), -5.0 / 63, 1e-7);
    /* disjoint unit squares [0,1] and [2,3] in x: IoU 0, U = 2, C = 3 -> -1/3 */
    CHECK_NEAR(cbox_giou((cbox){0, 0, 1, 1}, (cbox){2, 0, 3, 1}, NULL, NULL), -1.0 / 3, 1e-7);
    /* contained: IoU 0.1, the enclosure is the outer box = the union -> 0.1 */
    CHECK_NEAR(cbox_giou((cbox){0, 0, 10, 10}, (cbox){2, 2, 4, 7}, NULL, NULL), 0.1, 1e-7);
    /* a zero-area gt beside a box: I = 0, U = 4, C = [0,6]x[0,4] = 24: -(24-4)/24 */
    CHECK_NEAR(cbox_giou((cbox){0, 0, 2, 2}, (cbox){6, 4, 6, 4}, NULL, NULL), -20.0 / 24, 1e-7);
    /* two separate zero-area boxes: U = 0, so IoU term 0; C = 2 x 1: -(2-0)/2 = -1,
     * gradient 0 (undefined there) */
    float ga[4] = {9, 9, 9, 9}, gb[4] = {9, 9, 9, 9};
    CHECK_NEAR(cbox_giou((cbox){0, 0, 0, 1}, (cbox){2, 0, 2, 1}, ga, gb), -1, 1e-7);
    for (int i = 0; i < 4; ++i) CHECK(ga[i] == 0 && gb[i] == 0);
    /* and identical points: U = C = 0 -> 0, not NaN */
    CHECK(cbox_giou((cbox){1, 1, 1, 1}, (cbox){1, 1, 1, 1}, NULL, NULL) == 0);
}

TEST(boxes_giou_gradient_hand_value)
{
    /* a = [0,4]^2, b = [2,6]^2: U = 28, I = 4, C = 36.
     *   dG/dI (total)  = 1/U + I/U^2 - 1/C = (63 + 9 - 49)/1764 = 23/1764
     *   dG/dArea       = -I/U^2 + 1/C      = (-9 + 49)/1764    = 40/1764
     *   dG/dC          = -U/C^2            = -28/1296
     * a.x2 = 4 ends a's width (dA/dx2 = h = 4) and the intersection
     * (min(4, 6): dI/dx2 = ih = 2), not the enclosure (max(4, 6) is b's):
     *   dG/da.x2 = 4 * 40/1764 + 2 * 23/1764 = 206/1764
     * a.x1 = 0 starts a's width (-4) and the enclosure (min(0, 2), dC/dx1 = -6):
     *   dG/da.x1 = -4 * 40/1764 + 6 * 28/1296
     * b.x2 = 6 ends b's width and the enclosure:
     *   dG/db.x2 = 4 * 40/1764 - 6 * 28/1296 */
    float ga[4], gb[4];
    cbox_giou((cbox){0, 0, 4, 4}, (cbox){2, 2, 6, 6}, ga, gb);
    CHECK_NEAR(ga[2], 206.0 / 1764, 1e-6);
    CHECK_NEAR(ga[0], -160.0 / 1764 + 168.0 / 1296, 1e-6);
    CHECK_NEAR(gb[2], 160.0 / 1764 - 168.0 / 1296, 1e-6);
    /* by symmetry of this pair under (x, y) swap: d/dy2 = d/dx2 */
    CHECK_NEAR(ga[3], ga[2], 1e-7);
}

/* Central differences on every coordinate of both boxes. */
static double giou_fd_error(cbox a, cbox b)
{
    float ga[4], gb[4];
    cbox_giou(a, b, ga, gb);
    const float h = 1e-2f;
    double worst = 0;
    for (int which = 0; which < 2; ++which) {
        for (int i = 0; i < 4; ++i) {
            cbox p = which ? b : a, m = p;
            ((float *)&p)[i] += h;
            ((float *)&m)[i] -= h;
            double fp = which ? cbox_giou(a, p, NULL, NULL) : cbox_giou(p, b, NULL, NULL);
            double fm = which ? cbox_giou(a, m, NULL, NULL) : cbox_giou(m, b, NULL, NULL);
            double step = (double)((float *)&p)[i] - ((float *)&m)[i];
            double fd = (fp - fm) / step;
            double an = which ? gb[i] : ga[i];
            double err = fabs(fd - an);
            if (err > worst) worst = err;
        }
    }
    return worst;
}

/* smallest gap between coordinates that the min/max choices compare */
static float min_gap(cbox a, cbox b)
{
    float g = INFINITY, d[4] = {a.x1 - b.x1, a.y1 - b.y1, a.x2 - b.x2, a.y2 - b.y2};
    for (int i = 0; i < 4; ++i) g = fminf(g, fabsf(d[i]));
    /* intersection extents (kinks where they cross 0) */
    g = fminf(g, fabsf(fminf(a.x2, b.x2) - fmaxf(a.x1, b.x1)));
    g = fminf(g, fabsf(fminf(a.y2, b.y2) - fmaxf(a.y1, b.y1)));
    return g;
}

TEST(boxes_giou_gradient_matches_finite_differences)
{
    /* hand-picked: overlapping, disjoint, contained, overlapping in x only */
    cbox cases[][2] = {
        {{0, 0, 4, 4}, {2, 2, 6, 6}},
        {{0, 0, 1, 1.5f}, {2.5f, 0.5f, 3, 3}},
        {{0, 0, 10, 10}, {2, 2, 4, 7}},
        {{0, 0, 4, 2}, {1, 3, 5, 6}},
        {{3, 1, 7, 9}, {0.5f, 2, 8, 4}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        double err = giou_fd_error(cases[c][0], cases[c][1]);
        CHECK_MSG(err < 2e-4, "case %zu: gradient differs from finite differences by %g", c, err);
    }
    /* random pairs away from ties (kinks) */
    rng_state r;
    rng_seed(&r, 7);
    int tried = 0;
    while (tried < 200) {
        float x = rng_range(&r, 0, 10), y = rng_range(&r, 0, 10);
        cbox a = {x, y, x + rng_range(&r, 0.5f, 6), y + rng_range(&r, 0.5f, 6)};
        x = rng_range(&r, 0, 10), y = rng_range(&r, 0, 10);
        cbox b = {x, y, x + rng_range(&r, 0.5f, 6), y + rng_range(&r, 0.5f, 6)};
        if (min_gap(a, b) < 0.05f) continue;
        ++tried;
        double err = giou_fd_error(a, b);
        CHECK_MSG(err < 2e-4, "random pair %d: gradient differs from finite differences by %g", tried,
                  err);
        if (err >= 2e-4) break;
    }
}

/* ---- anchors ---- */

TEST(anchors_2x2_grid_stride_8_base_32)
{
    /* Sizes S = 32 * 2^(s/3) = 32, 40.31747, 50.79683. Ratio r = h/w:
     * w = S/sqrt(r), h = S*sqrt(r). For r = 0.5: half extents S/sqrt(2) and
     * S/(2 sqrt(2)): (22.62742, 11.31371), (28.50876, 14.25438),
     * (35.91879, 17.95939); r = 1: S/2 = 16, 20.15874, 25.39842; r = 2: the
     * transposes of r = 0.5. Order a = ratio * 3 + scale. Cell (x, y) has
     * centre (8x, 8y); its anchors start at index (y*2 + x) * 9. */
    anchor_config c = anchor_config_retinanet(32);
    CHECK(anchors_per_position(&c) == 9);
    cbox an[2 * 2 * 9];
    CHECK(make_anchors(&c, 2, 2, 8, an) == 36);
    const float half[9][2] = {
        {22.62742f, 11.31371f}, {28.50876f, 14.25438f}, {35.91879f, 17.95939f},
        {16, 16},               {20.15874f, 20.15874f}, {25.39842f, 25.39842f},
        {11.31371f, 22.62742f}, {14.25438f, 28.50876f}, {17.95939f, 35.91879f},
    };
    /* all 9 of cell (x=1, y=0): centre (8, 0), indices 9..17 */
    for (int a = 0; a < 9; ++a)
        CHECK_BOX(an[9 + a], 8 - half[a][0], 0 - half[a][1], 8 + half[a][0], 0 + half[a][1], 1e-3);
    /* all 9 of cell (0, 0): centre (0, 0) */
    for (int a = 0; a < 9; ++a)
        CHECK_BOX(an[a], -half[a][0], -half[a][1], half[a][0], half[a][1], 1e-3);
    /* cell (x=0, y=1), a = 4 (r 1, scale 2^(1/3)): centre (0, 8), index 18 + 4 */
    CHECK_BOX(an[22], -20.15874f, 8 - 20.15874f, 20.15874f, 8 + 20.15874f, 1e-3);
    /* last: cell (1, 1), a = 8 (r 2, scale 2^(2/3)): centre (8, 8) */
    CHECK_BOX(an[35], 8 - 17.95939f, 8 - 35.91879f, 8 + 17.95939f, 8 + 35.91879f, 1e-3);

    /* mmdetection's center_offset 0.5: cell (1, 0) centred on (12, 4) */
    c.center_offset = 0.5f;
    CHECK(make_anchors(&c, 2, 2, 8, an) == 36);
    CHECK_BOX(an[9 + 3], 12 - 16, 4 - 16, 12 + 16, 4 + 16, 1e-5);
}

TEST(anchors_torchvision_rounding)
{
    /* torchvision P3: sizes int(32 * 2^(k/3)) = 32, 40, 50; half extents
     * rounded: r 0.5, size 32: 45.25/2 = 22.63 -> 23, 22.63/2 = 11.31 -> 11;
     * size 40: 28.28 -> 28, 14.14 -> 14; size 50: 35.36 -> 35, 17.68 -> 18;
     * r 1: 16, 20, 25. (The list in the reference note, retinanet.py.) */
    anchor_config c = anchor_config_retinanet(32);
    c.torchvision_round = 1;
    cbox base[9];
    CHECK(make_base_anchors(&c, base) == 9);
    const float want[9][2] = {{23, 11}, {28, 14}, {35, 18}, {16, 16}, {20, 20},
                              {25, 25}, {11, 23}, {14, 28}, {18, 35}};
    for (int a = 0; a < 9; ++a)
        CHECK_BOX(base[a], -want[a][0], -want[a][1], want[a][0], want[a][1], 0);
    /* P4: size int(64 * 2^(2/3)) = 101, r 1: 101/2 = 50.5 rounds half to even
     * -> 50 (torch.round); P5: int(128 * 2^(2/3)) = 203: 101.5 -> 102 */
    c = anchor_config_retinanet(64);
    c.torchvision_round = 1;
    CHECK(make_base_anchors(&c, base) == 9);
    CHECK_BOX(base[5], -50, -50, 50, 50, 0);
    c = anchor_config_retinanet(128);
    c.torchvision_round = 1;
    CHECK(make_base_anchors(&c, base) == 9);
    CHECK_BOX(base[5], -102, -102, 102, 102, 0);
}

TEST(anchors_reject_bad_configs)
{
    anchor_config c = anchor_config_retinanet(32);
    cbox out[9];
    c.n_scales = 0;
    dn_clear_error();
    CHECK(make_base_anchors(&c, out) < 0 && strstr(dn_last_error(), "scales"));
    c = anchor_config_retinanet(32);
    c.ratios[1] = -1;
    dn_clear_error();
    CHECK(make_base_anchors(&c, out) < 0 && strstr(dn_last_error(), "aspect ratio 1"));
    c = anchor_config_retinanet(NAN);
    dn_clear_error();
    CHECK(anchors_per_position(&c) < 0 && strstr(dn_last_error(), "base size"));
    c = anchor_config_retinanet(32);
    dn_clear_error();
    CHECK(make_anchors(&c, 1, 1, 0, out) < 0 && strstr(dn_last_error(), "stride"));
    dn_clear_error();
    CHECK(make_anchors(&c, -1, 1, 8, out) < 0 && strstr(dn_last_error(), "grid"));
    CHECK(make_anchors(&c, 0, 3, 8, out) == 0);   /* an empty grid is fine */
    dn_clear_error();
}

/* ---- box coding ---- */

TEST(box_coding_hand_case_and_round_trip)
{
    /* anchor (0,0,10,20): centre (5,10), size 10 x 20. gt (2,4,22,14): centre
     * (12,9), size 20 x 10. dx = 7/10, dy = -1/20, dw = log 2, dh = log 1/2. */
    cbox anchor = {0, 0, 10, 20}, gt = {2, 4, 22, 14};
    float d[4];
    box_encode(gt, anchor, NULL, d);
    CHECK_NEAR(d[0], 0.7, 1e-6);
    CHECK_NEAR(d[1], -0.05, 1e-6);
    CHECK_NEAR(d[2], 0.693147181, 1e-6);
    CHECK_NEAR(d[3], -0.693147181, 1e-6);
    CHECK_BOX(box_decode(d, anchor, NULL), 2, 4, 22, 14, 1e-5);
    /* Faster R-CNN's weights (10, 10, 5, 5) multiply: 7, -0.5, 5 log 2, -5 log 2 */
    const float w[4] = {10, 10, 5, 5};
    box_encode(gt, anchor, w, d);
    CHECK_NEAR(d[0], 7, 1e-5);
    CHECK_NEAR(d[1], -0.5, 1e-6);
    CHECK_NEAR(d[2], 3.465735903, 1e-5);
    CHECK_NEAR(d[3], -3.465735903, 1e-5);
    CHECK_BOX(box_decode(d, anchor, w), 2, 4, 22, 14, 1e-5);
    /* random round trips */
    rng_state r;
    rng_seed(&r, 11);
    for (int i = 0; i < 100; ++i) {
        float x = rng_range(&r, -50, 50), y = rng_range(&r, -50, 50);
        cbox an = {x, y, x + rng_range(&r, 4, 100), y + rng_range(&r, 4, 100)};
        x = rng_range(&r, -50, 50), y = rng_range(&r, -50, 50);
        cbox g = {x, y, x + rng_range(&r, 1, 200), y + rng_range(&r, 1, 200)};
        box_encode(g, an, NULL, d);
        cbox back = box_decode(d, an, NULL);
        CHECK_MSG(cbox_near(back, g, 1e-3), "round trip %d: (%g %g %g %g) vs (%g %g %g %g)", i,
                  back.x1, back.y1, back.x2, back.y2, g.x1, g.y1, g.x2, g.y2);
    }
}

TEST(box_coding_decode_clamps_size)
{
    /* anchor 16 x 16 at centre (8, 8). dw = 10 is clamped to log(1000/16):
     * width 16 * 1000/16 = 1000 -> x from 8 - 500 to 8 + 500; dh = 0 keeps 16. */
    cbox anchor = {0, 0, 16, 16};
    float d[4] = {0, 0, 10, 0};
    CHECK_BOX(box_decode(d, anchor, NULL), -492, 0, 508, 16, 1e-3);
    /* exactly at the clip: the same box */
    d[2] = BOX_CODING_CLIP;
    CHECK_BOX(box_decode(d, anchor, NULL), -492, 0, 508, 16, 1e-3);
    /* below: no clamp (only from above, as torchvision): width 16 e^-20 ~ 0 */
    d[2] = -20;
    cbox b = box_decode(d, anchor, NULL);
    CHECK(b.x2 - b.x1 >= 0 && b.x2 - b.x1 < 1e-6 && fabsf(b.x1 - 8) < 1e-5f);
    /* a degenerate gt encodes to a finite dw = log(1e-6) = -13.8155 */
    float e[4];
    box_encode((cbox){4, 4, 4, 12}, anchor, NULL, e);
    CHECK(isfinite(e[2]));
    CHECK_NEAR(e[2], -13.8155106, 1e-3);
    CHECK_NEAR(e[3], log(0.5), 1e-6);
}

TEST(box_coding_decode_backward_matches_finite_differences)
{
    /* L = giou(decode(delta, anchor), gt): the chain rule of GIoU's gradient
     * and box_decode_backward against central differences in delta. */
    cbox anchor = {10, 20, 42, 36}, gt = {14, 18, 40, 45};
    const float w[4] = {10, 10, 5, 5};
    for (int use_w = 0; use_w < 2; ++use_w) {
        const float *wt = use_w ? w : NULL;
        float d[4] = {0.1f, -0.2f, 0.3f, 0.25f}, gbox[4], gd[4];
        if (use_w)
            for (int j = 0; j < 4; ++j) d[j] *= w[j];
        cbox_giou(box_decode(d, anchor, wt), gt, gbox, NULL);
        box_decode_backward(d, anchor, wt, gbox, gd);
        for (int j = 0; j < 4; ++j) {
            float dp[4], dm[4];
            memcpy(dp, d, sizeof dp);
            memcpy(dm, d, sizeof dm);
            float h = use_w ? 1e-2f : 1e-3f;
            dp[j] += h;
            dm[j] -= h;
            double fd = ((double)cbox_giou(box_decode(dp, anchor, wt), gt, NULL, NULL) -
                         cbox_giou(box_decode(dm, anchor, wt), gt, NULL, NULL)) /
                        ((double)dp[j] - dm[j]);
            CHECK_MSG(fabs(fd - gd[j]) < 2e-3 * fmax(1, fabs(fd)),
                      "weights %d, delta %d: analytic %g, finite differences %g", use_w, j, gd[j], fd);
        }
    }
    /* dw = 6 > log(1000/16) is clamped: no gradient. dh = 0 is not:
     * dL/dd3 = (g_y2 - g_y1) * e^0 * ph / 2 = (1 - (-1)) * 16 / 2 = 16.
     * dx, dy: (g_x1 + g_x2) * pw = 0 and (g_y1 + g_y2) * ph = 0. */
    float d[4] = {0, 0, 6, 0}, g[4] = {-1, -1, 1, 1}, gd[4];
    box_decode_backward(d, anchor, NULL, g, gd);
    CHECK(gd[2] == 0);
    CHECK_NEAR(gd[3], 16, 1e-5);
    CHECK(gd[0] == 0 && gd[1] == 0);
}

/* ---- matcher ---- */

static int run_match(const cbox *an, int na, const cbox *gt, int ng, match_config cfg, int *m)
{
    void *scratch = malloc(match_scratch_size(na, ng) + 1);
    int rc = match_anchors(an, na, gt, ng, &cfg, scratch, m);
    free(scratch);
    return rc;
}

/* Records a failure naming the first entry where got differs from want. */
static void check_ints(const char *file, int line, const char *what, const int *got,
                       const int *want, int n)
{
    for (int i = 0; i < n; ++i)
        if (got[i] != want[i]) {
            test_fail(file, line, "%s[%d] = %d, expected %d", what, i, got[i], want[i]);
            return;
        }
}

#define CHECK_MATCHES(got, ...)                                                         \
    do {                                                                                \
        const int want_[] = {__VA_ARGS__};                                              \
        check_ints(__FILE__, __LINE__, #got, got, want_, (int)(sizeof want_ / sizeof *want_)); \
    } while (0)

TEST(matcher_thresholds_positive_ignored_negative)
{
    /* One gt [0,10]^2; anchors of height 10 on the same rows, so IoU =
     * overlap / (10 + width - overlap) along x:
     *   (0,10)  1          -> 0 (positive)
     *   (0,5)   5/10 = .5  -> 0 (>= .5 is positive)
     *   (0,4)   4/10 = .4  -> ignored (>= .4)
     *   (4,14)  6/14 = .43 -> ignored
     *   (5,15)  5/15 = .33 -> negative
     *   (0,3)   3/10 = .3  -> negative
     *   (20,30) 0          -> negative */
    cbox gt = {0, 0, 10, 10};
    cbox an[7] = {{0, 0, 10, 10}, {0, 0, 5, 10},  {0, 0, 4, 10},  {4, 0, 14, 10},
                  {5, 0, 15, 10}, {0, 0, 3, 10},  {20, 0, 30, 10}};
    int m[7];
    CHECK(run_match(an, 7, &gt, 1, match_config_retinanet(), m) == 0);
    CHECK_MATCHES(m, 0, 0, MATCH_IGNORE, MATCH_IGNORE, MATCH_NEGATIVE, MATCH_NEGATIVE,
                  MATCH_NEGATIVE);
}

TEST(matcher_low_quality_match)
{
    /* gt [0,10]^2; best anchor (4,14) has IoU 6/14 = .43 only (ignored band):
     * as the gt's best it becomes positive; (5,15) at 1/3 stays negative. */
    cbox gt = {0, 0, 10, 10};
    cbox an[3] = {{4, 0, 14, 10}, {5, 0, 15, 10}, {50, 0, 60, 10}};
    int m[3];
    match_config cfg = match_config_retinanet();
    CHECK(run_match(an, 3, &gt, 1, cfg, m) == 0);
    CHECK_MATCHES(m, 0, MATCH_NEGATIVE, MATCH_NEGATIVE);
    cfg.low_quality = 0;
    CHECK(run_match(an, 3, &gt, 1, cfg, m) == 0);
    CHECK_MATCHES(m, MATCH_IGNORE, MATCH_NEGATIVE, MATCH_NEGATIVE);
}

TEST(matcher_low_quality_goes_to_the_anchors_own_best_gt)
{
    /* gt0 [0,10], gt1 [9,19] (x; all heights 10). Anchor X (5,15):
     * IoU with gt0 5/15 = .33, with gt1 6/14 = .43 (ignored band). Anchor Y
     * (9,19) = gt1: IoU 1 (positive 1); with gt0 1/19.
     * gt0's best anchor is X (.33 > 1/19): a low-quality match, and X goes to
     * its own best gt, gt1 (torchvision); mmdetection would give it gt0. */
    cbox gt[2] = {{0, 0, 10, 10}, {9, 0, 19, 10}};
    cbox an[2] = {{5, 0, 15, 10}, {9, 0, 19, 10}};
    int m[2];
    CHECK(run_match(an, 2, gt, 2, match_config_retinanet(), m) == 0);
    CHECK_MATCHES(m, 1, 1);
}

TEST(matcher_tie_of_two_anchors_and_all_ignored)
{
    /* gt [0,10]; anchors (-4,6) and (4,14) both overlap 6: IoU 60/140 = .43
     * exactly equal. Low-quality: both tie at the gt's best, both positive.
     * A far anchor stays negative. */
    cbox gt = {0, 0, 10, 10};
    cbox an[3] = {{-4, 0, 6, 10}, {4, 0, 14, 10}, {30, 0, 40, 10}};
    int m[3];
    match_config cfg = match_config_retinanet();
    CHECK(run_match(an, 3, &gt, 1, cfg, m) == 0);
    CHECK_MATCHES(m, 0, 0, MATCH_NEGATIVE);
    /* without low-quality matches every anchor here is in the ignored band */
    cfg.low_quality = 0;
    CHECK(run_match(an, 2, &gt, 1, cfg, m) == 0);
    CHECK_MATCHES(m, MATCH_IGNORE, MATCH_IGNORE);
}

TEST(matcher_gt_overlapping_nothing_matches_nothing)
{
    /* gt0 far from every anchor and gt1 of zero area: their best IoU is 0, so
     * they make no low-quality match (without the guard every IoU-0 anchor
     * would tie their best and turn positive). gt2 equals anchor 0. Two equal
     * gts (3 and 4, both = anchor 2): the tie goes to the lower index. */
    cbox gt[5] = {{500, 500, 510, 510}, {5, 5, 5, 5}, {0, 0, 10, 10}, {40, 0, 50, 10}, {40, 0, 50, 10}};
    /* anchor 3 overlaps gt2 at 5/15 = .33 only: negative. Without the guard
     * it would tie the IoU-0 "best" of gt0 and gt1 and turn positive (gt2). */
    cbox an[4] = {{0, 0, 10, 10}, {100, 0, 110, 10}, {40, 0, 50, 10}, {5, 0, 15, 10}};
    int m[4];
    CHECK(run_match(an, 4, gt, 5, match_config_retinanet(), m) == 0);
    CHECK_MATCHES(m, 2, MATCH_NEGATIVE, 3, MATCH_NEGATIVE);
    CHECK(run_match(an, 4, gt, 2, match_config_retinanet(), m) == 0);   /* only the two */
    CHECK_MATCHES(m, MATCH_NEGATIVE, MATCH_NEGATIVE, MATCH_NEGATIVE, MATCH_NEGATIVE);
}

TEST(matcher_no_gts_and_bad_arguments)
{
    cbox an[2] = {{0, 0, 10, 10}, {5, 5, 15, 15}};
    int m[2] = {7, 7};
    match_config cfg = match_config_retinanet();
    CHECK(match_anchors(an, 2, NULL, 0, &cfg, NULL, m) == 0);   /* no scratch needed */
    CHECK_MATCHES(m, MATCH_NEGATIVE, MATCH_NEGATIVE);
    CHECK(match_anchors(NULL, 0, NULL, 0, &cfg, NULL, NULL) == 0);
    cfg.neg_iou = 0.6f;   /* above pos_iou */
    dn_clear_error();
    CHECK(match_anchors(an, 2, an, 1, &cfg, NULL, m) < 0 && strstr(dn_last_error(), "thresholds"));
    dn_clear_error();
}

/* The rules applied literally to the full IoU matrix (cbox_iou). */
static void match_reference(const cbox *an, int na, const cbox *gt, int ng, int *m)
{
    float *q = malloc(sizeof(float) * (size_t)na * ng), *gbest = calloc(ng, sizeof(float));
    int *arg = malloc(sizeof(int) * na);
    for (int a = 0; a < na; ++a) {
        float best = 0;
        arg[a] = -1;
        for (int g = 0; g < ng; ++g) {
            float v = q[(size_t)a * ng + g] = cbox_iou(an[a], gt[g]);
            if (v > best) best = v, arg[a] = g;
            if (v > gbest[g]) gbest[g] = v;
        }
        m[a] = best >= 0.5f ? arg[a] : best >= 0.4f ? MATCH_IGNORE : MATCH_NEGATIVE;
    }
    for (int g = 0; g < ng; ++g) {
        if (gbest[g] <= 0) continue;
        for (int a = 0; a < na; ++a)
            if (q[(size_t)a * ng + g] == gbest[g]) m[a] = arg[a];
    }
    free(q);
    free(gbest);
    free(arg);
}

TEST(matcher_agrees_with_brute_force_on_integer_boxes)
{
    /* torchvision-rounded anchors (integers) on two levels and integer gts,
     * so exact ties are frequent */
    enum { NG = 23 };
    anchor_config c3 = anchor_config_retinanet(32), c4 = anchor_config_retinanet(64);
    c3.torchvision_round = c4.torchvision_round = 1;
    int na = 12 * 12 * 9 + 6 * 6 * 9;
    cbox *an = malloc(sizeof(cbox) * na);
    CHECK(make_anchors(&c3, 12, 12, 8, an) == 12 * 12 * 9);
    CHECK(make_anchors(&c4, 6, 6, 16, an + 12 * 12 * 9) == 6 * 6 * 9);
    cbox gt[NG];
    rng_state r;
    rng_seed(&r, 5);
    for (int g = 0; g < NG; ++g) {
        float x = floorf(rng_range(&r, -10, 96)), y = floorf(rng_range(&r, -10, 96));
        gt[g] = (cbox){x, y, x + floorf(rng_range(&r, 0, 80)), y + floorf(rng_range(&r, 0, 80))};
    }
    gt[3] = gt[4];                           /* duplicate gts */
    gt[7] = (cbox){300, 300, 320, 320};      /* overlapping nothing */
    int *m = malloc(sizeof(int) * na), *want = malloc(sizeof(int) * na);
    for (int round = 0; round < 2; ++round) {
        if (round == 1) {   /* shuffled anchors: blocks no longer follow the rows */
            for (int a = na - 1; a > 0; --a) {
                int b = (int)(rng_u32(&r) % (uint32_t)(a + 1));
                cbox t = an[a];
                an[a] = an[b];
                an[b] = t;
            }
        }
        CHECK(run_match(an, na, gt, NG, match_config_retinanet(), m) == 0);
        match_reference(an, na, gt, NG, want);
        int bad = -1, pos = 0, ign = 0, low = 0;
        for (int a = 0; a < na; ++a) {
            if (m[a] != want[a] && bad < 0) bad = a;
            pos += m[a] >= 0;
            ign += m[a] == MATCH_IGNORE;
            low += m[a] >= 0 && cbox_iou(an[a], gt[m[a]]) < 0.5f;
        }
        CHECK_MSG(bad < 0, "round %d, anchor %d: %d, brute force %d", round, bad,
                  bad < 0 ? 0 : m[bad], bad < 0 ? 0 : want[bad]);
        /* the case exercises every outcome, low-quality matches included */
        CHECK_MSG(pos > 0 && ign > 0 && low > 0, "positives %d, ignored %d, low-quality %d", pos,
                  ign, low);
    }
    free(an);
    free(m);
    free(want);
}

/* ---- top-k and NMS ---- */

TEST(nms_top_k_orders_by_score_then_index)
{
    /* scores 0:.3 1:.9 2:.1 3:.9 4:NaN 5:.5 -> .9 (1), .9 (3: tie, higher
     * index second), .5 (5), .3 (0), .1 (2), NaN (4) */
    const float s[6] = {0.3f, 0.9f, 0.1f, 0.9f, NAN, 0.5f};
    int out[6];
    CHECK(top_k(s, 6, 3, out) == 3);
    CHECK_MATCHES(out, 1, 3, 5);
    CHECK(top_k(s, 6, 10, out) == 6);
    CHECK_MATCHES(out, 1, 3, 5, 0, 2, 4);
    CHECK(top_k(s, 6, 0, out) == 0);
    CHECK(top_k(s, 0, 3, out) == 0);
    /* random, with many ties, against a selection-by-scan reference */
    enum { N = 500 };
    float v[N];
    rng_state r;
    rng_seed(&r, 3);
    for (int i = 0; i < N; ++i) v[i] = floorf(rng_range(&r, 0, 40)) / 8;
    int got[N], taken[N] = {0};
    int k = top_k(v, N, 77, got);
    CHECK(k == 77);
    for (int t = 0; t < k; ++t) {
        int best = -1;
        for (int i = 0; i < N; ++i)
            if (!taken[i] && (best < 0 || v[i] > v[best])) best = i;
        taken[best] = 1;
        CHECK_MSG(got[t] == best, "rank %d: %d, expected %d", t, got[t], best);
        if (got[t] != best) break;
    }
}

TEST(nms_per_class_suppresses_within_a_class_only)
{
    /* 0: [0,10]^2 .9 class 0; 1: shifted by 1, IoU 90/110 = .82 > .5 -> dropped;
     * 2: same box as 0 but class 1 -> kept; 3: far away -> kept;
     * 4: [0,5]x[0,10] class 0: IoU with 0 exactly .5, not > .5 -> kept. */
    cbox b[5] = {{0, 0, 10, 10}, {1, 0, 11, 10}, {0, 0, 10, 10}, {20, 20, 30, 30}, {0, 0, 5, 10}};
    float s[5] = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
    int cls[5] = {0, 0, 1, 0, 0};
    int idx[5];
    CHECK(nms_per_class(b, s, cls, 5, 0.5f, -1, idx) == 4);
    CHECK_MATCHES(idx, 0, 2, 3, 4);
    /* max_keep 2: the two best survivors */
    CHECK(nms_per_class(b, s, cls, 5, 0.5f, 2, idx) == 2);
    CHECK_MATCHES(idx, 0, 2);
    /* classes NULL: one class; box 2 now duplicates box 0 and goes */
    CHECK(nms_per_class(b, s, NULL, 5, 0.5f, -1, idx) == 3);
    CHECK_MATCHES(idx, 0, 3, 4);
}

TEST(nms_greedy_chain_and_ties)
{
    /* A [0,10] .9, B [3,13] .8, C [6,16] .7 (x; heights 10):
     * IoU(A,B) = 7/13 = .54 -> B dropped; IoU(A,C) = 4/16 = .25 -> C kept,
     * although B (already dropped) would have removed it (7/13). */
    cbox b[3] = {{0, 0, 10, 10}, {3, 0, 13, 10}, {6, 0, 16, 10}};
    float s[3] = {0.9f, 0.8f, 0.7f};
    int idx[3];
    CHECK(nms_per_class(b, s, NULL, 3, 0.5f, -1, idx) == 2);
    CHECK_MATCHES(idx, 0, 2);
    /* equal scores: the lower index goes first and suppresses the other */
    cbox t[2] = {{1, 0, 11, 10}, {0, 0, 10, 10}};
    float ts[2] = {0.5f, 0.5f};
    CHECK(nms_per_class(t, ts, NULL, 2, 0.5f, -1, idx) == 1);
    CHECK(idx[0] == 0);
    CHECK(nms_per_class(t, ts, NULL, 0, 0.5f, -1, idx) == 0);
}

TEST(nms_retina_postprocess_hand_case)
{
    /* Level 0: 2x1 grid, A = 1, K = 2, boxes given. Layout (a*K + k)*hw + p:
     *   class 0: p0 .9, p1 .04 (below .05, dropped); class 1: p0 .3, p1 .8
     *   boxes p0 [0,10]^2, p1 (1,0,11,10)
     * Level 1: 1x1 grid, A = 2, K = 1, deltas with anchors a0 [0,16]^2,
     * a1 [100,116]^2; scores a0 .6, a1 .95. Deltas a0 (.5, 0, log 2, 0):
     * centre 8 + .5*16 = 16, width 32 -> (0,0,32,16); a1 zeros -> itself,
     * clipped to the 110 x 110 image -> (100,100,110,110).
     * Class 0: .95 (100..110), .9 [0,10]^2, .6 (0,0,32,16) (IoU with [0,10]^2
     * 100/512 = .2: kept). Class 1: .8 (1,0,11,10) suppresses .3 [0,10]^2
     * (IoU .82). Result by score: .95, .9, .8, .6. */
    const float sc0[4] = {0.9f, 0.04f, 0.3f, 0.8f};
    const cbox bx0[2] = {{0, 0, 10, 10}, {1, 0, 11, 10}};
    const float sc1[2] = {0.6f, 0.95f};
    const float dl1[8] = {0.5f, 0, 0.693147181f, 0, 0, 0, 0, 0};   /* channel a*4 + j, hw = 1 */
    const cbox an1[2] = {{0, 0, 16, 16}, {100, 100, 116, 116}};
    retina_level lv[2] = {
        {.w = 2, .h = 1, .A = 1, .K = 2, .scores = sc0, .boxes = bx0},
        {.w = 1, .h = 1, .A = 2, .K = 1, .scores = sc1, .deltas = dl1, .anchors = an1},
    };
    retina_post_config c = retina_post_config_default();
    CHECK(c.score_thresh == 0.05f && c.topk_per_level == 1000 && c.nms_thresh == 0.5f &&
          c.max_dets == 100);
    c.img_w = c.img_h = 110;
    void *scratch = malloc(retina_post_scratch_size(&c, 2));
    scored_box out[100];
    CHECK(retina_postprocess(lv, 2, &c, scratch, out) == 4);
    CHECK(out[0].cls == 0 && out[0].score == 0.95f);
    CHECK_BOX(out[0].box, 100, 100, 110, 110, 1e-4);
    CHECK(out[1].cls == 0 && out[1].score == 0.9f);
    CHECK_BOX(out[1].box, 0, 0, 10, 10, 0);
    CHECK(out[2].cls == 1 && out[2].score == 0.8f);
    CHECK_BOX(out[2].box, 1, 0, 11, 10, 0);
    CHECK(out[3].cls == 0 && out[3].score == 0.6f);
    CHECK_BOX(out[3].box, 0, 0, 32, 16, 1e-4);
    /* at most 3 per image */
    c.max_dets = 3;
    CHECK(retina_postprocess(lv, 2, &c, scratch, out) == 3);
    CHECK(out[2].score == 0.8f);
    free(scratch);
    /* top 1 per level: level 0 keeps .9 only, level 1 .95 only */
    c.max_dets = 100;
    c.topk_per_level = 1;
    scratch = malloc(retina_post_scratch_size(&c, 2));
    CHECK(retina_postprocess(lv, 2, &c, scratch, out) == 2);
    CHECK(out[0].score == 0.95f && out[1].score == 0.9f);
    /* a level without scores is an error, not a crash */
    lv[0].scores = NULL;
    dn_clear_error();
    CHECK(retina_postprocess(lv, 2, &c, scratch, out) < 0 && strstr(dn_last_error(), "level 0"));
    dn_clear_error();
    free(scratch);
}

/* Reference selection: every score above the threshold, fully sorted
 * (score descending, offset ascending), the first topk. */
typedef struct {
    float score;
    int offset;
} cand;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* Two levels of random scores with many ties and small boxes, so that the
 * streamed top-k (with its rising cut) and NMS both matter. Returns 1 if
 * retina_postprocess agrees with the reference. */
static int postprocess_matches_reference(unsigned seed)
{
    enum { L = 2, A = 3, K = 4, TOPK = 25 };
    const int gw[L] = {8, 4};
    float *sc[L];
    cbox *bx[L];
    int ok = 1;
    rng_state r;
    rng_seed(&r, seed);
    retina_level lv[L];
    for (int l = 0; l < L; ++l) {
        int hw = gw[l] * gw[l];
        sc[l] = malloc(sizeof(float) * hw * A * K);
        bx[l] = malloc(sizeof(cbox) * hw * A);
        for (int i = 0; i < hw * A * K; ++i) {   /* half on a grid of .05 (ties), half not */
            float u = rng_range(&r, 0, 1);
            sc[l][i] = (rng_u32(&r) & 1) ? floorf(u * 20) / 20 : u;
        }
        for (int i = 0; i < hw * A; ++i) {
            float x = rng_range(&r, 0, 20), y = rng_range(&r, 0, 20);
            bx[l][i] = (cbox){x, y, x + rng_range(&r, 2, 8), y + rng_range(&r, 2, 8)};
        }
        lv[l] = (retina_level){.w = gw[l], .h = gw[l], .A = A, .K = K, .scores = sc[l], .boxes = bx[l]};
    }
    /* with NMS at 0.5 and 30 kept; then without suppression (IoU > 1 never
     * holds) and room for all, so every selected candidate shows */
    for (int run = 0; run < 2; ++run) {
        retina_post_config c = retina_post_config_default();
        c.topk_per_level = TOPK;
        c.max_dets = run ? L * TOPK : 30;
        c.nms_thresh = run ? 1.0f : 0.5f;
        void *scratch = malloc(retina_post_scratch_size(&c, L));
        scored_box out[L * TOPK];
        int n = retina_postprocess(lv, L, &c, scratch, out);

        cbox rb[L * TOPK];
        float rs[L * TOPK];
        int rc[L * TOPK], ridx[L * TOPK], rn = 0;
        for (int l = 0; l < L; ++l) {
            int hw = gw[l] * gw[l], total = hw * A * K, m = 0;
            cand *all = malloc(sizeof(cand) * total);
            for (int o = 0; o < total; ++o)
                if (sc[l][o] > c.score_thresh) all[m++] = (cand){sc[l][o], o};
            qsort(all, m, sizeof(cand), cand_cmp);
            CHECK(m > TOPK);
            for (int t = 0; t < TOPK && t < m; ++t, ++rn) {
                int o = all[t].offset, ch = o / hw, p = o % hw;
                rb[rn] = bx[l][p * A + ch / K];
                rs[rn] = all[t].score;
                rc[rn] = ch % K;
            }
            free(all);
        }
        int want = nms_per_class(rb, rs, rc, rn, c.nms_thresh, c.max_dets, ridx);
        CHECK_MSG(n == want, "seed %u run %d: %d detections, reference %d", seed, run, n, want);
        CHECK(want > 5 && (run == 0 || want == L * TOPK));
        ok &= n == want;
        for (int i = 0; i < n && i < want; ++i) {
            int j = ridx[i];
            int same = out[i].score == rs[j] && out[i].cls == rc[j] && cbox_near(out[i].box, rb[j], 0);
            CHECK_MSG(same, "seed %u run %d: detection %d differs from the reference", seed, run, i);
            ok &= same;
            if (!same) break;
        }
        free(scratch);
    }
    for (int l = 0; l < L; ++l) {
        free(sc[l]);
        free(bx[l]);
    }
    return ok;
}

TEST(nms_retina_postprocess_agrees_with_full_sort)
{
    for (unsigned seed = 21; seed < 31; ++seed)
        if (!postprocess_matches_reference(seed)) break;
}
