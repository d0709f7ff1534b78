/* darknet_api.h: the small, stable C API for language bindings
 * (python/darknet.py calls it through ctypes, with no compilation step).
 *
 * Plain types only: ints, floats, strings and buffers the caller owns, so a
 * binding needs no struct layouts but dn_detection's. Tensors are float32,
 * NCHW, batch-major. Every function starts with a clean error; on failure it
 * returns -1, NULL or NaN and dn_last_error() holds the message (naming the
 * file, line and key for a bad cfg). The work is done by the library's own
 * functions (the same paths as the darknet commands); this is only their
 * door. DN_API_VERSION grows when a function is added or changed. */
#ifndef DARKNET_API_H
#define DARKNET_API_H

#include "darknet.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DN_API_VERSION 1
int dn_api_version(void);

/* cfg plus weights (NULL or "" for none: random initial weights from the
 * default seed). train=1: trainable (load_network), else inference only
 * (load_network_frozen: no gradient buffers). gpu: the device to run on
 * (network_use_gpu; a GPU=1 build), -1 for the host. NULL on error. */
network *dn_net_load(const char *cfg, const char *weights, int train, int gpu);
void dn_net_free(network *net);                 /* NULL is fine */
/* The input of one image: shape[0..2] = channels, height, width. 0 or -1. */
int dn_net_input_shape(const network *net, int shape[3]);
int dn_net_outputs(const network *net);         /* floats per image of the last layer */
int dn_net_truths(const network *net);          /* truth floats per image a train step reads */
int dn_net_classes(const network *net);         /* classes of the detection layers, 0 without */
int dn_net_layers(const network *net);          /* number of layers */

/* Forward in inference mode on n images (n * c*h*w floats): the last
 * layer's output, n * dn_net_outputs floats, into output. 0 or -1. */
int dn_net_predict(network *net, const float *input, int n, float *output);

/* Layer i after the last forward: its cfg section name into *type (owned by
 * the library), its output shape into shape[0..3] = batch, channels, height,
 * width. 0 or -1 (no such layer). */
int dn_layer_info(network *net, int i, int shape[4], const char **type);
/* Copies layer i's output (batch*c*h*w floats, as dn_layer_info gives) into out. 0 or -1. */
int dn_layer_output(network *net, int i, float *out);

/* One detection of one class in pixels of the image: x, y the top-left corner. */
typedef struct {
    int class_id;
    float score;
    float x, y, w, h;
} dn_detection;
/* `darknet detector test` on an image file: the same decoding, letterbox,
 * forward, box decoding and NMS. *out (free with dn_free) receives the
 * detections scoring above thresh; size[0..1] (may be NULL) the image's width
 * and height. Returns their count or -1. */
int dn_net_detect_file(network *net, const char *path, float thresh, dn_detection **out, int size[2]);
/* The same on decoded pixels: h rows of w pixels of `channels` bytes each
 * (3 RGB, 4 RGBA, 1 grey, 2 grey and alpha), interleaved as numpy holds an
 * H x W x C uint8 array: what a decoder gives for that file. */
int dn_net_detect_pixels(network *net, const unsigned char *pixels, int w, int h, int channels, float thresh,
                         dn_detection **out);
void dn_free(void *p);                          /* what the API returned for the caller to free */

/* One optimisation step (train_network_step, what `detector train` and
 * `classifier train` run per iteration) on n images (n * c*h*w floats) and
 * their truths (n * dn_net_truths floats: for detectors DN_MAX_BOXES boxes of
 * x, y, w, h relative to the input and the class, the first w = 0 ending the
 * list). n is the step's batch: a multiple of the cfg's subdivisions, each
 * forward pass taking n / subdivisions images. Returns the loss per image,
 * NaN on error (or when the loss itself is NaN: dn_last_error() is then ""). */
float dn_net_train_step(network *net, const float *images, const float *truths, int n);
/* Saves the weights in darknet's format, atomically. 0 or -1. */
int dn_net_save(const network *net, const char *path);

/* The labels `detector test` prints for a detector of `classes` classes with
 * this .data file (names= lines, "class K" for the others). NULL on error;
 * *n receives the count, free with dn_free_labels. */
char **dn_class_labels(const char *data_path, int classes, int *n);
void dn_free_labels(char **labels, int n);

#ifdef __cplusplus
}
#endif
#endif
