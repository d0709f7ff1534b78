/* The layernorm bodies, run on the CPU, against the [layernorm] layer of a
 * one-layer network. */
#include <string.h>

#include "layernorm_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "network.h"
}

static std::vector<float> values(const float *p, size_t n) { return std::vector<float>(p, p + n); }

/* cfg is one [layernorm] layer; its gamma and beta are made non-trivial first. */
static void check_layernorm(const char *cfg)
{
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    int C = l->c, spatial = l->w * l->h, rows = l->batch * spatial;
    size_t total = (size_t)l->batch * l->inputs;
    param *beta = &l->params[0], *gamma = &l->params[1];
    std::vector<float> b0 = random_vector(C, -1, 1, 80), g0 = random_vector(C, 0.5f, 2, 81);
    memcpy(beta->val, b0.data(), C * sizeof(float));
    memcpy(gamma->val, g0.data(), C * sizeof(float));
    std::vector<float> x = random_vector(total, -3, 3, 82), out(total), xn(total), mean(rows), inv(rows);
    net->train = 1;
    net->input = x.data();
    l->ops->forward(l, net);
    host_for_each(rows, layernorm_forward_body{{C, spatial}, x.data(), g0.data(), b0.data(), out.data(), xn.data(),
                                               mean.data(), inv.data(), 1e-6f});
    check_close(out, values(l->output, total), 0, "layernorm forward");

    std::vector<float> delta = random_vector(total, -1, 1, 83), want = random_vector(total, -1, 1, 84);
    std::vector<float> got = want, bg = values(beta->grad, C), gg = values(gamma->grad, C);
    memcpy(l->delta, delta.data(), total * sizeof(float));
    net->input_delta = want.data();
    l->ops->backward(l, net);
    host_for_each(C, layernorm_param_grad_body{delta.data(), xn.data(), bg.data(), gg.data(), l->batch, C, spatial});
    host_for_each(rows, layernorm_backward_body{{C, spatial}, delta.data(), xn.data(), g0.data(), inv.data(),
                                                got.data()});
    check_close(bg, values(beta->grad, C), 0, "layernorm beta gradient");
    check_close(gg, values(gamma->grad, C), 0, "layernorm gamma gradient");
    check_close(got, want, 0, "layernorm input gradient");
    free_network(net);
}

TEST(layernorm_bodies_equal_the_cpu_layer_forward_and_gradients)
{
    check_layernorm("[net]\nbatch=3\nwidth=7\nheight=5\nchannels=6\n[layernorm]\n");
    check_layernorm("[net]\nbatch=2\nwidth=1\nheight=1\nchannels=33\n[layernorm]\n");
}
