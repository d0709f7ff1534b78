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
/* The weights-file tensors of src into dst (same cfg, e.g. a frozen copy for
 * evaluation during training), and its seen/iteration. 0 or -1. */
int copy_weights(network *dst, const network *src);
void free_network(network *net);

/* ---- running ------------------------------------------------------------ */

/* Forward in inference mode on net->batch images; returns the last layer's output. */
float *network_predict(network *net, float *input);
/* Moves the network onto GPU `device` (darknet's -gpus): from then on its
 * passes and updates run there, weights are pulled before saving and pushed
 * after loading. -1 (error recorded) without a GPU build or device, or when a
 * layer type has no device passes yet (naming it); the network then stays on
 * the host, unchanged. */
int network_use_gpu(network *net, int device);
/* The GPU that networks loaded from now on (load_network*) move to; -1 (the
 * default) keeps them on the host. darknet's -gpus / -nogpu set it. */
void dn_set_gpu(int device);
int dn_get_gpu(void);
/* GPUs this build can use (0 in CPU builds or without a device). */
int dn_gpu_count(void);
/* The GPU a network runs on (-1: the host) and the most device memory it has
 * held, in bytes. */
int network_gpu(const network *net);
/* n floats for a batch's images or truths: page-locked in GPU builds, so
 * that each batch crosses to the device in one fast copy. NULL on failure. */
float *dn_alloc_batch(size_t n);
void dn_free_batch(float *p);
size_t network_gpu_peak_bytes(const network *net);
int network_inputs(const network *net);   /* per image: w*h*c */
int network_outputs(const network *net);  /* per image, of the last layer */
int network_truths(const network *net);   /* truth floats per image the loss layers read */
/* Both resizes leave the network as it was when they fail (-1, dn_last_error()). */
int set_batch_network(network *net, int b);           /* images per forward pass; 0 or -1 */
void set_subdivisions_network(network *net, int s);  /* forward passes per update */
/* Changes the input size and every layer's shape; 0 or -1. */
int resize_network(network *net, int w, int h);

/* One optimisation step on a full batch (batch*subdivisions images, as the cfg's
 * `batch=` says): forward and backward per subdivision, then one update.
 * input: images, network_inputs() floats each; truth: network_truths() floats each.
 * Returns the loss per image. Data parallel: this rank's share of the batch in,
 * the loss per image of the whole batch out (NAN when a sum over the ranks failed). */
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
/* 0 when the network was built for training (with gradients); else -1 naming
 * the cfg, for training commands to refuse before they start. */
int network_check_trainable(const network *net);
/* Classes the detection layers ([retina], [yolo]) predict; 0 without one. */
int network_classes(const network *net);
void network_reset_schedule(network *net);    /* seen = iteration = 0, as load_network's clear */
float network_current_lr(const network *net);
int network_max_batches(const network *net);
/* Stretches or shrinks the cfg's learning-rate schedule to max_batches
 * iterations (burn-in and steps in proportion), so that a shorter run
 * decays like the full one instead of stopping before its steps. 0 or -1. */
int network_scale_schedule(network *net, int max_batches);
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
/* The loss parts a loss layer reports by name (e.g. [retina]: focal, box),
 * per image; else its type name and layer_step_loss. Returns the count. */
int layer_losses(const layer *l, const char **names, float *values, int max);
/* The loss parts of all loss layers summed by name, in first-seen order (five
 * [cwd] layers, one per FPN level, give one "cwd"). Fills names[i] / values[i]
 * and returns their count, at most max (later names are dropped). After a
 * data-parallel step (network_set_data_parallel): averaged over the ranks. */
int network_losses(const network *net, const char **names, float *values, int max);
double layer_forward_ms(const layer *l);       /* wall time of its last forward */
double layer_backward_ms(const layer *l);      /* and of its last backward */
double layer_flops(const layer *l);            /* forward, per image */

/* ---- distillation ([cwd], [fd], [kd]) ------------------------------------ */

/* Distillation on (the default) or off. Off, the teachers are not run and the
 * distillation layers add no loss and no gradient: [cwd] and [fd] only pass
 * their input through, [kd] keeps just the cross-entropy of the [softmax] it
 * replaces (weight 1, not 1 - alpha). The network, its parameters (adapters
 * included: they get no gradient, only weight decay) and its weights file stay
 * the same, so a baseline trained with it off starts from the same weights as
 * the distilled student. */
void network_set_distillation(network *net, int on);
int network_distillation(const network *net);

typedef struct {
    int layer;                 /* the distillation layer */
    int from;                  /* the student layer it watches */
    int teacher_layer;         /* the paired layer of the teacher */
    const char *teacher_cfg, *teacher_weights;   /* as found; owned by net */
} distill_pairing;
/* The number of distillation layers of net; with out != NULL and k below it,
 * out receives the k-th one's pairing. */
int network_distill_pairing(const network *net, int k, distill_pairing *out);
/* 1 when a and b are the same student: the same layers apart from [cwd] and
 * [fd], holding the same values (e.g. two distillation cfgs of one student,
 * built with one seed: one plain baseline serves both). */
int network_same_student(const network *a, const network *b);
/* The layer's type in the student, i.e. with distillation off: NULL for a
 * layer that then only passes its input through ([cwd], [fd]), "softmax" for
 * [kd], else layer_type_name. */
const char *layer_student_type(const layer *l);

/* ---- several processes (mpirun with `make MPI=1`) ------------------------- */

/* Makes net one replica of a data-parallel model trained by all ranks of the
 * job (src/core/dist.h): the cfg's batch stays the images of a whole step,
 * split evenly over the ranks (each runs batch / ranks of them, in passes of
 * batch / (ranks * subdivisions)); gradients are summed over the ranks during
 * backward and every rank makes the same update. Batch norm uses each rank's
 * own images, or with sync_bn=1 in [net] the whole pass's (then N ranks give
 * what one process with the whole batch gives); without sync_bn the rolling
 * statistics are averaged over the ranks after each step. Refuses cfg text,
 * weights (file, seed) or teachers that differ between the ranks, and a batch
 * that does not split. Collective: every rank calls it. A job of one rank
 * changes nothing. 0 or -1. */
int network_set_data_parallel(network *net);
int network_replicas(const network *net);     /* 1 unless data parallel */
/* Collective: 0 when every rank holds the same weights, else -1 naming the first that differs. */
int network_check_replicas(const network *net);
typedef struct {
    int replicas, buckets, overlap;
    double mbytes;             /* gradient megabytes summed per step */
    long steps;
    double exposed_ms;         /* per step: summing that backward did not hide (after it) */
    double hooks_ms;           /* per step: copying and starting sums during backward */
} dn_allreduce_stats;
dn_allreduce_stats network_allreduce_stats(const network *net);

/* ---- detections ([yolo]) ------------------------------------------------- */

typedef struct { float x, y, w, h; } box;      /* centre and size */

typedef struct {
    box bbox;          /* relative to the network input, in [0,1] */
    int classes;
    float *prob;       /* objectness * class probability, per class */
    float objectness;
} detection;

/* Training truth per image: DN_MAX_BOXES boxes of 5 floats each (x_centre,
 * y_centre, w, h relative to the network input, class id); unused boxes are
 * all zeros, and the first box with w = 0 ends the list. */
enum { DN_MAX_BOXES = 100 };

/* Detections with objectness > thresh from every detection layer after the
 * last forward, for image 0 of the batch. *num receives the count. The boxes
 * of [yolo] layers went through darknet's per-class NMS (IoU 0.45): a
 * suppressed box keeps its place with class probabilities 0; [retina] boxes
 * come from its own post-processing. */
detection *get_network_boxes(network *net, float thresh, int *num);
/* The same without the NMS of [yolo] boxes: every decoded box as it is (e.g.
 * to compare with an exported model's raw detections). */
detection *get_network_boxes_unsuppressed(network *net, float thresh, int *num);
void free_detections(detection *dets, int n);

/* ---- images -------------------------------------------------------------- */

/* w*h*c floats in [0,1], channel-major (CHW) like network inputs. */
typedef struct image {
    int w, h, c;
    float *data;
} image;

image *make_image(int w, int h, int c);       /* zeroed; NULL on error */
image *copy_image(const image *im);
void free_image(image *im);                   /* NULL is fine */
/* Loads a JPEG (libjpeg-turbo) or PNG, BMP, TGA, GIF, PSD, PNM (stb_image) as
 * 3 channels (grey replicated, alpha dropped). NULL when the file is missing,
 * truncated or corrupt, or its header declares more pixels than 2^26 or than
 * a file of its size and format can hold (checked before decoding), with the
 * path and the reason in dn_last_error(). */
image *load_image(const char *path);
/* load_image for an image about to be shrunk to want_w x want_h: a JPEG is
 * decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling, much faster) when
 * the result stays large enough: both sides at least want_w and want_h, or,
 * with fit_inside=1, at least the size letterbox_image would scale it to.
 * *src_w, *src_h (either may be NULL) get the size stored in the file. */
image *load_image_hint(const char *path, int want_w, int want_h, int fit_inside, int *src_w, int *src_h);
/* PNG or JPEG (quality 95) by the extension, written to a temporary file
 * and renamed into place. Returns 0 or -1. */
int save_image(const image *im, const char *path);

/* darknet's letterbox: the image scaled to fit inside w x h, aspect ratio
 * kept, centred on 0.5 grey. */
typedef struct {
    int src_w, src_h;      /* the image */
    int w, h;              /* the canvas */
    int new_w, new_h;      /* the scaled image on it */
    int dx, dy;            /* its top-left corner on the canvas */
    float sx, sy;          /* new_w / src_w and new_h / src_h */
} letterbox_geom;
/* g (may be NULL) receives the geometry for mapping boxes back. */
image *letterbox_image(const image *im, int w, int h, letterbox_geom *g);
/* Boxes relative to the canvas (the network input) to boxes relative to the
 * image, and back. */
box letterbox_box_to_image(const letterbox_geom *g, box b);
box letterbox_box_to_canvas(const letterbox_geom *g, box b);

/* Draws boxes (centre-size, relative to the image) in one colour per class,
 * each labelled "name score" on a filled background. scores and names may
 * be NULL; classes without a name (k >= n_names) show their number. */
void draw_detections(image *im, const box *boxes, const int *classes, const float *scores, int n,
                     const char *const *names, int n_names);

/* ---- synthetic data ------------------------------------------------------ */

enum { SYNTH_SHAPE_CLASSES = 4 };
extern const char *const synth_shape_names[SYNTH_SHAPE_CLASSES];
/* Image `index` of the toy classification stream `seed`: one shape (square,
 * circle, triangle, cross) of random size, colour and place on a noisy
 * background, written as w*h*c floats in [0,1] (NCHW). Deterministic in
 * (seed, index). Returns its class. */
int synth_shape_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image);
/* The context stream: a shape and a small disc (the marker) 0.30-0.42 image
 * sides apart, on a noisy background; the class is the marker's direction as
 * seen from the shape (left, right, above, below), so it depends on both at
 * once, far apart. Same conventions as synth_shape_image. */
enum { SYNTH_CONTEXT_CLASSES = 4 };
extern const char *const synth_context_names[SYNTH_CONTEXT_CLASSES];
int synth_context_image(uint64_t seed, uint64_t index, int w, int h, int c, float *image);
/* The context stream made harder: the marker takes the shape's colour and
 * `distractors` (0..SYNTH_MAX_DISTRACTORS) discs of the marker's size in other
 * colours lie elsewhere, so the class is the direction of the disc whose colour
 * matches the shape. 0 distractors: the image of synth_context_image. */
enum { SYNTH_MAX_DISTRACTORS = 8 };
int synth_context_image_distractors(uint64_t seed, uint64_t index, int distractors, int w, int h, int c,
                                    float *image);

/* The synthetic detection dataset (`darknet synth`): scenes of 1-6 shape
 * objects (square, circle, triangle, cross, ring, diamond, hbar, vbar) in
 * COCO's small/medium/large sizes, textured and coloured, partly occluding
 * each other, on cluttered backgrounds. Deterministic in (seed, index). */
enum { SYNTH_DETECT_CLASSES = 8, SYNTH_MIN_SIZE = 32, SYNTH_MAX_SIZE = 4096 };
typedef struct {
    const char *out_dir;
    int n_train, n_valid;  /* images, each >= 1 */
    int size;              /* side in pixels, SYNTH_MIN_SIZE .. SYNTH_MAX_SIZE */
    int classes;           /* 1 .. SYNTH_DETECT_CLASSES */
    uint64_t seed;
    int quality;           /* JPEG quality 1..100 (0: 92) */
    int context;           /* synth_write_classify: the context stream instead of the shapes */
    int distractors;       /* with context: distractor discs per image (0..SYNTH_MAX_DISTRACTORS) */
} synth_options;
typedef struct {
    int objects, crowds;   /* written, over both splits */
} synth_summary;
/* Writes, under out_dir (created if needed):
 *   images/{train,valid}/NNNNNN.jpg   NNNNNN = index + 1, also the COCO image id
 *   labels/{train,valid}/NNNNNN.txt   darknet labels (crowd regions left out)
 *   train.txt, valid.txt              absolute image paths, one a line
 *   synth.names, synth.data           classes, train, valid, names, backup, coco_json
 *   annotations/instances_{train,valid}.json   COCO instances (crowds: valid only)
 *   backup/
 * Paths are absolute, so they resolve from any working directory (to move
 * the dataset, generate it again). Files are written through a temporary
 * file and a rename. summary may be NULL. Returns 0 or -1. */
int synth_write_dataset(const synth_options *o, synth_summary *summary);
/* The classification set (`darknet synth -classify`): images of the shapes
 * stream above (train: stream seed, valid: seed + 1000003), o->size square,
 * PNG, the label in the file name, under out_dir:
 *   images/{train,valid}/LABEL_NNNNNN.png   NNNNNN = index + 1
 *   train.txt, valid.txt, labels.txt, classify.data (classes, train, valid,
 *   labels, backup, top=2), backup/
 * o->classes and o->quality are not used. With o->context, the context
 * stream's images and labels (left, right, above, below) instead, with
 * o->distractors distractor discs each. Returns 0 or -1. */
int synth_write_classify(const synth_options *o);

#ifdef __cplusplus
}
#endif
#endif
