/* api_detect.c: detections and class labels for bindings (darknet_api.h),
 * through detect_image(), the function `detector test` runs. */
#include <stdlib.h>

#include "darknet_api.h"
#include "data_cfg.h"
#include "detect_image.h"
#include "errors.h"
#include "image.h"

/* Detects on im, in pixels as `detector test` prints them. */
static int detect_in_pixels(network *net, const image *im, float thresh, dn_detection **out)
{
    image_detection *d = NULL;
    int n = detect_image(net, im, thresh, &d);
    dn_detection *x = n < 0 ? NULL : dn_calloc(n ? (size_t)n : 1, sizeof *x);
    for (int i = 0; x && i < n; ++i) {
        float px[4];
        image_detection_pixels(&d[i], im->w, im->h, px);
        x[i] = (dn_detection){d[i].class_id, d[i].score, px[0], px[1], px[2], px[3]};
    }
    free(d);
    *out = x;
    return x ? n : -1;
}

int dn_net_detect_file(network *net, const char *path, float thresh, dn_detection **out, int size[2])
{
    dn_clear_error();
    *out = NULL;
    image *im = load_image(path);
    if (!im) return -1;
    if (size) size[0] = im->w, size[1] = im->h;
    int n = detect_in_pixels(net, im, thresh, out);
    free_image(im);
    return n;
}

int dn_net_detect_pixels(network *net, const unsigned char *pixels, int w, int h, int channels, float thresh,
                         dn_detection **out)
{
    dn_clear_error();
    *out = NULL;
    if (w < 1 || h < 1 || channels < 1 || channels > 4)
        return dn_error("an image of %d x %d pixels of %d channels: expected 1 to 4 channels (grey, grey and "
                        "alpha, RGB, RGBA)", w, h, channels);
    image *im = image_from_bytes(pixels, w, h, channels);
    if (!im) return -1;
    int n = detect_in_pixels(net, im, thresh, out);
    free_image(im);
    return n;
}

void dn_free(void *p) { free(p); }

char **dn_class_labels(const char *data_path, int classes, int *n)
{
    dn_clear_error();
    *n = 0;
    data_cfg *data = data_cfg_read(data_path);
    char **labels = data ? class_labels(data, classes, n) : NULL;
    data_cfg_free(data);
    return labels;
}

void dn_free_labels(char **labels, int n) { free_string_list(labels, n); }
