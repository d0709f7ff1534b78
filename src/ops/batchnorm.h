/* batchnorm.h: batch normalisation over (batch, spatial) per channel.
 * Layout x[b][c][spatial]. eps is 1e-5 (as AlexeyAB's darknet and PyTorch):
 * y = (x - mean) / sqrt(var + eps). Training normalises with the biased batch
 * variance and tracks the unbiased one in the rolling statistics:
 * rolling += momentum * (batch - rolling).
 *
 * Synchronised batch norm: with a sum function, the processes that each hold
 * a share of one batch (data-parallel ranks) compute the statistics of the
 * whole batch, in forward (mean, variance) and backward (the means of the
 * gradient terms), so N shares give what one process with the whole batch
 * gives. The sum function is the only link to the other processes; ops/ knows
 * nothing of them. */
#ifndef DN_BATCHNORM_H
#define DN_BATCHNORM_H

#include <stddef.h>

#include "batchnorm_channel.h"   /* BN_EPS and the per-channel formulas */

typedef struct {
    int batch, channels, spatial;
    float *scales, *biases;             /* per channel (gamma, beta) */
    float *rolling_mean, *rolling_var;  /* per channel */
    float *mean, *var;                  /* batch statistics of the last training forward */
    float *x_norm;                      /* batch*channels*spatial, kept for backward (may be NULL) */
    double *sums;                       /* 2 * channels + 1: scratch of the synchronised passes */
} bn_tensors;

/* Sums n doubles in place over every process holding a share of the batch
 * (all call it in the same order); 0 or -1. NULL: this batch is the whole one. */
typedef int (*bn_sum_fn)(double *values, size_t n);

/* In place: y = scales * normalise(x) + biases. train=1 uses and records batch
 * statistics (and moves the rolling ones by `momentum`); train=0 uses the rolling ones.
 * x_norm, when allocated, is written in both modes; train=1 needs it. */
void bn_forward(const bn_tensors *t, float *x, int train, float momentum);
/* bn_forward whose training statistics are over the whole batch that `sum`
 * spans (t->sums must be allocated); 0, or -1 when a sum failed. */
int bn_forward_sync(const bn_tensors *t, float *x, int train, float momentum, bn_sum_fn sum);
/* delta (in place): from d/dy to d/dx of the last forward, which ran with the
 * same `train` (1: through the batch statistics; 0: the rolling ones are
 * constants, as for an input gradient of a network in inference mode); adds
 * the gradients of scales and biases into scale_grad and bias_grad. */
void bn_backward(const bn_tensors *t, float *delta, int train, float *scale_grad, float *bias_grad);
/* bn_backward through whole-batch statistics (after bn_forward_sync). The
 * scale and bias gradients stay this process's share: the optimiser's
 * gradient sum adds the shares. 0 or -1. */
int bn_backward_sync(const bn_tensors *t, float *delta, int train, float *scale_grad, float *bias_grad,
                     bn_sum_fn sum);

/* Inference batch norm folded into the linear map before it (a convolution or a
 * connected layer): per output channel c, weights[c][0..per_channel) *= k and
 * biases[c] = beta - rolling_mean * k with k = gamma / sqrt(rolling_var + eps),
 * so weights * x + biases equals bn_forward(train=0) of weights * x. Writes
 * into the given arrays (copies of the layer's, for an export or a folded
 * inference network); t->scales/biases/rolling_* are read only. */
void bn_fold(const bn_tensors *t, float *weights, size_t per_channel, float *biases);

/* Adds the bias of each channel to x[b][c][spatial], and its gradient: */
void add_bias(float *x, const float *bias, int batch, int channels, int spatial);
void backward_bias(float *bias_grad, const float *delta, int batch, int channels, int spatial);

#endif
