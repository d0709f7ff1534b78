/* conv_cudnn.cu: cuDNN convolutions (conv_cudnn.h), on the context's cuDNN
 * handle (one per network, on its stream). */
#include <cudnn.h>

#include "conv_cudnn.h"
#include "gpu_launch.cuh"

extern "C" {
#include "errors.h"
}

struct conv_cudnn {
    cudnnHandle_t dnn;              /* the context's */
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t fwd;
    cudnnConvolutionBwdDataAlgo_t bwd_data;
    cudnnConvolutionBwdFilterAlgo_t bwd_filter;
    size_t workspace;
};

static int dnn_ok(cudnnStatus_t s, const char *what)
{
    if (s == CUDNN_STATUS_SUCCESS) return 0;
    return dn_error("%s: %s", what, cudnnGetErrorString(s));
}

/* NCHW float descriptors of the input, output, filters and the convolution;
 * FMA math: no TF32, so the results stay float-accurate. */
static int describe(conv_cudnn *c, const conv_shape_gpu *s)
{
    const conv_geometry *g = &s->geo;
    int n, ch, h, w;
    if (dnn_ok(cudnnSetTensor4dDescriptor(c->x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s->batch, g->c * s->groups,
                                          g->h, g->w), "cuDNN input") ||
        dnn_ok(cudnnSetTensor4dDescriptor(c->y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, s->batch, s->filters,
                                          g->out_h, g->out_w), "cuDNN output") ||
        dnn_ok(cudnnSetFilter4dDescriptor(c->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, s->filters, g->c,
                                          g->ksize_y, g->ksize_x), "cuDNN filters") ||
        dnn_ok(cudnnSetConvolution2dDescriptor(c->conv, g->pad_y, g->pad_x, g->stride_y, g->stride_x, g->dilation,
                                               g->dilation, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
               "cuDNN convolution") ||
        dnn_ok(cudnnSetConvolutionGroupCount(c->conv, s->groups), "cuDNN groups") ||
        dnn_ok(cudnnSetConvolutionMathType(c->conv, CUDNN_FMA_MATH), "cuDNN math type") ||
        dnn_ok(cudnnGetConvolution2dForwardOutputDim(c->conv, c->x, c->w, &n, &ch, &h, &w), "cuDNN output size"))
        return -1;
    if (h != g->out_h || w != g->out_w)
        return dn_error("cuDNN makes a %dx%d output where the layer has %dx%d", w, h, g->out_w, g->out_h);
    return 0;
}

/* The first (fastest by cuDNN's heuristics) deterministic algorithm that works,
 * else the first that works. */
template <typename Perf>
static int pick(const Perf *p, int n)
{
    for (int i = 0; i < n; ++i)
        if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].determinism == CUDNN_DETERMINISTIC) return i;
    for (int i = 0; i < n; ++i)
        if (p[i].status == CUDNN_STATUS_SUCCESS) return i;
    return -1;
}

enum { MAX_ALGOS = 16 };

/* cuDNN's heuristic choice (the _v7 queries: no trial runs) for the three
 * passes, and the workspace the largest of them needs. */
static int choose_algorithms(conv_cudnn *c)
{
    cudnnConvolutionFwdAlgoPerf_t fp[MAX_ALGOS];
    cudnnConvolutionBwdDataAlgoPerf_t dp[MAX_ALGOS];
    cudnnConvolutionBwdFilterAlgoPerf_t wp[MAX_ALGOS];
    int nf = 0, nd = 0, nw = 0;
    if (dnn_ok(cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, c->x, c->w, c->conv, c->y, MAX_ALGOS, &nf, fp),
               "cuDNN forward algorithms") ||
        dnn_ok(cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, c->w, c->y, c->conv, c->x, MAX_ALGOS, &nd, dp),
               "cuDNN backward-data algorithms") ||
        dnn_ok(cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, c->x, c->y, c->conv, c->w, MAX_ALGOS, &nw, wp),
               "cuDNN backward-filter algorithms"))
        return -1;
    int f = pick(fp, nf), d = pick(dp, nd), w = pick(wp, nw);
    if (f < 0 || d < 0 || w < 0) return dn_error("cuDNN has no algorithm for this convolution");
    c->fwd = fp[f].algo;
    c->bwd_data = dp[d].algo;
    c->bwd_filter = wp[w].algo;
    size_t bf = 0, bd = 0, bw = 0;
    if (dnn_ok(cudnnGetConvolutionForwardWorkspaceSize(c->dnn, c->x, c->w, c->conv, c->y, c->fwd, &bf),
               "cuDNN forward workspace") ||
        dnn_ok(cudnnGetConvolutionBackwardDataWorkspaceSize(c->dnn, c->w, c->y, c->conv, c->x, c->bwd_data, &bd),
               "cuDNN backward-data workspace") ||
        dnn_ok(cudnnGetConvolutionBackwardFilterWorkspaceSize(c->dnn, c->x, c->y, c->conv, c->w, c->bwd_filter,
                                                              &bw),
               "cuDNN backward-filter workspace"))
        return -1;
    c->workspace = bf > bd ? bf : bd;
    if (bw > c->workspace) c->workspace = bw;
    return 0;
}

conv_cudnn *conv_cudnn_create(gpu_ctx *g, const conv_shape_gpu *s)
{
    conv_cudnn *c = (conv_cudnn *)dn_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->dnn = g->dnn;
    if (dnn_ok(cudnnCreateTensorDescriptor(&c->x), "cuDNN descriptor") ||
        dnn_ok(cudnnCreateTensorDescriptor(&c->y), "cuDNN descriptor") ||
        dnn_ok(cudnnCreateFilterDescriptor(&c->w), "cuDNN descriptor") ||
        dnn_ok(cudnnCreateConvolutionDescriptor(&c->conv), "cuDNN descriptor") || describe(c, s) ||
        choose_algorithms(c)) {
        conv_cudnn_free(c);
        return NULL;
    }
    return c;
}

void conv_cudnn_free(conv_cudnn *c)
{
    if (!c) return;
    if (c->conv) cudnnDestroyConvolutionDescriptor(c->conv);
    if (c->w) cudnnDestroyFilterDescriptor(c->w);
    if (c->y) cudnnDestroyTensorDescriptor(c->y);
    if (c->x) cudnnDestroyTensorDescriptor(c->x);
    free(c);
}

size_t conv_cudnn_workspace_bytes(const conv_cudnn *c) { return c->workspace; }

int conv_cudnn_forward(conv_cudnn *c, const float *in, const float *weights, float *out, void *workspace)
{
    const float one = 1, zero = 0;
    return dnn_ok(cudnnConvolutionForward(c->dnn, &one, c->x, in, c->w, weights, c->conv, c->fwd, workspace,
                                          c->workspace, &zero, c->y, out),
                  "cuDNN forward");
}

/* beta = 1: gradients add, like the CPU layer's */
int conv_cudnn_backward(conv_cudnn *c, const float *in, const float *weights, const float *delta,
                        float *weight_grad, float *in_delta, void *workspace)
{
    const float one = 1;
    if (dnn_ok(cudnnConvolutionBackwardFilter(c->dnn, &one, c->x, in, c->y, delta, c->conv, c->bwd_filter,
                                              workspace, c->workspace, &one, c->w, weight_grad),
               "cuDNN backward filter"))
        return -1;
    if (!in_delta) return 0;
    return dnn_ok(cudnnConvolutionBackwardData(c->dnn, &one, c->w, weights, c->y, delta, c->conv, c->bwd_data,
                                               workspace, c->workspace, &one, c->x, in_delta),
                  "cuDNN backward data");
}
