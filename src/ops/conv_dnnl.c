/* conv_dnnl.c: see conv_dnnl.h. Each pass is a "step": one oneDNN primitive
 * whose tensors are "ports" (the caller's plain array, and a copy in the
 * layout the primitive chose with a reorder between the two when they differ).
 * Primitives, descriptors and reorders are made once, in conv_dnnl_create. */
#include "conv_dnnl.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "threadpool.h"

enum { ALIGN = 64 };
#define OWN_BUFFER SIZE_MAX

/* A tensor as the caller holds it and as a primitive wants it. */
typedef struct {
    dnnl_memory_t user, inner;  /* inner == user when the layouts agree */
    dnnl_primitive_t reorder;   /* user -> inner for inputs, inner -> user (adding) for outputs */
    size_t offset;              /* inner's bytes in the workspace, or OWN_BUFFER */
} port;

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t scratch;      /* oneDNN's scratchpad, in the workspace */
    size_t scratch_offset, bytes;
} step;

struct conv_dnnl {
    int inference, weights_ready;
    dnnl_stream_t stream;
    step fwd, bwd_data, bwd_weights;
    port f_src, f_wei, f_dst, f_bias;
    port d_ddst, d_wei, d_dsrc;
    port w_src, w_ddst, w_dwei;
};

/* The plain layouts and the geometry, as oneDNN spells them. */
typedef struct {
    dnnl_memory_desc_t src, wei, dst, bias;          /* plain */
    dnnl_memory_desc_t any_src, any_wei, any_dst;    /* the primitive chooses */
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_descs;

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void engine_create(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

/* oneDNN's OpenMP threads as many as the pool's; only while the pool's
 * threads sleep (they wait on a condition), so the cores are not oversubscribed.
 * The count is per calling thread in OpenMP, hence set before each call. */
static void use_pool_threads(void) { omp_set_num_threads(threadpool_size()); }

int conv_dnnl_fuses(activation a)
{
    return a == ACT_LINEAR || a == ACT_RELU || a == ACT_LEAKY || a == ACT_LOGISTIC || a == ACT_TANH ||
           a == ACT_RELU6 || a == ACT_SWISH || a == ACT_MISH || a == ACT_GELU;
}

/* The post-op of an activation (activation_math.h's formulas): 0, or -1 for linear (none). */
static int eltwise_of(activation a, dnnl_alg_kind_t *alg, float *alpha, float *beta)
{
    *alpha = 0;
    *beta = 0;
    switch (a) {
    case ACT_RELU: *alg = dnnl_eltwise_relu; return 0;
    case ACT_LEAKY: *alg = dnnl_eltwise_relu; *alpha = 0.1f; return 0;
    case ACT_LOGISTIC: *alg = dnnl_eltwise_logistic; return 0;
    case ACT_TANH: *alg = dnnl_eltwise_tanh; return 0;
    case ACT_RELU6: *alg = dnnl_eltwise_clip; *beta = 6; return 0;
    case ACT_SWISH: *alg = dnnl_eltwise_swish; *alpha = 1; return 0;
    case ACT_MISH: *alg = dnnl_eltwise_mish; return 0;
    case ACT_GELU: *alg = dnnl_eltwise_gelu_erf; return 0;
    default: return -1;
    }
}

static void descs_init(conv_descs *c, const conv_dnnl_shape *s)
{
    const conv_geometry *g = &s->geo;
    int grouped = s->groups > 1;
    dnnl_dims_t src = {s->batch, (dnnl_dim_t)g->c * s->groups, g->h, g->w};
    dnnl_dims_t dst = {s->batch, s->filters, g->out_h, g->out_w};
    dnnl_dims_t wei = {s->filters, g->c, g->ksize_y, g->ksize_x}, gwei;
    dnnl_dims_t bias = {s->filters};
    if (grouped) {
        dnnl_dims_t t = {s->groups, s->filters / s->groups, g->c, g->ksize_y, g->ksize_x};
        for (int i = 0; i < 5; ++i) gwei[i] = t[i];
    }
    dnnl_memory_desc_init_by_tag(&c->src, 4, src, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&c->dst, 4, dst, dnnl_f32, dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&c->wei, grouped ? 5 : 4, grouped ? gwei : wei, dnnl_f32,
                                 grouped ? dnnl_goihw : dnnl_oihw);
    dnnl_memory_desc_init_by_tag(&c->bias, 1, bias, dnnl_f32, dnnl_a);
    dnnl_memory_desc_init_by_tag(&c->any_src, 4, src, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c->any_dst, 4, dst, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&c->any_wei, grouped ? 5 : 4, grouped ? gwei : wei, dnnl_f32,
                                 dnnl_format_tag_any);
    /* darknet pads pad_y/pad_x at the top/left; the bottom/right padding is
     * what the output size implies (smaller when the stride does not divide) */
    int span_y = (g->ksize_y - 1) * g->dilation + 1, span_x = (g->ksize_x - 1) * g->dilation + 1;
    dnnl_dims_t st = {g->stride_y, g->stride_x}, dl = {g->dilation - 1, g->dilation - 1};
    dnnl_dims_t pl = {g->pad_y, g->pad_x};
    dnnl_dims_t pr = {(dnnl_dim_t)(g->out_h - 1) * g->stride_y + span_y - g->h - g->pad_y,
                      (dnnl_dim_t)(g->out_w - 1) * g->stride_x + span_x - g->w - g->pad_x};
    for (int i = 0; i < 2; ++i) {
        c->strides[i] = st[i];
        c->dilates[i] = dl[i];
        c->pad_l[i] = pl[i];
        c->pad_r[i] = pr[i];
    }
}

/* A primitive descriptor with a user scratchpad and, for fused inference, the activation. */
static dnnl_status_t make_pd(dnnl_primitive_desc_t *pd, const dnnl_convolution_desc_t *cd, const conv_dnnl_shape *s,
                             const_dnnl_primitive_desc_t hint)
{
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t ops = NULL;
    dnnl_alg_kind_t alg;
    float alpha, beta;
    dnnl_status_t st = dnnl_primitive_attr_create(&attr);
    if (st != dnnl_success) return st;
    st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success && s->inference && eltwise_of(s->act, &alg, &alpha, &beta) == 0) {
        if ((st = dnnl_post_ops_create(&ops)) == dnnl_success &&
            (st = dnnl_post_ops_append_eltwise(ops, 1.0f, alg, alpha, beta)) == dnnl_success)
            st = dnnl_primitive_attr_set_post_ops(attr, ops);
        if (ops) dnnl_post_ops_destroy(ops);
    }
    if (st == dnnl_success) st = dnnl_primitive_desc_create(pd, cd, attr, engine, hint);
    dnnl_primitive_attr_destroy(attr);
    return st;
}

static size_t round_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

/* The reorder between a port's two memories; accumulate: the target is added to. */
static dnnl_status_t make_reorder(port *p, int is_output, int accumulate)
{
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd;
    const dnnl_memory_desc_t *user, *inner;
    dnnl_memory_get_memory_desc(p->user, &user);
    dnnl_memory_get_memory_desc(p->inner, &inner);
    dnnl_status_t st = dnnl_primitive_attr_create(&attr);
    if (st != dnnl_success) return st;
    if (accumulate && (st = dnnl_post_ops_create(&ops)) == dnnl_success &&
        (st = dnnl_post_ops_append_sum(ops, 1.0f)) == dnnl_success)
        st = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (ops) dnnl_post_ops_destroy(ops);
    if (st == dnnl_success)
        st = is_output ? dnnl_reorder_primitive_desc_create(&pd, inner, engine, user, engine, attr)
                       : dnnl_reorder_primitive_desc_create(&pd, user, engine, inner, engine, attr);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return st;
    st = dnnl_primitive_create(&p->reorder, pd);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

enum { INPUT = 0, OUTPUT = 1, ADDED_OUTPUT = 2, CACHED_INPUT = 3 };

/* A port for the primitive's tensor `what`; its copy (if any) takes the next
 * bytes of the step's workspace at *offset, or its own buffer (CACHED_INPUT). */
static dnnl_status_t port_init(port *p, const dnnl_memory_desc_t *user_md, const_dnnl_primitive_desc_t pd,
                               dnnl_query_t what, int kind, size_t *offset)
{
    const dnnl_memory_desc_t *inner_md = dnnl_primitive_desc_query_md(pd, what, 0);
    dnnl_status_t st = dnnl_memory_create(&p->user, user_md, engine, DNNL_MEMORY_NONE);
    if (st != dnnl_success || !inner_md) return st != dnnl_success ? st : dnnl_runtime_error;
    if (kind != ADDED_OUTPUT && dnnl_memory_desc_equal(user_md, inner_md)) {
        p->inner = p->user;
        return dnnl_success;
    }
    p->offset = kind == CACHED_INPUT ? OWN_BUFFER : *offset;
    if (kind != CACHED_INPUT) *offset += round_up(dnnl_memory_desc_get_size(inner_md));
    st = dnnl_memory_create(&p->inner, inner_md, engine, kind == CACHED_INPUT ? DNNL_MEMORY_ALLOCATE : DNNL_MEMORY_NONE);
    if (st != dnnl_success) return st;
    return make_reorder(p, kind != INPUT && kind != CACHED_INPUT, kind == ADDED_OUTPUT);
}

static void port_free(port *p)
{
    if (p->reorder) dnnl_primitive_destroy(p->reorder);
    if (p->inner && p->inner != p->user) dnnl_memory_destroy(p->inner);
    if (p->user) dnnl_memory_destroy(p->user);
}

/* The step's primitive and its scratchpad, placed after the ports' copies. */
static dnnl_status_t step_init(step *s, const_dnnl_primitive_desc_t pd, size_t offset)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    dnnl_status_t st = dnnl_primitive_create(&s->prim, pd);
    if (st == dnnl_success && md) st = dnnl_memory_create(&s->scratch, md, engine, DNNL_MEMORY_NONE);
    s->scratch_offset = offset;
    s->bytes = offset + (md ? round_up(dnnl_memory_desc_get_size(md)) : 0);
    return st;
}

static void step_free(step *s)
{
    if (s->prim) dnnl_primitive_destroy(s->prim);
    if (s->scratch) dnnl_memory_destroy(s->scratch);
}

static dnnl_status_t forward_init(conv_dnnl *d, const conv_dnnl_shape *s, const conv_descs *c,
                                  dnnl_primitive_desc_t *pd)
{
    dnnl_convolution_desc_t cd;
    size_t off = 0;
    dnnl_status_t st = dnnl_dilated_convolution_forward_desc_init(
        &cd, s->inference ? dnnl_forward_inference : dnnl_forward_training, dnnl_convolution_direct, &c->any_src,
        &c->any_wei, s->inference ? &c->bias : NULL, &c->any_dst, c->strides, c->dilates, c->pad_l, c->pad_r);
    if (st == dnnl_success) st = make_pd(pd, &cd, s, NULL);
    if (st != dnnl_success) return st;
    if ((st = port_init(&d->f_src, &c->src, *pd, dnnl_query_src_md, INPUT, &off)) ||
        (st = port_init(&d->f_wei, &c->wei, *pd, dnnl_query_weights_md, s->inference ? CACHED_INPUT : INPUT, &off)) ||
        (st = port_init(&d->f_dst, &c->dst, *pd, dnnl_query_dst_md, OUTPUT, &off)))
        return st;
    /* the bias stays plain (its descriptor was given, not chosen) */
    if (s->inference && (st = dnnl_memory_create(&d->f_bias.user, &c->bias, engine, DNNL_MEMORY_NONE))) return st;
    d->f_bias.inner = d->f_bias.user;
    return step_init(&d->fwd, *pd, off);
}

static dnnl_status_t backward_data_init(conv_dnnl *d, const conv_dnnl_shape *s, const conv_descs *c,
                                        const_dnnl_primitive_desc_t hint)
{
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;
    size_t off = 0;
    dnnl_status_t st = dnnl_dilated_convolution_backward_data_desc_init(
        &cd, dnnl_convolution_direct, &c->any_src, &c->any_wei, &c->any_dst, c->strides, c->dilates, c->pad_l,
        c->pad_r);
    if (st == dnnl_success) st = make_pd(&pd, &cd, s, hint);
    if (st != dnnl_success) return st;
    if (!(st = port_init(&d->d_ddst, &c->dst, pd, dnnl_query_diff_dst_md, INPUT, &off)) &&
        !(st = port_init(&d->d_wei, &c->wei, pd, dnnl_query_weights_md, INPUT, &off)) &&
        !(st = port_init(&d->d_dsrc, &c->src, pd, dnnl_query_diff_src_md, ADDED_OUTPUT, &off)))
        st = step_init(&d->bwd_data, pd, off);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

static dnnl_status_t backward_weights_init(conv_dnnl *d, const conv_dnnl_shape *s, const conv_descs *c,
                                           const_dnnl_primitive_desc_t hint)
{
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t pd;
    size_t off = 0;
    dnnl_status_t st = dnnl_dilated_convolution_backward_weights_desc_init(
        &cd, dnnl_convolution_direct, &c->any_src, &c->any_wei, NULL, &c->any_dst, c->strides, c->dilates,
        c->pad_l, c->pad_r);
    if (st == dnnl_success) st = make_pd(&pd, &cd, s, hint);
    if (st != dnnl_success) return st;
    if (!(st = port_init(&d->w_src, &c->src, pd, dnnl_query_src_md, INPUT, &off)) &&
        !(st = port_init(&d->w_ddst, &c->dst, pd, dnnl_query_diff_dst_md, INPUT, &off)) &&
        !(st = port_init(&d->w_dwei, &c->wei, pd, dnnl_query_diff_weights_md, ADDED_OUTPUT, &off)))
        st = step_init(&d->bwd_weights, pd, off);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

conv_dnnl *conv_dnnl_create(const conv_dnnl_shape *s, char *why, size_t why_size)
{
    pthread_once(&engine_once, engine_create);
    conv_dnnl *d = calloc(1, sizeof *d);
    dnnl_primitive_desc_t fwd = NULL;
    conv_descs c;
    descs_init(&c, s);
    dnnl_status_t st = !engine ? dnnl_runtime_error : !d ? dnnl_out_of_memory : dnnl_success;
    if (st == dnnl_success) st = dnnl_stream_create(&d->stream, engine, dnnl_stream_default_flags);
    if (st == dnnl_success) st = forward_init(d, s, &c, &fwd);
    if (st == dnnl_success && !s->inference) st = backward_data_init(d, s, &c, fwd);
    if (st == dnnl_success && !s->inference) st = backward_weights_init(d, s, &c, fwd);
    if (fwd) dnnl_primitive_desc_destroy(fwd);
    if (st == dnnl_success) {
        d->inference = s->inference;
        return d;
    }
    snprintf(why, why_size, "oneDNN has no convolution for this shape (%s)", dnnl_status2str(st));
    conv_dnnl_free(d);
    return NULL;
}

void conv_dnnl_free(conv_dnnl *d)
{
    if (!d) return;
    port *ports[] = {&d->f_src, &d->f_wei, &d->f_dst, &d->f_bias, &d->d_ddst, &d->d_wei,
                     &d->d_dsrc, &d->w_src, &d->w_ddst, &d->w_dwei};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; ++i) port_free(ports[i]);
    step_free(&d->fwd);
    step_free(&d->bwd_data);
    step_free(&d->bwd_weights);
    if (d->stream) dnnl_stream_destroy(d->stream);
    free(d);
}

size_t conv_dnnl_workspace(const conv_dnnl *d)
{
    size_t bytes = d->fwd.bytes;
    if (d->bwd_data.bytes > bytes) bytes = d->bwd_data.bytes;
    if (d->bwd_weights.bytes > bytes) bytes = d->bwd_weights.bytes;
    return bytes ? (bytes + ALIGN) / sizeof(float) : 0;
}

void conv_dnnl_weights_changed(conv_dnnl *d) { d->weights_ready = 0; }

static char *aligned(float *workspace) { return (char *)(((uintptr_t)workspace + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1)); }

/* Points the port at the caller's array (and its copy at its workspace bytes). */
static void port_bind(port *p, const float *user, char *ws)
{
    dnnl_memory_set_data_handle(p->user, (void *)user);
    if (p->inner != p->user && p->offset != OWN_BUFFER) dnnl_memory_set_data_handle(p->inner, ws + p->offset);
}

/* Runs the port's reorder, if it has one: inputs before the step, outputs after. */
static dnnl_status_t port_reorder(const port *p, dnnl_stream_t stream, int is_output)
{
    if (!p->reorder) return dnnl_success;
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, is_output ? p->inner : p->user},
                              {DNNL_ARG_TO, is_output ? p->user : p->inner}};
    return dnnl_primitive_execute(p->reorder, stream, 2, args);
}

static dnnl_status_t step_run(const step *s, dnnl_stream_t stream, dnnl_exec_arg_t *args, int n, char *ws)
{
    if (s->scratch) {
        dnnl_memory_set_data_handle(s->scratch, ws + s->scratch_offset);
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, s->scratch};
    }
    return dnnl_primitive_execute(s->prim, stream, n, args);
}

int conv_dnnl_forward(conv_dnnl *d, const float *x, const float *w, const float *bias, float *y, float *workspace)
{
    char *ws = aligned(workspace);
    use_pool_threads();
    port_bind(&d->f_src, x, ws);
    port_bind(&d->f_wei, w, ws);
    port_bind(&d->f_dst, y, ws);
    dnnl_status_t st = port_reorder(&d->f_src, d->stream, 0);
    if (st == dnnl_success && !d->weights_ready) st = port_reorder(&d->f_wei, d->stream, 0);
    d->weights_ready = d->inference && st == dnnl_success;
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, d->f_src.inner}, {DNNL_ARG_WEIGHTS, d->f_wei.inner},
                               {DNNL_ARG_DST, d->f_dst.inner}};
    int n = 3;
    if (d->inference) {
        port_bind(&d->f_bias, bias, ws);
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, d->f_bias.inner};
    }
    if (st == dnnl_success) st = step_run(&d->fwd, d->stream, args, n, ws);
    if (st == dnnl_success) st = port_reorder(&d->f_dst, d->stream, 1);
    if (st == dnnl_success) st = dnnl_stream_wait(d->stream);
    return st == dnnl_success ? 0 : -1;
}

static dnnl_status_t backward_data(conv_dnnl *d, const float *w, const float *dy, float *in_delta, char *ws)
{
    port_bind(&d->d_ddst, dy, ws);
    port_bind(&d->d_wei, w, ws);
    port_bind(&d->d_dsrc, in_delta, ws);
    dnnl_status_t st = port_reorder(&d->d_ddst, d->stream, 0);
    if (st == dnnl_success) st = port_reorder(&d->d_wei, d->stream, 0);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, d->d_ddst.inner}, {DNNL_ARG_WEIGHTS, d->d_wei.inner},
                               {DNNL_ARG_DIFF_SRC, d->d_dsrc.inner}};
    if (st == dnnl_success) st = step_run(&d->bwd_data, d->stream, args, 3, ws);
    if (st == dnnl_success) st = port_reorder(&d->d_dsrc, d->stream, 1);
    return st;
}

static dnnl_status_t backward_weights(conv_dnnl *d, const float *x, const float *dy, float *w_grad, char *ws)
{
    port_bind(&d->w_src, x, ws);
    port_bind(&d->w_ddst, dy, ws);
    port_bind(&d->w_dwei, w_grad, ws);
    dnnl_status_t st = port_reorder(&d->w_src, d->stream, 0);
    if (st == dnnl_success) st = port_reorder(&d->w_ddst, d->stream, 0);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, d->w_src.inner}, {DNNL_ARG_DIFF_DST, d->w_ddst.inner},
                               {DNNL_ARG_DIFF_WEIGHTS, d->w_dwei.inner}};
    if (st == dnnl_success) st = step_run(&d->bwd_weights, d->stream, args, 3, ws);
    if (st == dnnl_success) st = port_reorder(&d->w_dwei, d->stream, 1);
    return st;
}

int conv_dnnl_backward(conv_dnnl *d, const float *x, const float *w, const float *out_delta, float *w_grad,
                       float *in_delta, float *workspace)
{
    if (d->inference) return -1;
    char *ws = aligned(workspace);
    use_pool_threads();
    dnnl_status_t st = backward_weights(d, x, out_delta, w_grad, ws);
    if (st == dnnl_success && in_delta) st = backward_data(d, w, out_delta, in_delta, ws);
    if (st == dnnl_success) st = dnnl_stream_wait(d->stream);
    return st == dnnl_success ? 0 : -1;
}
