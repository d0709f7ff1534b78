/* anchor_kmeans.h: YOLO anchors from the truth boxes' shapes: k-means with
 * the distance 1 - IoU of shapes (boxes centred on one point), as darknet's
 * `detector calc_anchors` (AlexeyAB) computes them. */
#ifndef DN_ANCHOR_KMEANS_H
#define DN_ANCHOR_KMEANS_H

#include <stdint.h>

/* Clusters n shapes wh[2i], wh[2i+1] (> 0, any unit) into k centres
 * (2 * k floats, w h pairs) sorted by area, smallest first. Seeding is
 * k-means++ from `seed` (deterministic), then Lloyd's iterations (a centre
 * is its members' mean w and h) until no shape changes cluster. Returns the
 * mean over the shapes of their best IoU with a centre, or -1 (error
 * recorded) when k < 1 or n < k. */
double anchor_kmeans(const float *wh, int n, int k, uint64_t seed, float *centres);

#endif
