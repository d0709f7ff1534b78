/* output_stage.h: what [convolutional] and [connected] do after their linear
 * part: batch norm (which brings its own shift) or a bias, then the
 * activation; and the backward of that, in reverse. x is [batch][channels][spatial]. */
#ifndef DN_OUTPUT_STAGE_H
#define DN_OUTPUT_STAGE_H

#include "activations.h"
#include "batchnorm.h"
#include "network.h"

typedef struct {
    bn_tensors *bn;          /* NULL: no batch norm, add `biases` instead */
    float *biases, *bias_grad, *scale_grad;
    float *pre_act;          /* kept when the activation's gradient needs its input; may be NULL */
    activation act;
} output_stage;

/* In place on the layer's output. Batch statistics only when training a
 * network that keeps them (bn->x_norm); with sync_bn over all replicas'
 * images (a failed sum sets net->replica_failed). */
void output_stage_forward(const output_stage *o, float *x, int batch, int channels, int spatial, network *net);
/* delta (in place): from the gradient w.r.t. the activated output to the one
 * w.r.t. the linear part's output; adds the bias (and scale) gradients. The
 * forward must have run with the same net->train. */
void output_stage_backward(const output_stage *o, const float *out, float *delta, int batch, int channels,
                           int spatial, network *net);

#ifdef DN_GPU
/* The same on the device: an output_stage whose pointers (bn tensors, biases,
 * gradients, pre_act) are device buffers; training uses the batch statistics
 * when bn->x_norm is set, as on the host. One process (no sync_bn yet). */
void output_stage_forward_gpu(const output_stage *o, float *x, int batch, int channels, int spatial, network *net);
void output_stage_backward_gpu(const output_stage *o, const float *out, float *delta, int batch, int channels,
                               int spatial, network *net);
#endif

#endif
