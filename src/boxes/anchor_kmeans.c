/* anchor_kmeans.c: k-means on box shapes with 1 - IoU (anchor_kmeans.h). */
#include "anchor_kmeans.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "rng.h"

enum { MAX_ROUNDS = 1000 };

static float shape_iou(const float *a, const float *b)
{
    float iw = a[0] < b[0] ? a[0] : b[0], ih = a[1] < b[1] ? a[1] : b[1];
    float inter = iw * ih, uni = a[0] * a[1] + b[0] * b[1] - inter;
    return uni > 0 ? inter / uni : 0;
}

/* The centre most like shape p; its IoU in *iou. */
static int nearest(const float *p, const float *centres, int k, float *iou)
{
    int best = 0;
    float best_iou = -1;
    for (int c = 0; c < k; ++c) {
        float v = shape_iou(p, centres + 2 * c);
        if (v > best_iou) best_iou = v, best = c;
    }
    if (iou) *iou = best_iou;
    return best;
}

/* k-means++: each next centre drawn with probability proportional to its distance from the chosen ones. */
static void seed_centres(const float *wh, int n, int k, uint64_t seed, float *centres, float *dist)
{
    rng_state r;
    rng_seed(&r, seed);
    memcpy(centres, wh + 2 * (rng_u32(&r) % (uint32_t)n), 2 * sizeof(float));
    for (int c = 1; c < k; ++c) {
        double total = 0;
        for (int i = 0; i < n; ++i) {
            float iou;
            nearest(wh + 2 * i, centres, c, &iou);
            total += dist[i] = 1 - iou;
        }
        double pick = rng_uniform(&r) * total;
        int chosen = n - 1;
        for (int i = 0; i < n; ++i)
            if ((pick -= dist[i]) < 0) {
                chosen = i;
                break;
            }
        memcpy(centres + 2 * c, wh + 2 * chosen, 2 * sizeof(float));
    }
}

/* Each centre the mean of its members (a centre without members stays). */
static void move_centres(const float *wh, int n, int k, const int *member, float *centres, double *sums)
{
    memset(sums, 0, 3 * (size_t)k * sizeof(double));
    for (int i = 0; i < n; ++i) {
        double *s = sums + 3 * member[i];
        s[0] += wh[2 * i], s[1] += wh[2 * i + 1], s[2] += 1;
    }
    for (int c = 0; c < k; ++c)
        if (sums[3 * c + 2] > 0)
            centres[2 * c] = (float)(sums[3 * c] / sums[3 * c + 2]), centres[2 * c + 1] = (float)(sums[3 * c + 1] / sums[3 * c + 2]);
}

static int by_area(const void *a, const void *b)
{
    const float *x = a, *y = b;
    float ax = x[0] * x[1], ay = y[0] * y[1];
    return ax < ay ? -1 : ax > ay;
}

double anchor_kmeans(const float *wh, int n, int k, uint64_t seed, float *centres)
{
    if (k < 1 || n < k) return dn_error("calc_anchors: %d boxes cannot make %d clusters", n, k);
    int *member = malloc(sizeof(int) * (size_t)n);
    float *dist = malloc(sizeof(float) * (size_t)n);
    double *sums = malloc(sizeof(double) * 3 * (size_t)k);
    if (!member || !dist || !sums) {
        free(member), free(dist), free(sums);
        return dn_error("calc_anchors: out of memory for %d boxes", n);
    }
    seed_centres(wh, n, k, seed, centres, dist);
    for (int i = 0; i < n; ++i) member[i] = -1;
    for (int round = 0, changed = 1; changed && round < MAX_ROUNDS; ++round) {
        changed = 0;
        for (int i = 0; i < n; ++i) {
            int c = nearest(wh + 2 * i, centres, k, NULL);
            changed |= c != member[i];
            member[i] = c;
        }
        if (changed) move_centres(wh, n, k, member, centres, sums);
    }
    qsort(centres, (size_t)k, 2 * sizeof(float), by_area);
    double total = 0;
    for (int i = 0; i < n; ++i) {
        float iou;
        nearest(wh + 2 * i, centres, k, &iou);
        total += iou;
    }
    free(member), free(dist), free(sums);
    return total / n;
}
