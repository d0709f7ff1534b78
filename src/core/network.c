/* network.c: running a built network: forward, backward, update, the training
 * step, resizing, and the public accessors. */
#include "network.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "companion.h"
#include "gpu.h"
#include "dist.h"
#include "errors.h"
#include "grad_sync.h"

static void set_layer_input_shape(network *net, int i)
{
    layer *l = &net->layers[i];
    l->batch = net->batch;
    l->w = i ? net->layers[i - 1].out_w : net->w;
    l->h = i ? net->layers[i - 1].out_h : net->h;
    l->c = i ? net->layers[i - 1].out_c : net->c;
    l->inputs = l->w * l->h * l->c;
}

int network_setup_layers(network *net, int first)
{
    if (companions_resize(net)) return -1;
    for (int i = first; i < net->n; ++i) {
        layer *l = &net->layers[i];
        set_layer_input_shape(net, i);
        if (l->ops->setup(l, net)) return -1;
        if (l->out_w < 1 || l->out_h < 1 || l->out_c < 1)
            return dn_error("layer %d ([%s]) has an empty output (%d x %d x %d) for input %d x %d x %d",
                            i, l->ops->name, l->out_w, l->out_h, l->out_c, l->w, l->h, l->c);
        /* sizes are int; a batch of outputs must stay addressable by one */
        if ((int64_t)l->out_w * l->out_h * l->out_c * l->batch > INT_MAX)
            return dn_error("layer %d ([%s]): an output batch of %d x %d x %d x %d values is too large",
                            i, l->ops->name, l->batch, l->out_c, l->out_h, l->out_w);
        l->outputs = l->out_w * l->out_h * l->out_c;
        size_t n = (size_t)l->batch * l->outputs;
        float *out = dn_realloc(l->output, n, sizeof(float));
        if (!out) return -1;
        l->output = out;
        memset(l->output, 0, n * sizeof(float));
        if (net->trainable) {
            float *d = dn_realloc(l->delta, n, sizeof(float));
            if (!d) return -1;
            l->delta = d;
            memset(l->delta, 0, n * sizeof(float));
        }
        if (l->workspace > net->workspace_size) {
            float *ws = dn_realloc(net->workspace, l->workspace, sizeof(float));
            if (!ws) return -1;
            net->workspace = ws;
            net->workspace_size = l->workspace;
        }
    }
    return net->gpu ? network_gpu_setup(net) : 0;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void forward_network(network *net, const float *input) { forward_network_to(net, input, net->n - 1); }

void forward_network_to(network *net, const float *input, int last)
{
    /* companions (teachers) see exactly this batch, before any layer reads their maps */
    if (net->train) companions_before_forward(net, input);
    if (net->gpu) {
        if (forward_network_gpu(net, input, last)) net->gpu_failed = 1;
        return;
    }
    net->input = (float *)input; /* layers never write into their input */
    net->input_delta = NULL;
    for (int i = 0; i <= last && i < net->n; ++i) {
        layer *l = &net->layers[i];
        if (l->delta) memset(l->delta, 0, (size_t)l->batch * l->outputs * sizeof(float));
        l->cost = 0;
        double t0 = now_ms();
        l->ops->forward(l, net);
        l->forward_ms = now_ms() - t0;
        net->input = l->output;
        net->input_delta = l->delta;
    }
}

void backward_network(network *net, const float *input) { backward_network_from(net, input, net->n - 1); }

void backward_network_from(network *net, const float *input, int last)
{
    if (net->gpu) {
        if (backward_network_gpu(net, last)) net->gpu_failed = 1;
        return;
    }
    for (int i = last < net->n ? last : net->n - 1; i >= 0; --i) {
        layer *l = &net->layers[i];
        net->input = i ? net->layers[i - 1].output : (float *)input;
        net->input_delta = i ? net->layers[i - 1].delta : net->input_grad;
        double t0 = now_ms();
        if (l->ops->backward) l->ops->backward(l, net);
        l->backward_ms = now_ms() - t0;
        /* this layer's gradients of the step are final: their sum can start */
        if (net->last_pass && net->grad_sync && grad_sync_layer_done(net->grad_sync, i)) net->replica_failed = 1;
    }
}

/* One tensor's step: an element's decay, step and buffers read that element only. */
static void step_param(const optimizer_step *s, param *q)
{
    for (int i = 0; i < q->n; ++i) {
        float g = decayed_gradient(s, q->grad[i], q->val[i], q->decay);
        if (s->adam) {
            adam_value(s, &q->val[i], g, &q->m[i], &q->v[i]);
            q->grad[i] = 0;
        } else {
            q->grad[i] = sgd_value(s, &q->val[i], g);
        }
    }
}

/* The gradient buffers hold the negative gradient summed over the batch (and,
 * with replicas, over all of them by now). SGD keeps momentum times the update
 * in the buffer, which the next batch adds to, on rank 0 only, so that the
 * next step's sum counts it once. Adam keeps its moments apart, the same on
 * every rank, and clears the buffers. */
optimizer_step network_optimizer_step(const network *net)
{
    float batch = (float)net->batch * net->subdivisions * net->replicas;
    float lr = lr_at(&net->lr, net->iteration);
    double t = net->iteration > 1 ? net->iteration : 1;   /* counted already: the step being taken */
    optimizer_step s = {lr, -net->decay * batch, lr / batch, net->rank ? 0 : net->momentum, net->adam,
                        net->adam_b1, net->adam_b2, net->adam_eps,
                        (float)(1 / (1 - pow(net->adam_b1, t))), (float)(1 / (1 - pow(net->adam_b2, t)))};
    return s;
}

void update_network(network *net)
{
    if (net->gpu) {
        if (update_network_gpu(net)) net->gpu_failed = 1;
        return;
    }
    optimizer_step s = network_optimizer_step(net);
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        for (int p = 0; p < l->n_params; ++p) step_param(&s, &l->params[p]);
    }
}

int network_pass_images(const network *net) { return net->batch * net->replicas; }

int (*network_bn_sum(const network *net))(double *values, size_t n)
{
    return net->train && net->sync_bn && net->replicas > 1 ? dist_sum_doubles : NULL;
}

float network_bn_momentum(const network *net)
{
    float m = 1.0f / (1.0f + (float)(net->seen / (uint64_t)network_pass_images(net)));
    /* PyTorch's 0.1, not darknet's 0.01: with 0.01 the statistics trail the
     * weights by ~100 steps, and after a few hundred steps a classifier lost
     * a third of its held-out accuracy to stale statistics (0.87 -> 0.62). */
    return m > 0.1f ? m : 0.1f;
}

float network_cost(const network *net)
{
    float sum = 0;
    for (int i = 0; i < net->n; ++i) sum += net->layers[i].cost;
    return sum;
}

float *network_predict(network *net, float *input)
{
    net->train = 0;
    net->truth = NULL;
    forward_network(net, input);
    return net->layers[net->n - 1].output;
}

float train_network_step(network *net, const float *input, const float *truth)
{
    if (!net->trainable) {
        dn_error("network %s was built for inference only", net->cfg_path);
        return NAN;
    }
    float total = 0;
    size_t in_chunk = (size_t)net->batch * net->inputs;
    size_t truth_chunk = (size_t)net->batch * net->truths;
    int images = net->batch * net->subdivisions;   /* this replica's share of the step */
    net->train = 1;
    net->replica_failed = 0;
    net->gpu_failed = 0;
    for (int i = 0; i < net->n; ++i) net->layers[i].step_loss = 0;
    for (int s = 0; s < net->subdivisions; ++s) {
        const float *x = input + s * in_chunk;
        net->truth = truth ? truth + s * truth_chunk : NULL;
        net->last_pass = s == net->subdivisions - 1;
        forward_network(net, x);
        backward_network(net, x);
        for (int i = 0; i < net->n; ++i) net->layers[i].step_loss += net->layers[i].cost / images;
        total += network_cost(net);
        net->seen += (uint64_t)network_pass_images(net);
    }
    net->last_pass = 0;
    net->iteration++;
    float loss = total / images;
    int failed = net->replica_failed || net->gpu_failed ||
                 (net->replicas > 1 && data_parallel_finish_step(net, &loss));
    if (!failed) update_network(net);
    failed |= net->gpu_failed;
    net->train = 0;
    net->truth = NULL;
    return failed ? NAN : loss;
}

/* Sets every layer up for a new batch or input size. When a layer refuses
 * (or memory runs out) the old shape is set up again: it fitted before, so
 * the caller keeps a working network and sees the error. */
static int reshape(network *net, int batch, int w, int h)
{
    int old_batch = net->batch, old_w = net->w, old_h = net->h;
    net->batch = batch;
    net->w = w;
    net->h = h;
    net->inputs = w * h * net->c;
    if (!network_setup_layers(net, 0)) return 0;
    net->batch = old_batch;
    net->w = old_w;
    net->h = old_h;
    net->inputs = old_w * old_h * net->c;
    if (network_setup_layers(net, 0)) dn_warn("the network could not be set back to its old shape");
    return -1;
}

int resize_network(network *net, int w, int h)
{
    if (w < 1 || h < 1 || (int64_t)w * h * net->c * net->batch > INT_MAX)
        return dn_error("resize_network: bad size %d x %d", w, h);
    return reshape(net, net->batch, w, h);
}

int set_batch_network(network *net, int b)
{
    if (b < 1) return dn_error("set_batch_network: batch %d < 1", b);
    if ((int64_t)net->inputs * b > INT_MAX)
        return dn_error("set_batch_network: a batch of %d images of %d values is too large", b, net->inputs);
    return reshape(net, b, net->w, net->h);
}

void set_subdivisions_network(network *net, int s) { net->subdivisions = s < 1 ? 1 : s; }

int network_inputs(const network *net) { return net->inputs; }
int network_outputs(const network *net) { return net->layers[net->n - 1].outputs; }
int network_truths(const network *net) { return net->truths; }
int network_n_layers(const network *net) { return net->n; }
layer *network_layer(network *net, int i) { return (i >= 0 && i < net->n) ? &net->layers[i] : NULL; }
int network_width(const network *net) { return net->w; }
int network_height(const network *net) { return net->h; }
int network_channels(const network *net) { return net->c; }
int network_batch(const network *net) { return net->batch; }
int network_subdivisions(const network *net) { return net->subdivisions; }
uint64_t network_seen(const network *net) { return net->seen; }
int network_iteration(const network *net) { return net->iteration; }

int network_check_trainable(const network *net)
{
    return net->trainable ? 0 : dn_error("%s: loaded for inference only (no gradients): load it for training",
                                         net->cfg_path);
}

int network_classes(const network *net)
{
    for (int i = net->n - 1; i >= 0; --i)
        if (net->layers[i].classes) return net->layers[i].classes;
    return 0;
}

void network_reset_schedule(network *net)
{
    net->seen = 0;
    net->iteration = 0;
}
float network_current_lr(const network *net) { return lr_at(&net->lr, net->iteration); }
int network_max_batches(const network *net) { return net->lr.max_batches; }
int network_scale_schedule(network *net, int max_batches) { return lr_schedule_scale(&net->lr, max_batches); }

double network_flops(const network *net)
{
    double f = 0;
    for (int i = 0; i < net->n; ++i) f += net->layers[i].flops;
    return f;
}

int dn_gpu_count(void) { return gpu_count(); }
int network_gpu(const network *net) { return net->gpu ? net->gpu_device : -1; }
size_t network_gpu_peak_bytes(const network *net) { return net->gpu ? gpu_peak_bytes(net->gpu) : 0; }
float *dn_alloc_batch(size_t n) { return gpu_host_alloc(n); }
void dn_free_batch(float *p) { gpu_host_free(p); }
