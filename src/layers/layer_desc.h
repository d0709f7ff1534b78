/* layer_desc.h: read-only descriptions of the layer types' settings, for code
 * that rewrites a network into another form (the ONNX exporter, src/export/).
 * Each layer file keeps its state private and fills its own description here,
 * so the cfg keys are parsed once, in the layer. Pointers point into the
 * layer's (or, for share=, its owner's) own tensors: valid while the network
 * lives, never to be written. Each function returns 0, or -1 with the error
 * when the layer is of another type. */
#ifndef DN_LAYER_DESC_H
#define DN_LAYER_DESC_H

#include "activations.h"
#include "batchnorm.h"
#include "boxes.h"
#include "layer.h"
#include "nms.h"

typedef struct {
    int filters, groups;
    int size_x, size_y, stride_x, stride_y, pad_x, pad_y, dilation;
    activation act;
    const float *weights;      /* [filters][c / groups][size_y][size_x] */
    const float *biases;       /* [filters] (batch norm's beta with batch_normalize) */
    const bn_tensors *bn;      /* NULL without batch_normalize */
} conv_desc;
int convolutional_describe(const layer *l, conv_desc *out);

typedef struct {
    int n_in, n_out;
    activation act;
    const float *weights;      /* [n_out][n_in] */
    const float *biases;
    const bn_tensors *bn;      /* NULL without batch_normalize */
} connected_desc;
int connected_describe(const layer *l, connected_desc *out);

typedef struct {
    int size, stride_x, stride_y, padding;   /* padding: the total, darknet's */
} maxpool_desc;
int maxpool_describe(const layer *l, maxpool_desc *out);

typedef struct {
    int n;
    const int *layers;         /* absolute indices */
    int groups, group_id;
} route_desc;
int route_describe(const layer *l, route_desc *out);

typedef struct {
    int from;                  /* absolute index */
    activation act;
} shortcut_desc;
int shortcut_describe(const layer *l, shortcut_desc *out);

typedef struct {
    int stride;
    float scale;
} upsample_desc;
int upsample_describe(const layer *l, upsample_desc *out);

typedef struct {
    int groups;
    float temperature;
} softmax_desc;
int softmax_describe(const layer *l, softmax_desc *out);

typedef struct {
    float eps;
    const float *gamma, *beta; /* [c] */
} layernorm_desc;
int layernorm_describe(const layer *l, layernorm_desc *out);

typedef struct {
    int heads, window, shift;
    const float *wqkv, *bqkv;  /* [3C][C] (queries, keys, values), [3C] */
    const float *wo, *bo;      /* [C][C], [C] */
    const float *table;        /* [heads][entries] relative position bias, or NULL */
    int entries;
} attention_desc;
int attention_describe(const layer *l, attention_desc *out);

typedef struct {
    int classes, n;
    const int *mask;           /* n indices into anchors */
    const float *anchors;      /* w, h pairs in input pixels */
    float scale_x_y;           /* x, y = scale_x_y * logistic - (scale_x_y - 1) / 2 */
} yolo_desc;
int yolo_describe(const layer *l, yolo_desc *out);

enum { RETINA_DESC_MAX_LEVELS = 16 };
typedef struct {
    int classes, n_levels, A;
    int cls[RETINA_DESC_MAX_LEVELS], box[RETINA_DESC_MAX_LEVELS];   /* head layers, P3 first */
    int offset[RETINA_DESC_MAX_LEVELS + 1];   /* first anchor of each level in `anchors` */
    const cbox *anchors;       /* every level's, in input pixels, anchors.h's order */
    retina_post_config post;   /* score_thresh, topk, nms, max_dets; boxes clipped to the input */
} retina_desc;
int retina_describe(const layer *l, retina_desc *out);

#endif
