/* layernorm_body.cuh: [layernorm] (src/layers/layernorm.c), one thread per
 * row (an image's C channels at one position, `spatial` values apart) for the
 * forward and the input gradient, one per channel for gamma and beta, with the
 * CPU's loops and formulas (layernorm_math.h). Row r is image r / spatial,
 * position r % spatial. */
#ifndef DN_LAYERNORM_BODY_CUH
#define DN_LAYERNORM_BODY_CUH

#include "layernorm_math.h"

struct layernorm_rows {
    int c, spatial;
    DN_HD long first(long r) const { return r / spatial * c * spatial + r % spatial; }
};

/* out = gamma * x_norm + beta; mean[r], inv_std[r] and x_norm (may be NULL) kept. */
struct layernorm_forward_body {
    layernorm_rows rows;
    const float *in, *gamma, *beta;
    float *out, *x_norm, *mean, *inv_std;
    float eps;
    DN_HD void operator()(long r) const
    {
        long o = rows.first(r), s = rows.spatial;
        int C = rows.c;
        float m = 0, v = 0;
        for (int c = 0; c < C; ++c) m += in[o + c * s];
        m /= C;
        /* two passes: the variance from squared deviations, as the CPU */
        for (int c = 0; c < C; ++c) {
            float d = in[o + c * s] - m;
            v += d * d;
        }
        float inv = layernorm_inv_std(v, C, eps);
        mean[r] = m;
        inv_std[r] = inv;
        for (int c = 0; c < C; ++c) {
            long i = o + c * s;
            float xn = (in[i] - m) * inv;
            if (x_norm) x_norm[i] = xn;
            out[i] = gamma[c] * xn + beta[c];
        }
    }
};

/* in_delta += the input gradient of row r. */
struct layernorm_backward_body {
    layernorm_rows rows;
    const float *delta, *x_norm, *gamma, *inv_std;
    float *in_delta;
    DN_HD void operator()(long r) const
    {
        long o = rows.first(r), s = rows.spatial;
        int C = rows.c;
        float sg = 0, sgx = 0;
        for (int c = 0; c < C; ++c) {
            float g = delta[o + c * s] * gamma[c];
            sg += g;
            sgx += g * x_norm[o + c * s];
        }
        sg /= C;
        sgx /= C;
        for (int c = 0; c < C; ++c) {
            long i = o + c * s;
            in_delta[i] += layernorm_in_grad(delta[i] * gamma[c], x_norm[i], inv_std[r], sg, sgx);
        }
    }
};

/* Channel c: beta_grad[c] and gamma_grad[c] += its gradients. */
struct layernorm_param_grad_body {
    const float *delta, *x_norm;
    float *beta_grad, *gamma_grad;
    int batch, c, spatial;
    DN_HD void operator()(long ch) const
    {
        double gb, gg;
        layernorm_channel_grads(delta, x_norm, batch, (long)c * spatial, spatial, (int)ch, &gb, &gg);
        beta_grad[ch] += (float)gb;
        gamma_grad[ch] += (float)gg;
    }
};

#endif
