/* conv_dnnl.h: a convolution on oneDNN (builds with DNNL=1; Debian's libdnnl,
 * the library PyTorch's CPU convolutions use). The caller's tensors stay plain:
 * x[batch][c][h][w], w[filters][c/groups][ky][kx], y[batch][filters][oh][ow].
 * Everything that depends on the shape (primitives, memory descriptors, the
 * reorders to and from oneDNN's blocked layouts) is made once by
 * conv_dnnl_create; a call only binds pointers and runs. Scratch (blocked
 * copies of the activations, oneDNN's own scratchpad) lives in the caller's
 * workspace, so nothing is allocated per call. Threads: each pass is cut into
 * parts by channels, run on the thread pool, oneDNN single-threaded in each
 * (it never starts OpenMP threads of its own). */
#ifndef DN_CONV_DNNL_H
#define DN_CONV_DNNL_H

#include <stddef.h>

#include "activations.h"
#include "im2col.h"

typedef struct conv_dnnl conv_dnnl;

typedef struct {
    conv_geometry geo;     /* one group of one image: geo.c is the input channels per group */
    int batch, groups, filters;
    /* 1: forward only, with the bias and the activation fused into the
     * convolution (a network that is never trained); 0: forward without bias
     * plus both backward passes */
    int inference;
    activation act;        /* inference: fused as a post-op when conv_dnnl_fuses(act) */
    /* Each pass is cut into one part per thread of the pool (by channels or
     * groups) when it has at least this many flops: CONV_DNNL_MIN_CUT_FLOPS,
     * or 0 to cut even tiny ones (the tests of the cutting). */
    double min_cut_flops;
} conv_dnnl_shape;

/* ~0.1 ms of work: handing out less costs more than it saves */
#define CONV_DNNL_MIN_CUT_FLOPS 4e6

/* Whether oneDNN's post-op computes this activation bit for bit as ours
 * (activation_math.h); the others are the caller's to apply after. */
int conv_dnnl_fuses(activation a);

/* NULL when oneDNN has no implementation for the shape (why says so). */
conv_dnnl *conv_dnnl_create(const conv_dnnl_shape *s, char *why, size_t why_size);
void conv_dnnl_free(conv_dnnl *d);
/* Floats of workspace the calls need (64-byte alignment included). */
size_t conv_dnnl_workspace(const conv_dnnl *d);

/* y = conv(x, w), plus bias and the fused activation when inference. 0 or -1. */
int conv_dnnl_forward(conv_dnnl *d, const float *x, const float *w, const float *bias, float *y,
                      float *workspace);
/* From dy = out_delta: w_grad += dL/dw and, when in_delta is not NULL,
 * in_delta += dL/dx. 0 or -1. */
int conv_dnnl_backward(conv_dnnl *d, const float *x, const float *w, const float *out_delta,
                       float *w_grad, float *in_delta, float *workspace);
/* Inference: the weights got new values; their blocked copy is remade at the
 * next forward (it is kept between calls, since a frozen network's weights
 * change only when loaded). */
void conv_dnnl_weights_changed(conv_dnnl *d);

#endif
