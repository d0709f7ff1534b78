/* anchor_kmeans: k-means with 1 - IoU finds planted shape groups, repeats
 * itself for a seed, and refuses fewer boxes than clusters. */
#include <string.h>

#include "anchor_kmeans.h"
#include "test.h"

TEST(anchor_kmeans_finds_three_planted_shape_groups)
{
    /* 30 shapes around 10x20, 40x40 and 120x60, each +-10% */
    float wh[180], base[3][2] = {{10, 20}, {40, 40}, {120, 60}}, jitter[180];
    random_fill(jitter, 180, 0.9f, 1.1f, 5);
    for (int i = 0; i < 90; ++i) wh[2 * i] = base[i % 3][0] * jitter[2 * i], wh[2 * i + 1] = base[i % 3][1] * jitter[2 * i + 1];
    float c[6], again[6];
    double iou = anchor_kmeans(wh, 90, 3, 7, c);
    CHECK_MSG(iou > 0.85, "avg IoU %g", iou);
    for (int g = 0; g < 3; ++g) {   /* sorted by area: the groups in order */
        CHECK_NEAR(c[2 * g], base[g][0], 0.06 * base[g][0]);
        CHECK_NEAR(c[2 * g + 1], base[g][1], 0.06 * base[g][1]);
    }
    CHECK(anchor_kmeans(wh, 90, 3, 7, again) == iou && !memcmp(c, again, sizeof c));
    CHECK(anchor_kmeans(wh, 2, 3, 7, again) < 0 && strstr(dn_last_error(), "2 boxes"));
}
