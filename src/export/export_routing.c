/* export_routing.c: layers that move, join or normalise maps: [route],
 * [shortcut], [softmax] (and [kd], which stands in for one), [layernorm],
 * [posembed], and those that pass their input through in inference
 * ([dropout], [cost], [cwd], [fd]). */
#include <stdlib.h>

#include "distill.h"
#include "errors.h"
#include "export_ctx.h"
#include "layer_desc.h"

int export_identity(export_ctx *x, const layer *l, const char *in)
{
    x->out[l->index] = in;
    return 0;
}

/* Slice group_id of `groups` equal channel slices of each source, then Concat. */
int export_route(export_ctx *x, const layer *l, const char *in)
{
    (void)in;
    route_desc d;
    if (route_describe(l, &d)) return -1;
    const char **parts = dn_calloc((size_t)d.n, sizeof *parts);
    if (!parts) return -1;
    for (int i = 0; i < d.n; ++i) {
        const layer *src = &x->net->layers[d.layers[i]];
        int part = src->out_c / d.groups;
        parts[i] = x->out[d.layers[i]];
        if (d.groups > 1) parts[i] = onnx_slice(x->g, parts[i], 1, (int64_t)part * d.group_id,
                                                (int64_t)part * (d.group_id + 1), 1);
    }
    x->out[l->index] = onnx_concat(x->g, parts, d.n, 1);
    free(parts);
    return 0;
}

/* The `from` map placed as darknet's shortcut adds it into this layer's
 * shape: every stride-th value (the larger map sampled), spread sample apart
 * (zeros between), and zeros beyond the smaller map's channels and sides. */
static const char *mapped_from(export_ctx *x, const layer *l, const layer *f)
{
    onnx_graph *g = x->g;
    int sx = f->out_w / l->w > 1 ? f->out_w / l->w : 1, sy = f->out_h / l->h > 1 ? f->out_h / l->h : 1;
    int ux = l->w / f->out_w > 1 ? l->w / f->out_w : 1, uy = l->h / f->out_h > 1 ? l->h / f->out_h : 1;
    int mw = f->out_w < l->w ? f->out_w : l->w, mh = f->out_h < l->h ? f->out_h : l->h;
    int mc = f->out_c < l->c ? f->out_c : l->c;
    const char *t = x->out[f->index];
    if (mc < f->out_c) t = onnx_slice(g, t, 1, 0, mc, 1);
    if (sy > 1 || mh < f->out_h) t = onnx_slice(g, t, 2, 0, (int64_t)mh * sy, sy);
    if (sx > 1 || mw < f->out_w) t = onnx_slice(g, t, 3, 0, (int64_t)mw * sx, sx);
    if (ux > 1 || uy > 1) {   /* [N, c, h, 1, w, 1] padded to [N, c, h, uy, w, ux] */
        int64_t split[6] = {x->batch, mc, mh, 1, mw, 1}, merged[4] = {x->batch, mc, (int64_t)mh * uy, (int64_t)mw * ux};
        int64_t pads[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, uy - 1, 0, ux - 1};
        t = onnx_op2(g, "Pad", onnx_reshape(g, t, split, 6), onnx_ints(g, pads, 12));
        t = onnx_reshape(g, t, merged, 4);
    }
    int64_t pads[8] = {0, 0, 0, 0, 0, l->c - mc, l->h - (int64_t)mh * uy, l->w - (int64_t)mw * ux};
    if (pads[5] || pads[6] || pads[7]) t = onnx_op2(g, "Pad", t, onnx_ints(g, pads, 8));
    return t;
}

int export_shortcut(export_ctx *x, const layer *l, const char *in)
{
    shortcut_desc d;
    if (shortcut_describe(l, &d)) return -1;
    const layer *f = &x->net->layers[d.from];
    int same = f->out_w == l->w && f->out_h == l->h && f->out_c == l->c;
    const char *from = same ? x->out[d.from] : mapped_from(x, l, f);
    x->out[l->index] = export_activation(x, onnx_op2(x->g, "Add", in, from), d.act);
    return 0;
}

/* softmax(x / temperature) over each of `groups` equal slices of an image. */
static const char *grouped_softmax(export_ctx *x, const layer *l, const char *in, int groups, float temperature)
{
    onnx_graph *g = x->g;
    int64_t sliced[3] = {x->batch, groups, l->inputs / groups}, dims[4];
    const char *t = onnx_reshape(g, in, sliced, 3);
    if (temperature != 1) t = onnx_op2(g, "Div", t, onnx_scalar(g, temperature));
    onnx_node *n = onnx_node_add(g, "Softmax", &t, 1, 1);
    onnx_attr_int(n, "axis", -1);
    export_out_dims(x, l, dims);
    return onnx_reshape(g, onnx_out(n, 0), dims, 4);
}

int export_softmax(export_ctx *x, const layer *l, const char *in)
{
    softmax_desc d;
    if (softmax_describe(l, &d)) return -1;
    x->out[l->index] = grouped_softmax(x, l, in, d.groups, d.temperature);
    return 0;
}

/* [kd] is, in inference, the softmax of its student layer's logits. */
int export_kd(export_ctx *x, const layer *l, const char *in)
{
    (void)in;
    const distill_pair *p = distill_layer_pair(l);
    if (!p) return export_refuse(x, l, "is no distillation layer");
    x->out[l->index] = grouped_softmax(x, l, x->out[p->from], 1, 1);
    return 0;
}

/* (x - mean) / sqrt(var + eps) * gamma + beta over the channels of each
 * position, from primitive ops (LayerNormalization is opset 17's). */
int export_layernorm(export_ctx *x, const layer *l, const char *in)
{
    layernorm_desc d;
    if (layernorm_describe(l, &d)) return -1;
    onnx_graph *g = x->g;
    int64_t axis1[1] = {1}, cdims[3] = {l->c, 1, 1};
    onnx_node *mean = onnx_node_add(g, "ReduceMean", &in, 1, 1);
    onnx_attr_ints(mean, "axes", axis1, 1);
    const char *centred = onnx_op2(g, "Sub", in, onnx_out(mean, 0));
    const char *sq = onnx_op2(g, "Mul", centred, centred);
    onnx_node *var = onnx_node_add(g, "ReduceMean", &sq, 1, 1);
    onnx_attr_ints(var, "axes", axis1, 1);
    const char *std = onnx_op1(g, "Sqrt", onnx_op2(g, "Add", onnx_out(var, 0), onnx_scalar(g, d.eps)));
    const char *norm = onnx_op2(g, "Div", centred, std);
    const char *scaled = onnx_op2(g, "Mul", norm, onnx_floats(g, d.gamma, cdims, 3));
    x->out[l->index] = onnx_op2(g, "Add", scaled, onnx_floats(g, d.beta, cdims, 3));
    return 0;
}

/* in + E, E stored as the layer's one tensor (C x H x W) */
int export_posembed(export_ctx *x, const layer *l, const char *in)
{
    if (l->n_stored != 1 || l->stored_n[0] != l->inputs)
        return export_refuse(x, l, "holds an embedding of %d values for a %d x %d x %d map: export at the size "
                             "it was made for", l->n_stored ? l->stored_n[0] : 0, l->c, l->h, l->w);
    int64_t dims[3] = {l->c, l->h, l->w};
    x->out[l->index] = onnx_op2(x->g, "Add", in, onnx_floats(x->g, l->stored[0], dims, 3));
    return 0;
}
