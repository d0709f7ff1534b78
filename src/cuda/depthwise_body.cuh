/* depthwise_body.cuh: the bodies of ops/depthwise.c (one filter per channel,
 * geometry g.c = the channel count). Each output, input-delta and weight
 * gradient element has one thread that makes its sum alone, in the CPU's
 * order, so no atomics are needed and the results equal the CPU's. */
#ifndef DN_DEPTHWISE_BODY_CUH
#define DN_DEPTHWISE_BODY_CUH

#include "im2col_body.cuh"

/* out[b][c][oy][ox]; i runs over batch * c * out_h * out_w. */
struct depthwise_forward_body {
    conv_geometry g;
    const float *in, *w;
    float *out;
    DN_HD void operator()(long i) const
    {
        long plane = (long)g.out_h * g.out_w, p = i / plane;
        int oy = (int)(i % plane / g.out_w), ox = (int)(i % g.out_w);
        const float *src = in + p * g.h * g.w, *k = w + (p % g.c) * g.ksize_y * g.ksize_x;
        float acc = 0;
        for (int ky = 0; ky < g.ksize_y; ++ky) {
            int y = oy * g.stride_y - g.pad_y + ky * g.dilation;
            if (y < 0 || y >= g.h) continue;
            for (int kx = 0; kx < g.ksize_x; ++kx) {
                int x = ox * g.stride_x - g.pad_x + kx * g.dilation;
                if (x >= 0 && x < g.w) acc += k[ky * g.ksize_x + kx] * src[(long)y * g.w + x];
            }
        }
        out[i] = acc;
    }
};

/* in_delta += dL/din; i runs over batch * c * h * w. The CPU adds by output
 * row, ascending: for one input row that is kernel row descending. */
struct depthwise_backward_data_body {
    conv_geometry g;
    const float *w, *out_delta;
    float *in_delta;
    DN_HD void operator()(long i) const
    {
        long hw = (long)g.h * g.w, p = i / hw;
        int y = (int)(i % hw / g.w), x = (int)(i % g.w);
        const float *d = out_delta + p * g.out_h * g.out_w, *k = w + (p % g.c) * g.ksize_y * g.ksize_x;
        float v = in_delta[i];
        for (int ky = g.ksize_y - 1; ky >= 0; --ky) {
            int oy = conv_tap_output(y + g.pad_y, ky * g.dilation, g.stride_y, g.out_h);
            if (oy < 0) continue;
            for (int kx = 0; kx < g.ksize_x; ++kx) {
                int ox = conv_tap_output(x + g.pad_x, kx * g.dilation, g.stride_x, g.out_w);
                if (ox >= 0) v += k[ky * g.ksize_x + kx] * d[(long)oy * g.out_w + ox];
            }
        }
        in_delta[i] = v;
    }
};

/* w_grad += dL/dw; i runs over c * ksize_y * ksize_x (one weight each),
 * looping over the batch and the output positions. */
struct depthwise_backward_weights_body {
    conv_geometry g;
    int batch;
    const float *in, *out_delta;
    float *w_grad;
    DN_HD void operator()(long i) const
    {
        int kk = g.ksize_y * g.ksize_x, ch = (int)(i / kk);
        int ky = (int)(i % kk) / g.ksize_x, kx = (int)(i % g.ksize_x);
        float gw = w_grad[i];
        for (int b = 0; b < batch; ++b) {
            long p = (long)b * g.c + ch;
            const float *src = in + p * g.h * g.w, *d = out_delta + p * g.out_h * g.out_w;
            for (int oy = 0; oy < g.out_h; ++oy) {
                int y = oy * g.stride_y - g.pad_y + ky * g.dilation;
                if (y < 0 || y >= g.h) continue;
                float acc = 0;
                for (int ox = 0; ox < g.out_w; ++ox) {
                    int x = ox * g.stride_x - g.pad_x + kx * g.dilation;
                    if (x >= 0 && x < g.w) acc += d[(long)oy * g.out_w + ox] * src[(long)y * g.w + x];
                }
                gw += acc;
            }
        }
        w_grad[i] = gw;
    }
};

#endif
