/* layer.c: helpers every layer file uses, and the public layer accessors. */
#include "layer.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "network.h"

static float *own(layer *l, int n)
{
    if (l->n_owned == (int)(sizeof l->owned / sizeof l->owned[0])) {
        dn_error("layer %d: too many tensors", l->index);
        return NULL;
    }
    float *x = dn_calloc((size_t)n, sizeof(float));
    if (x) l->owned[l->n_owned++] = x;
    return x;
}

float *layer_add_param(layer *l, const network *net, int n, int decay)
{
    if (l->n_params == (int)(sizeof l->params / sizeof l->params[0])) {
        dn_error("layer %d: too many parameter tensors", l->index);
        return NULL;
    }
    int moments = net->trainable && net->adam;
    float *val = own(l, n);
    float *grad = net->trainable ? own(l, n) : NULL;
    float *m = moments ? own(l, n) : NULL, *v = moments ? own(l, n) : NULL;
    if (!val || (net->trainable && !grad) || (moments && (!m || !v))) return NULL;
    l->params[l->n_params++] = (param){.val = val, .grad = grad, .n = n, .decay = decay, .m = m, .v = v};
    return val;
}

float *layer_add_buffer(layer *l, int n) { return own(l, n); }

void layer_store(layer *l, float *val, int n)
{
    if (l->n_stored == (int)(sizeof l->stored / sizeof l->stored[0])) {
        dn_error("layer %d: too many stored tensors", l->index);
        return;
    }
    l->stored[l->n_stored] = val;
    l->stored_n[l->n_stored] = n;
    l->n_stored++;
}

int resolve_layer_index(const layer *l, cfg_section *s, const char *key, int ref)
{
    int idx = ref < 0 ? l->index + ref : ref;
    if (idx < 0 || idx >= l->index) {
        cfg_fail(s, key, "layer %d refers to layer %d, which %s", l->index, idx,
                 idx < 0 ? "does not exist" : "is not before it");
        return -1;
    }
    return idx;
}

int layer_check_type(const layer *l, const layer_ops *ops)
{
    if (l->ops == ops) return 0;
    return dn_error("layer %d is a [%s], not a [%s]", l->index, l->ops->name, ops->name);
}

const char *layer_type_name(const layer *l) { return l->ops->name; }
float *layer_output(const layer *l) { return l->output; }
float *layer_delta(const layer *l) { return l->delta; }
int layer_outputs(const layer *l) { return l->outputs; }
float layer_cost(const layer *l) { return l->cost; }
double layer_forward_ms(const layer *l) { return l->forward_ms; }
double layer_backward_ms(const layer *l) { return l->backward_ms; }
double layer_flops(const layer *l) { return l->flops; }
float layer_step_loss(const layer *l) { return l->step_loss; }
int layer_losses(const layer *l, const char **names, float *values, int max)
{
    if (l->ops->named_losses) return l->ops->named_losses(l, names, values, max);
    if (max < 1) return 0;
    names[0] = l->ops->name;
    values[0] = l->step_loss;
    return 1;
}

int layer_is_loss(const layer *l) { return l->truths > 0 || l->step_loss != 0; }

int network_losses(const network *net, const char **names, float *values, int max)
{
    if (net->replicas == 1 || !net->n_step_losses) return network_losses_local(net, names, values, max);
    int n = net->n_step_losses < max ? net->n_step_losses : max;
    for (int k = 0; k < n; ++k) {
        names[k] = net->step_names[k];
        values[k] = net->step_values[k];
    }
    return n;
}

int network_losses_local(const network *net, const char **names, float *values, int max)
{
    int count = 0;
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        if (!layer_is_loss(l)) continue;
        const char *ln[8];
        float lv[8];
        int n = layer_losses(l, ln, lv, 8);
        for (int k = 0; k < n && k < 8; ++k) {
            int j = 0;
            while (j < count && strcmp(names[j], ln[k]) != 0) ++j;
            if (j == count) {      /* a new name; dropped when there is no room */
                if (count == max) continue;
                names[count] = ln[k];
                values[count++] = 0;
            }
            values[j] += lv[k];
        }
    }
    return count;
}

void layer_shape(const layer *l, int *w, int *h, int *c)
{
    if (w) *w = l->out_w;
    if (h) *h = l->out_h;
    if (c) *c = l->out_c;
}
