/* erf.c: effective receptive fields (see erf.h): input gradients of a feature
 * map's centre position, averaged over images, and their area fractions. */
#include "erf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "image.h"
#include "network.h"

const float erf_levels[ERF_N_LEVELS] = {0.2f, 0.3f, 0.5f, 0.99f};

int erf_default_layer(network *net)
{
    for (int i = net->n - 1; i >= 0; --i) {
        const layer *l = &net->layers[i];
        if (l->out_w * l->out_h > 1 && l->ops->backward && !layer_is_loss(l)) return i;
    }
    return -1;
}

int erf_check_layer(network *net, int target)
{
    if (target < 0 || target >= net->n)
        return dn_error("layer %d is out of range: %s has %d layers (0..%d)", target, net->cfg_path, net->n,
                        net->n - 1);
    const layer *l = &net->layers[target];
    if (!l->delta) return dn_error("layer %d: the network was built for inference only (no gradients)", target);
    if (layer_is_loss(l))
        return dn_error("layer %d ([%s]) is a loss layer; name the feature map it reads", target, l->ops->name);
    if (!l->ops->backward) return dn_error("layer %d ([%s]) has no backward pass", target, l->ops->name);
    return 0;
}

int erf_add_batch(network *net, int target, const float *input, int n, erf_grad mode, double *sum)
{
    if (erf_check_layer(net, target)) return -1;
    if (n < 1 || n > net->batch) return dn_error("erf: %d images for a batch of %d", n, net->batch);
    float *grad = dn_calloc((size_t)net->batch * net->inputs, sizeof(float));
    if (!grad) return -1;
    int failed_before = dn_has_error(), train = net->train;
    float *input_grad = net->input_grad;
    const float *truth = net->truth;
    net->train = 0;    /* batch norm with rolling statistics: images stay independent */
    net->truth = NULL;
    forward_network_to(net, input, target);
    /* only the seed below drives the backward (a loss at or before L may have written deltas) */
    for (int i = 0; i <= target; ++i)
        memset(net->layers[i].delta, 0, (size_t)net->layers[i].batch * net->layers[i].outputs * sizeof(float));
    layer *l = &net->layers[target];
    size_t plane = (size_t)l->out_w * l->out_h, centre = (size_t)(l->out_h / 2) * l->out_w + l->out_w / 2;
    for (int b = 0; b < n; ++b)
        for (int c = 0; c < l->out_c; ++c) {
            size_t i = (size_t)b * l->outputs + c * plane + centre;
            /* d/d out of relu(out), with delta = minus the gradient of -objective */
            if (l->output[i] > 0) l->delta[i] = 1;
        }
    net->input_grad = grad;
    backward_network_from(net, input, target);
    net->input_grad = input_grad;
    net->train = train;
    net->truth = truth;
    size_t wh = (size_t)net->w * net->h;
    for (int b = 0; b < n; ++b)
        for (int c = 0; c < net->c; ++c) {
            const float *g = grad + (size_t)b * net->inputs + c * wh;
            for (size_t p = 0; p < wh; ++p) sum[p] += mode == ERF_GRAD_RELU ? fmaxf(g[p], 0) : fabsf(g[p]);
        }
    free(grad);
    return !failed_before && dn_has_error() ? -1 : 0; /* a layer's threads may have failed */
}

/* Loads and letterboxes one image into dst (network_inputs floats); 0, or -1
 * (error recorded) when it cannot be used. */
static int load_input(const network *net, const char *path, float *dst)
{
    image *im = load_image_hint(path, net->w, net->h, 1, NULL, NULL);
    if (!im) return -1;
    int rc = -1;
    if (im->c != net->c) {
        dn_error("%s: %d channels, the network takes %d", path, im->c, net->c);
    } else {
        image *sized = letterbox_image(im, net->w, net->h, NULL);
        if (sized) {
            memcpy(dst, sized->data, sizeof(float) * net->inputs);
            rc = 0;
        }
        free_image(sized);
    }
    free_image(im);
    return rc;
}

int erf_from_files(network *net, int target, char *const *paths, int n, erf_grad mode, float *out, int *used,
                   erf_progress_fn progress, void *ctx)
{
    if (used) *used = 0;
    if (erf_check_layer(net, target)) return -1;
    size_t wh = (size_t)net->w * net->h;
    double *sum = dn_calloc(wh, sizeof(double));
    float *batch = dn_calloc((size_t)net->batch * net->inputs, sizeof(float));
    int rc = (sum && batch) ? 0 : -1, count = 0, filled = 0;
    for (int i = 0; i < n && !rc; ++i) {
        if (load_input(net, paths[i], batch + (size_t)filled * net->inputs) == 0) {
            ++filled;
        } else {
            dn_warn("erf: skipping %s: %s", paths[i], dn_last_error());
            dn_clear_error();
        }
        if (filled && (filled == net->batch || i == n - 1)) {
            rc = erf_add_batch(net, target, batch, filled, mode, sum);
            count += filled;
            filled = 0;
        }
        if (progress) progress(ctx, i + 1, n);
    }
    if (!rc && count == 0) rc = dn_error("erf: none of the %d images could be used", n);
    if (!rc)
        for (size_t p = 0; p < wh; ++p) out[p] = (float)(sum[p] / count);
    if (used) *used = rc ? 0 : count;
    free(sum);
    free(batch);
    return rc;
}

void erf_log_scale(float *map, int n)
{
    float max = 0;
    for (int i = 0; i < n; ++i) {
        map[i] = log10f(1 + map[i]);
        if (map[i] > max) max = map[i];
    }
    if (max > 0)
        for (int i = 0; i < n; ++i) map[i] /= max;
}

static int descending(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

int erf_area_fractions(const float *map, int n, const float *t, int nt, float *out)
{
    if (n < 1) return dn_error("erf_area_fractions: empty map");
    float *v = dn_calloc(n, sizeof(float));
    if (!v) return -1;
    memcpy(v, map, sizeof(float) * n);
    qsort(v, n, sizeof(float), descending);
    double total = 0;
    for (int i = 0; i < n; ++i) total += v[i];
    for (int k = 0; k < nt; ++k) {
        if (total <= 0) {
            out[k] = 0;
            continue;
        }
        /* the tolerance keeps t*total, rounded up (0.2f > 0.2), from costing one value more */
        double want = t[k] * total * (1 - 1e-6), cum = 0;
        int i = 0;
        while (i < n && cum < want) cum += v[i++];
        out[k] = (float)i / n;
    }
    free(v);
    return 0;
}
