/* test_coco_eval.c: COCO box evaluation (pycocotools' rules), VOC mAP, and
 * COCO JSON reading/writing. Every expected number is worked out by hand in
 * the comment above it. Notation: a det "matches" a gt at threshold t when
 * IoU >= t; the ten thresholds are .50 .55 ... .95; precision is
 * tp / (tp + fp + eps) with eps = 2^-52, so "1" below is 1/(1+eps), within
 * 1e-15 of 1; AP of a category at one threshold is the mean over the 101
 * recall points r = 0, .01, ..., 1 of the monotone precision at the first
 * rank whose recall reaches r (0 if none). */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coco_eval.h"
#include "coco_import.h"
#include "coco_json.h"
#include "data_test_util.h"

#define NA (-1.0) /* undefined: no ground truth in that area range */

static coco_gt gt_box(long long img, int cat, double x, double y, double w, double h)
{
    return (coco_gt){0, img, cat, {x, y, w, h}, w * h, 0};
}

static coco_gt gt_area(long long img, int cat, double x, double y, double w, double h, double area)
{
    return (coco_gt){0, img, cat, {x, y, w, h}, area, 0};
}

static coco_gt gt_crowd(long long img, int cat, double x, double y, double w, double h)
{
    return (coco_gt){0, img, cat, {x, y, w, h}, w * h, 1};
}

static coco_det det(long long img, int cat, double x, double y, double w, double h, double score)
{
    return (coco_det){img, cat, {x, y, w, h}, score};
}

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void check_stats(const char *name, const coco_gt *g, int ng, const coco_det *d, int nd, const double *expect)
{
    static const char *names[COCO_N_STATS] = {"AP",   "AP50",  "AP75", "APs", "APm", "APl",
                                              "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"};
    coco_eval_result r;
    int rc = coco_evaluate(g, ng, d, nd, NULL, 0, NULL, 0, &r);
    CHECK_MSG(rc == 0, "%s: coco_evaluate failed: %s", name, dn_last_error());
    for (int s = 0; s < COCO_N_STATS; ++s)
        CHECK_MSG(fabs(r.stats[s] - expect[s]) <= 1e-12, "%s: %s = %.15g, expected %.15g", name, names[s],
                  r.stats[s], expect[s]);
    coco_eval_free(&r);
}

/* Three images, each with one gt and a det on exactly the same box: cat 1 a
 * small (20x20) and a medium (50x50) box, cat 2 a large (120x100) one. Every
 * det is a TP at every threshold; in an area range the gts outside it and the
 * dets matched to them are ignored; cat 2 has no small or medium gt (-1,
 * left out of those means). All twelve numbers are 1. */
TEST(coco_perfect_detections)
{
    coco_gt g[] = {gt_box(1, 1, 10, 10, 20, 20), gt_box(2, 1, 0, 0, 50, 50), gt_box(3, 2, 0, 0, 120, 100)};
    coco_det d[] = {det(1, 1, 10, 10, 20, 20, .9), det(2, 1, 0, 0, 50, 50, .8), det(3, 2, 0, 0, 120, 100, .7)};
    double e[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    check_stats("perfect", g, 3, d, 3, e);
}

/* gt [0,0,10,10], det shifted by 2: intersection 8x10 = 80, union 200-80 =
 * 120, IoU 2/3. It matches at .50 .55 .60 .65 (precision 1 at every recall
 * point) and at none of the other 6 (0): AP = 4/10. AP50 1, AP75 0. The box
 * is small (area 100): APs = 0.4, medium/large -1. Recall is 1 at 4
 * thresholds, 0 at 6: AR = 0.4 for 1/10/100 dets and small. */
TEST(coco_shifted_box)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 2, 0, 10, 10, .9)};
    double e[] = {.4, 1, 0, .4, NA, NA, .4, .4, .4, .4, NA, NA};
    check_stats("shifted", g, 1, d, 1, e);
}

/* det [0,0,10,7.5] on gt [0,0,10,10]: IoU 75/100 = 0.75 exactly, and
 * pycocotools' threshold (np.linspace) is exactly 0.75: IoU >= t matches, so
 * 6 thresholds (.50 ... .75): AP 0.6, AP75 1. */
TEST(coco_iou_equal_to_threshold_matches)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 7.5, .9)};
    double e[] = {.6, 1, 1, .6, NA, NA, .6, .6, .6, .6, NA, NA};
    check_stats("iou=.75", g, 1, d, 1, e);
}

/* gt A [0,0,10,10] and a crowd region C [50,50,100,100]. Dets in score
 * order: d3 [100,100,10,10] (.95) and d2 [60,60,20,20] (.92) inside C, d1
 * exactly on A (.9). Against a crowd gt the IoU is intersection over the
 * det's own area: 1 for d2 and d3 (their plain IoU with C would be 0.01 and
 * 0.04: false positives). A crowd region takes any number of dets (were it
 * matched once only, d2 would be an FP ranked above the TP: AP 1/2); a det
 * matched to it is neither TP nor FP. Ranks: ignored, ignored, TP:
 * precision 1 at recall 1, AP = 1 at every threshold. Only A counts and it
 * is small: APm/APl -1. AR1 takes each image's top det only, which is d3
 * (ignored): recall 0, AR1 = 0; AR10 = AR100 = ARs = 1. */
TEST(coco_crowd_region_is_ignored)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_crowd(1, 1, 50, 50, 100, 100)};
    coco_det d[] = {det(1, 1, 100, 100, 10, 10, .95), det(1, 1, 0, 0, 10, 10, .9), det(1, 1, 60, 60, 20, 20, .92)};
    double e[] = {1, 1, 1, 1, NA, NA, 0, 1, 1, 1, NA, NA};
    check_stats("crowd", g, 2, d, 3, e);
}

/* A det overlapping a regular gt R [0,0,10,10] with IoU 0.6 (det
 * [0,0,10,6]: 60/100) and lying inside a crowd C [0,0,100,100] (60/60 = 1).
 * Ignored gts are tried last and the search stops at them once a regular
 * match exists: at .50 .55 .60 the det takes R (TP, AP 1); from .65 on R is
 * out of reach and the det matches C (ignored): no TP, AP 0. AP = 3/10,
 * AP50 1, AP75 0; recall 1 at 3 thresholds: AR = 0.3. */
TEST(coco_regular_gt_preferred_over_crowd)
{
    coco_gt g[] = {gt_crowd(1, 1, 0, 0, 100, 100), gt_box(1, 1, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 6, .9)};
    double e[] = {.3, 1, 0, .3, NA, NA, .3, .3, .3, .3, NA, NA};
    check_stats("regular before crowd", g, 2, d, 1, e);
}

/* gts S [0,0,10,10] (area 100, small), M [100,0,50,50] (2500, medium), L
 * [200,0,100,100] (10000, large); exact dets on S (.9) and M (.8), none on L.
 * all: ranks TP TP, recall 1/3, 2/3, precision 1: recall points 0 ... .66
 *   (67 of 101) get 1, the rest 0: AP = AP50 = AP75 = 67/101.
 * small: only S counts; the det on M matches M, an ignored gt there: APs 1.
 * medium: likewise APm 1. large: L counts, both dets match ignored gts: no TP,
 *   APl 0, ARl 0.
 * AR1: the top det of the image only: recall 1/3. AR10 = AR100 = 2/3. */
TEST(coco_area_ranges)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 100, 0, 50, 50), gt_box(1, 1, 200, 0, 100, 100)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9), det(1, 1, 100, 0, 50, 50, .8)};
    double ap = 67.0 / 101;
    double e[] = {ap, ap, ap, 1, 1, 0, 1.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, 0};
    check_stats("area ranges", g, 3, d, 2, e);
}

/* gts S (small) and M (medium) with exact dets (.9, .8), and an unmatched det
 * of area 200x200 = 40000 (large) ranked first (.95).
 * all: FP, TP, TP: recall 0, .5, 1, precision 0, 1/2, 2/3; the monotone
 *   envelope is 2/3 everywhere: AP = 2/3.
 * small: the big det matches nothing and lies outside the range: ignored.
 *   APs 1; medium likewise APm 1. large: no gt: APl = ARl = -1.
 * AR1: the top det is the FP: 0. AR10 = AR100 = 1. */
TEST(coco_area_range_without_gt_is_undefined)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 100, 0, 50, 50)};
    coco_det d[] = {det(1, 1, 500, 500, 200, 200, .95), det(1, 1, 0, 0, 10, 10, .9), det(1, 1, 100, 0, 50, 50, .8)};
    double e[] = {2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, NA, 0, 1, 1, 1, 1, NA};
    check_stats("no large gt", g, 2, d, 3, e);
}

/* The range bounds are inclusive and use the gt's `area` field: a 32x32 gt
 * (area 1024) is both small and medium; a 100x100 gt whose area field says
 * 500 (a thin mask) is small, not large, although its det's box is large.
 * Both dets exact, on images 1 and 2. small: both TP. medium: the 1024 one TP,
 * the det on the area-500 gt matches an ignored gt. large: no gt (-1). */
TEST(coco_area_bounds_and_area_field)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 32, 32), gt_area(2, 1, 100, 100, 100, 100, 500)};
    coco_det d[] = {det(1, 1, 0, 0, 32, 32, .9), det(2, 1, 100, 100, 100, 100, .8)};
    double e[] = {1, 1, 1, 1, 1, NA, 1, 1, 1, 1, 1, NA};
    check_stats("area bounds", g, 2, d, 2, e);
}

/* 12 small gts in one image, an exact det on each (scores .99, .98, ...).
 * AP uses 100 dets: all TP, 1. AR1 counts the image's top det: 1/12; AR10:
 * 10/12; AR100: 1. */
TEST(coco_max_dets)
{
    coco_gt g[12];
    coco_det d[12];
    for (int j = 0; j < 12; ++j) {
        g[j] = gt_box(1, 1, 20 * j, 0, 10, 10);
        d[j] = det(1, 1, 20 * j, 0, 10, 10, .99 - .01 * j);
    }
    double e[] = {1, 1, 1, 1, NA, NA, 1.0 / 12, 10.0 / 12, 1, 1, NA, NA};
    check_stats("max dets", g, 12, d, 12, e);
}

/* The 100 dets are per image AND category. Image 1: cat 1 has a gt, 100 FPs
 * at .5 and its TP at .1: the TP is 101st and dropped: AP 0, recall 0. Cat 2
 * has a gt and its TP at .1, while cat 3 (no gt, -1, left out) has 100 dets
 * at .5 in the same image: cat 2 keeps its TP: AP 1. Means over cats 1 and 2:
 * AP = 0.5, AR = 0.5 for 1, 10 and 100 dets (cat 2's top det is its TP). */
TEST(coco_max_dets_per_category)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 2, 0, 0, 10, 10)};
    coco_det d[202];
    int n = 0;
    for (int j = 0; j < 100; ++j) d[n++] = det(1, 1, 1000 + 20 * j, 0, 10, 10, .5);
    d[n++] = det(1, 1, 0, 0, 10, 10, .1);
    for (int j = 0; j < 100; ++j) d[n++] = det(1, 3, 1000 + 20 * j, 0, 10, 10, .5);
    d[n++] = det(1, 2, 0, 0, 10, 10, .1);
    double e[] = {.5, .5, .5, .5, NA, NA, .5, .5, .5, .5, NA, NA};
    check_stats("max dets per category", g, 2, d, n, e);
}

/* Cat 1: one gt, an exact det. Cat 2: only a false positive, no gt. Cat 3:
 * listed, nothing at all. Cats 2 and 3 have precision -1 and are left out of
 * the means: AP = 1, not 1/2 or 1/3. */
TEST(coco_category_without_gt_is_excluded)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9), det(1, 2, 50, 50, 10, 10, .95)};
    long long images[] = {1};
    int cats[] = {3, 1, 2};
    coco_eval_result r;
    CHECK(coco_evaluate(g, 1, d, 2, images, 1, cats, 3, &r) == 0);
    CHECK(r.n_cats == 3 && r.cat_ids[0] == 1 && r.cat_ids[2] == 3);
    CHECK_NEAR(r.stats[COCO_AP], 1, 1e-12);
    CHECK_NEAR(r.stats[COCO_AR100], 1, 1e-12);
    CHECK_NEAR(coco_category_ap(&r, 0), 1, 1e-12);
    CHECK(coco_category_ap(&r, 1) == -1 && coco_category_ap(&r, 2) == -1);
    coco_eval_free(&r);
}

/* The first (category, image) group evaluated has detections and no ground
 * truth (cat 1 sorts before cat 2): its det is an FP of a category without
 * gt, left out. Cat 2's small gt is missed: AP, AR and their small-range
 * numbers 0; no medium or large gt: -1. (Under UBSan this once stepped from
 * the not yet allocated IoU matrix, a null pointer.) */
TEST(coco_first_group_with_detections_but_no_gt)
{
    coco_gt g[] = {gt_box(1, 2, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9)};
    static const double expect[COCO_N_STATS] = {0, 0, 0, 0, NA, NA, 0, 0, 0, 0, NA, NA};
    check_stats("fp first", g, 1, d, 1, expect);
}

/* Equal scores across images keep image-id order (the stable mergesort over
 * the images' lists concatenated in ascending id). Image 1 holds a gt and its
 * exact det, image 2 a false positive, both at score .5, the FP given first.
 * Ranks TP, FP: precision 1 at recall 1: AP 1. With the images swapped, ranks
 * FP, TP: precision 0 then 1/2, envelope 1/2 everywhere: AP 1/2. AR is 1
 * both ways (AR1 too: each image keeps its own top det). */
TEST(coco_score_ties_across_images)
{
    coco_gt g1[] = {gt_box(1, 1, 0, 0, 10, 10)};
    coco_det d1[] = {det(2, 1, 50, 50, 10, 10, .5), det(1, 1, 0, 0, 10, 10, .5)};
    double e1[] = {1, 1, 1, 1, NA, NA, 1, 1, 1, 1, NA, NA};
    check_stats("ties, TP image first", g1, 1, d1, 2, e1);
    coco_gt g2[] = {gt_box(2, 1, 0, 0, 10, 10)};
    coco_det d2[] = {det(2, 1, 0, 0, 10, 10, .5), det(1, 1, 50, 50, 10, 10, .5)};
    double e2[] = {.5, .5, .5, .5, NA, NA, 1, 1, 1, 1, NA, NA};
    check_stats("ties, FP image first", g2, 1, d2, 2, e2);
}

/* Equal scores in one image keep input order. gt [0,0,10,10]; x =
 * [0,0,10,6] (IoU 0.6) given first, y = the exact box, both .5.
 * x first: at .50 .55 .60 x takes the gt (TP) and y finds it taken (FP):
 * precision 1 at recall 1, AP 1; from .65 on x is an FP and y the TP: AP 1/2.
 * AP = (3 + 7/2)/10 = 0.65, AP50 1, AP75 0.5. AR 1; AR1 keeps only x: recall
 * 1 at 3 thresholds: 0.3.
 * y first: y is the TP everywhere, x an FP after it: everything 1. */
TEST(coco_score_ties_within_image)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10)};
    coco_det xy[] = {det(1, 1, 0, 0, 10, 6, .5), det(1, 1, 0, 0, 10, 10, .5)};
    double e1[] = {.65, 1, .5, .65, NA, NA, .3, 1, 1, 1, NA, NA};
    check_stats("ties, x first", g, 1, xy, 2, e1);
    coco_det yx[] = {xy[1], xy[0]};
    double e2[] = {1, 1, 1, 1, NA, NA, 1, 1, 1, 1, NA, NA};
    check_stats("ties, y first", g, 1, yx, 2, e2);
}

/* Three small gts A, B, C; dets: on A (.9), an FP (.8), on B (.7), an FP (.6).
 * tp 1 1 2 2, fp 0 1 1 2; recall 1/3 1/3 2/3 2/3; precision 1, 1/2, 2/3, 1/2;
 * envelope (max from the right) 1, 2/3, 2/3, 1/2. Recall points .00-.33
 * (34 points) reach rank 1: 1; .34-.66 (33 points) reach rank 3: 2/3; .67-1
 * are never reached: 0. AP = (34 + 33 * 2/3)/101 = 56/101 (with the eps:
 * (34/(1+eps) + 33 * 2/(3+eps))/101). The same at every threshold.
 * AR1 1/3 (the top det), AR10 = AR100 = 2/3. */
TEST(coco_false_positive_above_true_positive)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 20, 0, 10, 10), gt_box(1, 1, 40, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9), det(1, 1, 100, 100, 10, 10, .8), det(1, 1, 20, 0, 10, 10, .7),
                    det(1, 1, 120, 100, 10, 10, .6)};
    double ap = (34 / (1 + DBL_EPSILON) + 33 * 2 / (3 + DBL_EPSILON)) / 101;
    CHECK_NEAR(ap, 56.0 / 101, 1e-15);
    double e[] = {ap, ap, ap, ap, NA, NA, 1.0 / 3, 2.0 / 3, 2.0 / 3, 2.0 / 3, NA, NA};
    check_stats("FP above TP", g, 3, d, 4, e);
}

/* Image 1: gt and exact det; image 2: a gt and no det. Recall 1/2 with
 * precision 1: points .00-.50 (51 of 101) get 1: AP = 51/101; AR = 1/2. */
TEST(coco_image_without_detections)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(2, 1, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9)};
    double ap = 51.0 / 101;
    double e[] = {ap, ap, ap, ap, NA, NA, .5, .5, .5, .5, NA, NA};
    check_stats("image without dets", g, 2, d, 1, e);
}

/* Of gts with equal IoU the later one wins (pycocotools replaces its best on
 * IoU >= best). G1 [0,0,10,10], G2 [2,0,10,10]; d1 [1,0,10,10] (.9) has IoU
 * 90/110 with both; d2 [-1,0,10,10] (.8) has 90/110 with G1 and 70/130 with
 * G2. d1 takes G2, so d2 takes G1 wherever 90/110 = 0.818 >= t: both TP at
 * the 7 thresholds .50-.80 (AP 1), nothing at .85-.95 (AP 0): AP 0.7,
 * AP50 = AP75 = 1, AR100 0.7; AR1 (d1 only, recall 1/2 at 7 thresholds) 0.35.
 * (Had d1 taken G1, d2 would match G2 only at .50: AP would be far lower.) */
TEST(coco_equal_iou_later_gt_wins)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 2, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 1, 0, 10, 10, .9), det(1, 1, -1, 0, 10, 10, .8)};
    double e[] = {.7, 1, 1, .7, NA, NA, .35, .7, .7, .7, NA, NA};
    check_stats("equal IoU", g, 2, d, 2, e);
}

/* No ground truth at all: every number is -1 (pycocotools prints -1.000). */
TEST(coco_nothing_defined)
{
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9)};
    double e[] = {NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA, NA};
    check_stats("dets, no gts", NULL, 0, d, 1, e);
    check_stats("empty", NULL, 0, NULL, 0, e);
    /* only a crowd gt: nothing to find either */
    coco_gt c[] = {gt_crowd(1, 1, 0, 0, 10, 10)};
    check_stats("crowd only", c, 1, d, 1, e);
}

/* With explicit lists: a det on an image outside the list is an error (as
 * loadRes asserts); dets of categories outside the list are left out. */
TEST(coco_explicit_lists)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 2, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .5), det(1, 7, 50, 50, 10, 10, .9)};
    long long images[] = {1};
    int cats[] = {1};
    coco_eval_result r;
    CHECK(coco_evaluate(g, 2, d, 2, images, 1, cats, 1, &r) == 0);
    CHECK_NEAR(r.stats[COCO_AP], 1, 1e-12); /* cat 2's gt and cat 7's det are not evaluated */
    coco_eval_free(&r);
    coco_det bad[] = {det(2, 1, 0, 0, 10, 10, .5)};
    dn_clear_error();
    CHECK(coco_evaluate(g, 2, bad, 1, images, 1, cats, 1, &r) == -1);
    CHECK_MSG(strstr(dn_last_error(), "image_id 2"), "message: %s", dn_last_error());
    CHECK(r.stats[COCO_AP] == -1 && r.precision == NULL);
    coco_det nan_score[] = {det(1, 1, 0, 0, 10, 10, NAN)};
    dn_clear_error();
    CHECK(coco_evaluate(g, 2, nan_score, 1, NULL, 0, NULL, 0, &r) == -1);
    CHECK_MSG(strstr(dn_last_error(), "finite"), "message: %s", dn_last_error());
    dn_clear_error();
}

/* The summary lines, character for character as pycocotools prints them. */
TEST(coco_print_format)
{
    double s[COCO_N_STATS] = {0.5054, 0.6975, 0.5735, 0.5866, 0.5190, 0.5010,
                              0.3859, 0.5939, 0.5953, 0.6394, 0.5660, 0.5646};
    s[COCO_APL] = -1;
    char buf[4096] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    coco_print_stats(f, s);
    fclose(f);
    CHECK(strstr(buf, " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505\n") == buf);
    CHECK(strstr(buf, " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.698\n"));
    CHECK(strstr(buf, " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n"));
    CHECK(strstr(buf, " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.386\n"));
    CHECK(strstr(buf, " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.566\n"));
    int lines = 0;
    for (char *p = buf; *p; ++p) lines += *p == '\n';
    CHECK(lines == 12);
}

/* ---- VOC-style mAP ---- */

/* Class 1 is the "FP above TP" case: 3 gts, ranks TP FP TP FP, recall 1/3
 * 1/3 2/3 2/3, precision 1 1/2 2/3 1/2 (envelope 1 2/3 2/3 1/2).
 *   points 0: recall steps 0->1/3 at 1 and 1/3->2/3 at 2/3: 1/3 + 2/9 = 5/9.
 *   points 11: r = 0 .1 .2 .3 -> 1, .4 .5 .6 -> 2/3, .7-1 -> 0: 6/11.
 *   points 101: r = 0-.33 -> 1 (34), .34-.66 -> 2/3 (33): 56/101.
 * Class 2: one gt and a det with IoU exactly 0.5 ([0,0,10,5] on
 * [0,0,10,10]: 50/100); VOC needs IoU > threshold: an FP, AP 0; at
 * iou_thresh 0.4 a TP, AP 1. Class 3: a det without gt: left out of the mean.
 * mAP@.5 = (5/9 + 0)/2, (6/11)/2, (56/101)/2; mAP@.4 (points 0) = (5/9 + 1)/2. */
TEST(voc_map_points)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 20, 0, 10, 10), gt_box(1, 1, 40, 0, 10, 10),
                   gt_box(1, 2, 0, 0, 10, 10)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9),      det(1, 1, 100, 100, 10, 10, .8),
                    det(1, 1, 20, 0, 10, 10, .7),     det(1, 1, 120, 100, 10, 10, .6),
                    det(1, 2, 0, 0, 10, 5, .9),       det(1, 3, 0, 0, 10, 10, .9)};
    voc_eval_result v;
    CHECK(voc_evaluate(g, 4, d, 6, .5, 0, &v) == 0);
    CHECK(v.n_classes == 3 && v.n_with_gt == 2 && v.n_gt[0] == 3 && v.n_gt[1] == 1 && v.n_gt[2] == 0);
    CHECK_NEAR(v.ap[0], 5.0 / 9, 1e-12);
    CHECK_NEAR(v.ap[1], 0, 1e-12);
    CHECK(v.ap[2] == -1);
    CHECK_NEAR(v.map, 5.0 / 18, 1e-12);
    voc_eval_free(&v);
    CHECK(voc_evaluate(g, 4, d, 6, .5, 11, &v) == 0);
    CHECK_NEAR(v.ap[0], 6.0 / 11, 1e-12);
    CHECK_NEAR(v.map, 3.0 / 11, 1e-12);
    voc_eval_free(&v);
    CHECK(voc_evaluate(g, 4, d, 6, .5, 101, &v) == 0);
    CHECK_NEAR(v.ap[0], 56.0 / 101, 1e-12);
    CHECK_NEAR(v.map, 28.0 / 101, 1e-12);
    voc_eval_free(&v);
    CHECK(voc_evaluate(g, 4, d, 6, .4, 0, &v) == 0);
    CHECK_NEAR(v.ap[1], 1, 1e-12);
    CHECK_NEAR(v.map, 7.0 / 9, 1e-12);
    voc_eval_free(&v);
    dn_clear_error();
    CHECK(voc_evaluate(g, 4, d, 6, .5, 1, &v) == -1);
    dn_clear_error();
}

/* VOC takes each det's best-IoU gt even if already taken (then an FP); COCO
 * skips taken gts. gts A [0,0,10,10], B [2,0,10,10]; d1 exactly A (.9), d2
 * [.5,0,10,10] (.8): IoU 95/105 with A, 85/115 = 0.739 with B. VOC: d2's
 * best is A, taken: FP; ranks TP FP, recall 1/2 1/2: AP 1/2. COCO at .5: d2
 * takes B: AP50 = 1. A crowd gt is VOC's "difficult": a det on it is
 * dropped and it is not counted (class 2: AP 1 with one regular gt). */
TEST(voc_taken_gt_is_false_positive)
{
    coco_gt g[] = {gt_box(1, 1, 0, 0, 10, 10), gt_box(1, 1, 2, 0, 10, 10), gt_box(1, 2, 0, 0, 10, 10),
                   gt_crowd(1, 2, 100, 100, 20, 20)};
    coco_det d[] = {det(1, 1, 0, 0, 10, 10, .9), det(1, 1, .5, 0, 10, 10, .8), det(1, 2, 100, 100, 20, 20, .95),
                    det(1, 2, 0, 0, 10, 10, .9)};
    voc_eval_result v;
    CHECK(voc_evaluate(g, 4, d, 4, .5, 0, &v) == 0);
    CHECK_NEAR(v.ap[0], .5, 1e-12);
    CHECK_NEAR(v.ap[1], 1, 1e-12);
    CHECK(v.n_gt[1] == 1);
    voc_eval_free(&v);
    coco_eval_result r;
    CHECK(coco_evaluate(g, 2, d, 2, NULL, 0, NULL, 0, &r) == 0);
    CHECK_NEAR(r.stats[COCO_AP50], 1, 1e-12);
    coco_eval_free(&r);
}

/* ---- JSON ---- */

static const char *instances_text =
    "{\"info\": {\"description\": \"test\"},\n"
    " \"images\": [{\"id\": 7, \"file_name\": \"a.jpg\", \"width\": 640, \"height\": 480},\n"
    "            {\"id\": 3, \"file_name\": \"b.jpg\", \"width\": 100, \"height\": 50, \"license\": 2}],\n"
    " \"annotations\": [\n"
    "  {\"id\": 1, \"image_id\": 7, \"category_id\": 18, \"bbox\": [10, 20, 30.5, 40], \"area\": 900.25,\n"
    "   \"iscrowd\": 0, \"segmentation\": [[10, 20, 40, 20, 40, 60]]},\n"
    "  {\"id\": 2, \"image_id\": 3, \"category_id\": 1, \"bbox\": [0, 0, 4, 5]},\n"
    "  {\"id\": 3, \"image_id\": 3, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"iscrowd\": true, \"area\": 3}],\n"
    " \"categories\": [{\"id\": 18, \"name\": \"dog\", \"supercategory\": \"animal\"},\n"
    "                {\"id\": 1, \"name\": \"person\"}]}\n";

TEST(json_read_instances)
{
    const char *path = temp_file(instances_text);
    coco_dataset ds;
    CHECK_MSG(coco_load_instances(path, &ds) == 0, "%s", dn_last_error());
    CHECK(ds.n_images == 2 && ds.n_annotations == 3 && ds.n_categories == 2);
    CHECK(ds.images[0].id == 7 && !strcmp(ds.images[0].file_name, "a.jpg") && ds.images[0].width == 640 &&
          ds.images[0].height == 480);
    CHECK(ds.images[1].id == 3 && ds.images[1].height == 50);
    coco_gt *a = ds.annotations;
    CHECK(a[0].id == 1 && a[0].image_id == 7 && a[0].category_id == 18 && a[0].bbox[2] == 30.5 &&
          a[0].area == 900.25 && !a[0].iscrowd);
    CHECK(a[1].area == 20 && a[1].iscrowd == 0); /* no area: w*h */
    CHECK(a[2].iscrowd == 1 && a[2].area == 3);
    CHECK(ds.categories[0].id == 18 && !strcmp(ds.categories[0].name, "dog"));
    int ids[2];
    CHECK(coco_class_ids(ds.categories, ds.n_categories, ids) == 2 && ids[0] == 1 && ids[1] == 18);
    coco_free_instances(&ds);
    unlink(path);
}

/* The file is read member by member and element by element (json_stream.c):
 * any member order (COCO's own puts categories last), other members of any
 * shape skipped, brackets and quotes inside strings, a byte-order mark, and a
 * repeated member name (the first counts, as cJSON's lookup does). */
TEST(json_instances_streamed_in_any_order)
{
    const char *text =
        "\xEF\xBB\xBF {\"annotations\":[{\"id\":5,\"image_id\":9,\"category_id\":2,\"bbox\":[1,2,3,4],"
        "\"segmentation\":{\"counts\":[1,2,3],\"size\":[10,10]}}],\n"
        "\"licenses\": [{\"id\": 1, \"url\": \"http://x/]},{\"}], \"info\": null,\n"
        "\"images\": [{\"id\": 9, \"file_name\": \"a\\\"],[{.jpg\", \"width\": 8, \"height\": 6}],\n"
        "\"categories\": [ ], \"categories\": [{\"id\": 2, \"name\": \"x\"}],\n"
        "\"images\": [{\"id\": 1, \"file_name\": \"b.jpg\", \"width\": 8, \"height\": 6}]}\n";
    const char *path = temp_file(text);
    coco_dataset ds;
    int rc = coco_load_instances(path, &ds);
    /* the first "categories" is empty, so the annotation's category is unknown */
    CHECK(rc == -1 && strstr(dn_last_error(), "category_id 2 is not in \"categories\""));
    dn_clear_error();
    unlink(path);
    char fixed[1024];
    snprintf(fixed, sizeof fixed, "%s", text);
    const char *drop = "\"categories\": [ ], ";
    char *empty = strstr(fixed, drop);
    CHECK(empty != NULL);
    if (empty) memmove(empty, empty + strlen(drop), strlen(empty + strlen(drop)) + 1);
    path = temp_file(fixed);
    CHECK_MSG(coco_load_instances(path, &ds) == 0, "%s", dn_last_error());
    CHECK(ds.n_images == 1 && ds.n_annotations == 1 && ds.n_categories == 1);
    if (ds.n_images == 1 && ds.n_annotations == 1) {
        CHECK(ds.images[0].id == 9 && !strcmp(ds.images[0].file_name, "a\"],[{.jpg"));
        CHECK(ds.annotations[0].image_id == 9 && ds.annotations[0].area == 12);
    }
    coco_free_instances(&ds);
    unlink(path);
}

TEST(json_results_round_trip)
{
    coco_det d[] = {det(7, 18, 258.15, 41.29, 348.26, 243.78, 0.236), det(3, 1, 0.1, 1.0 / 3, 1e-7, 2.5e10, 1.0 / 7),
                    det(3, 1, -5, 0, 0, 123456.789, 0.123456789012345678)};
    char path[] = "/tmp/dn_test_results_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_MSG(coco_save_results(path, d, 3) == 0, "%s", dn_last_error());
    coco_det *back = NULL;
    int n = 0;
    CHECK_MSG(coco_load_results(path, NULL, &back, &n, NULL) == 0, "%s", dn_last_error());
    CHECK(n == 3);
    for (int j = 0; j < n && j < 3; ++j) {
        CHECK(back[j].image_id == d[j].image_id && back[j].category_id == d[j].category_id);
        CHECK(!memcmp(back[j].bbox, d[j].bbox, sizeof d[j].bbox) && back[j].score == d[j].score);
    }
    free(back);
    /* against the instances file: all three images exist; an unknown
     * category is counted, not an error */
    const char *ipath = temp_file(instances_text);
    coco_dataset ds;
    CHECK(coco_load_instances(ipath, &ds) == 0);
    d[1].category_id = 99;
    CHECK(coco_save_results(path, d, 3) == 0);
    int unknown = -1;
    CHECK_MSG(coco_load_results(path, &ds, &back, &n, &unknown) == 0, "%s", dn_last_error());
    CHECK(n == 3 && unknown == 1);
    free(back);
    /* an empty list is fine */
    CHECK(coco_save_results(path, d, 0) == 0);
    CHECK(coco_load_results(path, &ds, &back, &n, NULL) == 0 && n == 0);
    free(back);
    coco_free_instances(&ds);
    unlink(ipath);
    unlink(path);
}

/* Evaluation from files: the "FP above TP" case written as JSON. */
TEST(json_evaluate_dataset)
{
    const char *inst = temp_file(
        "{\"images\": [{\"id\": 1, \"file_name\": \"x.jpg\", \"width\": 200, \"height\": 200}],"
        " \"categories\": [{\"id\": 5, \"name\": \"a\"}, {\"id\": 9, \"name\": \"b\"}],"
        " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 5, \"bbox\": [0, 0, 10, 10]},"
        "  {\"id\": 2, \"image_id\": 1, \"category_id\": 5, \"bbox\": [20, 0, 10, 10]},"
        "  {\"id\": 3, \"image_id\": 1, \"category_id\": 5, \"bbox\": [40, 0, 10, 10]}]}");
    const char *res = temp_file(
        "[{\"image_id\": 1, \"category_id\": 5, \"bbox\": [0, 0, 10, 10], \"score\": 0.9},"
        " {\"image_id\": 1, \"category_id\": 5, \"bbox\": [100, 100, 10, 10], \"score\": 0.8},"
        " {\"image_id\": 1, \"category_id\": 5, \"bbox\": [20, 0, 10, 10], \"score\": 0.7},"
        " {\"image_id\": 1, \"category_id\": 5, \"bbox\": [120, 100, 10, 10], \"score\": 0.6}]");
    coco_dataset ds;
    coco_det *d = NULL;
    int n = 0;
    CHECK(coco_load_instances(inst, &ds) == 0);
    CHECK(coco_load_results(res, &ds, &d, &n, NULL) == 0 && n == 4);
    coco_eval_result r;
    CHECK(coco_evaluate_dataset(&ds, d, n, &r) == 0);
    CHECK_NEAR(r.stats[COCO_AP], 56.0 / 101, 1e-12);
    CHECK(r.n_cats == 2 && coco_category_ap(&r, 1) == -1);
    coco_eval_free(&r);
    free(d);
    coco_free_instances(&ds);
    unlink(inst);
    unlink(res);
}

/* Loads text as an instances file (or, with results, as a results file
 * checked against instances_text); expects failure with a message that names
 * the file and contains `expect`. */
static void expect_bad(const char *text, int results, const char *expect)
{
    const char *path = temp_file(text);
    dn_clear_error();
    int rc;
    if (results) {
        const char *ipath = temp_file(instances_text);
        coco_dataset ds;
        CHECK(coco_load_instances(ipath, &ds) == 0);
        coco_det *d = NULL;
        int n = 0;
        rc = coco_load_results(path, &ds, &d, &n, NULL);
        CHECK(d == NULL);
        coco_free_instances(&ds);
        unlink(ipath);
    } else {
        coco_dataset ds;
        rc = coco_load_instances(path, &ds);
        CHECK(ds.images == NULL && ds.n_images == 0);
    }
    CHECK_MSG(rc == -1, "accepted: %s", text);
    CHECK_MSG(strstr(dn_last_error(), path) && strstr(dn_last_error(), expect),
              "message '%s' should name %s and say '%s'", dn_last_error(), path, expect);
    dn_clear_error();
    unlink(path);
}

TEST(json_bad_files)
{
    expect_bad("", 0, "empty file");
    expect_bad("{\"images\": [}", 0, "not valid JSON at line 1");
    expect_bad("{\"images\": [\n  {\"id\": 1},\n  {\"id\": 2,}\n]}", 0, "line 3");
    expect_bad("{} {}", 0, "unexpected text after the JSON value");
    expect_bad("[]", 0, "instances file is a JSON object");
    expect_bad("{\"images\": [], \"annotations\": [], \"categories\": [],}", 0, "not valid JSON at line 1");
    expect_bad("{\"images\": [1 2], \"annotations\": [], \"categories\": []}", 0, "not valid JSON at line 1, column 15");
    expect_bad("{\"images\" [], \"annotations\": [], \"categories\": []}", 0, "not valid JSON at line 1, column 11");
    expect_bad("{\n 1: []}", 0, "not valid JSON at line 2, column 2");
    expect_bad("{\"images\": [], \"annotations\": [], \"categories\": []} x", 0, "unexpected text after the JSON value");
    expect_bad("{\"images\": [7], \"annotations\": [], \"categories\": []}", 0, "images[0] must be an object");
    expect_bad("{\"images\": [], \"categories\": []}", 0, "no \"annotations\" array");
    expect_bad("{\"images\": {}, \"annotations\": [], \"categories\": []}", 0, "\"images\" must be an array");
    expect_bad("{\"images\": [{\"id\": \"abc\", \"file_name\": \"a\", \"width\": 1, \"height\": 1}],"
               " \"annotations\": [], \"categories\": []}",
               0, "images[0]: \"id\" must be an integer, found a string");
    expect_bad("{\"images\": [{\"id\": 1.5, \"file_name\": \"a\", \"width\": 1, \"height\": 1}],"
               " \"annotations\": [], \"categories\": []}",
               0, "\"id\" must be an integer");
    expect_bad("{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 0, \"height\": 1}],"
               " \"annotations\": [], \"categories\": []}",
               0, "\"width\" must be an integer in [1,");
    expect_bad("{\"images\": [{\"id\": 1, \"width\": 1, \"height\": 1}], \"annotations\": [], \"categories\": []}",
               0, "images[0]: missing \"file_name\"");
    static const char *head = "{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 1, \"height\": 1},"
                              " {\"id\": 1, \"file_name\": \"b\", \"width\": 1, \"height\": 1}],"
                              " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": []}";
    expect_bad(head, 0, "image id 1 appears more than once");
    char text[1024];
    static const char *base = "{\"images\": [{\"id\": 1, \"file_name\": \"a\", \"width\": 1, \"height\": 1}],"
                              " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": [%s]}";
    snprintf(text, sizeof text, base, "{\"id\": 1, \"image_id\": 1, \"category_id\": 1}");
    expect_bad(text, 0, "annotations[0]: missing \"bbox\"");
    snprintf(text, sizeof text, base, "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3]}");
    expect_bad(text, 0, "found 3 numbers");
    snprintf(text, sizeof text, base, "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, -3, 4]}");
    expect_bad(text, 0, "width and height must be >= 0");
    snprintf(text, sizeof text, base, "{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, \"2\", 3, 4]}");
    expect_bad(text, 0, "\"bbox\" element 1 must be a finite number");
    snprintf(text, sizeof text, base, "{\"id\": 4, \"image_id\": 7, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}");
    expect_bad(text, 0, "image_id 7 is not in \"images\"");
    snprintf(text, sizeof text, base, "{\"id\": 4, \"image_id\": 1, \"category_id\": 2, \"bbox\": [1, 2, 3, 4]}");
    expect_bad(text, 0, "category_id 2 is not in \"categories\"");
    snprintf(text, sizeof text, base,
             "{\"id\": 4, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"iscrowd\": 2}");
    expect_bad(text, 0, "\"iscrowd\" must be an integer in [0, 1]");
    snprintf(text, sizeof text, base,
             "{\"id\": 4, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4], \"area\": \"big\"}");
    expect_bad(text, 0, "\"area\" must be a number");

    expect_bad("{\"image_id\": 7}", 1, "results file is a JSON array");
    expect_bad("[1]", 1, "results[0] must be an object, found a number");
    expect_bad("[{\"image_id\": 7, \"category_id\": 18, \"bbox\": [1, 2, 3, 4]}]", 1,
               "results[0]: missing \"score\"");
    expect_bad("[{\"image_id\": 7, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": 0.5},"
               " {\"image_id\": 99, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": 0.5}]",
               1, "results[1]: image_id 99 is not an image of the instances file");
    expect_bad("[{\"image_id\": 7, \"category_id\": 18, \"bbox\": [1, 2, 3, 4], \"score\": \"high\"}]", 1,
               "\"score\" must be a number, found a string");

    coco_dataset ds;
    dn_clear_error();
    CHECK(coco_load_instances("/nonexistent/instances.json", &ds) == -1);
    CHECK(strstr(dn_last_error(), "/nonexistent/instances.json: cannot open"));
    dn_clear_error();
}

/* COCO's 80 category ids (1..90 without 12, 26, 29, 30, 45, 66, 68, 69, 71,
 * 83) map to 0..79 in ascending id order (0 person ... 11 stop sign = id 13,
 * 62 tv = id 72, 79 toothbrush = id 90) and back; the gaps map to -1. */
TEST(coco_class_mapping)
{
    static const int coco80[80] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17,
                                   18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36,
                                   37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53,
                                   54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73,
                                   74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
    coco_category cats[80];
    for (int j = 0; j < 80; ++j) cats[j] = (coco_category){coco80[(j * 37) % 80], NULL}; /* shuffled */
    int ids[80];
    CHECK(coco_class_ids(cats, 80, ids) == 80);
    for (int j = 0; j < 80; ++j) {
        CHECK_MSG(ids[j] == coco80[j], "class %d -> id %d, expected %d", j, ids[j], coco80[j]);
        CHECK(coco_class_index(ids, 80, coco80[j]) == j);
    }
    CHECK(coco_class_index(ids, 80, 13) == 11 && coco_class_index(ids, 80, 72) == 62 &&
          coco_class_index(ids, 80, 90) == 79);
    static const int gaps[] = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83, 0, 91};
    for (int j = 0; j < N_OF(gaps); ++j) CHECK(coco_class_index(ids, 80, gaps[j]) == -1);
    cats[5].id = cats[6].id;
    dn_clear_error();
    CHECK(coco_class_ids(cats, 80, ids) == -1);
    CHECK(strstr(dn_last_error(), "more than once"));
    dn_clear_error();
}

/* coco_import's error paths free what they hold (LeakSanitizer checks this
 * in the sanitizer build): an image directory that does not exist, and an
 * instances file naming an image id twice. */
TEST(coco_import_errors_name_the_cause_and_leak_nothing)
{
    char dir[64];
    if (make_temp_dir(dir)) return;
    char instances[600];
    snprintf(instances, sizeof instances, "%s", join(dir, "instances_val.json"));
    write_text(instances, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 10, \"height\": 10}],"
                          " \"categories\": [{\"id\": 1, \"name\": \"x\"}], \"annotations\": [{\"id\": 1,"
                          " \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3, 4]}]}");
    coco_import_stats st;
    dn_clear_error();
    CHECK(coco_import(instances, join(dir, "no_images"), join(dir, "out"), &st) == -1);
    CHECK_MSG(strstr(dn_last_error(), "no_images") != NULL, "%s", dn_last_error());
    write_text(instances, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 10, \"height\": 10},"
                          " {\"id\": 1, \"file_name\": \"b.jpg\", \"width\": 10, \"height\": 10}],"
                          " \"categories\": [], \"annotations\": []}");
    dn_clear_error();
    CHECK(coco_import(instances, dir, join(dir, "out"), &st) == -1);
    CHECK_MSG(strstr(dn_last_error(), "appears more than once") != NULL, "%s", dn_last_error());
    dn_clear_error();
    remove_tree(dir);
}
