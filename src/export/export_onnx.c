/* export_onnx.c: the driver: loads the network at the asked size and batch,
 * hands each layer to its type's exporter (export_ctx.h), names the graph's
 * inputs and outputs, writes the metadata and saves. Distillation layers
 * export as what they are in the student ([cwd], [fd]: nothing; [kd]: a
 * softmax) and teachers are not part of the model. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_cfg.h"
#include "errors.h"
#include "export_ctx.h"
#include "loader.h"

typedef struct {
    const char *type;
    layer_export_fn fn;
} type_exporter;

static const type_exporter exporters[] = {
    {"convolutional", export_conv}, {"connected", export_connected}, {"maxpool", export_maxpool},
    {"avgpool", export_avgpool},    {"upsample", export_upsample},   {"route", export_route},
    {"shortcut", export_shortcut},  {"softmax", export_softmax},     {"dropout", export_identity},
    {"cost", export_identity},      {"layernorm", export_layernorm}, {"posembed", export_posembed},
    {"attention", export_attention}, {"yolo", export_yolo},          {"retina", export_retina},
};

int export_refuse(const export_ctx *x, const layer *l, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dn_error("%s:%d: [%s] (layer %d) cannot be exported to ONNX: %s", x->opt->cfg, l->cfg_line,
                    layer_type_name(l), l->index, msg);
}

void export_out_dims(const export_ctx *x, const layer *l, int64_t dims[4])
{
    dims[0] = x->batch, dims[1] = l->out_c, dims[2] = l->out_h, dims[3] = l->out_w;
}

/* The exporter of the layer as the student runs it ([kd] as a softmax over its
 * student layer; [cwd] and [fd] pass their input through). */
static layer_export_fn exporter_of(const layer *l)
{
    if (l->ops->distiller) return l->ops->distiller == DISTILLER_SOFTMAX ? export_kd : export_identity;
    for (size_t i = 0; i < sizeof exporters / sizeof exporters[0]; ++i)
        if (!strcmp(layer_type_name(l), exporters[i].type)) return exporters[i].fn;
    return NULL;
}

static int export_layers(export_ctx *x)
{
    const char *in = "input";
    for (int i = 0; i < x->net->n; ++i) {
        const layer *l = &x->net->layers[i];
        char scope[64];
        snprintf(scope, sizeof scope, "l%d_%s", i, layer_type_name(l));
        onnx_graph_set_scope(x->g, scope);
        layer_export_fn fn = exporter_of(l);
        if (!fn) return export_refuse(x, l, "the exporter does not know this layer type");
        if (fn(x, l, in)) return -1;
        in = x->out[i];
    }
    return 0;
}

static int count_type(const network *net, const char *type)
{
    int n = 0;
    for (int i = 0; i < net->n; ++i) n += !strcmp(layer_type_name(&net->layers[i]), type);
    return n;
}

/* The network's outputs beside the detection heads' own: without heads, the
 * last layer's output. */
static int finish_outputs(export_ctx *x)
{
    int retinas = count_type(x->net, "retina");
    if (x->opt->postprocess && !retinas)
        return dn_error("%s: -postprocess needs a [retina] layer ([yolo] heads are always decoded)", x->opt->cfg);
    export_yolo_outputs(x);
    if (x->n_yolo || retinas) return 0;
    onnx_graph_meta(x->g, "outputs", "output: the last layer's output, [batch, C, H, W]");
    const layer *last = &x->net->layers[x->net->n - 1];
    int64_t dims[4];
    export_out_dims(x, last, dims);
    onnx_graph_set_scope(x->g, "output");
    onnx_graph_output(x->g, x->out[last->index], "output", ONNX_FLOAT, dims, 4);
    return 0;
}

/* ---- metadata ---- */

static void meta_int(onnx_graph *g, const char *key, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    onnx_graph_meta(g, key, buf);
}

static void meta_float(onnx_graph *g, const char *key, double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.9g", v);
    onnx_graph_meta(g, key, buf);
}

/* The class names, one a line: the .data's names= (detectors) or labels= (classifiers). */
static int meta_names(onnx_graph *g, const char *data_path)
{
    data_cfg *d = data_cfg_read(data_path);
    if (!d) return -1;
    const char *file = d->names ? d->names : d->labels;
    int n = 0, rc = -1;
    char **names = file ? read_names(file, &n) : NULL;
    if (!file) dn_error("%s names no classes (no names= or labels=)", data_path);
    size_t len = 1;
    for (int i = 0; i < n; ++i) len += strlen(names[i]) + 1;
    char *all = names ? dn_calloc(len, 1) : NULL;
    if (all) {
        for (int i = 0; i < n; ++i) strcat(strcat(all, names[i]), i + 1 < n ? "\n" : "");
        onnx_graph_meta(g, "class_names", all);
        rc = 0;
    }
    free(all);
    free_string_list(names, n);
    data_cfg_free(d);
    return rc;
}

/* Detectors see letterboxed images (detector test, map, valid); classifiers
 * what their cfg's letter_box= says. */
static int input_geometry(const export_ctx *x, const char **resize)
{
    loader_config lc;
    loader_config_default(&lc);
    if (loader_config_from_cfg(&lc, x->opt->cfg)) return -1;
    int detector = count_type(x->net, "yolo") || count_type(x->net, "retina");
    *resize = detector || lc.letterbox ? "letterbox" : "stretch";
    return 0;
}

static int write_metadata(export_ctx *x)
{
    onnx_graph *g = x->g;
    const network *net = x->net;
    const char *resize;
    if (input_geometry(x, &resize)) return -1;
    char hash[32];
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)net->cfg_hash);
    onnx_graph_meta(g, "darknet_cfg", x->opt->cfg);
    onnx_graph_meta(g, "darknet_cfg_hash", hash);
    meta_int(g, "input_width", net->w);
    meta_int(g, "input_height", net->h);
    meta_int(g, "input_channels", net->c);
    onnx_graph_meta(g, "input_resize", resize);
    meta_float(g, "input_letterbox_fill", 0.5);
    onnx_graph_meta(g, "input_layout", "NCHW, RGB, pixel / 255 (mean 0, scale 1/255)");
    onnx_graph_meta(g, "input_mean", "0,0,0");
    meta_float(g, "input_scale", 1.0 / 255);
    const layer *last = &net->layers[net->n - 1];
    for (int i = 0; i < net->n; ++i)
        if (net->layers[i].classes) last = &net->layers[i];
    meta_int(g, "classes", last->classes ? last->classes : last->outputs);
    return x->opt->data ? meta_names(g, x->opt->data) : 0;
}

/* ---- the whole export ---- */

static network *load_sized(const onnx_export_options *o)
{
    network *net = load_network_frozen(o->cfg, o->weights);
    if (!net) return NULL;
    int w = o->width ? o->width : net->w, h = o->height ? o->height : net->h;
    int batch = o->dynamic_batch ? 1 : o->batch;
    if ((w != net->w || h != net->h) && resize_network(net, w, h)) {
        free_network(net);
        return NULL;
    }
    if (batch != net->batch && set_batch_network(net, batch)) {
        free_network(net);
        return NULL;
    }
    return net;
}

static int check_options(const onnx_export_options *o)
{
    if (o->opset < ONNX_OPSET_MIN || o->opset > ONNX_OPSET_MAX)
        return dn_error("opset %d is not supported: %d to %d", o->opset, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
    if (o->batch < 1) return dn_error("the batch must be at least 1, not %d", o->batch);
    if (o->width < 0 || o->height < 0) return dn_error("the width and height must be positive");
    return 0;
}

static int build_and_save(export_ctx *x)
{
    int64_t dims[4] = {x->batch, x->net->c, x->net->h, x->net->w};
    onnx_graph_input(x->g, "input", dims, 4);
    if (export_layers(x) || finish_outputs(x) || write_metadata(x)) return -1;
    return onnx_graph_save(x->g, "darknet", x->opt->out);
}

int export_onnx(const onnx_export_options *o)
{
    if (check_options(o)) return -1;
    network *net = load_sized(o);
    if (!net) return -1;
    export_ctx x = {.net = net, .opt = o, .batch = o->dynamic_batch ? -1 : o->batch};
    x.g = onnx_graph_new(o->opset);
    x.out = dn_calloc((size_t)net->n, sizeof *x.out);
    int rc = x.g && x.out ? build_and_save(&x) : -1;
    free(x.out);
    onnx_graph_free(x.g);
    free_network(net);
    return rc;
}
