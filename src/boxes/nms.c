/* nms.c: top-k by a heap, greedy per-class NMS, RetinaNet post-processing. */
#include <math.h>
#include <stdint.h>

#include "box_coding.h"
#include "errors.h"
#include "nms.h"

/* ---- top-k: a heap of indices into a key array, worst at the root ---- */

static inline float key_at(const float *key, int i)
{
    float v = key[i];
    return v == v ? v : -INFINITY;   /* NaN ranks last */
}

/* i ranks before j: higher key, or the same key and the lower index */
static inline int better(const float *key, int i, int j)
{
    float a = key_at(key, i), b = key_at(key, j);
    return a > b || (a == b && i < j);
}

static void sift_down(const float *key, int *h, int n, int pos)
{
    for (;;) {
        int l = 2 * pos + 1, r = l + 1, worst = pos;
        if (l < n && better(key, h[worst], h[l])) worst = l;
        if (r < n && better(key, h[worst], h[r])) worst = r;
        if (worst == pos) return;
        int t = h[pos]; h[pos] = h[worst]; h[worst] = t;
        pos = worst;
    }
}

typedef struct {
    const float *key;
    int *h;
    int n, k;
} heap;

static void heap_offer(heap *hp, int i)
{
    if (hp->n < hp->k) {
        int pos = hp->n++;
        hp->h[pos] = i;
        while (pos > 0) {   /* sift up while the parent ranks before it */
            int parent = (pos - 1) / 2;
            if (!better(hp->key, hp->h[parent], hp->h[pos])) break;
            int t = hp->h[pos]; hp->h[pos] = hp->h[parent]; hp->h[parent] = t;
            pos = parent;
        }
    } else if (better(hp->key, i, hp->h[0])) {
        hp->h[0] = i;
        sift_down(hp->key, hp->h, hp->n, 0);
    }
}

/* Heap sort in place: moving the worst to the back each time leaves the
 * array best first. Returns the count. */
static int heap_finish(heap *hp)
{
    for (int end = hp->n - 1; end > 0; --end) {
        int t = hp->h[0]; hp->h[0] = hp->h[end]; hp->h[end] = t;
        sift_down(hp->key, hp->h, end, 0);
    }
    return hp->n;
}

int top_k(const float *scores, int n, int k, int *out)
{
    if (n <= 0 || k <= 0) return 0;
    heap hp = {scores, out, 0, k < n ? k : n};
    for (int i = 0; i < n; ++i) heap_offer(&hp, i);
    return heap_finish(&hp);
}

/* ---- NMS ---- */

int nms_per_class(const cbox *boxes, const float *scores, const int *classes, int n,
                  float iou_thresh, int max_keep, int *idx)
{
    if (n <= 0 || max_keep == 0) return 0;
    top_k(scores, n, n, idx);   /* all of them, best first */
    int kept = 0;
    for (int i = 0; i < n && (max_keep < 0 || kept < max_keep); ++i) {
        int bi = idx[i];
        if (bi < 0) continue;              /* suppressed */
        idx[kept++] = bi;                  /* kept <= i: overwrites only visited slots */
        int ci = classes ? classes[bi] : 0;
        for (int j = i + 1; j < n; ++j) {
            int bj = idx[j];
            if (bj < 0 || (classes && classes[bj] != ci)) continue;
            if (cbox_iou(boxes[bi], boxes[bj]) > iou_thresh) idx[j] = -1;
        }
    }
    return kept;
}

/* ---- RetinaNet post-processing ---- */

retina_post_config retina_post_config_default(void)
{
    retina_post_config c = {0.05f, 1000, 0.5f, 100, 0, 0, NULL};
    return c;
}

size_t retina_post_scratch_size(const retina_post_config *c, int n_levels)
{
    if (!c || c->topk_per_level < 1 || n_levels < 1) return 0;
    size_t k = (size_t)c->topk_per_level, n = k * (size_t)n_levels;
    /* candidates: box, score, class, NMS order; plus one level's heap */
    return n * (sizeof(cbox) + sizeof(float) + 2 * sizeof(int)) + k * sizeof(int);
}

static int check_level(const retina_level *lv, int i)
{
    if (lv->w < 0 || lv->h < 0 || lv->A < 1 || lv->K < 1 ||
        (int64_t)lv->w * lv->h * lv->A * (lv->K > 4 ? lv->K : 4) > INT32_MAX)
        return dn_error("retina_postprocess: level %d has bad shape %d x %d, A=%d, K=%d", i, lv->w,
                        lv->h, lv->A, lv->K);
    if (lv->w * lv->h == 0) return 0;
    if (!lv->scores || (lv->deltas ? !lv->anchors : !lv->boxes))
        return dn_error("retina_postprocess: level %d lacks scores, or deltas with anchors, "
                        "or boxes", i);
    return 0;
}

int retina_postprocess(const retina_level *levels, int n_levels, const retina_post_config *c,
                       void *scratch, scored_box *out)
{
    if (!c || n_levels < 1 || !levels || c->topk_per_level < 1 || c->max_dets < 0)
        return dn_error("retina_postprocess: need levels >= 1, topk_per_level >= 1, max_dets >= 0");
    if (!scratch || (c->max_dets > 0 && !out)) return dn_error("retina_postprocess: NULL buffer");
    for (int i = 0; i < n_levels; ++i)
        if (check_level(&levels[i], i) < 0) return -1;

    size_t cap = (size_t)c->topk_per_level * n_levels;
    cbox *cand_box = scratch;
    float *cand_score = (float *)(cand_box + cap);
    int *cand_cls = (int *)(cand_score + cap);
    int *order = cand_cls + cap;
    int *heap_buf = order + cap;

    int n = 0;
    for (int li = 0; li < n_levels; ++li) {
        const retina_level *lv = &levels[li];
        int hw = lv->w * lv->h, total = hw * lv->A * lv->K;
        /* Stream the scores above the threshold through a heap of the best.
         * Once the heap is full a later score must beat its worst (equal is
         * not enough: the later index loses the tie), so the cut rises. */
        heap hp = {lv->scores, heap_buf, 0, c->topk_per_level};
        float cut = c->score_thresh;
        for (int o0 = 0; o0 < total; o0 += 32) {
            int o1 = o0 + 32 < total ? o0 + 32 : total, any = 0;
            for (int o = o0; o < o1; ++o) any |= lv->scores[o] > cut;   /* vectorises */
            if (!any) continue;
            for (int o = o0; o < o1; ++o) {
                if (!(lv->scores[o] > cut)) continue;
                heap_offer(&hp, o);
                if (hp.n == hp.k) cut = lv->scores[hp.h[0]];   /* > score_thresh, as all in it */
            }
        }
        int got = heap_finish(&hp);
        for (int t = 0; t < got; ++t, ++n) {
            int o = heap_buf[t], ch = o / hw, p = o % hw, a = ch / lv->K;
            cbox b;
            if (lv->deltas) {
                float d[4];
                for (int j = 0; j < 4; ++j) d[j] = lv->deltas[(size_t)(a * 4 + j) * hw + p];
                b = box_decode(d, lv->anchors[(size_t)p * lv->A + a], c->weights);
            } else {
                b = lv->boxes[(size_t)p * lv->A + a];
            }
            if (c->img_w > 0 && c->img_h > 0) b = cbox_clip(b, c->img_w, c->img_h);
            cand_box[n] = b;
            cand_score[n] = lv->scores[o];
            cand_cls[n] = ch % lv->K;
        }
    }
    int kept = nms_per_class(cand_box, cand_score, cand_cls, n, c->nms_thresh, c->max_dets, order);
    for (int i = 0; i < kept; ++i) {
        int j = order[i];
        out[i] = (scored_box){cand_box[j], cand_cls[j], cand_score[j]};
    }
    return kept;
}
