/* detector_test.c: `detector test DATA CFG WEIGHTS IMAGE`: prints the
 * detections of one image and draws them, labelled, into a PNG or JPEG. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "data_cfg.h"
#include "detector_cmds.h"
#include "errors.h"
#include "image.h"

/* The drawn picture's shorter side, at least (small images are enlarged). */
enum { DRAWN_MIN_SIDE = 512 };

/* One label per class: the names file's line, or "class K" where it has
 * none. A names= file that cannot be read (or holds no names) is an error;
 * fewer names than the network's classes, or no names= at all, a warning.
 * NULL on error; *n gets the count (free with free_string_list). */
static char **class_labels(const data_cfg *data, int classes, int *n)
{
    int n_names = 0;
    char **names = NULL;
    *n = 0;
    if (data->names && !(names = read_names(data->names, &n_names))) return NULL;
    if (!data->names)
        dn_warn("%s names no names= file: detections are labelled by class number", data->path);
    else if (n_names < classes)
        dn_warn("%s holds %d names for the network's %d classes: the others are labelled by class number",
                data->names, n_names, classes);
    int count = n_names > classes ? n_names : classes, made = 0;
    char **labels = dn_calloc(count ? (size_t)count : 1, sizeof *labels);
    for (; labels && made < count; ++made) {
        char num[32];
        snprintf(num, sizeof num, "class %d", made);
        if (!(labels[made] = dn_strdup(made < n_names ? names[made] : num))) break;
    }
    free_string_list(names, n_names);
    if (made < count) {
        free_string_list(labels, made);
        return NULL;
    }
    *n = count;
    return labels;
}

/* Prints the detections above thresh (in pixels of im) and draws them into
 * canvas (im, or an enlarged copy of it). */
static int draw_boxes(const image *im, image *canvas, const letterbox_geom *g, detection *d, int n, float thresh,
                      char **labels, int n_labels)
{
    /* a [yolo] box may pass thresh for several classes */
    size_t cap = 1;
    for (int i = 0; i < n; ++i) cap += (size_t)d[i].classes;
    box *boxes = malloc(sizeof(box) * cap);
    int *classes = malloc(sizeof(int) * cap);
    float *scores = malloc(sizeof(float) * cap);
    int kept = 0;
    for (int i = 0; i < n && boxes && classes && scores; ++i)
        for (int k = 0; k < d[i].classes; ++k) {
            if (d[i].prob[k] <= thresh) continue;
            box b = letterbox_box_to_image(g, d[i].bbox);
            boxes[kept] = b;
            classes[kept] = k;
            scores[kept++] = d[i].prob[k];
            char num[32];
            snprintf(num, sizeof num, "class %d", k);
            printf("%s: %.0f%%  (x %.0f, y %.0f, w %.0f, h %.0f)\n", k < n_labels ? labels[k] : num,
                   100 * d[i].prob[k], (b.x - b.w / 2) * im->w, (b.y - b.h / 2) * im->h, b.w * im->w, b.h * im->h);
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
    if (!im || set_batch_network(net, 1)) goto done;
    letterbox_geom g;
    image *in = letterbox_image(im, network_width(net), network_height(net), &g);
    if (!in) goto done;
    network_predict(net, in->data);
    free_image(in);
    detection *d = get_network_boxes(net, thresh, &n);
    /* small images are drawn enlarged, or the labels would cover the objects */
    image *canvas = enlarge_image(im, DRAWN_MIN_SIDE);
    int kept = canvas ? draw_boxes(im, canvas, &g, d, n, thresh, labels, n_labels) : 0;
    free_detections(d, n);
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
