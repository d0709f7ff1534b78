/* network_gpu.c: a network on a GPU (network.h's device run loop): its device
 * buffers, the passes over the layers' device entry points, SGD on the device
 * and the explicit copies of weights and outputs between host and device.
 * Built in GPU builds only (core/gpu_none.c stands in otherwise). */
#include <string.h>
#include <time.h>

#include "blas_gpu.h"
#include "companion.h"
#include "errors.h"
#include "gpu.h"
#include "network.h"
#include "update_gpu.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Frees *p (n floats) and allocates n2 zeroed floats in its place. */
static int regrow(gpu_ctx *g, float **p, size_t *n, size_t n2)
{
    gpu_free(g, *p, *n);
    *n = 0;
    if (!(*p = gpu_alloc(g, n2))) return -1;
    *n = n2;
    return 0;
}

/* A device copy of host (when there is one), pushed. */
static int push_copy(gpu_ctx *g, float **device, const float *host, int n)
{
    if (!host) return 0;
    return !(*device = gpu_alloc(g, n)) || gpu_push(g, *device, host, n) ? -1 : 0;
}

/* Device copies of the stored tensors (pushed), and of each parameter's
 * gradient (the momentum buffer) and Adam's moments (pushed too); a parameter
 * is one of the stored tensors, whose device copy it shares. */
static int attach_stored(network *net, layer *l)
{
    gpu_ctx *g = net->gpu;
    for (int t = 0; t < l->n_stored; ++t)
        if (!(l->stored_gpu[t] = gpu_alloc(g, l->stored_n[t])) ||
            gpu_push(g, l->stored_gpu[t], l->stored[t], l->stored_n[t]))
            return -1;
    for (int p = 0; p < l->n_params; ++p) {
        param *q = &l->params[p];
        for (int t = 0; t < l->n_stored && !q->val_gpu; ++t)
            if (l->stored[t] == q->val && l->stored_n[t] == q->n) q->val_gpu = l->stored_gpu[t];
        if (!q->val_gpu)   /* the layer must make each stored tensor its own parameter */
            return dn_error("layer %d [%s]: a parameter that is not exactly one tensor of its weights file",
                            l->index, l->ops->name);
        if (push_copy(g, &q->grad_gpu, q->grad, q->n) || push_copy(g, &q->m_gpu, q->m, q->n) ||
            push_copy(g, &q->v_gpu, q->v, q->n))
            return -1;
    }
    return 0;
}

static void detach_layer(network *net, layer *l)
{
    gpu_ctx *g = net->gpu;
    if (l->ops->free_gpu) l->ops->free_gpu(l, net);
    size_t n = (size_t)l->gpu_outputs;
    gpu_free(g, l->output_gpu, n);
    gpu_free(g, l->delta_gpu, n);
    l->output_gpu = l->delta_gpu = NULL;
    l->gpu_outputs = 0;
    for (int p = 0; p < l->n_params; ++p) {
        param *q = &l->params[p];
        gpu_free(g, q->grad_gpu, q->n);
        gpu_free(g, q->m_gpu, q->n);
        gpu_free(g, q->v_gpu, q->n);
        q->val_gpu = q->grad_gpu = q->m_gpu = q->v_gpu = NULL;
    }
    for (int t = 0; t < l->n_stored; ++t) {
        gpu_free(g, l->stored_gpu[t], l->stored_n[t]);
        l->stored_gpu[t] = NULL;
    }
}

void network_gpu_free(network *net)
{
    gpu_ctx *g = net->gpu;
    if (!g) return;
    for (int i = 0; i < net->n; ++i) detach_layer(net, &net->layers[i]);
    gpu_free(g, net->gpu_workspace, net->gpu_workspace_size);
    gpu_free(g, net->gpu_input_buf, net->gpu_input_size);
    gpu_free(g, net->gpu_truth_buf, net->gpu_truth_size);
    net->gpu_workspace = net->gpu_input_buf = net->gpu_truth_buf = NULL;
    net->gpu_workspace_size = net->gpu_input_size = net->gpu_truth_size = 0;
    gpu_ctx_free(g);
    net->gpu = NULL;
}

/* Outputs and deltas for the current batch and input size, the shared
 * workspace, the input and truth buffers; then each type's own state. */
int network_gpu_setup(network *net)
{
    gpu_ctx *g = net->gpu;
    size_t ws = 0;
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        size_t n = (size_t)l->batch * l->outputs;
        if (n != l->gpu_outputs) {
            gpu_free(g, l->delta_gpu, l->gpu_outputs);
            l->delta_gpu = NULL;
            if (regrow(g, &l->output_gpu, &l->gpu_outputs, n)) return -1;
            if (net->trainable && !(l->delta_gpu = gpu_alloc(g, n))) return -1;
        }
        if (l->workspace > ws) ws = l->workspace;
    }
    if ((ws > net->gpu_workspace_size && regrow(g, &net->gpu_workspace, &net->gpu_workspace_size, ws)) ||
        regrow(g, &net->gpu_input_buf, &net->gpu_input_size, (size_t)net->batch * net->inputs) ||
        regrow(g, &net->gpu_truth_buf, &net->gpu_truth_size, (size_t)net->batch * net->truths))
        return -1;
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        if (l->ops->setup_gpu && l->ops->setup_gpu(l, net)) return -1;
    }
    return 0;
}

/* Every layer needs its device passes: a host round trip per layer would be
 * slower than the CPU, so a network runs wholly on the device or not at all. */
static int check_device_passes(const network *net)
{
    if (net->replicas > 1) return dn_error("training on GPUs over several processes is not written yet");
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        int needs_backward = net->trainable && l->ops->backward;
        if (!l->ops->forward_gpu || (needs_backward && !l->ops->backward_gpu))
            return dn_error("%s:%d: layer %d [%s] cannot run on a GPU yet (its device passes are not written; "
                            "-nogpu runs the network on the CPU)",
                            net->cfg_path, l->cfg_line, i, l->ops->name);
    }
    return 0;
}

int network_use_gpu(network *net, int device)
{
    if (net->gpu) return 0;
    if (check_device_passes(net) || !(net->gpu = gpu_ctx_create(device))) return -1;
    net->gpu_device = device;
    for (int i = 0; i < net->n; ++i)
        if (attach_stored(net, &net->layers[i])) goto fail;
    if (network_gpu_setup(net) || gpu_sync(net->gpu) || companions_use_gpu(net, device)) goto fail;
    return 0;
fail:
    network_gpu_free(net);
    return -1;
}

static int run_forward(network *net, const float *input, int last)
{
    gpu_ctx *g = net->gpu;
    if (gpu_push(g, net->gpu_input_buf, input, (size_t)net->batch * net->inputs)) return -1;
    net->gpu_truth = NULL;
    if (net->truth && net->truths) {
        if (gpu_push(g, net->gpu_truth_buf, net->truth, (size_t)net->batch * net->truths)) return -1;
        net->gpu_truth = net->gpu_truth_buf;
    }
    net->gpu_input = net->gpu_input_buf;
    net->gpu_input_delta = NULL;
    if (last >= net->n) last = net->n - 1;
    for (int i = 0; i <= last && !net->gpu_failed; ++i) {
        layer *l = &net->layers[i];
        if (l->delta_gpu) fill_gpu(g, l->delta_gpu, l->gpu_outputs, 0);
        l->cost = 0;
        double t0 = now_ms();   /* launch time only: the device runs on asynchronously */
        l->ops->forward_gpu(l, net);
        l->forward_ms = now_ms() - t0;
        net->gpu_input = l->output_gpu;
        net->gpu_input_delta = l->delta_gpu;
    }
    return net->gpu_failed ? -1 : 0;
}

int forward_network_gpu_on_device(network *net, const float *input, int last)
{
    return run_forward(net, input, last) || gpu_sync(net->gpu) ? -1 : 0;
}

int forward_network_gpu(network *net, const float *input, int last)
{
    if (run_forward(net, input, last)) return -1;
    /* the last layer's output on the host, as network_predict returns it */
    if (last >= net->n) last = net->n - 1;
    layer *out = &net->layers[last];
    return gpu_pull(net->gpu, out->output, out->output_gpu, out->gpu_outputs);
}

int backward_network_gpu(network *net, int last)
{
    if (last >= net->n) last = net->n - 1;
    for (int i = last; i >= 0 && !net->gpu_failed; --i) {
        layer *l = &net->layers[i];
        net->gpu_input = i ? net->layers[i - 1].output_gpu : net->gpu_input_buf;
        net->gpu_input_delta = i ? net->layers[i - 1].delta_gpu : NULL;
        double t0 = now_ms();
        if (l->ops->backward_gpu) l->ops->backward_gpu(l, net);
        l->backward_ms = now_ms() - t0;
    }
    return net->gpu_failed || gpu_sync(net->gpu) ? -1 : 0;
}

int update_network_gpu(network *net)
{
    optimizer_step s = network_optimizer_step(net);
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        for (int p = 0; p < l->n_params; ++p) {
            param *q = &l->params[p];
            param_update_gpu(net->gpu, q->n, &s, q->val_gpu, q->grad_gpu, q->m_gpu, q->v_gpu, q->decay);
        }
    }
    return gpu_sync(net->gpu);
}

int network_gpu_pull_weights(const network *net)
{
    for (int i = 0; i < net->n; ++i) {
        const layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored; ++t)
            if (gpu_pull(net->gpu, l->stored[t], l->stored_gpu[t], l->stored_n[t])) return -1;
    }
    return 0;
}

int network_gpu_push_weights(network *net)
{
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        for (int t = 0; t < l->n_stored; ++t)
            if (gpu_push(net->gpu, l->stored_gpu[t], l->stored[t], l->stored_n[t])) return -1;
    }
    return gpu_sync(net->gpu);
}
