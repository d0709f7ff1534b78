/* network_test.h: whole networks on the GPU against the same networks on the
 * CPU (check_network_on_gpu): built from the same cfg and seed, trained on
 * the same batches, every layer's output, the loss and every stored tensor
 * (weights and rolling statistics) must agree. On the emulated device (make
 * test) this runs the device run loop, the layers' device passes and SGD on
 * the device without a GPU. */
#ifndef DN_NETWORK_TEST_H
#define DN_NETWORK_TEST_H

#include <string.h>

#include <functional>

#include "gpu_test.h"

extern "C" {
#include "network.h"
}

/* A fixed batch: inputs in [-1, 1], and one-hot truths where the last layer
 * is a classifier (else values in [0, 1]). */
static inline std::vector<float> batch_truth(network *net, unsigned seed)
{
    int n = network_truths(net), b = network_batch(net) * network_subdivisions(net);
    std::vector<float> t = random_vector((size_t)n * b, 0, 1, seed);
    if (!strcmp(layer_type_name(network_layer(net, network_n_layers(net) - 1)), "softmax"))
        for (int i = 0; i < b; ++i)
            for (int k = 0; k < n; ++k) t[(size_t)i * n + k] = k == (i * 7 + 3) % n;
    return t;
}

static inline void check_layers_agree(network *cpu, network *gpu, double tol, const char *what)
{
    for (int i = 0; i < cpu->n; ++i) {
        layer *c = &cpu->layers[i], *g = &gpu->layers[i];
        std::vector<float> want(c->output, c->output + (size_t)c->batch * c->outputs), got(want.size());
        if (gpu_pull(gpu->gpu, got.data(), g->output_gpu, got.size())) CHECK_MSG(0, "pull: %s", dn_last_error());
        char name[160];
        snprintf(name, sizeof name, "%s: layer %d [%s] output", what, i, c->ops->name);
        check_close(got, want, tol, name);
    }
}

static inline void check_weights_agree(network *cpu, network *gpu, double tol, const char *what)
{
    CHECK_MSG(network_gpu_pull_weights(gpu) == 0, "%s", dn_last_error());
    for (int i = 0; i < cpu->n; ++i)
        for (int t = 0; t < cpu->layers[i].n_stored; ++t) {
            layer *c = &cpu->layers[i], *g = &gpu->layers[i];
            std::vector<float> want(c->stored[t], c->stored[t] + c->stored_n[t]);
            std::vector<float> got(g->stored[t], g->stored[t] + g->stored_n[t]);
            char name[160];
            snprintf(name, sizeof name, "%s: layer %d [%s] stored tensor %d", what, i, c->ops->name, t);
            check_close(got, want, tol, name);
        }
}

/* What a test adds to the comparison: the truths of a batch, and checks
 * after each training step and after the inference forward (may be empty). */
typedef std::vector<float> (*truth_maker)(network *net, unsigned seed);
typedef std::function<void(network *cpu, network *gpu, double tol)> pair_check;

/* Three training steps and an inference forward, on both. */
static inline void check_pair_on_gpu(const char *cfg, truth_maker truth, const pair_check &after_step,
                                     const pair_check &after_inference, double tol)
{
    network *cpu = build_net(cfg), *gpu = build_net(cfg);
    if (!cpu || !gpu || !test_gpu()) return;
    CHECK_MSG(network_use_gpu(gpu, 0) == 0, "network_use_gpu: %s", dn_last_error());
    if (!gpu->gpu) return;
    int b = cpu->batch * cpu->subdivisions;
    for (int step = 0; step < 3; ++step) {
        std::vector<float> x = random_vector((size_t)b * cpu->inputs, -1, 1, 10 + step);
        std::vector<float> t = truth(cpu, 20 + step);
        float lc = train_network_step(cpu, x.data(), t.data()), lg = train_network_step(gpu, x.data(), t.data());
        CHECK_MSG(fabs(lc - lg) <= tol * fmax(1, fabs(lc)), "step %d: loss %.9g on the CPU, %.9g on the GPU", step,
                  lc, lg);
        check_layers_agree(cpu, gpu, tol, "training");
        if (after_step) after_step(cpu, gpu, tol);
    }
    check_weights_agree(cpu, gpu, tol, "after 3 steps");
    std::vector<float> x = random_vector((size_t)cpu->batch * cpu->inputs, -1, 1, 99);
    network_predict(cpu, x.data());
    network_predict(gpu, x.data());
    check_layers_agree(cpu, gpu, tol, "inference");
    if (after_inference) after_inference(cpu, gpu, tol);
    free_network(cpu);
    free_network(gpu);
}

static inline void check_network_on_gpu(const char *cfg, double tol)
{
    check_pair_on_gpu(cfg, batch_truth, nullptr, nullptr, tol);
}

#endif
