/* The cost body, run on the CPU, against the [cost] layer as the loss of a
 * one-layer network. */
#include <string.h>

#include "cost_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "network.h"
}

/* cfg is one [cost] layer of batch 3 whose loss is `type`. */
static void check_cost(const char *cfg, cost_type type, float scale)
{
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    long total = (long)l->batch * l->inputs;
    std::vector<float> x = random_vector(total, -3, 3, 60), truth = random_vector(total, -1, 1, 61);
    for (long i = 0; i < total; i += 5) truth[i] = COST_MASK_VALUE;   /* masked out by "masked" only */
    std::vector<float> start = random_vector(total, -1, 1, 62), got = start, cost(l->batch);
    memcpy(l->delta, start.data(), total * sizeof(float));
    net->train = 1;
    net->truth = truth.data();
    net->input = x.data();
    l->ops->forward(l, net);
    host_for_each(l->batch, cost_body{x.data(), truth.data(), got.data(), cost.data(), l->inputs, type, scale});
    check_close(got, std::vector<float>(l->delta, l->delta + total), 0, "cost delta");
    double sum = 0;
    for (float c : cost) sum += c;
    sum *= scale;
    CHECK_MSG(fabs(sum - l->cost) <= 1e-6 * fmax(1, fabs(l->cost)), "cost %.9g, want %.9g", sum, l->cost);
    free_network(net);
}

TEST(cost_body_equals_the_cpu_layer_for_every_loss)
{
    const char *net = "[net]\nbatch=3\nwidth=7\nheight=5\nchannels=3\n[cost]\n";
    struct { const char *keys; cost_type type; float scale; } cases[] = {
        {"type=sse\n", COST_SSE, 1}, {"type=smooth\nscale=0.5\n", COST_SMOOTH, 0.5f},
        {"type=L1\nscale=2\n", COST_L1, 2}, {"type=masked\n", COST_MASKED, 1}};
    for (const auto &k : cases) {
        char cfg[256];
        snprintf(cfg, sizeof cfg, "%s%s", net, k.keys);
        check_cost(cfg, k.type, k.scale);
    }
}
