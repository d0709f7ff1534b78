/* export_pool.c: [maxpool], [avgpool] and [upsample]. */
#include "export_ctx.h"
#include "layer_desc.h"

/* darknet's window of output x starts at x * stride - padding / 2 and taps
 * outside the map are ignored, which is MaxPool with pads (padding / 2 before,
 * the rest after): padded taps never win there either. A window wholly in the
 * padding (padding >= 2 size) gives 0 in darknet and -inf in ONNX: refused. */
int export_maxpool(export_ctx *x, const layer *l, const char *in)
{
    maxpool_desc d;
    if (maxpool_describe(l, &d)) return -1;
    int before = d.padding / 2, after = d.padding - before;
    if (before >= d.size || after >= d.size)
        return export_refuse(x, l, "padding=%d leaves windows of size=%d wholly in the padding (darknet gives 0 "
                             "there, ONNX's MaxPool does not); use padding < %d", d.padding, d.size, 2 * d.size - 1);
    /* the end pads that give darknet's out_w = (w + padding - size) / stride + 1 exactly */
    int64_t end_y = (int64_t)(l->out_h - 1) * d.stride_y + d.size - l->h - before;
    int64_t end_x = (int64_t)(l->out_w - 1) * d.stride_x + d.size - l->w - before;
    onnx_node *n = onnx_node_add(x->g, "MaxPool", &in, 1, 1);
    int64_t kernel[2] = {d.size, d.size}, strides[2] = {d.stride_y, d.stride_x};
    int64_t pads[4] = {before, before, end_y > 0 ? end_y : 0, end_x > 0 ? end_x : 0};
    onnx_attr_ints(n, "kernel_shape", kernel, 2);
    onnx_attr_ints(n, "strides", strides, 2);
    onnx_attr_ints(n, "pads", pads, 4);
    x->out[l->index] = onnx_out(n, 0);
    return 0;
}

int export_avgpool(export_ctx *x, const layer *l, const char *in)
{
    x->out[l->index] = onnx_op1(x->g, "GlobalAveragePool", in);
    return 0;
}

/* out[y][x] = scale * in[y / stride][x / stride]: nearest Resize with
 * asymmetric coordinates and floor rounding. */
int export_upsample(export_ctx *x, const layer *l, const char *in)
{
    upsample_desc d;
    if (upsample_describe(l, &d)) return -1;
    onnx_graph *g = x->g;
    float scales[4] = {1, 1, (float)d.stride, (float)d.stride};
    int64_t four[1] = {4};
    const char *args[3] = {in, "", onnx_floats(g, scales, four, 1)};
    onnx_node *n = onnx_node_add(g, "Resize", args, 3, 1);
    onnx_attr_string(n, "mode", "nearest");
    onnx_attr_string(n, "coordinate_transformation_mode", "asymmetric");
    onnx_attr_string(n, "nearest_mode", "floor");
    const char *out = onnx_out(n, 0);
    x->out[l->index] = d.scale == 1 ? out : onnx_op2(g, "Mul", out, onnx_scalar(g, d.scale));
    return 0;
}
