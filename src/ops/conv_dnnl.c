/* conv_dnnl.c: see conv_dnnl.h. A convolution is cut into "parts" (channel
 * ranges, one per pool thread); each pass of a part is a "step": one oneDNN
 * primitive whose tensors are "ports" (a strided view of the caller's plain
 * array, and a copy in the layout the primitive chose, with a reorder between
 * the two when they differ). All of it is made once, in conv_dnnl_create. */
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

/* What one part covers: channels of the input (c), of the output (f), the
 * groups (g) of a grouped convolution, and images (n). */
typedef struct {
    int c0, c1, f0, f1, g0, g1, n0, n1;
} part_range;

/* One piece of the convolution, run single-threaded on one thread of the
 * pool: the weight gradient over a range of output channels (out), forward
 * (fwd_range) and the input gradient (in) over images when there are enough of
 * them, else over output and input channels. */
typedef struct {
    part_range fwd_range, out, in;
    size_t base;                /* its bytes in the workspace start here */
    dnnl_stream_t stream;
    step fwd, bwd_data, bwd_weights;
    port f_src, f_wei, f_dst, f_bias;
    port d_ddst, d_wei, d_dsrc;
    port w_src, w_ddst, w_dwei;
} part;

enum { MAX_PARTS = 64 };

struct conv_dnnl {
    conv_dnnl_shape shape;
    int weights_ready, n_parts;
    size_t bytes;               /* workspace of all parts */
    part parts[MAX_PARTS];
};

/* A part's tensors as oneDNN spells them: plain (strided views of the
 * caller's whole tensors) and "any" (the primitive chooses), and the geometry. */
typedef struct {
    dnnl_memory_desc_t src, wei, dst, bias;
    dnnl_memory_desc_t any_src, any_wei, any_dst;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_descs;

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void engine_create(void)
{
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

/* oneDNN runs single-threaded on each part and the pool splits the work (as
 * gemm.c does with OpenBLAS): Debian's oneDNN runs on OpenMP, whose threads
 * spin after each call and fought the pool's threads for the cores (ResNet-18
 * forward 2-6x slower on a loaded 2-core machine). The count is per calling
 * thread in OpenMP, so every thread that runs a part sets it. */
static void one_thread(void) { omp_set_num_threads(1); }

static size_t max3(size_t a, size_t b, size_t c)
{
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* The post-op of an activation, for the ones oneDNN 2.6 computes exactly as
 * activation_math.h does (leaky: relu with slope 0.1, relu6: clip to [0, 6]);
 * 0, or -1 for none. oneDNN also has logistic, tanh, swish, mish and gelu_erf
 * with our formulas, but evaluates exp/tanh/erf by its own vector
 * approximations (within ~4e-9 of ours): a frozen teacher would then no longer
 * give bit for bit what a trainable copy of it gives (a distiller's "identical
 * maps, zero gradient"), so those run after the convolution, ours. */
static int eltwise_of(activation a, dnnl_alg_kind_t *alg, float *alpha, float *beta)
{
    *alpha = 0;
    *beta = 0;
    switch (a) {
    case ACT_RELU: *alg = dnnl_eltwise_relu; return 0;
    case ACT_LEAKY: *alg = dnnl_eltwise_relu; *alpha = 0.1f; return 0;
    case ACT_RELU6: *alg = dnnl_eltwise_clip; *beta = 6; return 0;
    default: return -1;
    }
}

int conv_dnnl_fuses(activation a)
{
    dnnl_alg_kind_t alg;
    float alpha, beta;
    return a == ACT_LINEAR || eltwise_of(a, &alg, &alpha, &beta) == 0;
}

static void dims_set(dnnl_dims_t d, int n, const dnnl_dim_t *v)
{
    for (int i = 0; i < n; ++i) d[i] = v[i];
}

/* A view of `images` images' channels [c0, c1) of a plain [batch][channels][h][w] tensor. */
static void channels_view(dnnl_memory_desc_t *plain, dnnl_memory_desc_t *any, int images, int channels, int c0,
                          int c1, int h, int w)
{
    dnnl_dims_t dims = {images, c1 - c0, h, w}, strides = {(dnnl_dim_t)channels * h * w, (dnnl_dim_t)h * w, w, 1};
    dnnl_memory_desc_init_by_strides(plain, 4, dims, dnnl_f32, strides);
    dnnl_memory_desc_init_by_tag(any, 4, dims, dnnl_f32, dnnl_format_tag_any);
}

/* The weights of the range: filters [f0, f1) x channels [c0, c1), or groups [g0, g1). */
static void weights_view(conv_descs *c, const conv_dnnl_shape *s, const part_range *r)
{
    const conv_geometry *g = &s->geo;
    dnnl_dim_t kk = (dnnl_dim_t)g->ksize_y * g->ksize_x, cg = g->c, fg = s->filters / s->groups;
    dnnl_dims_t dims, strides;
    int nd = s->groups > 1 ? 5 : 4;
    if (nd == 5) {
        dims_set(dims, 5, (dnnl_dim_t[]){r->g1 - r->g0, fg, cg, g->ksize_y, g->ksize_x});
        dims_set(strides, 5, (dnnl_dim_t[]){fg * cg * kk, cg * kk, kk, g->ksize_x, 1});
    } else {
        dims_set(dims, 4, (dnnl_dim_t[]){r->f1 - r->f0, r->c1 - r->c0, g->ksize_y, g->ksize_x});
        dims_set(strides, 4, (dnnl_dim_t[]){cg * kk, kk, g->ksize_x, 1});
    }
    dnnl_memory_desc_init_by_strides(&c->wei, nd, dims, dnnl_f32, strides);
    dnnl_memory_desc_init_by_tag(&c->any_wei, nd, dims, dnnl_f32, dnnl_format_tag_any);
}

static void descs_init(conv_descs *c, const conv_dnnl_shape *s, const part_range *r)
{
    const conv_geometry *g = &s->geo;
    channels_view(&c->src, &c->any_src, r->n1 - r->n0, g->c * s->groups, r->c0, r->c1, g->h, g->w);
    channels_view(&c->dst, &c->any_dst, r->n1 - r->n0, s->filters, r->f0, r->f1, g->out_h, g->out_w);
    weights_view(c, s, r);
    dnnl_dims_t bias = {r->f1 - r->f0};
    dnnl_memory_desc_init_by_tag(&c->bias, 1, bias, dnnl_f32, dnnl_a);
    /* darknet pads pad_y/pad_x at the top/left; the bottom/right padding is
     * what the output size implies (smaller when the stride does not divide) */
    int span_y = (g->ksize_y - 1) * g->dilation + 1, span_x = (g->ksize_x - 1) * g->dilation + 1;
    dims_set(c->strides, 2, (dnnl_dim_t[]){g->stride_y, g->stride_x});
    dims_set(c->dilates, 2, (dnnl_dim_t[]){g->dilation - 1, g->dilation - 1});
    dims_set(c->pad_l, 2, (dnnl_dim_t[]){g->pad_y, g->pad_x});
    dims_set(c->pad_r, 2, (dnnl_dim_t[]){(dnnl_dim_t)(g->out_h - 1) * g->stride_y + span_y - g->h - g->pad_y,
                                         (dnnl_dim_t)(g->out_w - 1) * g->stride_x + span_x - g->w - g->pad_x});
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
    if (st == dnnl_success) st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success)
        st = is_output ? dnnl_reorder_primitive_desc_create(&pd, inner, engine, user, engine, attr)
                       : dnnl_reorder_primitive_desc_create(&pd, user, engine, inner, engine, attr);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return st;
    /* parts run concurrently: no reorder may use oneDNN's shared library scratchpad (the f32
     * reorders here need none; one that did would leave the shape to gemm) */
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    st = scratch && dnnl_memory_desc_get_size(scratch) ? dnnl_unimplemented : dnnl_primitive_create(&p->reorder, pd);
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

/* A convolution descriptor of the part's range; kind: 0 forward, 1 backward data, 2 backward weights. */
static dnnl_status_t conv_desc(dnnl_convolution_desc_t *cd, const conv_descs *c, int kind, int inference)
{
    if (kind == 1)
        return dnnl_dilated_convolution_backward_data_desc_init(cd, dnnl_convolution_direct, &c->any_src, &c->any_wei,
                                                                &c->any_dst, c->strides, c->dilates, c->pad_l,
                                                                c->pad_r);
    if (kind == 2)
        return dnnl_dilated_convolution_backward_weights_desc_init(cd, dnnl_convolution_direct, &c->any_src,
                                                                   &c->any_wei, NULL, &c->any_dst, c->strides,
                                                                   c->dilates, c->pad_l, c->pad_r);
    return dnnl_dilated_convolution_forward_desc_init(
        cd, inference ? dnnl_forward_inference : dnnl_forward_training, dnnl_convolution_direct, &c->any_src,
        &c->any_wei, inference ? &c->bias : NULL, &c->any_dst, c->strides, c->dilates, c->pad_l, c->pad_r);
}

/* The primitive descriptor of a pass over the range; a backward one is
 * hinted by the forward one of the same range. */
static dnnl_status_t pass_pd(dnnl_primitive_desc_t *pd, const conv_dnnl_shape *s, const conv_descs *c, int kind)
{
    dnnl_convolution_desc_t cd;
    dnnl_primitive_desc_t hint = NULL;
    dnnl_status_t st = kind ? pass_pd(&hint, s, c, 0) : dnnl_success;
    if (st == dnnl_success) st = conv_desc(&cd, c, kind, s->inference);
    if (st == dnnl_success) st = make_pd(pd, &cd, s, hint);
    if (hint) dnnl_primitive_desc_destroy(hint);
    return st;
}

static dnnl_status_t forward_init(part *p, const conv_dnnl_shape *s)
{
    conv_descs c;
    dnnl_primitive_desc_t pd;
    size_t off = 0;
    descs_init(&c, s, &p->fwd_range);
    dnnl_status_t st = pass_pd(&pd, s, &c, 0);
    if (st != dnnl_success) return st;
    if (!(st = port_init(&p->f_src, &c.src, pd, dnnl_query_src_md, INPUT, &off)) &&
        !(st = port_init(&p->f_wei, &c.wei, pd, dnnl_query_weights_md, s->inference ? CACHED_INPUT : INPUT, &off)) &&
        !(st = port_init(&p->f_dst, &c.dst, pd, dnnl_query_dst_md, OUTPUT, &off)) &&
        /* the bias stays plain (its descriptor was given, not chosen) */
        !(st = s->inference ? dnnl_memory_create(&p->f_bias.user, &c.bias, engine, DNNL_MEMORY_NONE) : dnnl_success))
        st = step_init(&p->fwd, pd, off);
    p->f_bias.inner = p->f_bias.user;
    dnnl_primitive_desc_destroy(pd);
    return st;
}

static dnnl_status_t backward_data_init(part *p, const conv_dnnl_shape *s)
{
    conv_descs c;
    dnnl_primitive_desc_t pd;
    size_t off = 0;
    descs_init(&c, s, &p->in);
    dnnl_status_t st = pass_pd(&pd, s, &c, 1);
    if (st != dnnl_success) return st;
    if (!(st = port_init(&p->d_ddst, &c.dst, pd, dnnl_query_diff_dst_md, INPUT, &off)) &&
        !(st = port_init(&p->d_wei, &c.wei, pd, dnnl_query_weights_md, INPUT, &off)) &&
        !(st = port_init(&p->d_dsrc, &c.src, pd, dnnl_query_diff_src_md, ADDED_OUTPUT, &off)))
        st = step_init(&p->bwd_data, pd, off);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

static dnnl_status_t backward_weights_init(part *p, const conv_dnnl_shape *s)
{
    conv_descs c;
    dnnl_primitive_desc_t pd;
    size_t off = 0;
    descs_init(&c, s, &p->out);
    dnnl_status_t st = pass_pd(&pd, s, &c, 2);
    if (st != dnnl_success) return st;
    if (!(st = port_init(&p->w_src, &c.src, pd, dnnl_query_src_md, INPUT, &off)) &&
        !(st = port_init(&p->w_ddst, &c.dst, pd, dnnl_query_diff_dst_md, INPUT, &off)) &&
        !(st = port_init(&p->w_dwei, &c.wei, pd, dnnl_query_diff_weights_md, ADDED_OUTPUT, &off)))
        st = step_init(&p->bwd_weights, pd, off);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

/* Boundary p of n nearly equal pieces of len, on multiples of align (oneDNN's
 * AVX2 kernels block channels by 8). */
static int split(int len, int n, int p, int align)
{
    return p >= n ? len : (int)((long)len * p / n) / align * align;
}

enum { BY_INPUT, BY_OUTPUT, BY_IMAGES };

/* Part p of n: over images, output channels or input channels; grouped
 * convolutions are cut between groups. */
static part_range range_of(const conv_dnnl_shape *s, int by, int p, int n)
{
    int cg = s->geo.c, fg = s->filters / s->groups;
    part_range r = {0, cg * s->groups, 0, s->filters, 0, s->groups, 0, s->batch};
    if (by == BY_IMAGES) {
        r.n0 = split(s->batch, n, p, 1);
        r.n1 = split(s->batch, n, p + 1, 1);
    } else if (s->groups > 1) {
        r.g0 = split(s->groups, n, p, 1);
        r.g1 = split(s->groups, n, p + 1, 1);
        r = (part_range){r.g0 * cg, r.g1 * cg, r.g0 * fg, r.g1 * fg, r.g0, r.g1, 0, s->batch};
    } else if (by == BY_OUTPUT) {
        r.f0 = split(s->filters, n, p, 8);
        r.f1 = split(s->filters, n, p + 1, 8);
    } else {
        r.c0 = split(r.c1, n, p, 8);
        r.c1 = split(r.c1, n, p + 1, 8);
    }
    return r;
}

/* Forward and the input gradient are cut by images when each thread gets as
 * many (whole kernels over all channels, no input reordered twice), else by
 * channels; the weight gradient always by output channels (parts cut by
 * images would add into the same weights). */
static int images_or(const conv_dnnl_shape *s, int by_channels)
{
    return s->batch % threadpool_size() == 0 ? BY_IMAGES : by_channels;
}

/* How many parts a pass is cut into: one per pool thread, when each gets an
 * image, at least 8 channels or a group, and the convolution is worth handing
 * out (s->min_cut_flops). */
static int parts_for(const conv_dnnl_shape *s, int by)
{
    const conv_geometry *g = &s->geo;
    double flops = 2.0 * s->batch * s->filters * g->c * g->ksize_y * g->ksize_x * g->out_h * g->out_w;
    int units = by == BY_IMAGES ? s->batch : s->groups > 1 ? s->groups : (by == BY_OUTPUT ? s->filters : g->c) / 8;
    int n = threadpool_size() < units ? threadpool_size() : units;
    return flops < s->min_cut_flops || n < 1 ? 1 : n > MAX_PARTS ? MAX_PARTS : n;
}

static dnnl_status_t part_init(part *p, const conv_dnnl_shape *s, int has_fwd, int has_out, int has_in)
{
    dnnl_status_t st = dnnl_stream_create(&p->stream, engine, dnnl_stream_default_flags);
    if (st == dnnl_success && has_fwd) st = forward_init(p, s);
    if (st == dnnl_success && has_out && !s->inference) st = backward_weights_init(p, s);
    if (st == dnnl_success && has_in && !s->inference) st = backward_data_init(p, s);
    return st;
}

conv_dnnl *conv_dnnl_create(const conv_dnnl_shape *s, char *why, size_t why_size)
{
    pthread_once(&engine_once, engine_create);
    one_thread();   /* the implementations plan their work for the thread count at creation */
    conv_dnnl *d = calloc(1, sizeof *d);
    dnnl_status_t st = !engine ? dnnl_runtime_error : !d ? dnnl_out_of_memory : dnnl_success;
    int fwd_by = images_or(s, BY_OUTPUT), in_by = images_or(s, BY_INPUT);
    int n_fwd = parts_for(s, fwd_by), n_out = s->inference ? 0 : parts_for(s, BY_OUTPUT);
    int n_in = s->inference ? 0 : parts_for(s, in_by);
    int n_parts = n_fwd > n_out ? n_fwd : n_out;
    for (int i = 0; st == dnnl_success && i < (n_parts > n_in ? n_parts : n_in); ++i) {
        part *p = &d->parts[d->n_parts++];
        p->fwd_range = range_of(s, fwd_by, i, n_fwd);
        p->out = range_of(s, BY_OUTPUT, i, n_out);
        p->in = range_of(s, in_by, i, n_in);
        st = part_init(p, s, i < n_fwd, i < n_out, i < n_in);
        p->base = d->bytes;
        d->bytes += max3(p->fwd.bytes, p->bwd_data.bytes, p->bwd_weights.bytes);
    }
    if (st == dnnl_success) {
        d->shape = *s;
        return d;
    }
    snprintf(why, why_size, "oneDNN has no convolution for this shape (%s)", dnnl_status2str(st));
    conv_dnnl_free(d);
    return NULL;
}

static void part_free(part *p)
{
    port *ports[] = {&p->f_src, &p->f_wei, &p->f_dst, &p->f_bias, &p->d_ddst, &p->d_wei,
                     &p->d_dsrc, &p->w_src, &p->w_ddst, &p->w_dwei};
    for (size_t i = 0; i < sizeof ports / sizeof ports[0]; ++i) port_free(ports[i]);
    step_free(&p->fwd);
    step_free(&p->bwd_data);
    step_free(&p->bwd_weights);
    if (p->stream) dnnl_stream_destroy(p->stream);
}

void conv_dnnl_free(conv_dnnl *d)
{
    if (!d) return;
    for (int i = 0; i < d->n_parts; ++i) part_free(&d->parts[i]);
    free(d);
}

size_t conv_dnnl_workspace(const conv_dnnl *d) { return d->bytes ? (d->bytes + ALIGN) / sizeof(float) : 0; }

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

/* Where a range starts in the caller's tensors, in floats. */
static size_t src_at(const conv_dnnl_shape *s, const part_range *r)
{
    return ((size_t)r->n0 * s->geo.c * s->groups + r->c0) * s->geo.h * s->geo.w;
}
static size_t dst_at(const conv_dnnl_shape *s, const part_range *r)
{
    return ((size_t)r->n0 * s->filters + r->f0) * s->geo.out_h * s->geo.out_w;
}
static size_t weights_at(const conv_dnnl_shape *s, const part_range *r)
{
    size_t kk = (size_t)s->geo.ksize_y * s->geo.ksize_x;
    return s->groups > 1 ? (size_t)r->f0 * s->geo.c * kk : ((size_t)r->f0 * s->geo.c + r->c0) * kk;
}

/* The tensors of one call, shared by its parts. */
typedef struct {
    conv_dnnl *d;
    const float *x, *w, *bias, *dy;
    float *y, *w_grad, *in_delta;
    char *ws;
    dnnl_status_t status[MAX_PARTS];
} call;

static dnnl_status_t part_forward(const call *c, part *p, char *ws)
{
    const conv_dnnl_shape *s = &c->d->shape;
    port_bind(&p->f_src, c->x + src_at(s, &p->fwd_range), ws);
    port_bind(&p->f_wei, c->w + weights_at(s, &p->fwd_range), ws);
    port_bind(&p->f_dst, c->y + dst_at(s, &p->fwd_range), ws);
    dnnl_status_t st = port_reorder(&p->f_src, p->stream, 0);
    if (st == dnnl_success && !c->d->weights_ready) st = port_reorder(&p->f_wei, p->stream, 0);
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, p->f_src.inner}, {DNNL_ARG_WEIGHTS, p->f_wei.inner},
                               {DNNL_ARG_DST, p->f_dst.inner}};
    int n = 3;
    if (s->inference) {
        port_bind(&p->f_bias, c->bias + p->fwd_range.f0, ws);
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, p->f_bias.inner};
    }
    if (st == dnnl_success) st = step_run(&p->fwd, p->stream, args, n, ws);
    if (st == dnnl_success) st = port_reorder(&p->f_dst, p->stream, 1);
    return st;
}

static dnnl_status_t part_backward_data(const call *c, part *p, char *ws)
{
    const conv_dnnl_shape *s = &c->d->shape;
    port_bind(&p->d_ddst, c->dy + dst_at(s, &p->in), ws);
    port_bind(&p->d_wei, c->w + weights_at(s, &p->in), ws);
    port_bind(&p->d_dsrc, c->in_delta + src_at(s, &p->in), ws);
    dnnl_status_t st = port_reorder(&p->d_ddst, p->stream, 0);
    if (st == dnnl_success) st = port_reorder(&p->d_wei, p->stream, 0);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, p->d_ddst.inner}, {DNNL_ARG_WEIGHTS, p->d_wei.inner},
                               {DNNL_ARG_DIFF_SRC, p->d_dsrc.inner}};
    if (st == dnnl_success) st = step_run(&p->bwd_data, p->stream, args, 3, ws);
    if (st == dnnl_success) st = port_reorder(&p->d_dsrc, p->stream, 1);
    return st;
}

static dnnl_status_t part_backward_weights(const call *c, part *p, char *ws)
{
    const conv_dnnl_shape *s = &c->d->shape;
    port_bind(&p->w_src, c->x + src_at(s, &p->out), ws);
    port_bind(&p->w_ddst, c->dy + dst_at(s, &p->out), ws);
    port_bind(&p->w_dwei, c->w_grad + weights_at(s, &p->out), ws);
    dnnl_status_t st = port_reorder(&p->w_src, p->stream, 0);
    if (st == dnnl_success) st = port_reorder(&p->w_ddst, p->stream, 0);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, p->w_src.inner}, {DNNL_ARG_DIFF_DST, p->w_ddst.inner},
                               {DNNL_ARG_DIFF_WEIGHTS, p->w_dwei.inner}};
    if (st == dnnl_success) st = step_run(&p->bwd_weights, p->stream, args, 3, ws);
    if (st == dnnl_success) st = port_reorder(&p->w_dwei, p->stream, 1);
    return st;
}

/* Pool tasks: each part single-threaded in oneDNN, on its own workspace bytes. */
static void forward_parts(void *ctx, int p0, int p1)
{
    call *c = ctx;
    one_thread();
    for (int i = p0; i < p1; ++i) {
        part *p = &c->d->parts[i];
        c->status[i] = p->fwd.prim ? part_forward(c, p, c->ws + p->base) : dnnl_success;
    }
}

static void backward_parts(void *ctx, int p0, int p1)
{
    call *c = ctx;
    one_thread();
    for (int i = p0; i < p1; ++i) {
        part *p = &c->d->parts[i];
        dnnl_status_t st = p->bwd_weights.prim ? part_backward_weights(c, p, c->ws + p->base) : dnnl_success;
        if (st == dnnl_success && c->in_delta && p->bwd_data.prim)
            st = part_backward_data(c, p, c->ws + p->base);
        c->status[i] = st;
    }
}

static int run_parts(call *c, parallel_fn fn)
{
    parallel_for(c->d->n_parts, 1, fn, c);
    for (int i = 0; i < c->d->n_parts; ++i)
        if (c->status[i] != dnnl_success || dnnl_stream_wait(c->d->parts[i].stream) != dnnl_success) return -1;
    return 0;
}

int conv_dnnl_forward(conv_dnnl *d, const float *x, const float *w, const float *bias, float *y, float *workspace)
{
    call c = {d, x, w, bias, NULL, y, NULL, NULL, aligned(workspace), {0}};
    int r = run_parts(&c, forward_parts);
    d->weights_ready = d->shape.inference && r == 0;
    return r;
}

int conv_dnnl_backward(conv_dnnl *d, const float *x, const float *w, const float *out_delta, float *w_grad,
                       float *in_delta, float *workspace)
{
    if (d->shape.inference) return -1;
    call c = {d, x, w, NULL, out_delta, NULL, w_grad, in_delta, aligned(workspace), {0}};
    return run_parts(&c, backward_parts);
}
