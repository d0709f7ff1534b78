/* detector_test.c: `detector test DATA CFG WEIGHTS IMAGE`: prints the
 * detections of one image and draws them, labelled, into a PNG or JPEG. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "data_cfg.h"
#include "detector_cmds.h"

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
    image *im = net ? load_image(image_path) : NULL;
    int n_names = 0, n = 0, rc = 1;
    char **names = data && data->names ? read_names(data->names, &n_names) : NULL;
    if (!im) goto done;
    set_batch_network(net, 1);
    letterbox_geom g;
    image *in = letterbox_image(im, network_width(net), network_height(net), &g);
    if (!in) goto done;
    network_predict(net, in->data);
    free_image(in);
    detection *d = get_network_boxes(net, thresh, &n);
    box *boxes = malloc(sizeof(box) * (n + 1));
    int *classes = malloc(sizeof(int) * (n + 1));
    float *scores = malloc(sizeof(float) * (n + 1));
    int kept = 0;
    for (int i = 0; i < n && boxes && classes && scores; ++i)
        for (int k = 0; k < d[i].classes; ++k) {
            if (d[i].prob[k] <= thresh) continue;
            box b = letterbox_box_to_image(&g, d[i].bbox);
            boxes[kept] = b;
            classes[kept] = k;
            scores[kept++] = d[i].prob[k];
            printf("%s: %.0f%%  (x %.0f, y %.0f, w %.0f, h %.0f)\n", k < n_names ? names[k] : "?",
                   100 * d[i].prob[k], (b.x - b.w / 2) * im->w, (b.y - b.h / 2) * im->h, b.w * im->w, b.h * im->h);
        }
    free_detections(d, n);
    draw_detections(im, boxes, classes, scores, kept, (const char *const *)names, n_names);
    free(boxes);
    free(classes);
    free(scores);
    if (save_image(im, out) == 0) {
        printf("%d detections above %.2f; drawn in %s\n", kept, thresh, out);
        rc = 0;
    }
done:
    if (rc) fprintf(stderr, "darknet detector test: %s\n", dn_last_error());
    free_image(im);
    free_string_list(names, n_names);
    free_network(net);
    data_cfg_free(data);
    return rc;
}
