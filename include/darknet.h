/* darknet.h: the one public header of the library.
 *
 * Networks are built from darknet cfg files and stored in darknet's .weights
 * format. Tensors are float32, NCHW, batch-major. Functions that can fail
 * return NULL or a negative number and leave a message in dn_last_error(). */
#ifndef DARKNET_H
#define DARKNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct network network;
typedef struct layer layer;

/* ---- errors and logging ------------------------------------------------ */

/* The message of the last failure in this thread ("" when none). */
const char *dn_last_error(void);
void dn_clear_error(void);

typedef enum { DN_LOG_ERROR = 0, DN_LOG_WARN = 1, DN_LOG_INFO = 2, DN_LOG_DEBUG = 3 } dn_log_level;
void dn_set_log_level(dn_log_level level);

/* Worker threads for the library's own parallel loops (0: one per core). */
void dn_set_threads(int n);

/* ---- building, loading, saving ------------------------------------------ */

/* Builds a network from a cfg file; NULL on error (message names file, line, key). */
network *parse_network_cfg(const char *cfg_path);
/* cfg plus optional weights (NULL or "" for none); clear=1 resets `seen`. */
network *load_network(const char *cfg, const char *weights, int clear);
/* Same, with the random numbers (weight initialisation, dropout, ...) drawn
 * from `seed`; load_network uses DN_DEFAULT_SEED, so runs repeat by default. */
#define DN_DEFAULT_SEED 0x5eedULL
network *load_network_seeded(const char *cfg, const char *weights, int clear, uint64_t seed);
/* An inference-only network (no deltas or gradient buffers, batch-norm in
 * inference mode): for deployment, benchmarks and frozen teachers. */
network *load_network_frozen(const char *cfg, const char *weights);
/* Loads the weights of the first `n_layers` layers (-1: all). Returns 0 or -1. */
int load_weights_upto(network *net, const char *path, int n_layers);
int load_weights(network *net, const char *path);
/* Saves atomically: temporary file, fsync, rename. Returns 0 or -1. */
int save_weights_upto(const network *net, const char *path, int n_layers);
int save_weights(const network *net, const char *path);
void free_network(network *net);

/* ---- running ------------------------------------------------------------ */

/* Forward in inference mode on net->batch images; returns the last layer's output. */
float *network_predict(network *net, float *input);
int network_inputs(const network *net);   /* per image: w*h*c */
int network_outputs(const network *net);  /* per image, of the last layer */
int network_truths(const network *net);   /* truth floats per image the loss layers read */
void set_batch_network(network *net, int b);          /* images per forward pass */
void set_subdivisions_network(network *net, int s);  /* forward passes per update */
/* Changes the input size and every layer's shape; returns 0 or -1. */
int resize_network(network *net, int w, int h);

/* One optimisation step on a full batch (batch*subdivisions images, as the cfg's
 * `batch=` says): forward and backward per subdivision, then one update.
 * input: images, network_inputs() floats each; truth: network_truths() floats each.
 * Returns the loss per image. */
float train_network_step(network *net, const float *input, const float *truth);

/* ---- inspection --------------------------------------------------------- */

int network_n_layers(const network *net);
layer *network_layer(network *net, int i);
int network_width(const network *net);
int network_height(const network *net);
int network_channels(const network *net);
int network_batch(const network *net);        /* images per forward pass */
int network_subdivisions(const network *net);
uint64_t network_seen(const network *net);    /* images trained on */
int network_iteration(const network *net);    /* optimiser steps taken */
void network_reset_schedule(network *net);    /* seen = iteration = 0, as load_network's clear */
float network_current_lr(const network *net);
int network_max_batches(const network *net);
/* Floating-point operations of one forward pass per image. */
double network_flops(const network *net);

const char *layer_type_name(const layer *l);   /* its cfg section name */
float *layer_output(const layer *l);           /* batch*outputs floats */
float *layer_delta(const layer *l);            /* batch*outputs floats, or NULL */
void layer_shape(const layer *l, int *w, int *h, int *c);
int layer_outputs(const layer *l);             /* per image */
float layer_cost(const layer *l);              /* loss of the last forward, 0 if none */
float layer_step_loss(const layer *l);         /* loss per image of the last training step */
int layer_is_loss(const layer *l);             /* reads truth or reported a loss */
double layer_forward_ms(const layer *l);       /* wall time of its last forward */
double layer_backward_ms(const layer *l);      /* and of its last backward */
double layer_flops(const layer *l);            /* forward, per image */

/* ---- detections ([yolo]) ------------------------------------------------- */

typedef struct { float x, y, w, h; } box;      /* centre and size */

typedef struct {
    box bbox;          /* relative to the network input, in [0,1] */
    int classes;
    float *prob;       /* objectness * class probability, per class */
    float objectness;
} detection;

/* Detections with objectness > thresh from every detection layer after the
 * last forward, for image 0 of the batch. *num receives the count. */
detection *get_network_boxes(network *net, float thresh, int *num);
void free_detections(detection *dets, int n);

/* ---- synthetic data ------------------------------------------------------ */

enum { SYNTH_SHAPE_CLASSES = 4 };
extern const char *const synth_shape_names[SYNTH_SHAPE_CLASSES];
/* Image `index` of the toy classification stream `seed`: one shape (square,
 * circle, triangle, cross) of random size, colour and place on a noisy
 * background, written as w*h*c floats in [0,1] (NCHW). Deterministic in
 * (seed, index). Returns its class. */
int synth_shape_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image);

#ifdef __cplusplus
}
#endif
#endif
