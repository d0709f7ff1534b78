/* matcher.c: anchors to ground truths by IoU (rules in matcher.h).
 *
 * The anchors are taken in blocks of BLOCK, copied into columns (so the inner
 * loops vectorise) with the box around the whole block; a gt that misses
 * that box has IoU 0 with the whole block and skips it. Anchors from
 * make_anchors() come in row order, so a block spans a few rows and most gts
 * skip most blocks.
 *   pass 1: each anchor's best IoU and its gt (ties: the lower gt index),
 *           each gt's best IoU;
 *   pass 2 (low-quality): the same IoUs again; an anchor whose IoU with some
 *           gt equals that gt's best (> 0) is marked by best = 2 (above any
 *           IoU), so the classification keeps its own best gt.
 * Both passes compute each IoU with the same code (pair_iou, in the same
 * loop), so the equality test compares identical values. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "errors.h"
#include "matcher.h"

enum { BLOCK = 256 };

match_config match_config_retinanet(void)
{
    match_config c = {0.5f, 0.4f, 1};
    return c;
}

size_t match_scratch_size(int n_anchors, int n_gts)
{
    if (n_anchors < 0) n_anchors = 0;
    if (n_gts < 0) n_gts = 0;
    /* best IoU per anchor, best IoU and area per gt */
    return sizeof(float) * ((size_t)n_anchors + 2 * (size_t)n_gts);
}

/* cbox_area, inlined for the inner loops */
static inline float area_of(cbox b)
{
    float w = b.x2 - b.x1, h = b.y2 - b.y1;
    return (w > 0 && h > 0) ? w * h : 0;
}

/* IoU of anchor a (area aa) and gt g (area ga > 0); 0 when they do not
 * overlap, never NaN: the union is at least ga > 0 (NaN coordinates give
 * non-positive extents, hence 0). */
static inline float pair_iou(float x1, float y1, float x2, float y2, float aa, cbox g, float ga)
{
    float iw = (x2 < g.x2 ? x2 : g.x2) - (x1 > g.x1 ? x1 : g.x1);
    float ih = (y2 < g.y2 ? y2 : g.y2) - (y1 > g.y1 ? y1 : g.y1);
    iw = iw > 0 ? iw : 0;
    ih = ih > 0 ? ih : 0;
    float inter = iw * ih;
    return inter / (aa + ga - inter);
}

typedef struct {
    int n;
    float x1[BLOCK], y1[BLOCK], x2[BLOCK], y2[BLOCK], area[BLOCK];
    cbox ext;   /* around every anchor of the block */
} block;

static void load_block(block *b, const cbox *anchors, int n)
{
    b->n = n;
    b->ext = (cbox){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < n; ++i) {
        cbox a = anchors[i];
        b->x1[i] = a.x1, b->y1[i] = a.y1, b->x2[i] = a.x2, b->y2[i] = a.y2;
        b->area[i] = area_of(a);
        b->ext.x1 = a.x1 < b->ext.x1 ? a.x1 : b->ext.x1;
        b->ext.y1 = a.y1 < b->ext.y1 ? a.y1 : b->ext.y1;
        b->ext.x2 = a.x2 > b->ext.x2 ? a.x2 : b->ext.x2;
        b->ext.y2 = a.y2 > b->ext.y2 ? a.y2 : b->ext.y2;
    }
}

static int misses(const block *b, cbox g)
{
    return !(g.x1 < b->ext.x2 && g.x2 > b->ext.x1 && g.y1 < b->ext.y2 && g.y2 > b->ext.y1);
}

/* pass 1 over one block: best[] and matches[] of its anchors, gt g's best */
static void best_of_block(const block *b, cbox g, float ga, int gi, float *best, int *matches,
                          float *gt_best)
{
    /* IoUs are >= 0, so their bit patterns order as integers: an integer
     * max reduction, which vectorises where a float one does not */
    int32_t gmax;
    memcpy(&gmax, gt_best, sizeof gmax);
    for (int i = 0; i < b->n; ++i) {
        float iou = pair_iou(b->x1[i], b->y1[i], b->x2[i], b->y2[i], b->area[i], g, ga);
        float old = best[i];
        int better = iou > old;   /* strict: ties keep the lower gt index */
        best[i] = better ? iou : old;
        matches[i] = better ? gi : matches[i];
        int32_t bits;
        memcpy(&bits, &iou, sizeof bits);
        gmax = bits > gmax ? bits : gmax;
    }
    memcpy(gt_best, &gmax, sizeof gmax);
}

/* pass 2 over one block: mark the anchors that reach gt g's best IoU */
static void mark_block(const block *b, cbox g, float ga, float g_best, float *best)
{
    for (int i = 0; i < b->n; ++i) {
        float iou = pair_iou(b->x1[i], b->y1[i], b->x2[i], b->y2[i], b->area[i], g, ga);
        best[i] = iou >= g_best ? 2.0f : best[i];   /* >=: equal, as g_best is the max */
    }
}

int match_anchors(const cbox *anchors, int n_anchors, const cbox *gts, int n_gts,
                  const match_config *cfg, void *scratch, int *matches)
{
    if (n_anchors < 0 || n_gts < 0)
        return dn_error("match_anchors: negative count (%d anchors, %d gts)", n_anchors, n_gts);
    if (!cfg || !(cfg->pos_iou > 0 && cfg->pos_iou <= 1) ||
        !(cfg->neg_iou >= 0 && cfg->neg_iou <= cfg->pos_iou))
        return dn_error("match_anchors: thresholds must satisfy 0 <= neg_iou <= pos_iou, "
                        "0 < pos_iou <= 1");
    if (n_anchors == 0) return 0;
    if (!anchors || !matches || (n_gts > 0 && (!gts || !scratch)))
        return dn_error("match_anchors: NULL buffer");

    for (int a = 0; a < n_anchors; ++a) matches[a] = MATCH_NEGATIVE;
    if (n_gts == 0) return 0;

    float *best = scratch;                 /* [n_anchors] */
    float *gt_best = best + n_anchors;     /* [n_gts] */
    float *gt_area = gt_best + n_gts;      /* [n_gts] */
    for (int a = 0; a < n_anchors; ++a) best[a] = 0;
    for (int g = 0; g < n_gts; ++g) {
        gt_area[g] = area_of(gts[g]);      /* 0 for zero-area or NaN gts: they overlap nothing */
        gt_best[g] = 0;
    }

    block blk;
    /* pass 1; matches[a] holds the anchor's best gt meanwhile (-1: none) */
    for (int a0 = 0; a0 < n_anchors; a0 += BLOCK) {
        load_block(&blk, anchors + a0, n_anchors - a0 < BLOCK ? n_anchors - a0 : BLOCK);
        for (int g = 0; g < n_gts; ++g)
            if (gt_area[g] > 0 && !misses(&blk, gts[g]))
                best_of_block(&blk, gts[g], gt_area[g], g, best + a0, matches + a0, &gt_best[g]);
    }
    /* pass 2: low-quality matches, skipped for gts whose best IoU is 0 */
    if (cfg->low_quality) {
        for (int a0 = 0; a0 < n_anchors; a0 += BLOCK) {
            load_block(&blk, anchors + a0, n_anchors - a0 < BLOCK ? n_anchors - a0 : BLOCK);
            for (int g = 0; g < n_gts; ++g)
                if (gt_best[g] > 0 && !misses(&blk, gts[g]))
                    mark_block(&blk, gts[g], gt_area[g], gt_best[g], best + a0);
        }
    }
    /* marked anchors (best 2) and those over pos_iou keep their best gt,
     * torchvision's choice for low-quality matches */
    for (int a = 0; a < n_anchors; ++a) {
        if (best[a] >= cfg->pos_iou) continue;
        matches[a] = best[a] >= cfg->neg_iou ? MATCH_IGNORE : MATCH_NEGATIVE;
    }
    return 0;
}
