/* detections.c: collects the boxes of every detection layer (those whose
 * layer_ops provide get_detections, e.g. [yolo]) after a forward pass, and
 * applies darknet's NMS to those of the layers that ask for it. */
#include <stdlib.h>

#include "boxes.h"
#include "errors.h"
#include "network.h"

/* darknet's NMS threshold of `detector test`, `map` and `valid` */
static const float YOLO_NMS = 0.45f;

typedef struct {
    float score;
    int index;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->index - y->index;   /* ties: the earlier first, deterministic */
}

/* darknet's do_nms_sort: per class, in descending score, a box's score of that
 * class is zeroed when it overlaps a better-scored box by IoU > thresh. */
static int nms_sort(detection *d, int n, float thresh)
{
    ranked *r = dn_calloc(n ? (size_t)n : 1, sizeof *r);
    if (!r) return -1;
    int classes = n ? d[0].classes : 0;
    for (int k = 0; k < classes; ++k) {
        int m = 0;
        for (int i = 0; i < n; ++i)
            if (d[i].prob[k] > 0) r[m++] = (ranked){d[i].prob[k], i};
        qsort(r, (size_t)m, sizeof *r, by_score);
        for (int i = 0; i < m; ++i) {
            detection *a = &d[r[i].index];
            if (a->prob[k] == 0) continue;
            cbox ca = cbox_from_box(a->bbox);
            for (int j = i + 1; j < m; ++j) {
                detection *b = &d[r[j].index];
                if (b->prob[k] > 0 && cbox_iou(ca, cbox_from_box(b->bbox)) > thresh) b->prob[k] = 0;
            }
        }
    }
    free(r);
    return 0;
}

static detection *network_boxes(network *net, float thresh, int *num, int suppress)
{
    *num = 0;
    int total = 0;
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        if (l->ops->get_detections) total += l->ops->get_detections(l, net, thresh, NULL);
    }
    /* never NULL on success, even when nothing was found */
    detection *dets = dn_calloc(total ? (size_t)total : 1, sizeof *dets);
    if (!dets) return NULL;
    /* the layers that want NMS first, so that it runs on their boxes together */
    int filled = 0, to_nms = 0;
    for (int pass = 1; pass >= 0; --pass)
        for (int i = 0; i < net->n; ++i) {
            const layer *l = &net->layers[i];
            if (!l->ops->get_detections || !l->ops->nms_detections != !pass) continue;
            int got = l->ops->get_detections(l, net, thresh, dets + filled);
            if (got < 0) {
                free_detections(dets, total); /* prob arrays not yet set are NULL */
                return NULL;
            }
            filled += got;
            if (pass) to_nms = filled;
        }
    if (suppress && nms_sort(dets, to_nms, YOLO_NMS)) {
        free_detections(dets, total);
        return NULL;
    }
    *num = filled;
    return dets;
}

detection *get_network_boxes(network *net, float thresh, int *num) { return network_boxes(net, thresh, num, 1); }

detection *get_network_boxes_unsuppressed(network *net, float thresh, int *num)
{
    return network_boxes(net, thresh, num, 0);
}

void free_detections(detection *dets, int n)
{
    if (!dets) return;
    for (int i = 0; i < n; ++i) free(dets[i].prob);
    free(dets);
}
