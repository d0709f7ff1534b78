/* detector_test.c: `detector test DATA CFG WEIGHTS IMAGE`: prints the
 * detections of one image and draws them, labelled, into a PNG or JPEG. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "data_cfg.h"
#include "detect_image.h"
#include "detector_cmds.h"
#include "errors.h"
#include "image.h"

/* The drawn picture's shorter side, at least (small images are enlarged). */
enum { DRAWN_MIN_SIDE = 512 };

/* Prints the detections (in pixels of im) and draws them into canvas (im,
 * or an enlarged copy of it). */
static int draw_boxes(const image *im, image *canvas, const image_detection *d, int n, char **labels,
                      int n_labels)
{
    box *boxes = malloc(sizeof(box) * (n + 1));
    int *classes = malloc(sizeof(int) * (n + 1));
    float *scores = malloc(sizeof(float) * (n + 1));
    int kept = 0;
    for (; kept < n && boxes && classes && scores; ++kept) {
        float px[4];
        image_detection_pixels(&d[kept], im->w, im->h, px);
        boxes[kept] = d[kept].bbox;
        classes[kept] = d[kept].class_id;
        scores[kept] = d[kept].score;
        printf("%s: %.0f%%  (x %.0f, y %.0f, w %.0f, h %.0f)\n", labels[d[kept].class_id], 100 * d[kept].score,
               px[0], px[1], px[2], px[3]);
    }
    draw_detections(canvas, boxes, classes, scores, kept, (const char *const *)labels, n_labels);
    free(boxes);
    free(classes);
    free(scores);
    return kept;
}

int detector_test(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    float thresh = arg_float(&a, "-thresh", 0.25f);
    const char *out = arg_str(&a, "-out", "predictions.png");
    const char *data_path = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2),
               *image_path = arg_pos(&a, 3);
    if (args_check(&a) || !image_path) return usage_error("detector");
    data_cfg *data = data_cfg_read(data_path);
    network *net = data ? load_network_frozen(cfg, weights) : NULL;
    int n_labels = 0, n = 0, rc = 1;
    char **labels = net ? class_labels(data, network_classes(net), &n_labels) : NULL;
    image *im = labels ? load_image(image_path) : NULL;
    image_detection *d = NULL;
    if (!im || (n = detect_image(net, im, thresh, &d)) < 0) goto done;
    /* small images are drawn enlarged, or the labels would cover the objects */
    image *canvas = enlarge_image(im, DRAWN_MIN_SIDE);
    int kept = canvas ? draw_boxes(im, canvas, d, n, labels, n_labels) : 0;
    free(d);
    if (canvas && save_image(canvas, out) == 0) {
        printf("%d detections above %.2f; drawn in %s (%d x %d)\n", kept, thresh, out, canvas->w, canvas->h);
        rc = 0;
    }
    free_image(canvas);
done:
    if (rc) fprintf(stderr, "darknet detector test: %s\n", dn_last_error());
    free_image(im);
    free_string_list(labels, n_labels);
    free_network(net);
    data_cfg_free(data);
    return rc;
}
