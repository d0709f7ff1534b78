/* export_onnx.h: a darknet network (cfg + weights) as an ONNX model, for
 * ONNX Runtime, OpenCV's DNN module and the rest of the ONNX world. */
#ifndef DN_EXPORT_ONNX_H
#define DN_EXPORT_ONNX_H

typedef struct {
    const char *cfg, *weights, *out;
    int width, height;     /* 0: the cfg's */
    int batch;             /* images per run, fixed in the model */
    int dynamic_batch;     /* 1: the batch is a symbolic dimension instead */
    int opset;             /* ONNX_OPSET_MIN..ONNX_OPSET_MAX */
    int postprocess;       /* [retina]: decoded boxes, scores and NonMaxSuppression */
    const char *data;      /* a .data file naming the classes (names= or labels=), or NULL */
} onnx_export_options;

enum { ONNX_OPSET_MIN = 13, ONNX_OPSET_MAX = 17, ONNX_OPSET_DEFAULT = 13 };

/* Writes o->out (temporary file + rename). Layers or settings the model
 * cannot express exactly are refused, naming the cfg line. 0, or -1 with the error. */
int export_onnx(const onnx_export_options *o);

#endif
