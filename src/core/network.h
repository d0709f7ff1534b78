/* network.h: the network struct and its run loop (private to the library). */
#ifndef DN_NETWORK_H
#define DN_NETWORK_H

#include <stdint.h>

#include "darknet.h"
#include "layer.h"
#include "lr_policy.h"
#include "rng.h"

struct network {
    layer *layers;
    int n;
    int batch;            /* images per forward pass (cfg batch / subdivisions) */
    int subdivisions;
    int w, h, c;
    int inputs, truths;
    int train;            /* forward in training mode (batch statistics, dropout) */
    int trainable;        /* built with deltas and gradients (not inference-only) */
    uint64_t seen;        /* images trained on */
    int iteration;        /* optimiser steps taken */
    float momentum, decay;
    lr_schedule lr;
    rng_state rng;
    /* Set by the run loop for the layer being run: */
    float *input;         /* the previous layer's output (or the network input) */
    float *input_delta;   /* the previous layer's delta, NULL for the first layer */
    const float *truth;   /* batch*truths, or NULL outside training */
    float *input_grad;    /* optional: receives the loss gradient w.r.t. the input
                             image (negative, like deltas); used by ERF and tests */
    float *workspace;     /* shared scratch, max over layers of l->workspace */
    size_t workspace_size;
    char *cfg_path;
    struct teacher **teachers; /* frozen teachers of distillation layers (teacher.h) */
    int n_teachers;
    int distill_off;      /* distillation switched off (network_set_distillation): teachers
                             not run, distillation layers add no loss and no gradient */
};

/* Forward over all layers on net->batch images (zeroes deltas when training). */
void forward_network(network *net, const float *input);
/* Backward over all layers (deltas must have been zeroed before forward). */
void backward_network(network *net, const float *input);
/* The same over layers 0..last only (clamped to the network): a forward that
 * stops at `last` runs no later layer (so no later loss writes a gradient), and
 * a backward from `last` starts from that layer's delta, e.g. for the input
 * gradient of one feature map (src/analysis/erf.c). */
void forward_network_to(network *net, const float *input, int last);
void backward_network_from(network *net, const float *input, int last);
/* Applies accumulated gradients (one optimiser step). */
void update_network(network *net);
/* How far batch-norm rolling statistics move per training forward: a running
 * average over the first updates of a fresh run (so early inference is not
 * skewed by the initial 0/1), then 0.1 per pass (PyTorch's; darknet's 0.01
 * lags the weights in short runs). */
float network_bn_momentum(const network *net);
/* Sum of the layers' costs of the last forward. */
float network_cost(const network *net);

/* Builds a network; trainable=0 makes an inference-only one (no deltas, no
 * gradient buffers), as a frozen teacher needs. */
network *parse_network_cfg_mode(const char *cfg_path, int trainable, uint64_t seed);
/* The same without drawing the random initial weights (they stay zero): for
 * loading weights over them, or for looking at shapes only. */
network *build_network(const char *cfg_path, int trainable, uint64_t seed);
/* load_weights_upto that also says how many layers the file filled. */
int load_weights_held(network *net, const char *path, int n_layers, int *held);
/* Re-runs every layer's setup for the current batch and input size and
 * reallocates outputs, deltas and the workspace. Returns 0 or -1. */
int network_setup_layers(network *net, int first);

#endif
