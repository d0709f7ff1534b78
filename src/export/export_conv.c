/* export_conv.c: [convolutional], [connected] and the activations. Batch norm
 * is folded into copies of the weights (bn_fold): the model holds one Conv or
 * Gemm per layer, as darknet runs it in inference. */
#include <stdlib.h>
#include <string.h>

#include "batchnorm.h"
#include "errors.h"
#include "export_ctx.h"
#include "layer_desc.h"

/* x * sigmoid(x), x * tanh(softplus(x)), 0.5 x (1 + erf(x / sqrt 2)): the
 * opsets 13-17 have no Swish, Mish or Gelu op. */
static const char *swish(export_ctx *x, const char *in)
{
    return onnx_op2(x->g, "Mul", in, onnx_op1(x->g, "Sigmoid", in));
}

static const char *mish(export_ctx *x, const char *in)
{
    return onnx_op2(x->g, "Mul", in, onnx_op1(x->g, "Tanh", onnx_op1(x->g, "Softplus", in)));
}

static const char *gelu(export_ctx *x, const char *in)
{
    onnx_graph *g = x->g;
    const char *e = onnx_op1(g, "Erf", onnx_op2(g, "Mul", in, onnx_scalar(g, 0.70710678f)));
    const char *half_x = onnx_op2(g, "Mul", in, onnx_scalar(g, 0.5f));
    return onnx_op2(g, "Mul", half_x, onnx_op2(g, "Add", e, onnx_scalar(g, 1.0f)));
}

const char *export_activation(export_ctx *x, const char *in, activation a)
{
    onnx_graph *g = x->g;
    switch (a) {
    case ACT_LINEAR: return in;
    case ACT_RELU: return onnx_op1(g, "Relu", in);
    case ACT_LEAKY: {
        onnx_node *n = onnx_node_add(g, "LeakyRelu", &in, 1, 1);
        onnx_attr_float(n, "alpha", 0.1f);
        return onnx_out(n, 0);
    }
    case ACT_LOGISTIC: return onnx_op1(g, "Sigmoid", in);
    case ACT_TANH: return onnx_op1(g, "Tanh", in);
    case ACT_RELU6: {
        const char *args[3] = {in, onnx_scalar(g, 0), onnx_scalar(g, 6)};
        return onnx_out(onnx_node_add(g, "Clip", args, 3, 1), 0);
    }
    case ACT_SWISH: return swish(x, in);
    case ACT_MISH: return mish(x, in);
    case ACT_GELU: return gelu(x, in);
    }
    return in;
}

/* The weights and biases the model holds: the layer's, or with batch norm
 * folded copies. *w and *b are malloc'ed; 0 or -1. */
static int folded(const float *weights, const float *biases, const bn_tensors *bn, int n_out, size_t per_out,
                  float **w, float **b)
{
    *w = dn_calloc((size_t)n_out * per_out, sizeof(float));
    *b = dn_calloc((size_t)n_out, sizeof(float));
    if (!*w || !*b) return -1;
    memcpy(*w, weights, sizeof(float) * n_out * per_out);
    memcpy(*b, biases, sizeof(float) * n_out);
    if (bn) bn_fold(bn, *w, per_out, *b);
    return 0;
}

int export_conv(export_ctx *x, const layer *l, const char *in)
{
    conv_desc d;
    if (convolutional_describe(l, &d)) return -1;
    size_t per_out = (size_t)(l->c / d.groups) * d.size_x * d.size_y;
    float *w = NULL, *b = NULL;
    if (folded(d.weights, d.biases, d.bn, d.filters, per_out, &w, &b)) {
        free(w);
        free(b);
        return -1;
    }
    onnx_graph *g = x->g;
    int64_t wdims[4] = {d.filters, l->c / d.groups, d.size_y, d.size_x}, bdims[1] = {d.filters};
    const char *args[3] = {in, onnx_floats(g, w, wdims, 4), onnx_floats(g, b, bdims, 1)};
    free(w);
    free(b);
    onnx_node *n = onnx_node_add(g, "Conv", args, 3, 1);
    int64_t kernel[2] = {d.size_y, d.size_x}, strides[2] = {d.stride_y, d.stride_x};
    int64_t pads[4] = {d.pad_y, d.pad_x, d.pad_y, d.pad_x}, dil[2] = {d.dilation, d.dilation};
    onnx_attr_ints(n, "kernel_shape", kernel, 2);
    onnx_attr_ints(n, "strides", strides, 2);
    onnx_attr_ints(n, "pads", pads, 4);
    onnx_attr_ints(n, "dilations", dil, 2);
    onnx_attr_int(n, "group", d.groups);
    x->out[l->index] = export_activation(x, onnx_out(n, 0), d.act);
    return 0;
}

int export_connected(export_ctx *x, const layer *l, const char *in)
{
    connected_desc d;
    if (connected_describe(l, &d)) return -1;
    float *w = NULL, *b = NULL;
    if (folded(d.weights, d.biases, d.bn, d.n_out, (size_t)d.n_in, &w, &b)) {
        free(w);
        free(b);
        return -1;
    }
    onnx_graph *g = x->g;
    int64_t wdims[2] = {d.n_out, d.n_in}, bdims[1] = {d.n_out}, flat[2] = {x->batch, d.n_in};
    const char *args[3] = {onnx_reshape(g, in, flat, 2), onnx_floats(g, w, wdims, 2), onnx_floats(g, b, bdims, 1)};
    free(w);
    free(b);
    onnx_node *n = onnx_node_add(g, "Gemm", args, 3, 1);
    onnx_attr_int(n, "transB", 1);
    int64_t dims[4];
    export_out_dims(x, l, dims);
    x->out[l->index] = onnx_reshape(g, export_activation(x, onnx_out(n, 0), d.act), dims, 4);
    return 0;
}
