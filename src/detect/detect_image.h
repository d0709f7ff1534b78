/* detect_image.h: detections in the coordinates of the image they were made
 * on: the letterbox undone and one entry per class above the threshold. What
 * `detector test`, `detector valid`/`map` and the bindings (src/api/) report. */
#ifndef DN_DETECT_IMAGE_H
#define DN_DETECT_IMAGE_H

#include "darknet.h"

typedef struct {
    box bbox;          /* centre and size, relative to the image */
    int class_id;
    float score;       /* objectness * class probability */
} image_detection;

/* The detections of the last forward (image 0) of classes below n_classes
 * scoring above thresh, mapped through g back to the image. *out is
 * malloc'ed (never NULL on success); returns their count, or -1. */
int network_image_detections(network *net, const letterbox_geom *g, float thresh, int n_classes,
                             image_detection **out);

/* d's box in pixels of a w x h image: x, y (top-left corner), w, h, as
 * COCO's bbox and `detector test`'s printout give it. */
void image_detection_pixels(const image_detection *d, int w, int h, float xywh[4]);

/* `detector test` on one image: batch 1, letterboxed to the network's input,
 * a forward in inference mode, then network_image_detections for every class.
 * Returns the count (*out malloc'ed) or -1. */
int detect_image(network *net, const image *im, float thresh, image_detection **out);

#endif
