/* detect_image.c: detections mapped back to the image (detect_image.h). */
#include "detect_image.h"

#include <stdlib.h>

#include "errors.h"

int network_image_detections(network *net, const letterbox_geom *g, float thresh, int n_classes,
                             image_detection **out)
{
    *out = NULL;
    int n = 0, kept = 0, cap = 0;
    detection *d = get_network_boxes(net, thresh, &n);
    if (!d) return -1;
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < d[i].classes && k < n_classes; ++k) cap += d[i].prob[k] > thresh;
    image_detection *x = dn_calloc(cap ? (size_t)cap : 1, sizeof *x);
    for (int i = 0; x && i < n; ++i) {
        box b = letterbox_box_to_image(g, d[i].bbox);
        for (int k = 0; k < d[i].classes && k < n_classes; ++k)
            if (d[i].prob[k] > thresh) x[kept++] = (image_detection){b, k, d[i].prob[k]};
    }
    free_detections(d, n);
    *out = x;
    return x ? kept : -1;
}

void image_detection_pixels(const image_detection *d, int w, int h, float xywh[4])
{
    box b = d->bbox;
    xywh[0] = (b.x - b.w / 2) * w;
    xywh[1] = (b.y - b.h / 2) * h;
    xywh[2] = b.w * w;
    xywh[3] = b.h * h;
}

int detect_image(network *net, const image *im, float thresh, image_detection **out)
{
    *out = NULL;
    if (set_batch_network(net, 1)) return -1;
    letterbox_geom g;
    image *in = letterbox_image(im, network_width(net), network_height(net), &g);
    if (!in) return -1;
    network_predict(net, in->data);
    free_image(in);
    return network_image_detections(net, &g, thresh, network_classes(net), out);
}
