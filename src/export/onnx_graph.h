/* onnx_graph.h: builds an ONNX model (ONNX's own schema, onnx.proto, through
 * the C code protoc-c generates from it) node by node, and saves it.
 *
 * Tensors are named by the builder ("t12"); a function that makes a node
 * returns the name of its (first) output. Failures (out of memory) are
 * sticky: the builder keeps going with placeholder names and onnx_graph_save
 * reports the first error, so callers chain ops without checking each. */
#ifndef DN_ONNX_GRAPH_H
#define DN_ONNX_GRAPH_H

#include <stddef.h>
#include <stdint.h>

typedef struct onnx_graph onnx_graph;
typedef struct onnx_node onnx_node;

enum { ONNX_FLOAT = 1, ONNX_INT64 = 7 };   /* TensorProto.DataType */
enum { ONNX_MAX_RANK = 8 };

onnx_graph *onnx_graph_new(int opset);
void onnx_graph_free(onnx_graph *g);
int onnx_graph_failed(const onnx_graph *g);
/* The prefix of the node names made from now on (e.g. "l12_conv": the layer they come from). */
void onnx_graph_set_scope(onnx_graph *g, const char *scope);

/* Constants (initializers). dims NULL with rank 0: a scalar. */
const char *onnx_floats(onnx_graph *g, const float *v, const int64_t *dims, int rank);
const char *onnx_ints(onnx_graph *g, const int64_t *v, int n);   /* 1-D int64 */
const char *onnx_scalar(onnx_graph *g, float v);

/* A node of op_type with n_in inputs (NULL entries: an omitted optional
 * input) and n_out outputs. */
onnx_node *onnx_node_add(onnx_graph *g, const char *op_type, const char *const *in, int n_in, int n_out);
const char *onnx_out(const onnx_node *n, int i);
void onnx_attr_int(onnx_node *n, const char *name, int64_t v);
void onnx_attr_float(onnx_node *n, const char *name, float v);
void onnx_attr_ints(onnx_node *n, const char *name, const int64_t *v, int count);
void onnx_attr_string(onnx_node *n, const char *name, const char *v);

/* One-output shorthands. */
const char *onnx_op1(onnx_graph *g, const char *op_type, const char *a);
const char *onnx_op2(onnx_graph *g, const char *op_type, const char *a, const char *b);
/* Reshape to dims (-1: inferred, as the batch is when dynamic). */
const char *onnx_reshape(onnx_graph *g, const char *x, const int64_t *dims, int rank);
const char *onnx_transpose(onnx_graph *g, const char *x, const int64_t *perm, int rank);
/* x[..., start:end:step, ...] along one axis. */
const char *onnx_slice(onnx_graph *g, const char *x, int axis, int64_t start, int64_t end, int64_t step);
const char *onnx_concat(onnx_graph *g, const char *const *in, int n, int axis);

/* Graph inputs and outputs: float32 (or elem_type) of the given dims; a
 * dim < 0 is the symbolic "batch". An output gets its own name through an
 * Identity node when the tensor has another. */
void onnx_graph_input(onnx_graph *g, const char *name, const int64_t *dims, int rank);
void onnx_graph_output(onnx_graph *g, const char *tensor, const char *name, int elem_type, const int64_t *dims,
                       int rank);
void onnx_graph_meta(onnx_graph *g, const char *key, const char *value);

/* Serialises the model (producer name and version, the graph named `name`)
 * to path through a temporary file and a rename. 0, or -1 with the error. */
int onnx_graph_save(onnx_graph *g, const char *name, const char *path);

#endif
