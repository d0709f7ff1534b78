/* detections.c: collects the boxes of every detection layer (those whose
 * layer_ops provide get_detections, e.g. [yolo]) after a forward pass. */
#include <stdlib.h>

#include "errors.h"
#include "network.h"

detection *get_network_boxes(network *net, float thresh, int *num)
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
    int filled = 0;
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        if (!l->ops->get_detections) continue;
        int got = l->ops->get_detections(l, net, thresh, dets + filled);
        if (got < 0) {
            free_detections(dets, total); /* prob arrays not yet set are NULL */
            return NULL;
        }
        filled += got;
    }
    *num = filled;
    return dets;
}

void free_detections(detection *dets, int n)
{
    if (!dets) return;
    for (int i = 0; i < n; ++i) free(dets[i].prob);
    free(dets);
}
