/* layer.h: the common layer struct and the functions each layer type provides.
 *
 * Sign convention (the one place it is stated): `delta` holds the NEGATIVE
 * gradient of the total loss with respect to a layer's output, summed over the
 * images of the batch. Backward functions ADD into the delta of the layers they
 * read, never overwrite: several consumers (a [shortcut], a [route], a loss
 * layer) may feed one layer. A parameter's `grad` accumulates the negative
 * gradient summed over all images since the last update; the optimiser adds
 * lr/batch times it (see optimizer.c). */
#ifndef DN_LAYER_H
#define DN_LAYER_H

#include <stddef.h>

#include "cfg.h"
#include "darknet.h"

typedef struct network network;

/* A tensor the optimiser updates. `grad` doubles as SGD's momentum buffer. */
typedef struct {
    float *val;
    float *grad;
    int n;
    int decay;          /* weight decay applies (weights yes; biases, scales no) */
    float *m, *v;       /* Adam's moments (adam=1 in [net], training networks), else NULL */
    float *val_gpu, *grad_gpu, *m_gpu, *v_gpu;   /* their device copies on a GPU network (else NULL) */
} param;

typedef struct layer_ops layer_ops;

/* layer_ops.distiller: what a distillation layer (src/distill/) is once
 * distillation is off, so that code asks its ops rather than listing types. */
enum {
    NOT_DISTILLER,          /* 0: every other layer */
    DISTILLER_PASS_THROUGH, /* passes its input through ([cwd], [fd]) */
    DISTILLER_SOFTMAX,      /* stands in for a [softmax] ([kd]) */
};

struct layer {
    const layer_ops *ops;
    int index;
    int cfg_line;
    int batch;
    int w, h, c;                   /* input shape (the previous layer's output) */
    int out_w, out_h, out_c;
    int inputs, outputs;           /* per image */
    float *output;                 /* batch*outputs */
    float *delta;                  /* batch*outputs; NULL in inference-only networks */
    float cost;                    /* loss of the last forward (sum over the batch) */
    float step_loss;               /* loss per image over the last training step */
    int truths;                    /* truth floats per image this layer reads (0: none) */
    int classes;                   /* detection layers: the classes they predict (else 0) */
    param params[6];               /* owned trainable tensors, each one of the stored ones */
    int n_params;
    float *stored[6];              /* tensors of the weights file, in its order */
    int stored_n[6];
    int n_stored;
    float *owned[32];              /* allocations made by layer_add_param/_buffer */
    int n_owned;
    /* On a GPU network (network_use_gpu) the passes run on these device twins;
     * the host arrays above are filled by explicit pulls (network_gpu.c). */
    float *output_gpu, *delta_gpu;
    size_t gpu_outputs;            /* floats allocated in each of them */
    float *stored_gpu[6];
    size_t workspace;              /* scratch floats needed from net->workspace */
    double flops;                  /* per image, forward */
    double forward_ms, backward_ms; /* wall time of the last pass, for profiles */
    void *priv;                    /* the type's own state, owned by its file */
};

/* What a layer type provides. Only name, parse, setup and forward are required. */
struct layer_ops {
    const char *name;              /* cfg section name */
    const char *alias;             /* darknet's short name ([conv], [max], ...) or NULL */
    /* Reads the section's keys into l->priv and creates the parameters.
     * l->w,h,c and l->batch are set. Returns 0 or -1 (error recorded). */
    int (*parse)(layer *l, cfg_section *s, network *net);
    /* Computes out_w/h/c, outputs, workspace, flops from the input shape and
     * (re)allocates shape-dependent state. Called after parse and whenever the
     * batch or input size changes. Returns 0 or -1. */
    int (*setup)(layer *l, network *net);
    /* Draws the initial values of its random parameters from net->rng. Runs
     * after the whole network is built, and only for layers a weights file
     * did not fill (loading pretrained weights skips the work). */
    void (*init_weights)(layer *l, network *net);
    /* Optional: the stored tensors got new values (initialised, loaded,
     * copied: network_weights_changed). A layer refreshes what it derives
     * from them (an inference convolution folds its batch norm in again). */
    void (*weights_changed)(layer *l, network *net);
    void (*forward)(layer *l, network *net);
    void (*backward)(layer *l, network *net);
    /* The same passes on the device (GPU builds; NULL where not written yet: a
     * network runs on a GPU only when all its layers have them). They read
     * net->gpu_input, write l->output_gpu, add into net->gpu_input_delta, and
     * set l->cost on the host. setup_gpu (optional) (re)allocates the device
     * copies of the type's private state after setup; free_gpu frees them. */
    void (*forward_gpu)(layer *l, network *net);
    void (*backward_gpu)(layer *l, network *net);
    int (*setup_gpu)(layer *l, network *net);
    void (*free_gpu)(layer *l, network *net);
    /* Frees l->priv and anything it points to. */
    void (*free_priv)(layer *l);
    /* Extra darknet keys this type accepts but does not act on (NULL-terminated). */
    const char *const *ignored_keys;
    /* Detection layers only ([yolo]), else NULL: after a forward, the boxes of
     * image 0 whose objectness exceeds thresh. With out == NULL only counts them;
     * otherwise fills out[0..count) (each prob array malloc'ed here, freed by
     * free_detections). Returns the count, or -1 on failure (error recorded).
     * Used by get_network_boxes() so that it needs no type checks. */
    int (*get_detections)(const layer *l, const network *net, float thresh, detection *out);
    /* 1: its detections come without NMS ([yolo]): get_network_boxes applies
     * darknet's per-class NMS to the boxes of all such layers together. */
    int nms_detections;
    /* Optional, loss layers with several parts (e.g. [retina]: "focal", "box"):
     * fills names[i] / values[i] (per image, of the last forward) for
     * i < min(count, max) and returns count, so progress lines can print each
     * part by name. NULL: the layer reports only l->cost. */
    int (*named_losses)(const layer *l, const char **names, float *values, int max);
    /* Distillation layers only (see the enum above); their priv starts with
     * their student/teacher pairing (src/distill/distill.h). */
    int distiller;
};

/* src/registry/registry.c */
const layer_ops *find_layer_ops(const char *section_name);
void registered_layer_names(char *buf, size_t size);

/* Helpers for layer files. */
/* Allocates a zeroed tensor of n floats that the optimiser updates (with a
 * gradient buffer); returns it or NULL. Add it to the weights file with
 * layer_store(). */
float *layer_add_param(layer *l, const network *net, int n, int decay);
/* Allocates a tensor that is stored but not trained (batch-norm statistics). */
float *layer_add_buffer(layer *l, int n);
/* Appends a tensor to the layer's weights-file record. */
void layer_store(layer *l, float *val, int n);
/* Resolves a darknet layer reference (negative: relative to l) into an index
 * below l->index; records a cfg error on `key` and returns -1 when out of range. */
int resolve_layer_index(const layer *l, cfg_section *s, const char *key, int ref);
/* For a type's read-only description (src/layers/layer_desc.h): 0 when l is
 * of that type, else -1 with an error naming both types. */
int layer_check_type(const layer *l, const layer_ops *ops);

#endif
