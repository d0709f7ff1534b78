/* network.h: the network struct and its run loop (private to the library). */
#ifndef DN_NETWORK_H
#define DN_NETWORK_H

#include <stdint.h>

#include "darknet.h"
#include "layer.h"
#include "lr_policy.h"
#include "optimizer_math.h"
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
    int adam;             /* [net] adam=1: darknet's Adam instead of SGD (optimizer_math.h) */
    float adam_b1, adam_b2, adam_eps;
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
    uint64_t cfg_hash;    /* of what the cfg says (cfg_hash), to compare replicas */
    struct companion *companions;  /* what follows the network's forward, resize and
                                      free through hooks (companion.h), e.g. teachers */
    int n_companions;
    int distill_off;      /* distillation switched off (network_set_distillation): read
                             only by src/distill/, whose teachers and layers then do nothing */
    /* On a GPU (network_use_gpu; the run loop is src/cuda/network_gpu.c): */
    struct gpu_ctx *gpu;  /* NULL: the network runs on the host */
    int gpu_device;       /* which GPU, when gpu is set */
    float *gpu_input;     /* set by the run loop: the layer's input on the device */
    float *gpu_input_delta;
    const float *gpu_truth;   /* batch*truths on the device, or NULL */
    float *gpu_workspace; /* max over layers of l->workspace floats */
    float *gpu_input_buf, *gpu_truth_buf;   /* where each batch's input and truth land */
    int gpu_failed;       /* a device pass of this step failed (error recorded) */
    size_t gpu_workspace_size, gpu_input_size, gpu_truth_size;
    /* Data-parallel training over the ranks of a job (data_parallel.c): */
    int replicas;         /* processes training this network together (1: alone) */
    int rank;             /* this process's place among them */
    int sync_bn;          /* [net] sync_bn=1: batch-norm statistics of the whole batch */
    struct grad_sync *grad_sync;   /* gradient buckets summed over the replicas */
    int last_pass;        /* the step's last forward/backward: its gradients are final */
    int replica_failed;   /* a sum over the replicas failed during the last pass */
    float *buffer_sums;   /* scratch to average the rolling statistics (without sync_bn) */
    size_t buffer_floats;
    /* the losses by name of the last step, averaged over the replicas */
    const char *step_names[16];
    float step_values[16];
    int n_step_losses;
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
/* What this iteration's optimiser step applies to every value (see update_network). */
optimizer_step network_optimizer_step(const network *net);
/* How far batch-norm rolling statistics move per training forward: a running
 * average over the first updates of a fresh run (so early inference is not
 * skewed by the initial 0/1), then 0.1 per pass (PyTorch's; darknet's 0.01
 * lags the weights in short runs). */
float network_bn_momentum(const network *net);
/* Sum of the layers' costs of the last forward. */
float network_cost(const network *net);

/* network_losses of this process's share of the last step only. */
int network_losses_local(const network *net, const char **names, float *values, int max);
/* Images of one pass over all replicas: batch * replicas. */
int network_pass_images(const network *net);
/* For batch norm: the sum over the replicas when the network synchronises
 * its statistics in this pass (training, sync_bn=1, several replicas), else NULL. */
int (*network_bn_sum(const network *net))(double *values, size_t n);
/* The end of a data-parallel step, before the update (data_parallel.c):
 * waits for the gradient sums, averages the loss per image (*loss, each
 * layer's step_loss and the losses by name) and, without sync_bn, the
 * rolling statistics over the replicas. 0 or -1. */
int data_parallel_finish_step(network *net, float *loss);
/* h mixed with the values of every weights-file tensor and `seen`, to compare replicas. */
uint64_t network_values_hash(const network *net, uint64_t h);
void data_parallel_free(network *net);

/* The device run loop (src/cuda/network_gpu.c; core/gpu_none.c in CPU builds,
 * where each says the build has no GPU). 0 or -1 (error recorded). */
/* (Re)allocates every device buffer for the current batch and input size. */
int network_gpu_setup(network *net);
void network_gpu_free(network *net);
int forward_network_gpu(network *net, const float *input, int last);
/* The same, leaving every output on the device only, and waiting for the
 * device: for a network whose maps another network (context) reads there
 * next (a teacher's, for its student). */
int forward_network_gpu_on_device(network *net, const float *input, int last);
int backward_network_gpu(network *net, int last);
int update_network_gpu(network *net);
/* Copies every stored tensor device -> host (before saving) / host -> device (after loading). */
int network_gpu_pull_weights(const network *net);
int network_gpu_push_weights(network *net);

/* load_network_frozen that stays on the host whatever dn_set_gpu says: for
 * companions (teachers), which follow their own network onto a device. */
network *load_network_frozen_on_host(const char *cfg, const char *weights);

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
