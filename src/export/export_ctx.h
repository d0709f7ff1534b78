/* export_ctx.h: what the per-type exporters (export_conv.c, export_pool.c,
 * export_routing.c, export_attention.c, export_heads.c) share with the driver
 * (export_onnx.c). Each exporter turns one layer into ONNX nodes reading the
 * tensor `in` (the previous layer's output) and sets x->out[l->index]; every
 * layer output is NCHW of rank 4, as the layer's out_c x out_h x out_w. */
#ifndef DN_EXPORT_CTX_H
#define DN_EXPORT_CTX_H

#include <stdint.h>

#include "activations.h"
#include "export_onnx.h"
#include "network.h"
#include "onnx_graph.h"

typedef struct {
    onnx_graph *g;
    const network *net;
    const onnx_export_options *opt;
    const char **out;         /* per layer: the name of its output tensor */
    int64_t batch;            /* -1: dynamic */
    /* detection outputs, gathered while the layers are exported */
    const char *yolo_parts[16];
    int n_yolo, yolo_rows, yolo_entries;
} export_ctx;

typedef int (*layer_export_fn)(export_ctx *x, const layer *l, const char *in);

/* -1 with an error naming the layer's cfg line and type. */
int export_refuse(const export_ctx *x, const layer *l, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The NCHW shape of a layer's output with the model's batch. */
void export_out_dims(const export_ctx *x, const layer *l, int64_t dims[4]);
/* y = f(x) from ONNX ops of the model's opset, as activation_math.h computes it. */
const char *export_activation(export_ctx *x, const char *in, activation a);

int export_conv(export_ctx *x, const layer *l, const char *in);
int export_connected(export_ctx *x, const layer *l, const char *in);
int export_maxpool(export_ctx *x, const layer *l, const char *in);
int export_avgpool(export_ctx *x, const layer *l, const char *in);
int export_upsample(export_ctx *x, const layer *l, const char *in);
int export_route(export_ctx *x, const layer *l, const char *in);
int export_shortcut(export_ctx *x, const layer *l, const char *in);
int export_softmax(export_ctx *x, const layer *l, const char *in);
int export_kd(export_ctx *x, const layer *l, const char *in);
int export_identity(export_ctx *x, const layer *l, const char *in);
int export_layernorm(export_ctx *x, const layer *l, const char *in);
int export_posembed(export_ctx *x, const layer *l, const char *in);
int export_attention(export_ctx *x, const layer *l, const char *in);
int export_yolo(export_ctx *x, const layer *l, const char *in);
int export_retina(export_ctx *x, const layer *l, const char *in);
/* After every layer: the graph outputs of the [yolo] heads gathered above. */
void export_yolo_outputs(export_ctx *x);

#endif
