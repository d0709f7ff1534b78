/* [convolutional]: forward against a direct loop, backward against finite
 * differences, for each path (im2col+gemm, 1x1, depthwise, groups, dilation,
 * rectangular kernels, batch norm, activations) and weight sharing. */
#include <stdlib.h>
#include <string.h>

#include "batchnorm.h"
#include "network.h"
#include "test.h"

typedef struct {
    int c, h, w, filters, sy, sx, stride, pad, dil, groups;
} conv_case;

/* Reference: plain loops in double, bias added, linear activation. */
static void reference_conv(const conv_case *k, const float *x, const float *wt, const float *bias,
                           int batch, int oh, int ow, float *y)
{
    int cg = k->c / k->groups, fg = k->filters / k->groups;
    int py = k->pad ? k->sy / 2 * k->dil : 0, px = k->pad ? k->sx / 2 * k->dil : 0;
    for (int b = 0; b < batch; ++b)
        for (int f = 0; f < k->filters; ++f)
            for (int oy = 0; oy < oh; ++oy)
                for (int ox = 0; ox < ow; ++ox) {
                    double s = bias[f];
                    int g = f / fg;
                    for (int ci = 0; ci < cg; ++ci)
                        for (int ky = 0; ky < k->sy; ++ky)
                            for (int kx = 0; kx < k->sx; ++kx) {
                                int yy = oy * k->stride - py + ky * k->dil, xx = ox * k->stride - px + kx * k->dil;
                                if (yy < 0 || yy >= k->h || xx < 0 || xx >= k->w) continue;
                                s += (double)wt[((f * cg + ci) * k->sy + ky) * k->sx + kx] *
                                     x[((b * k->c + g * cg + ci) * k->h + yy) * k->w + xx];
                            }
                    y[((b * k->filters + f) * oh + oy) * ow + ox] = (float)s;
                }
}

static network *conv_net(const conv_case *k, int batch, const char *extra)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[convolutional]\nfilters=%d\nsize_y=%d\nsize_x=%d\nstride=%d\npad=%d\ndilation=%d\n"
             "groups=%d\n%s\n",
             batch, k->w, k->h, k->c, k->filters, k->sy, k->sx, k->stride, k->pad, k->dil, k->groups,
             extra);
    network *net = net_from_text(cfg);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    return net;
}

static const conv_case cases[] = {
    {3, 7, 6, 4, 3, 3, 1, 1, 1, 1},   /* 3x3 same */
    {3, 8, 8, 5, 3, 3, 2, 1, 1, 1},   /* stride 2 */
    {4, 6, 6, 6, 1, 1, 1, 0, 1, 1},   /* 1x1: no im2col */
    {4, 7, 7, 4, 1, 1, 2, 0, 1, 1},   /* 1x1 stride 2: darknet read wrong pixels here */
    {4, 6, 7, 4, 3, 3, 1, 1, 1, 4},   /* depthwise */
    {4, 9, 9, 4, 5, 5, 2, 1, 2, 4},   /* depthwise, strided, dilated */
    {6, 6, 6, 4, 3, 3, 1, 1, 1, 2},   /* groups */
    {3, 9, 8, 2, 3, 3, 1, 1, 2, 1},   /* dilation */
    {2, 8, 9, 3, 5, 1, 1, 1, 1, 1},   /* rectangular 5x1 */
    {2, 7, 9, 4, 1, 7, 1, 1, 1, 2},   /* rectangular 1x7, groups */
    {3, 12, 12, 3, 11, 11, 1, 1, 1, 3}, /* large depthwise kernel */
};

TEST(conv_forward_matches_reference)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const conv_case *k = &cases[i];
        network *net = conv_net(k, 2, "activation=linear");
        if (!net) continue;
        layer *l = &net->layers[0];
        float *x = malloc(sizeof(float) * 2 * net->inputs), *y = malloc(sizeof(float) * 2 * l->outputs);
        random_fill(x, 2 * net->inputs, -1, 1, 7 + i);
        random_fill(l->params[0].val, l->params[0].n, -0.5f, 0.5f, 3);
        float *out = network_predict(net, x);
        reference_conv(k, x, l->params[1].val, l->params[0].val, 2, l->out_h, l->out_w, y);
        int where = 0;
        double err = max_rel_diff(out, y, 2 * l->outputs, &where);
        CHECK_MSG(err < 1e-4, "case %zu: output %d differs (%g vs %g)", i, where, out[where], y[where]);
        free(x);
        free(y);
        free_network(net);
    }
}

TEST(conv_backward_matches_finite_differences)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        /* smooth activation: finite differences are meaningless across a kink */
        network *net = conv_net(&cases[i], 2, "activation=tanh");
        if (!net) continue;
        float *x = malloc(sizeof(float) * 2 * net->inputs);
        random_fill(x, 2 * net->inputs, -1, 1, 11 + i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "case %zu: gradient error %g", i, err);
        free(x);
        free_network(net);
    }
}

TEST(conv_batchnorm_and_activations_backward)
{
    /* smooth ones; kinked activations are checked away from their kinks in test_activations.c */
    const char *acts[] = {"linear", "logistic", "tanh", "swish", "mish", "gelu", "silu"};
    conv_case k = {3, 5, 5, 4, 3, 3, 1, 1, 1, 1};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; ++a) {
        char extra[128];
        snprintf(extra, sizeof extra, "batch_normalize=1\nactivation=%s", acts[a]);
        network *net = conv_net(&k, 3, extra);
        if (!net) continue;
        float *x = malloc(sizeof(float) * 3 * net->inputs);
        random_fill(x, 3 * net->inputs, -1, 1, 5);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 3e-2, "batch norm + %s: gradient error %g", acts[a], err);
        free(x);
        free_network(net);
    }
}

TEST(conv_batchnorm_inference_uses_rolling_statistics)
{
    conv_case k = {2, 4, 4, 3, 1, 1, 1, 0, 1, 1};
    network *net = conv_net(&k, 1, "batch_normalize=1\nactivation=linear");
    if (!net) return;
    layer *l = &net->layers[0];
    /* stored order: biases, scales, rolling mean, rolling var, weights */
    for (int f = 0; f < 3; ++f) {
        l->stored[0][f] = 0.5f * f;
        l->stored[1][f] = 2.0f;
        l->stored[2][f] = 0.25f;
        l->stored[3][f] = 4.0f;
    }
    float x[32];
    random_fill(x, 32, -1, 1, 1);
    float *out = network_predict(net, x);
    for (int f = 0; f < 3; ++f)
        for (int p = 0; p < 16; ++p) {
            double conv = 0;
            for (int ci = 0; ci < 2; ++ci) conv += l->stored[4][f * 2 + ci] * x[ci * 16 + p];
            double want = 2.0 * (conv - 0.25) / sqrt(4.0 + 1e-5) + 0.5 * f;
            CHECK_NEAR(out[f * 16 + p], want, 1e-5);
        }
    free_network(net);
}

TEST(conv_shared_weights_one_copy_gradients_added)
{
    /* layer 1 shares layer 0's weights: 3 channels in, 3 out, so it can. */
    network *net = net_from_text("[net]\nbatch=2\nwidth=5\nheight=5\nchannels=3\n"
                                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\nshare=-1\n");
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return;
    CHECK(net->layers[1].n_params == 0 && net->layers[1].n_stored == 0);
    float x[150];
    random_fill(x, 150, -1, 1, 2);
    CHECK(grad_check(net, x, 1e-2) < 2e-2);
    free_network(net);
}

TEST(batch_norm_folded_into_the_weights_equals_inference_batch_norm)
{
    enum { C = 5, K = 7, S = 4 };   /* y[c][s] = sum_k w[c][k] x[k][s], then batch norm */
    float w[C * K], x[K * S], gamma[C], beta[C], mean[C], var[C], y[C * S], wf[C * K], bf[C];
    random_fill(w, C * K, -1, 1, 1);
    random_fill(x, K * S, -2, 2, 2);
    random_fill(gamma, C, 0.2f, 3, 3);
    random_fill(beta, C, -1, 1, 4);
    random_fill(mean, C, -1, 1, 5);
    random_fill(var, C, 1e-3f, 4, 6);
    bn_tensors t = {1, C, S, gamma, beta, mean, var, NULL, NULL, NULL, NULL};
    for (int c = 0; c < C; ++c)
        for (int s = 0; s < S; ++s) {
            float v = 0;
            for (int k = 0; k < K; ++k) v += w[c * K + k] * x[k * S + s];
            y[c * S + s] = v;
        }
    bn_forward(&t, y, 0, 0);
    memcpy(wf, w, sizeof wf);
    bn_fold(&t, wf, K, bf);
    for (int c = 0; c < C; ++c)
        for (int s = 0; s < S; ++s) {
            float v = bf[c];
            for (int k = 0; k < K; ++k) v += wf[c * K + k] * x[k * S + s];
            CHECK_NEAR(v, y[c * S + s], 1e-5 * (1 + fabsf(y[c * S + s])));
        }
}
