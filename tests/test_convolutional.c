/* [convolutional]: forward against a direct loop, backward against finite
 * differences, for each shape (im2col+gemm, 1x1, depthwise, groups, dilation,
 * rectangular kernels, batch norm, activations) and weight sharing, each on
 * every convolution backend of the build (DARKNET_CONV: our gemm, which is
 * OpenBLAS or the built-in one, and oneDNN in DNNL=1 builds); inference
 * networks with batch norm folded in against the unfolded ones. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchnorm.h"
#include "network.h"
#include "test.h"

static const char *const backends[] = {"gemm",
#ifdef DN_DNNL
                                       "dnnl",
#endif
};

/* Runs body once per backend; layers read DARKNET_CONV when they are set up. */
static void on_each_backend(void (*body)(const char *backend))
{
    for (size_t b = 0; b < sizeof backends / sizeof backends[0]; ++b) {
        setenv("DARKNET_CONV", backends[b], 1);
        body(backends[b]);
    }
    unsetenv("DARKNET_CONV");
}

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

static void conv_cfg(char *cfg, size_t size, const conv_case *k, int batch, const char *extra)
{
    snprintf(cfg, size,
             "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[convolutional]\nfilters=%d\nsize_y=%d\nsize_x=%d\nstride=%d\npad=%d\ndilation=%d\n"
             "groups=%d\n%s\n",
             batch, k->w, k->h, k->c, k->filters, k->sy, k->sx, k->stride, k->pad, k->dil, k->groups,
             extra);
}

static network *conv_net(const conv_case *k, int batch, const char *extra)
{
    char cfg[1024];
    conv_cfg(cfg, sizeof cfg, k, batch, extra);
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
    {17, 4, 5, 24, 3, 3, 1, 1, 1, 1},  /* enough channels for oneDNN to cut it by channels over the threads */
    {1, 32, 33, 2, 3, 3, 1, 1, 1, 1},  /* a map of >= 1024 outputs: one gemm per image (smaller ones share) */
    {2, 6, 7, 3, 3, 3, 2, 0, 1, 1},   /* unpadded stride 2 that skips the last row: oneDNN's bottom padding is -1 */
};

static void forward_matches_reference(const char *backend)
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
        CHECK_MSG(err < 1e-4, "%s, case %zu: output %d differs (%g vs %g)", backend, i, where, out[where], y[where]);
        free(x);
        free(y);
        free_network(net);
    }
}

TEST(conv_forward_matches_reference) { on_each_backend(forward_matches_reference); }

static void backward_matches_finite_differences(const char *backend)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        /* smooth activation: finite differences are meaningless across a kink */
        network *net = conv_net(&cases[i], 2, "activation=tanh");
        if (!net) continue;
        float *x = malloc(sizeof(float) * 2 * net->inputs);
        random_fill(x, 2 * net->inputs, -1, 1, 11 + i);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "%s, case %zu: gradient error %g", backend, i, err);
        free(x);
        free_network(net);
    }
}

TEST(conv_backward_matches_finite_differences) { on_each_backend(backward_matches_finite_differences); }

static void batchnorm_and_activations_backward(const char *backend)
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
        CHECK_MSG(err < 3e-2, "%s, batch norm + %s: gradient error %g", backend, acts[a], err);
        free(x);
        free_network(net);
    }
}

TEST(conv_batchnorm_and_activations_backward) { on_each_backend(batchnorm_and_activations_backward); }

static void batchnorm_inference_uses_rolling_statistics(const char *backend)
{
    (void)backend;
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

TEST(conv_batchnorm_inference_uses_rolling_statistics)
{
    on_each_backend(batchnorm_inference_uses_rolling_statistics);
}

static void shared_weights_one_copy_gradients_added(const char *backend)
{
    (void)backend;
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

TEST(conv_shared_weights_one_copy_gradients_added) { on_each_backend(shared_weights_one_copy_gradients_added); }

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

/* Random values in the first `tensors` stored tensors of each layer; for a
 * convolution with batch norm they are biases, scales, mean, variance, weights. */
static void random_batchnorm(network *net, int tensors, unsigned seed)
{
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored && t < tensors; ++t)
            random_fill(l->stored[t], l->stored_n[t], t == 3 ? 0.5f : t == 1 ? 0.5f : -0.2f,
                        t == 3 || t == 1 ? 2.0f : 0.2f, seed + 10 * i + t);
    }
}

/* The inference-only network of the same cfg text, with trained's weights
 * copied in (so its batch norm is folded again after the copy). */
static network *inference_twin(const char *cfg, network *trained)
{
    const char *path = temp_file(cfg);
    network *net = parse_network_cfg_mode(path, 0, 1);
    unlink(path);
    CHECK_MSG(net && copy_weights(net, trained) == 0, "%s", dn_last_error());
    return net;
}

static void inference_folds_batchnorm_and_fuses_activation(const char *backend)
{
    const char *acts[] = {"linear", "relu", "leaky", "logistic", "tanh", "relu6", "swish", "mish", "gelu"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; ++a) {
            char extra[128], cfg[1024];
            snprintf(extra, sizeof extra, "batch_normalize=%d\nactivation=%s", (int)(a % 2 == 0 || i % 2), acts[a]);
            conv_cfg(cfg, sizeof cfg, &cases[i], 2, extra);
            network *trained = net_from_text(cfg);
            if (!trained) continue;
            random_batchnorm(trained, 5, (unsigned)(i * 16 + a));
            network *frozen = inference_twin(cfg, trained);
            float *x = random_input(trained, 3);
            int n = 2 * trained->layers[0].outputs, where = 0;
            float *want = malloc(sizeof(float) * n);
            memcpy(want, network_predict(trained, x), sizeof(float) * n);
            double err = frozen ? max_rel_diff(network_predict(frozen, x), want, n, &where) : 1;
            CHECK_MSG(err < 1e-5, "%s, case %zu, %s: output %d differs by %g", backend, i, extra, where, err);
            free(x);
            free(want);
            free_network(frozen);
            free_network(trained);
        }
}

TEST(conv_inference_folds_batchnorm_and_fuses_the_activation)
{
    on_each_backend(inference_folds_batchnorm_and_fuses_activation);
}

/* |a - b| / |b| over n values (Euclidean norms). */
static double norm_rel_diff(const float *a, const float *b, int n)
{
    double d = 0, r = 0;
    for (int i = 0; i < n; ++i) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / (r > 0 ? r : 1));
}

/* cfg/NAME with its [net] replaced by a small one (batch 1, size x size). */
static char *small_net_cfg(const char *name, int size)
{
    char path[512];
    char *text = repo_cfg_text(name, path, sizeof path);
    char *layers = text ? strstr(text, "\n[convolutional]") : NULL;
    char *cfg = layers ? malloc(strlen(layers) + 128) : NULL;
    if (cfg) sprintf(cfg, "[net]\nbatch=1\nwidth=%d\nheight=%d\nchannels=3\n%s", size, size, layers);
    free(text);
    return cfg;
}

static long file_size_and_bytes(const char *path, char **bytes)
{
    FILE *fp = fopen(path, "rb");
    long n = -1;
    if (fp && !fseek(fp, 0, SEEK_END) && (n = ftell(fp)) > 0 && (*bytes = malloc(n))) {
        rewind(fp);
        if (fread(*bytes, 1, n, fp) != (size_t)n) n = -1;
    }
    if (fp) fclose(fp);
    return n;
}

/* load_network_frozen folds batch norm at load: outputs as the unfolded
 * network's, and saving writes the weights as loaded, never the folded ones. */
static void folded_resnet_equals_unfolded(const char *backend)
{
    char *cfg = small_net_cfg("resnet18.cfg", 64);
    network *trained = cfg ? net_from_text(cfg) : NULL;
    CHECK_MSG(trained != NULL, "resnet18.cfg: %s", dn_last_error());
    if (!trained) return free(cfg);
    random_batchnorm(trained, 4, 5);   /* the weights keep their He initialisation: activations stay O(1) */
    char cfg_path[64], weights_path[64], saved_path[64];
    snprintf(cfg_path, sizeof cfg_path, "%s", temp_file(cfg));
    snprintf(weights_path, sizeof weights_path, "%s", temp_file(""));
    snprintf(saved_path, sizeof saved_path, "%s", temp_file(""));
    CHECK(save_weights(trained, weights_path) == 0);
    network *frozen = load_network_frozen(cfg_path, weights_path);
    CHECK_MSG(frozen != NULL, "%s", dn_last_error());
    float *x = random_input(trained, 9);
    network_predict(trained, x);
    if (frozen) network_predict(frozen, x);
    /* every layer's output, not only the softmax's small values; relative to
     * the output's norm (float rounding of two orders of summation grows
     * through 20 layers to ~1e-5 of single values near zero) */
    for (int i = 0; frozen && i < trained->n; ++i) {
        double err = norm_rel_diff(frozen->layers[i].output, trained->layers[i].output, trained->layers[i].outputs);
        CHECK_MSG(err < 1e-5, "%s: layer %d output differs by %g of its norm", backend, i, err);
    }
    char *a = NULL, *b = NULL;
    CHECK(frozen && save_weights(frozen, saved_path) == 0);
    long na = file_size_and_bytes(weights_path, &a), nb = file_size_and_bytes(saved_path, &b);
    CHECK_MSG(na > 0 && na == nb && !memcmp(a, b, na), "%s: the inference network saved other weights", backend);
    unlink(cfg_path);
    unlink(weights_path);
    unlink(saved_path);
    free(a);
    free(b);
    free(x);
    free(cfg);
    free_network(frozen);
    free_network(trained);
}

TEST(conv_folded_resnet18_equals_unfolded_and_saves_the_loaded_weights)
{
    on_each_backend(folded_resnet_equals_unfolded);
}
