/* The convolution kernels (im2col, col2im, depthwise, gemm, the layer's
 * im2col+gemm path) launched on a GPU, against the CPU ops and layer. */
#include "conv_test.h"
#include "gpu_test.h"

extern "C" {
#include "blas.h"
#include "conv_gpu.h"
#ifdef DN_CUDNN
#include "conv_cudnn.h"
#endif
#include "depthwise.h"
#include "depthwise_gpu.h"
#include "gemm.h"
#include "gemm_gpu.h"
#include "im2col_gpu.h"
#include "network.h"
}

/* The device may fuse a multiply and an add (FMA) and cuBLAS sums in its own
 * order: the gemm-based results agree to rounding, not to the bit. */
static const double gemm_tol = 1e-4;
/* The depthwise sums (up to 2601 taps, 8000 positions) likewise meet FMA on
 * the device; the host tests check the same bodies to the bit. */
static const double depthwise_tol = 1e-4;

TEST(gpu_im2col_and_col2im_equal_the_cpu_for_strided_dilated_rectangular_kernels)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    for (int s = 0; s < N_CONV_SHAPES; ++s) {
        const conv_geometry &geo = conv_shapes[s];
        std::vector<float> im = random_vector(conv_in_size(geo), -1, 1, 10 + s), want(conv_col_size(geo));
        device_vector d_im(g, im), d_col(g, std::vector<float>(conv_col_size(geo)));
        im2col_gpu(g, d_im.p, &geo, d_col.p);
        im2col(im.data(), &geo, want.data());
        check_close(d_col.pull(), want, 0, "im2col");
        col2im_add_gpu(g, d_col.p, &geo, d_im.p);
        col2im_add(want.data(), &geo, im.data());
        check_close(d_im.pull(), im, 0, "col2im_add");
    }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_depthwise_forward_and_backward_equal_the_cpu_for_large_kernels_on_a_batch_of_3)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const int batch = DEPTHWISE_BATCH;
    for (int s = 0; s < N_DEPTHWISE_SHAPES; ++s) {
        const conv_geometry &geo = depthwise_shapes[s];
        long n_in = batch * conv_in_size(geo), n_w = (long)geo.c * geo.ksize_y * geo.ksize_x;
        long n_out = batch * geo.c * conv_out_plane(geo);
        std::vector<float> in = random_vector(n_in, -1, 1, 40 + s), w = random_vector(n_w, -1, 1, 50 + s);
        std::vector<float> d = random_vector(n_out, -1, 1, 60 + s), out(n_out);
        std::vector<float> gw = random_vector(n_w, -1, 1, 70 + s), din = random_vector(n_in, -1, 1, 80 + s);
        device_vector d_in(g, in), d_w(g, w), d_out(g, out), d_d(g, d), d_gw(g, gw), d_din(g, din);
        depthwise_forward_gpu(g, d_in.p, d_w.p, d_out.p, &geo, batch);
        depthwise_backward_gpu(g, d_in.p, d_w.p, d_d.p, &geo, batch, d_gw.p, d_din.p);
        depthwise_forward(in.data(), w.data(), out.data(), &geo, batch);
        depthwise_backward(in.data(), w.data(), d.data(), &geo, batch, gw.data(), din.data());
        check_close(d_out.pull(), out, depthwise_tol, "depthwise forward");
        check_close(d_gw.pull(), gw, depthwise_tol, "depthwise weight gradient");
        check_close(d_din.pull(), din, depthwise_tol, "depthwise input gradient");
    }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_gemm_equals_the_cpu_gemm_for_all_transposes_of_non_square_padded_matrices)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const int M = 37, N = 53, K = 29, pad = 5;
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            /* row-major, each row `pad` floats longer than it needs */
            int a_rows = ta ? K : M, a_cols = ta ? M : K, b_rows = tb ? N : K, b_cols = tb ? K : N;
            int lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
            std::vector<float> A = random_vector((size_t)a_rows * lda, -1, 1, 1 + 2 * ta + tb);
            std::vector<float> B = random_vector((size_t)b_rows * ldb, -1, 1, 5 + 2 * ta + tb);
            std::vector<float> C = random_vector((size_t)M * ldc, -1, 1, 9 + 2 * ta + tb);
            device_vector dA(g, A), dB(g, B), dC(g, C);
            CHECK_MSG(gemm_gpu(g, ta, tb, M, N, K, 0.7f, dA.p, lda, dB.p, ldb, 0.3f, dC.p, ldc) == 0, "%s",
                      dn_last_error());
            gemm_builtin(ta, tb, M, N, K, 0.7f, A.data(), lda, B.data(), ldb, 0.3f, C.data(), ldc);
            check_close(dC.pull(), C, gemm_tol, ta ? (tb ? "gemm T T" : "gemm T N") : (tb ? "gemm N T" : "gemm N N"));
        }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

/* A one-layer network: the CPU reference of the device convolution. */
static network *conv_layer_net(int c, int h, int w, int filters, int size_y, int size_x, int stride, int pad,
                               int dilation, int groups)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=3\nwidth=%d\nheight=%d\nchannels=%d\n[convolutional]\nfilters=%d\nsize_y=%d\n"
             "size_x=%d\nstride=%d\npad=%d\ndilation=%d\ngroups=%d\nactivation=linear\n",
             w, h, c, filters, size_y, size_x, stride, pad, dilation, groups);
    return build_net(cfg);
}

/* The geometry of the layer's convolution, one group of one image. */
static conv_shape_gpu layer_shape(const layer *l, int size_y, int size_x, int stride, int pad, int dilation,
                                  int groups)
{
    int py = pad ? size_y / 2 * dilation : 0, px = pad ? size_x / 2 * dilation : 0;
    conv_shape_gpu s = {conv_shape(l->c / groups, l->h, l->w, size_y, size_x, stride, stride, py, px, dilation),
                        groups, l->out_c, l->batch};
    return s;
}

/* The device convolution under test: forward into out, then backward
 * adding into gw and din; 0 or -1. */
typedef int (*conv_device_fn)(gpu_ctx *g, const conv_shape_gpu *s, const float *x, const float *w, float *out,
                              const float *delta, float *gw, float *din);

static int conv_by_gemm(gpu_ctx *g, const conv_shape_gpu *s, const float *x, const float *w, float *out,
                        const float *delta, float *gw, float *din)
{
    device_vector work(g, std::vector<float>(conv_workspace_gpu(s)));
    int rc = conv_forward_gpu(g, s, x, w, out, work.p) || conv_backward_gpu(g, s, x, w, delta, gw, din, work.p);
    return rc || gpu_sync(g) ? -1 : 0;   /* the workspace is freed on return */
}

/* Runs one layer forward and backward on the CPU and the same convolution on
 * the device; compares output, weight gradient and input gradient to tol. */
static void check_conv_layer(gpu_ctx *g, conv_device_fn run, double tol, int c, int h, int w, int filters,
                             int size_y, int size_x, int stride, int pad, int dilation, int groups)
{
    network *net = conv_layer_net(c, h, w, filters, size_y, size_x, stride, pad, dilation, groups);
    if (!net) return;
    layer *l = &net->layers[0];
    param *wt = &l->params[1];
    conv_shape_gpu s = layer_shape(l, size_y, size_x, stride, pad, dilation, groups);
    random_fill(wt->val, wt->n, -0.5f, 0.5f, 3);
    std::vector<float> x = random_vector((size_t)3 * net->inputs, -1, 1, 4);
    std::vector<float> delta = random_vector((size_t)3 * l->outputs, -1, 1, 5), out((size_t)3 * l->outputs);
    std::vector<float> din = random_vector(x.size(), -1, 1, 6), gw = random_vector(wt->n, -1, 1, 7);
    device_vector d_x(g, x), d_w(g, std::vector<float>(wt->val, wt->val + wt->n)), d_out(g, out);
    device_vector d_delta(g, delta), d_din(g, din), d_gw(g, gw);
    CHECK_MSG(run(g, &s, d_x.p, d_w.p, d_out.p, d_delta.p, d_gw.p, d_din.p) == 0, "%s", dn_last_error());

    forward_network(net, x.data());   /* biases are 0: the output is the convolution */
    check_close(d_out.pull(), std::vector<float>(l->output, l->output + out.size()), tol, "conv output");
    copy(delta.data(), l->delta, delta.size());
    copy(gw.data(), wt->grad, gw.size());
    net->input = x.data();
    net->input_delta = din.data();
    l->ops->backward(l, net);   /* linear: the delta reaches the convolution as it is */
    check_close(d_gw.pull(), std::vector<float>(wt->grad, wt->grad + wt->n), tol, "conv weight gradient");
    check_close(d_din.pull(), din, tol, "conv input gradient");
    net->input_delta = NULL;
    free_network(net);
}

/* stride 2 on odd sizes; pointwise (no im2col); 1x1 stride 2 (im2col);
 * groups with dilation and a rectangular kernel */
static void check_conv_layers(gpu_ctx *g, conv_device_fn run, double tol)
{
    check_conv_layer(g, run, tol, 3, 9, 11, 4, 3, 3, 2, 1, 1, 1);
    check_conv_layer(g, run, tol, 4, 7, 7, 6, 1, 1, 1, 0, 1, 1);
    check_conv_layer(g, run, tol, 4, 7, 7, 4, 1, 1, 2, 0, 1, 1);
    check_conv_layer(g, run, tol, 6, 8, 7, 4, 3, 5, 1, 1, 2, 2);
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}

TEST(gpu_convolution_equals_the_cpu_layer_with_strides_groups_dilation_and_1x1_kernels)
{
    gpu_ctx *g = test_gpu();
    if (g) check_conv_layers(g, conv_by_gemm, gemm_tol);
}

#ifdef DN_CUDNN
static int conv_by_cudnn(gpu_ctx *g, const conv_shape_gpu *s, const float *x, const float *w, float *out,
                         const float *delta, float *gw, float *din)
{
    conv_cudnn *c = conv_cudnn_create(g, s);
    if (!c) return -1;
    size_t bytes = conv_cudnn_workspace_bytes(c);
    device_vector work(g, std::vector<float>((bytes + sizeof(float) - 1) / sizeof(float)));
    int rc = conv_cudnn_forward(c, x, w, out, work.p) || conv_cudnn_backward(c, x, w, delta, gw, din, work.p);
    if (gpu_sync(g)) rc = -1;   /* the workspace is freed on return */
    conv_cudnn_free(c);
    return rc ? -1 : 0;
}

/* cuDNN's algorithms (Winograd, FFT) round differently from a direct sum:
 * 1e-3 relative is their accuracy, not a looser check of ours. */
TEST(gpu_cudnn_convolution_equals_the_cpu_layer_with_strides_groups_dilation_and_1x1_kernels)
{
    gpu_ctx *g = test_gpu();
    if (g) check_conv_layers(g, conv_by_cudnn, 1e-3);
}
#endif
