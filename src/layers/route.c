/* [route]: concatenates the outputs of the layers in `layers=` along channels
 * (negative indices are relative to this layer). AlexeyAB's groups/group_id take
 * channel slice group_id of `groups` equal slices from each input (yolov4-tiny's
 * CSP split). The output shape comes from the referenced layers, not from the
 * previous one. Backward adds each delta slice into its source layer's delta. */
#include <stdio.h>
#include <stdlib.h>

#include "blas.h"
#include "errors.h"
#include "layer_desc.h"
#include "network.h"
#ifdef DN_GPU
#include "spatial_gpu.h"
#endif

typedef struct {
    int n;
    int *layers;    /* absolute indices */
    int groups, group_id;
} route_state;

/* GPU stream keys of AlexeyAB's darknet: scheduling only. */

/* Sets the output shape from the sources. On a mismatch writes a message and
 * returns the cfg key it concerns; NULL when fine. */
static const char *route_shape(layer *l, const network *net, char *msg, size_t size)
{
    const route_state *s = l->priv;
    const layer *first = &net->layers[s->layers[0]];
    int c = 0;
    for (int i = 0; i < s->n; ++i) {
        const layer *src = &net->layers[s->layers[i]];
        if (src->out_w != first->out_w || src->out_h != first->out_h) {
            snprintf(msg, size, "layer %d is %d x %d x %d but layer %d is %d x %d x %d: "
                     "all inputs of a route need the same width and height",
                     s->layers[0], first->out_w, first->out_h, first->out_c, s->layers[i], src->out_w,
                     src->out_h, src->out_c);
            return "layers";
        }
        if (src->out_c % s->groups) {
            snprintf(msg, size, "layer %d has %d channels, not divisible by groups=%d", s->layers[i],
                     src->out_c, s->groups);
            return "groups";
        }
        c += src->out_c / s->groups;
    }
    l->out_w = first->out_w;
    l->out_h = first->out_h;
    l->out_c = c;
    return NULL;
}

static int route_parse(layer *l, cfg_section *sec, network *net)
{
    route_state *s = dn_calloc(1, sizeof *s);
    if (!s) return -1;
    l->priv = s;
    s->n = cfg_int_list(sec, "layers", &s->layers);
    if (s->n < 0) return -1;
    if (s->n == 0) return cfg_fail(sec, "layers", "is required (a comma-separated list of layer indices)");
    for (int i = 0; i < s->n; ++i)
        if ((s->layers[i] = resolve_layer_index(l, sec, "layers", s->layers[i])) < 0) return -1;
    s->groups = cfg_int_range(sec, "groups", 1, 1, 1 << 20);
    s->group_id = cfg_int_range(sec, "group_id", 0, 0, s->groups - 1);
    if (cfg_failed(sec)) return -1;
    char msg[256];
    const char *key = route_shape(l, net, msg, sizeof msg);
    if (key) return cfg_fail(sec, key, "%s", msg);
    return 0;
}

static int route_setup(layer *l, network *net)
{
    char msg[256];
    if (route_shape(l, net, msg, sizeof msg)) return dn_error("%s", msg);
    l->workspace = 0;
    l->flops = 0;
    return 0;
}

static void route_forward(layer *l, network *net)
{
    const route_state *s = l->priv;
    size_t offset = 0;
    for (int i = 0; i < s->n; ++i) {
        const layer *src = &net->layers[s->layers[i]];
        size_t part = (size_t)src->outputs / s->groups;
        for (int b = 0; b < l->batch; ++b)
            copy(src->output + (size_t)b * src->outputs + s->group_id * part,
                 l->output + (size_t)b * l->outputs + offset, part);
        offset += part;
    }
}

static void route_backward(layer *l, network *net)
{
    const route_state *s = l->priv;
    if (!l->delta) return; /* inference-only network */
    size_t offset = 0;
    for (int i = 0; i < s->n; ++i) {
        layer *src = &net->layers[s->layers[i]];
        size_t part = (size_t)src->outputs / s->groups;
        if (src->delta)
            for (int b = 0; b < l->batch; ++b)
                axpy(part, 1, l->delta + (size_t)b * l->outputs + offset,
                     src->delta + (size_t)b * src->outputs + s->group_id * part);
        offset += part;
    }
}

static void route_free(layer *l)
{
    route_state *s = l->priv;
    if (!s) return;
    free(s->layers);
    free(s);
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static void route_gpu_forward(layer *l, network *net)
{
    const route_state *s = l->priv;
    int offset = 0;
    for (int i = 0; i < s->n; ++i) {
        const layer *src = &net->layers[s->layers[i]];
        int part = src->outputs / s->groups;
        route_forward_gpu(net->gpu, l->batch, src->output_gpu, src->outputs, s->group_id * part, part, l->output_gpu,
                          l->outputs, offset);
        offset += part;
    }
}

static void route_gpu_backward(layer *l, network *net)
{
    const route_state *s = l->priv;
    if (!l->delta_gpu) return;
    int offset = 0;
    for (int i = 0; i < s->n; ++i) {
        layer *src = &net->layers[s->layers[i]];
        int part = src->outputs / s->groups;
        if (src->delta_gpu)
            route_backward_gpu(net->gpu, l->batch, src->delta_gpu, src->outputs, s->group_id * part, part,
                               l->delta_gpu, l->outputs, offset);
        offset += part;
    }
}
#endif

const layer_ops route_ops = {
    .name = "route",
    .parse = route_parse,
    .setup = route_setup,
    .forward = route_forward,
    .backward = route_backward,
    .free_priv = route_free,
#ifdef DN_GPU
    .forward_gpu = route_gpu_forward,
    .backward_gpu = route_gpu_backward,
#endif
};

/* ---- read-only description (layer_desc.h) ---- */
int route_describe(const layer *l, route_desc *out)
{
    if (layer_check_type(l, &route_ops)) return -1;
    const route_state *s = l->priv;
    *out = (route_desc){s->n, s->layers, s->groups, s->group_id};
    return 0;
}
