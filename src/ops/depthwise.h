/* depthwise.h: direct depthwise convolution (one filter per channel), which
 * stays fast for large kernels (51x51) where im2col would blow up memory. */
#ifndef DN_DEPTHWISE_H
#define DN_DEPTHWISE_H

#include "im2col.h"

/* out[b][c] = conv(in[b][c], w[c]); g->c is the channel count. Overwrites out. */
void depthwise_forward(const float *in, const float *w, float *out, const conv_geometry *g,
                       int batch);
/* Adds dL/dw into w_grad and, when in_delta is not NULL, dL/din into in_delta. */
void depthwise_backward(const float *in, const float *w, const float *out_delta,
                        const conv_geometry *g, int batch, float *w_grad, float *in_delta);

#endif
