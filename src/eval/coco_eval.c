/* coco_eval.c: COCO box AP/AR, rule for rule as pycocotools' cocoeval.py
 * (evaluateImg, accumulate, summarize) computes them, and darknet-style VOC
 * mAP. Where pycocotools' numbers hinge on floating-point details (its
 * thresholds come from np.linspace, its means from numpy's pairwise sum, its
 * precision divides by tp+fp+eps) those are reproduced, so the printed
 * numbers agree digit for digit. */
#include "coco_eval.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static const double area_lo[COCO_A] = {0, 0, 32 * 32, 96 * 96};
static const double area_hi[COCO_A] = {1e10, 32 * 32, 96 * 96, 1e10};
static const char *const area_names[COCO_A] = {"all", "small", "medium", "large"};
static const int max_dets[COCO_M] = {1, 10, 100};

/* np.linspace(.5, .95, 10) and np.linspace(0, 1, 101): start + i * step with
 * the last point exactly stop (the 9th IoU threshold is 0.8999999999999999,
 * recall point 35 is 0.35000000000000003). */
static double iou_threshold(int t)
{
    return t == COCO_T - 1 ? 0.95 : 0.5 + t * ((0.95 - 0.5) / (COCO_T - 1));
}
static double recall_point(int r) { return r == COCO_R - 1 ? 1.0 : r * (1.0 / (COCO_R - 1)); }

/* maskApi.c's bbIou, same operations in the same order: no +1 pixel; for a
 * crowd ground truth the "union" is the detection's own area. */
static double box_iou(const double *d, const double *g, int crowd)
{
    double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0) return 0;
    double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0) return 0;
    double i = w * h, da = d[2] * d[3];
    return i / (crowd ? da : da + g[2] * g[3] - i);
}

/* numpy's float64 sum (np.mean in summarize): pairwise with 8 accumulators
 * below 128 values, over chunks of 8192 (the reduction buffer) added in order. */
static double pairwise_sum(const double *a, size_t n)
{
    if (n < 8) {
        double s = 0;
        for (size_t i = 0; i < n; ++i) s += a[i];
        return s;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; ++j) r[j] = a[j];
        size_t i;
        for (i = 8; i < n - n % 8; i += 8)
            for (int j = 0; j < 8; ++j) r[j] += a[i + j];
        double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i) s += a[i];
        return s;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

static double numpy_mean(const double *a, size_t n)
{
    if (!n) return -1;
    double s = 0;
    for (size_t i = 0; i < n; i += 8192) s += pairwise_sum(a + i, n - i < 8192 ? n - i : 8192);
    return s / n;
}

/* ---- sorting keys and id lookups ---------------------------------------- */

typedef struct {
    int k, i;     /* category and image index */
    int src;      /* index in the caller's array: the stable tie-break */
    double score; /* detections only */
} item;

static int cmp_int3(int a, int b) { return (a > b) - (a < b); }

static int cmp_gt_item(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    if (a->k != b->k) return cmp_int3(a->k, b->k);
    if (a->i != b->i) return cmp_int3(a->i, b->i);
    return cmp_int3(a->src, b->src);
}

/* per image and category: score descending, ties in input order (mergesort) */
static int cmp_det_item(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    if (a->k != b->k) return cmp_int3(a->k, b->k);
    if (a->i != b->i) return cmp_int3(a->i, b->i);
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return cmp_int3(a->src, b->src);
}

static int cmp_ll(const void *pa, const void *pb)
{
    long long a = *(const long long *)pa, b = *(const long long *)pb;
    return (a > b) - (a < b);
}

static int cmp_int(const void *pa, const void *pb) { return cmp_int3(*(const int *)pa, *(const int *)pb); }

static int find_ll(const long long *v, int n, long long x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? lo : -1;
}

static int find_int(const int *v, int n, int x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? lo : -1;
}

/* Sorts n elements and keeps one of each run of equal ones; returns the count. */
static int sort_unique(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *v = base;
    qsort(v, n, size, cmp);
    size_t u = 0;
    for (size_t j = 0; j < n; ++j)
        if (!u || cmp(v + j * size, v + (u - 1) * size)) memmove(v + u++ * size, v + j * size, size);
    return (int)u;
}

/* Sorted distinct image ids: the given list, or those of gts and dets. */
static long long *image_list(const long long *given, int n_given, const coco_gt *gts, int n_gts,
                             const coco_det *dets, int n_dets, int *n_out)
{
    size_t n = given ? (size_t)n_given : (size_t)n_gts + (size_t)n_dets;
    long long *ids = dn_calloc(n ? n : 1, sizeof *ids);
    if (!ids) return NULL;
    if (given) {
        memcpy(ids, given, n * sizeof *ids);
    } else {
        for (int j = 0; j < n_gts; ++j) ids[j] = gts[j].image_id;
        for (int j = 0; j < n_dets; ++j) ids[n_gts + j] = dets[j].image_id;
    }
    *n_out = sort_unique(ids, n, sizeof *ids, cmp_ll);
    return ids;
}

static int *category_list(const int *given, int n_given, const coco_gt *gts, int n_gts, const coco_det *dets,
                          int n_dets, int *n_out)
{
    size_t n = given ? (size_t)n_given : (size_t)n_gts + (size_t)n_dets;
    int *ids = dn_calloc(n ? n : 1, sizeof *ids);
    if (!ids) return NULL;
    if (given) {
        memcpy(ids, given, n * sizeof *ids);
    } else {
        for (int j = 0; j < n_gts; ++j) ids[j] = gts[j].category_id;
        for (int j = 0; j < n_dets; ++j) ids[n_gts + j] = dets[j].category_id;
    }
    *n_out = sort_unique(ids, n, sizeof *ids, cmp_int);
    return ids;
}

static int check_finite(const coco_gt *gts, int n_gts, const coco_det *dets, int n_dets)
{
    for (int j = 0; j < n_gts; ++j) {
        const coco_gt *g = &gts[j];
        if (!isfinite(g->bbox[0]) || !isfinite(g->bbox[1]) || !isfinite(g->bbox[2]) ||
            !isfinite(g->bbox[3]) || !isfinite(g->area))
            return dn_error("ground truth %d (annotation id %lld): bbox or area is not a finite number", j, g->id);
    }
    for (int j = 0; j < n_dets; ++j) {
        const coco_det *d = &dets[j];
        if (!isfinite(d->bbox[0]) || !isfinite(d->bbox[1]) || !isfinite(d->bbox[2]) ||
            !isfinite(d->bbox[3]) || !isfinite(d->score))
            return dn_error("detection %d (image %lld): bbox or score is not a finite number", j, d->image_id);
    }
    return 0;
}

/* ---- evaluateImg ---------------------------------------------------------- */

enum { DT_FP = 0, DT_TP = 1, DT_IGNORED = 2 };

typedef struct {
    double *iou;
    int *order;
    unsigned char *ignored, *matched;
    size_t iou_cap, g_cap;
} scratch;

static int scratch_reserve(scratch *s, size_t n_iou, size_t g)
{
    if (n_iou > s->iou_cap) {
        double *p = dn_realloc(s->iou, n_iou, sizeof *p);
        if (!p) return -1;
        s->iou = p;
        s->iou_cap = n_iou;
    }
    if (g > s->g_cap) {
        int *o = dn_realloc(s->order, g, sizeof *o);
        if (o) s->order = o;
        unsigned char *ig = o ? dn_realloc(s->ignored, g, 1) : NULL;
        if (ig) s->ignored = ig;
        unsigned char *m = ig ? dn_realloc(s->matched, g, 1) : NULL;
        if (!m) return -1;
        s->matched = m;
        s->g_cap = g;
    }
    return 0;
}

/* One image and category: for every area range and IoU threshold, whether
 * each of its D detections (score order) is a TP, an FP or ignored. Adds the
 * non-ignored ground truths per area range to npig[a]. */
static int evaluate_image(const coco_gt *gts, const item *gk, int G, const coco_det *dets, const item *dk,
                          int D, unsigned char *state, size_t nd_total, size_t p0, long *npig, scratch *s)
{
    /* one element more, so that with no gt (G = 0) the buffers exist: the
     * row pointers below would otherwise be NULL + 0, undefined in C */
    if (scratch_reserve(s, (size_t)D * G + 1, (size_t)G + 1)) return -1;
    for (int d = 0; d < D; ++d)
        for (int g = 0; g < G; ++g) {
            const coco_gt *gt = &gts[gk[g].src];
            s->iou[(size_t)d * G + g] = box_iou(dets[dk[d].src].bbox, gt->bbox, gt->iscrowd != 0);
        }
    for (int a = 0; a < COCO_A; ++a) {
        /* ignored: crowd, or area outside the range; sorted last (stable) */
        int n = 0, regular = 0;
        for (int g = 0; g < G; ++g) {
            const coco_gt *gt = &gts[gk[g].src];
            s->ignored[g] = gt->iscrowd || gt->area < area_lo[a] || gt->area > area_hi[a];
            if (!s->ignored[g]) s->order[n++] = g;
        }
        regular = n;
        for (int g = 0; g < G; ++g)
            if (s->ignored[g]) s->order[n++] = g;
        npig[a] += regular;
        for (int t = 0; t < COCO_T; ++t) {
            unsigned char *st = state + ((size_t)a * COCO_T + t) * nd_total + p0;
            if (G) memset(s->matched, 0, (size_t)G);
            for (int d = 0; d < D; ++d) {
                const double *iou = s->iou + (size_t)d * G;
                double best = fmin(iou_threshold(t), 1 - 1e-10);
                int m = -1;
                for (int j = 0; j < G; ++j) {
                    int g = s->order[j];
                    /* a crowd region absorbs any number of detections */
                    if (s->matched[g] && !gts[gk[g].src].iscrowd) continue;
                    /* matched a regular gt already: the ignored ones come after */
                    if (m >= 0 && !s->ignored[m] && s->ignored[g]) break;
                    if (iou[g] < best) continue;
                    best = iou[g]; /* >=: of equal IoUs the later gt wins */
                    m = g;
                }
                if (m >= 0) {
                    s->matched[m] = 1;
                    st[d] = s->ignored[m] ? DT_IGNORED : DT_TP;
                } else {
                    const double *b = dets[dk[d].src].bbox;
                    double area = b[2] * b[3]; /* loadRes: w*h */
                    st[d] = area < area_lo[a] || area > area_hi[a] ? DT_IGNORED : DT_FP;
                }
            }
        }
    }
    return 0;
}

/* ---- accumulate ----------------------------------------------------------- */

typedef struct {
    double score;
    int p; /* position in the concatenation over images: the stable tie-break */
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return cmp_int3(a->p, b->p);
}

static size_t prec_index(int t, int r, int k, int a, int m, int K)
{
    return ((((size_t)t * COCO_R + r) * K + k) * COCO_A + a) * COCO_M + m;
}
static size_t rec_index(int t, int k, int a, int m, int K)
{
    return (((size_t)t * K + k) * COCO_A + a) * COCO_M + m;
}

/* dk: the kept detections sorted by (category, image, rank); rank: their
 * place in their image's list. Fills out->precision and out->recall. */
static int accumulate(coco_eval_result *out, const item *dk, const int *rank, int nd, const unsigned char *state,
                      const long *npig)
{
    int K = out->n_cats;
    ranked *sel = dn_calloc(nd ? nd : 1, sizeof *sel);
    double *rc = dn_calloc(nd ? nd : 1, sizeof *rc), *pr = dn_calloc(nd ? nd : 1, sizeof *pr);
    if (!sel || !rc || !pr) {
        free(sel), free(rc), free(pr);
        return -1;
    }
    int start = 0;
    for (int k = 0; k < K; ++k) {
        int end = start;
        while (end < nd && dk[end].k == k) ++end;
        for (int m = 0; m < COCO_M; ++m) {
            /* each image's top maxDet, concatenated in image order, then a
             * stable sort by score (np.argsort(-scores, kind='mergesort')) */
            int n = 0;
            for (int p = start; p < end; ++p)
                if (rank[p] < max_dets[m]) sel[n++] = (ranked){dk[p].score, p};
            qsort(sel, (size_t)n, sizeof *sel, cmp_ranked);
            for (int a = 0; a < COCO_A; ++a) {
                long np = npig[(size_t)k * COCO_A + a];
                if (!np) continue; /* no ground truth: stays -1 */
                for (int t = 0; t < COCO_T; ++t) {
                    const unsigned char *st = state + ((size_t)a * COCO_T + t) * nd;
                    double tp = 0, fp = 0;
                    for (int j = 0; j < n; ++j) {
                        unsigned char v = st[sel[j].p];
                        tp += v == DT_TP;
                        fp += v == DT_FP;
                        rc[j] = tp / np;
                        pr[j] = tp / (fp + tp + DBL_EPSILON); /* np.spacing(1) */
                    }
                    out->recall[rec_index(t, k, a, m, K)] = n ? rc[n - 1] : 0;
                    for (int j = n - 1; j > 0; --j) /* monotone from the right */
                        if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
                    /* searchsorted(rc, recThrs, 'left'); 0 past the last recall */
                    int j = 0;
                    for (int r = 0; r < COCO_R; ++r) {
                        double v = recall_point(r);
                        while (j < n && rc[j] < v) ++j;
                        out->precision[prec_index(t, r, k, a, m, K)] = j < n ? pr[j] : 0;
                    }
                }
            }
        }
        start = end;
    }
    free(sel), free(rc), free(pr);
    return 0;
}

/* ---- summarize ------------------------------------------------------------ */

/* Mean of the entries > -1 of one slice, in numpy's flattening order
 * ([t][r][k] for AP, [t][k] for AR); -1 if none. t_only < 0: every threshold. */
static double slice_mean(const coco_eval_result *r, int ap, int t_only, int a, int m, double *buf)
{
    int K = r->n_cats;
    size_t n = 0;
    for (int t = 0; t < COCO_T; ++t) {
        if (t_only >= 0 && t != t_only) continue;
        if (ap) {
            for (int q = 0; q < COCO_R; ++q)
                for (int k = 0; k < K; ++k) {
                    double v = r->precision[prec_index(t, q, k, a, m, K)];
                    if (v > -1) buf[n++] = v;
                }
        } else {
            for (int k = 0; k < K; ++k) {
                double v = r->recall[rec_index(t, k, a, m, K)];
                if (v > -1) buf[n++] = v;
            }
        }
    }
    return numpy_mean(buf, n);
}

static int summarize(coco_eval_result *r)
{
    double *buf = dn_calloc((size_t)COCO_T * COCO_R * (r->n_cats ? r->n_cats : 1), sizeof *buf);
    if (!buf) return -1;
    enum { ALL = -1, T50 = 0, T75 = 5 }; /* iouThrs[0] == .5, iouThrs[5] == .75 exactly */
    double *s = r->stats;
    s[COCO_AP] = slice_mean(r, 1, ALL, 0, 2, buf);
    s[COCO_AP50] = slice_mean(r, 1, T50, 0, 2, buf);
    s[COCO_AP75] = slice_mean(r, 1, T75, 0, 2, buf);
    for (int a = 1; a < COCO_A; ++a) s[COCO_APS + a - 1] = slice_mean(r, 1, ALL, a, 2, buf);
    for (int m = 0; m < COCO_M; ++m) s[COCO_AR1 + m] = slice_mean(r, 0, ALL, 0, m, buf);
    for (int a = 1; a < COCO_A; ++a) s[COCO_ARS + a - 1] = slice_mean(r, 0, ALL, a, 2, buf);
    free(buf);
    return 0;
}

/* ---- coco_evaluate -------------------------------------------------------- */

int coco_evaluate(const coco_gt *gts, int n_gts, const coco_det *dets, int n_dets, const long long *image_ids,
                  int n_images, const int *cat_ids, int n_cats, coco_eval_result *out)
{
    memset(out, 0, sizeof *out);
    for (int j = 0; j < COCO_N_STATS; ++j) out->stats[j] = -1;
    if (n_gts < 0 || n_dets < 0 || n_images < 0 || n_cats < 0 || (n_gts && !gts) || (n_dets && !dets))
        return dn_error("coco_evaluate: bad arguments");
    if (check_finite(gts, n_gts, dets, n_dets)) return -1;

    int n_img = 0, K = 0, rc = -1;
    long long *imgs = image_list(image_ids, n_images, gts, n_gts, dets, n_dets, &n_img);
    int *cats = category_list(cat_ids, n_cats, gts, n_gts, dets, n_dets, &K);
    item *gk = dn_calloc(n_gts ? (size_t)n_gts : 1, sizeof *gk);
    item *dk = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *dk);
    int *rank = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *rank);
    unsigned char *state = NULL;
    long *npig = NULL;
    scratch s = {0};
    if (!imgs || !cats || !gk || !dk || !rank) goto done;

    /* as _prepare: only the evaluated images and categories */
    int ng = 0, nd = 0;
    for (int j = 0; j < n_gts; ++j) {
        int k = find_int(cats, K, gts[j].category_id), i = find_ll(imgs, n_img, gts[j].image_id);
        if (k >= 0 && i >= 0) gk[ng++] = (item){k, i, j, 0};
    }
    for (int j = 0; j < n_dets; ++j) {
        int i = find_ll(imgs, n_img, dets[j].image_id);
        if (i < 0) { /* loadRes asserts this */
            dn_error("detection %d: image_id %lld is not among the evaluated images", j, dets[j].image_id);
            goto done;
        }
        int k = find_int(cats, K, dets[j].category_id);
        if (k >= 0) dk[nd++] = (item){k, i, j, dets[j].score};
    }
    qsort(gk, (size_t)ng, sizeof *gk, cmp_gt_item);
    qsort(dk, (size_t)nd, sizeof *dk, cmp_det_item);

    /* computeIoU keeps the top maxDets[-1] per image and category */
    int kept = 0, run = 0, prev_k = -1, prev_i = -1;
    for (int j = 0; j < nd; ++j) {
        run = dk[j].k == prev_k && dk[j].i == prev_i ? run + 1 : 0;
        prev_k = dk[j].k, prev_i = dk[j].i;
        if (run < max_dets[COCO_M - 1]) {
            rank[kept] = run;
            dk[kept++] = dk[j];
        }
    }
    nd = kept;

    state = dn_calloc((size_t)COCO_A * COCO_T * (nd ? nd : 1), 1);
    npig = dn_calloc((size_t)(K ? K : 1) * COCO_A, sizeof *npig);
    out->n_cats = K;
    out->cat_ids = dn_calloc(K ? (size_t)K : 1, sizeof *out->cat_ids);
    out->precision = dn_calloc((size_t)COCO_T * COCO_R * (K ? K : 1) * COCO_A * COCO_M, sizeof(double));
    out->recall = dn_calloc((size_t)COCO_T * (K ? K : 1) * COCO_A * COCO_M, sizeof(double));
    if (!state || !npig || !out->cat_ids || !out->precision || !out->recall) goto done;
    memcpy(out->cat_ids, cats, (size_t)K * sizeof *cats);
    for (size_t j = 0; j < (size_t)COCO_T * COCO_R * K * COCO_A * COCO_M; ++j) out->precision[j] = -1;
    for (size_t j = 0; j < (size_t)COCO_T * K * COCO_A * COCO_M; ++j) out->recall[j] = -1;

    /* walk the (category, image) groups of both sorted lists together */
    for (int gi = 0, di = 0; gi < ng || di < nd;) {
        /* the smaller (category, image) of the two heads */
        int take_gt = di >= nd || (gi < ng && (gk[gi].k < dk[di].k ||
                                               (gk[gi].k == dk[di].k && gk[gi].i <= dk[di].i)));
        int k = take_gt ? gk[gi].k : dk[di].k, i = take_gt ? gk[gi].i : dk[di].i;
        int g1 = gi, d1 = di;
        while (g1 < ng && gk[g1].k == k && gk[g1].i == i) ++g1;
        while (d1 < nd && dk[d1].k == k && dk[d1].i == i) ++d1;
        if (evaluate_image(gts, gk + gi, g1 - gi, dets, dk + di, d1 - di, state, (size_t)nd, (size_t)di,
                           npig + (size_t)k * COCO_A, &s))
            goto done;
        gi = g1, di = d1;
    }
    if (accumulate(out, dk, rank, nd, state, npig) || summarize(out)) goto done;
    rc = 0;
done:
    if (rc) {
        coco_eval_free(out);
        for (int j = 0; j < COCO_N_STATS; ++j) out->stats[j] = -1;
    }
    free(imgs), free(cats), free(gk), free(dk), free(rank), free(state), free(npig);
    free(s.iou), free(s.order), free(s.ignored), free(s.matched);
    return rc;
}

void coco_eval_free(coco_eval_result *r)
{
    if (!r) return;
    free(r->cat_ids), free(r->precision), free(r->recall);
    r->cat_ids = NULL, r->precision = r->recall = NULL;
    r->n_cats = 0;
}

int coco_evaluate_dataset(const coco_dataset *ds, const coco_det *dets, int n, coco_eval_result *out)
{
    long long *images = dn_calloc(ds->n_images ? (size_t)ds->n_images : 1, sizeof *images);
    int *cats = dn_calloc(ds->n_categories ? (size_t)ds->n_categories : 1, sizeof *cats);
    int rc = -1;
    if (images && cats) {
        for (int j = 0; j < ds->n_images; ++j) images[j] = ds->images[j].id;
        for (int j = 0; j < ds->n_categories; ++j) cats[j] = ds->categories[j].id;
        rc = coco_evaluate(ds->annotations, ds->n_annotations, dets, n, images, ds->n_images, cats,
                           ds->n_categories, out);
    }
    free(images), free(cats);
    return rc;
}

double coco_category_ap(const coco_eval_result *r, int k)
{
    if (!r || !r->precision || k < 0 || k >= r->n_cats) return -1;
    double buf[COCO_T * COCO_R];
    size_t n = 0;
    for (int t = 0; t < COCO_T; ++t)
        for (int q = 0; q < COCO_R; ++q) {
            double v = r->precision[prec_index(t, q, k, 0, COCO_M - 1, r->n_cats)];
            if (v > -1) buf[n++] = v;
        }
    return numpy_mean(buf, n);
}

void coco_print_stats(FILE *f, const double s[COCO_N_STATS])
{
    static const struct {
        int ap;
        const char *iou;
        int area, max_det;
    } rows[COCO_N_STATS] = {
        {1, "0.50:0.95", 0, 100}, {1, "0.50", 0, 100},      {1, "0.75", 0, 100},
        {1, "0.50:0.95", 1, 100}, {1, "0.50:0.95", 2, 100}, {1, "0.50:0.95", 3, 100},
        {0, "0.50:0.95", 0, 1},   {0, "0.50:0.95", 0, 10},  {0, "0.50:0.95", 0, 100},
        {0, "0.50:0.95", 1, 100}, {0, "0.50:0.95", 2, 100}, {0, "0.50:0.95", 3, 100},
    };
    /* ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}' */
    for (int j = 0; j < COCO_N_STATS; ++j)
        fprintf(f, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %.3f\n",
                rows[j].ap ? "Average Precision" : "Average Recall", rows[j].ap ? "(AP)" : "(AR)", rows[j].iou,
                area_names[rows[j].area], rows[j].max_det, s[j]);
}

/* ---- VOC-style mAP -------------------------------------------------------- */

typedef struct {
    int k;
    long long image;
    int src;
    double score;
} voc_item;

static int cmp_voc_gt(const void *pa, const void *pb)
{
    const voc_item *a = pa, *b = pb;
    if (a->k != b->k) return cmp_int3(a->k, b->k);
    if (a->image != b->image) return a->image < b->image ? -1 : 1;
    return cmp_int3(a->src, b->src);
}

static int cmp_voc_det(const void *pa, const void *pb)
{
    const voc_item *a = pa, *b = pb;
    if (a->k != b->k) return cmp_int3(a->k, b->k);
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return cmp_int3(a->src, b->src);
}

/* AP of one class from precision and recall at each rank (see coco_eval.h);
 * env: n scratch doubles. */
static double voc_ap(const double *rec, const double *prec, double *env, int n, int points)
{
    double pmax = 0;
    for (int j = n - 1; j >= 0; --j) env[j] = pmax = fmax(pmax, prec[j]);
    if (points == 0) {
        double ap = 0, prev = 0;
        for (int j = 0; j < n; ++j) {
            ap += (rec[j] - prev) * env[j];
            prev = rec[j];
        }
        return ap;
    }
    double sum = 0;
    int j = 0;
    for (int q = 0; q < points; ++q) {
        double r = (double)q / (points - 1);
        while (j < n && rec[j] < r) ++j; /* the envelope there is max precision at recall >= r */
        sum += j < n ? env[j] : 0;
    }
    return sum / points;
}

int voc_evaluate(const coco_gt *gts, int n_gts, const coco_det *dets, int n_dets, double iou_thresh, int points,
                 voc_eval_result *out)
{
    memset(out, 0, sizeof *out);
    out->map = -1;
    if (n_gts < 0 || n_dets < 0 || (n_gts && !gts) || (n_dets && !dets))
        return dn_error("voc_evaluate: bad arguments");
    if (points != 0 && (points < 2 || points > 100000))
        return dn_error("voc_evaluate: points must be 0 (area under the curve) or at least 2, got %d", points);
    if (!(iou_thresh >= 0 && iou_thresh < 1))
        return dn_error("voc_evaluate: iou_thresh must be in [0, 1), got %g", iou_thresh);
    if (check_finite(gts, n_gts, dets, n_dets)) return -1;

    int K = 0, rc = -1;
    int *cats = category_list(NULL, 0, gts, n_gts, dets, n_dets, &K);
    voc_item *gi = dn_calloc(n_gts ? (size_t)n_gts : 1, sizeof *gi);
    voc_item *di = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *di);
    unsigned char *taken = dn_calloc(n_gts ? (size_t)n_gts : 1, 1);
    double *rec = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *rec);
    double *prec = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *prec);
    double *env = dn_calloc(n_dets ? (size_t)n_dets : 1, sizeof *env);
    out->class_ids = dn_calloc(K ? (size_t)K : 1, sizeof *out->class_ids);
    out->ap = dn_calloc(K ? (size_t)K : 1, sizeof *out->ap);
    out->n_gt = dn_calloc(K ? (size_t)K : 1, sizeof *out->n_gt);
    if (!cats || !gi || !di || !taken || !rec || !prec || !env || !out->class_ids || !out->ap || !out->n_gt)
        goto done;
    out->n_classes = K;
    memcpy(out->class_ids, cats, (size_t)K * sizeof *cats);
    for (int j = 0; j < n_gts; ++j)
        gi[j] = (voc_item){find_int(cats, K, gts[j].category_id), gts[j].image_id, j, 0};
    for (int j = 0; j < n_dets; ++j)
        di[j] = (voc_item){find_int(cats, K, dets[j].category_id), dets[j].image_id, j, dets[j].score};
    qsort(gi, (size_t)n_gts, sizeof *gi, cmp_voc_gt);
    qsort(di, (size_t)n_dets, sizeof *di, cmp_voc_det);

    double sum = 0;
    for (int k = 0, g0 = 0, d0 = 0; k < K; ++k) {
        int g1 = g0, d1 = d0;
        while (g1 < n_gts && gi[g1].k == k) ++g1;
        while (d1 < n_dets && di[d1].k == k) ++d1;
        int npos = 0;
        for (int g = g0; g < g1; ++g) npos += !gts[gi[g].src].iscrowd;
        double tp = 0, fp = 0;
        int n = 0;
        for (int d = d0; d < d1; ++d) {
            const coco_det *det = &dets[di[d].src];
            /* this image's ground truths of the class: a range of gi */
            int lo = g0, hi = g1;
            while (lo < hi) {
                int mid = lo + (hi - lo) / 2;
                if (gi[mid].image < det->image_id) lo = mid + 1;
                else hi = mid;
            }
            double best_iou = iou_thresh;
            int best = -1;
            for (int g = lo; g < g1 && gi[g].image == det->image_id; ++g) {
                double iou = box_iou(det->bbox, gts[gi[g].src].bbox, 0);
                if (iou > best_iou) { /* strict, first of equals */
                    best_iou = iou;
                    best = g;
                }
            }
            if (best >= 0 && gts[gi[best].src].iscrowd) continue; /* "difficult" */
            if (best >= 0 && !taken[best]) {
                taken[best] = 1;
                tp += 1;
            } else {
                fp += 1;
            }
            rec[n] = npos ? tp / npos : 0;
            prec[n++] = tp / (tp + fp);
        }
        out->n_gt[k] = npos;
        out->ap[k] = npos ? voc_ap(rec, prec, env, n, points) : -1;
        if (npos) {
            sum += out->ap[k];
            out->n_with_gt++;
        }
        g0 = g1, d0 = d1;
    }
    out->map = out->n_with_gt ? sum / out->n_with_gt : -1;
    rc = 0;
done:
    if (rc) {
        voc_eval_free(out);
        out->map = -1;
    }
    free(cats), free(gi), free(di), free(taken), free(rec), free(prec), free(env);
    return rc;
}

void voc_eval_free(voc_eval_result *r)
{
    if (!r) return;
    free(r->class_ids), free(r->ap), free(r->n_gt);
    r->class_ids = NULL, r->ap = NULL, r->n_gt = NULL;
    r->n_classes = r->n_with_gt = 0;
}
