/* onnx_graph.c: the model as protoc-c's structs of onnx.proto; every piece is
 * allocated in the builder's arena and freed with it. */
#include "onnx_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <onnx.pb-c.h>

#include "atomic_file.h"
#include "errors.h"

typedef struct {
    void **v;
    size_t n, cap;
} ptr_list;

struct onnx_node {
    onnx_graph *g;
    Onnx__NodeProto *p;
};

struct onnx_graph {
    int opset, failed, counter;
    char scope[64];
    ptr_list arena;                       /* every allocation, freed at the end */
    ptr_list nodes, inits, inputs, outputs, meta;
};

static int list_push(onnx_graph *g, ptr_list *l, void *p)
{
    if (!p) return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        void **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            g->failed = 1;
            return -1;
        }
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = p;
    return 0;
}

/* Zeroed memory owned by the graph (NULL and the graph marked failed when out of memory). */
static void *arena(onnx_graph *g, size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p || list_push(g, &g->arena, p)) {
        free(p);
        g->failed = 1;
        return NULL;
    }
    return p;
}

static char *arena_str(onnx_graph *g, const char *s)
{
    char *c = arena(g, strlen(s) + 1);
    if (c) strcpy(c, s);
    return c;
}

static char *fresh_name(onnx_graph *g, const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return arena_str(g, buf);
}

onnx_graph *onnx_graph_new(int opset)
{
    onnx_graph *g = dn_calloc(1, sizeof *g);
    if (g) g->opset = opset;
    return g;
}

void onnx_graph_free(onnx_graph *g)
{
    if (!g) return;
    for (size_t i = 0; i < g->arena.n; ++i) free(g->arena.v[i]);
    ptr_list *lists[] = {&g->arena, &g->nodes, &g->inits, &g->inputs, &g->outputs, &g->meta};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; ++i) free(lists[i]->v);
    free(g);
}

int onnx_graph_failed(const onnx_graph *g) { return g->failed; }

void onnx_graph_set_scope(onnx_graph *g, const char *scope) { snprintf(g->scope, sizeof g->scope, "%s", scope); }

/* ---- constants ---- */

static const char *add_tensor(onnx_graph *g, int type, const void *data, size_t bytes, const int64_t *dims, int rank)
{
    Onnx__TensorProto *t = arena(g, sizeof *t);
    int64_t *d = arena(g, sizeof(int64_t) * (rank ? rank : 1));
    uint8_t *raw = arena(g, bytes);
    char *name = fresh_name(g, "c%d", g->counter++);
    if (!t || !d || !raw || !name) return "";
    onnx__tensor_proto__init(t);
    if (rank) memcpy(d, dims, sizeof(int64_t) * rank);   /* a scalar has no dims */
    memcpy(raw, data, bytes);   /* little-endian, as ONNX's raw_data is */
    t->n_dims = rank, t->dims = d;
    t->has_data_type = 1, t->data_type = type;
    t->has_raw_data = 1, t->raw_data.data = raw, t->raw_data.len = bytes;
    t->name = name;
    list_push(g, &g->inits, t);
    return name;
}

const char *onnx_floats(onnx_graph *g, const float *v, const int64_t *dims, int rank)
{
    size_t n = 1;
    for (int i = 0; i < rank; ++i) n *= (size_t)dims[i];
    return add_tensor(g, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, v, n * sizeof(float), dims, rank);
}

const char *onnx_ints(onnx_graph *g, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return add_tensor(g, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, v, (size_t)n * sizeof(int64_t), dims, 1);
}

const char *onnx_scalar(onnx_graph *g, float v) { return onnx_floats(g, &v, NULL, 0); }

/* ---- nodes ---- */

onnx_node *onnx_node_add(onnx_graph *g, const char *op_type, const char *const *in, int n_in, int n_out)
{
    static onnx_node failed_node;   /* attributes on it go nowhere; the graph is marked failed */
    onnx_node *n = arena(g, sizeof *n);
    Onnx__NodeProto *p = arena(g, sizeof *p);
    char **ins = arena(g, sizeof(char *) * (n_in ? n_in : 1)), **outs = arena(g, sizeof(char *) * n_out);
    if (!n || !p || !ins || !outs) return &failed_node;
    onnx__node_proto__init(p);
    for (int i = 0; i < n_in; ++i) ins[i] = arena_str(g, in[i] ? in[i] : "");
    for (int i = 0; i < n_out; ++i) outs[i] = fresh_name(g, "t%d", g->counter++);
    p->n_input = n_in, p->input = ins;
    p->n_output = n_out, p->output = outs;
    p->op_type = arena_str(g, op_type);
    p->name = fresh_name(g, "%s/%s_%d", g->scope, op_type, g->counter++);
    n->g = g, n->p = p;
    list_push(g, &g->nodes, p);
    return n;
}

const char *onnx_out(const onnx_node *n, int i)
{
    return n->p && n->p->output[i] ? n->p->output[i] : "";
}

static Onnx__AttributeProto *add_attr(onnx_node *n, const char *name, int type)
{
    if (!n->p) return NULL;
    onnx_graph *g = n->g;
    Onnx__AttributeProto *a = arena(g, sizeof *a);
    Onnx__AttributeProto **all = arena(g, sizeof *all * (n->p->n_attribute + 1));
    if (!a || !all) return NULL;
    onnx__attribute_proto__init(a);
    a->name = arena_str(g, name);
    a->has_type = 1, a->type = type;
    if (n->p->n_attribute) memcpy(all, n->p->attribute, sizeof *all * n->p->n_attribute);
    all[n->p->n_attribute++] = a;
    n->p->attribute = all;   /* the old array stays in the arena */
    return a;
}

void onnx_attr_int(onnx_node *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) a->has_i = 1, a->i = v;
}

void onnx_attr_float(onnx_node *n, const char *name, float v)
{
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) a->has_f = 1, a->f = v;
}

void onnx_attr_ints(onnx_node *n, const char *name, const int64_t *v, int count)
{
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *copy = a ? arena(n->g, sizeof(int64_t) * count) : NULL;
    if (!copy) return;
    memcpy(copy, v, sizeof(int64_t) * count);
    a->n_ints = count, a->ints = copy;
}

void onnx_attr_string(onnx_node *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    char *s = a ? arena_str(n->g, v) : NULL;
    if (s) a->has_s = 1, a->s.data = (uint8_t *)s, a->s.len = strlen(s);
}

const char *onnx_op1(onnx_graph *g, const char *op_type, const char *a)
{
    return onnx_out(onnx_node_add(g, op_type, &a, 1, 1), 0);
}

const char *onnx_op2(onnx_graph *g, const char *op_type, const char *a, const char *b)
{
    const char *in[2] = {a, b};
    return onnx_out(onnx_node_add(g, op_type, in, 2, 1), 0);
}

const char *onnx_reshape(onnx_graph *g, const char *x, const int64_t *dims, int rank)
{
    return onnx_op2(g, "Reshape", x, onnx_ints(g, dims, rank));
}

const char *onnx_transpose(onnx_graph *g, const char *x, const int64_t *perm, int rank)
{
    onnx_node *n = onnx_node_add(g, "Transpose", &x, 1, 1);
    onnx_attr_ints(n, "perm", perm, rank);
    return onnx_out(n, 0);
}

const char *onnx_slice(onnx_graph *g, const char *x, int axis, int64_t start, int64_t end, int64_t step)
{
    int64_t ax = axis;
    const char *in[5] = {x, onnx_ints(g, &start, 1), onnx_ints(g, &end, 1), onnx_ints(g, &ax, 1),
                         onnx_ints(g, &step, 1)};
    return onnx_out(onnx_node_add(g, "Slice", in, 5, 1), 0);
}

const char *onnx_concat(onnx_graph *g, const char *const *in, int n, int axis)
{
    if (n == 1) return in[0];
    onnx_node *c = onnx_node_add(g, "Concat", in, n, 1);
    onnx_attr_int(c, "axis", axis);
    return onnx_out(c, 0);
}

/* ---- inputs, outputs, metadata ---- */

static Onnx__ValueInfoProto *value_info(onnx_graph *g, const char *name, int elem_type, const int64_t *dims, int rank)
{
    Onnx__ValueInfoProto *v = arena(g, sizeof *v);
    Onnx__TypeProto *t = arena(g, sizeof *t);
    Onnx__TypeProto__Tensor *tt = arena(g, sizeof *tt);
    Onnx__TensorShapeProto *shape = arena(g, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **d = arena(g, sizeof *d * (rank ? rank : 1));
    if (!v || !t || !tt || !shape || !d) return NULL;
    for (int i = 0; i < rank; ++i) {
        if (!(d[i] = arena(g, sizeof *d[i]))) return NULL;
        onnx__tensor_shape_proto__dimension__init(d[i]);
        if (dims[i] >= 0) {
            d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d[i]->dim_value = dims[i];
        } else {
            d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d[i]->dim_param = arena_str(g, dims[i] == -1 ? "batch" : "count");
        }
    }
    onnx__tensor_shape_proto__init(shape);
    shape->n_dim = rank, shape->dim = d;
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = elem_type, tt->shape = shape;
    onnx__type_proto__init(t);
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, t->tensor_type = tt;
    onnx__value_info_proto__init(v);
    v->name = arena_str(g, name), v->type = t;
    return v;
}

void onnx_graph_input(onnx_graph *g, const char *name, const int64_t *dims, int rank)
{
    list_push(g, &g->inputs, value_info(g, name, ONNX_FLOAT, dims, rank));
}

void onnx_graph_output(onnx_graph *g, const char *tensor, const char *name, int elem_type, const int64_t *dims,
                       int rank)
{
    onnx_node *n = onnx_node_add(g, "Identity", &tensor, 1, 1);
    if (n->p) n->p->output[0] = arena_str(g, name);
    list_push(g, &g->outputs, value_info(g, name, elem_type, dims, rank));
}

void onnx_graph_meta(onnx_graph *g, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = arena(g, sizeof *e);
    if (!e) return;
    onnx__string_string_entry_proto__init(e);
    e->key = arena_str(g, key), e->value = arena_str(g, value);
    list_push(g, &g->meta, e);
}

/* ---- saving ---- */

static int listed(const ptr_list *names, const char *name)
{
    for (size_t i = 0; i < names->n; ++i)
        if (!strcmp(names->v[i], name)) return 1;
    return 0;
}

static int any_listed(const ptr_list *names, char **v, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (listed(names, v[i])) return 1;
    return 0;
}

/* Drops the nodes and constants no output depends on (a layer's output that
 * no later layer reads, e.g. a [yolo] layer's own): one pass from the last
 * node back, as the nodes are in topological order. */
static void prune(onnx_graph *g)
{
    ptr_list needed = {0};
    for (size_t i = 0; i < g->outputs.n; ++i) list_push(g, &needed, ((Onnx__ValueInfoProto *)g->outputs.v[i])->name);
    size_t kept = g->nodes.n;
    for (size_t i = g->nodes.n; i-- > 0;) {
        Onnx__NodeProto *n = g->nodes.v[i];
        if (!any_listed(&needed, n->output, n->n_output)) continue;
        for (size_t k = 0; k < n->n_input; ++k) list_push(g, &needed, n->input[k]);
        g->nodes.v[--kept] = n;
    }
    memmove(g->nodes.v, g->nodes.v + kept, sizeof(void *) * (g->nodes.n - kept));
    g->nodes.n -= kept;
    size_t inits = 0;
    for (size_t i = 0; i < g->inits.n; ++i)
        if (listed(&needed, ((Onnx__TensorProto *)g->inits.v[i])->name)) g->inits.v[inits++] = g->inits.v[i];
    g->inits.n = inits;
    free(needed.v);
}

static void fill_model(onnx_graph *g, const char *name, Onnx__ModelProto *m, Onnx__GraphProto *gp,
                       Onnx__OperatorSetIdProto *op, Onnx__OperatorSetIdProto **ops)
{
    onnx__graph_proto__init(gp);
    gp->name = (char *)name;
    gp->n_node = g->nodes.n, gp->node = (Onnx__NodeProto **)g->nodes.v;
    gp->n_initializer = g->inits.n, gp->initializer = (Onnx__TensorProto **)g->inits.v;
    gp->n_input = g->inputs.n, gp->input = (Onnx__ValueInfoProto **)g->inputs.v;
    gp->n_output = g->outputs.n, gp->output = (Onnx__ValueInfoProto **)g->outputs.v;
    onnx__operator_set_id_proto__init(op);
    op->domain = "";
    op->has_version = 1, op->version = g->opset;
    ops[0] = op;
    onnx__model_proto__init(m);
    m->has_ir_version = 1, m->ir_version = ONNX__VERSION__IR_VERSION;   /* 8: that of onnx.proto 1.12 */
    m->producer_name = "darknet";
    m->producer_version = "1";
    m->n_opset_import = 1, m->opset_import = ops;
    m->graph = gp;
    m->n_metadata_props = g->meta.n, m->metadata_props = (Onnx__StringStringEntryProto **)g->meta.v;
}

int onnx_graph_save(onnx_graph *g, const char *name, const char *path)
{
    prune(g);
    if (g->failed) return dn_error("out of memory while building the ONNX graph for %s", path);
    Onnx__ModelProto m;
    Onnx__GraphProto gp;
    Onnx__OperatorSetIdProto op, *ops[1];
    fill_model(g, name, &m, &gp, &op, ops);
    size_t size = onnx__model_proto__get_packed_size(&m);
    if (size >= ((size_t)2 << 30))   /* protobuf's limit, which ONNX readers keep; no external data yet */
        return dn_error("the model is %zu MB, over the 2 GB a single ONNX file can hold", size >> 20);
    uint8_t *buf = dn_calloc(size ? size : 1, 1);
    if (!buf) return -1;
    onnx__model_proto__pack(&m, buf);
    int rc = write_file_atomic(path, buf, size);
    free(buf);
    return rc;
}
