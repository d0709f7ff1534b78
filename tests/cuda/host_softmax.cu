/* The softmax bodies, run on the CPU, against the [softmax] layer as the loss
 * of a one-layer network. */
#include <string.h>

#include "blas_body.cuh"
#include "softmax_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "network.h"
}

/* cfg is one [softmax] layer of batch 3 with `groups` groups. */
static void check_softmax(const char *cfg, int groups, float temperature)
{
    network *net = build_net(cfg);
    if (!net) return;
    layer *l = &net->layers[0];
    int batch = l->batch, n = l->inputs / groups;
    long slices = (long)batch * groups, total = slices * n;
    std::vector<float> x = random_vector(total, -40, 40, 50), truth = random_vector(total, 0, 1, 51);
    for (long i = 0; i < total; i += 3) truth[i] = 0;   /* zero truths add nothing */
    net->train = 1;
    net->truth = truth.data();
    net->input = x.data();
    l->ops->forward(l, net);

    std::vector<float> p(total), loss_delta(total), cost(batch);
    host_for_each(slices, softmax_forward_body{x.data(), p.data(), n, temperature});
    check_close(p, std::vector<float>(l->output, l->output + total), 0, "softmax forward");
    host_for_each(batch, softmax_loss_body{truth.data(), p.data(), loss_delta.data(), cost.data(), l->inputs,
                                           1.0f / temperature});
    double sum = 0;
    for (float c : cost) sum += c;
    CHECK_MSG(fabs(sum - l->cost) <= 1e-5 * fmax(1, fabs(l->cost)), "cost %.9g, want %.9g", sum, l->cost);

    std::vector<float> delta = random_vector(total, -1, 1, 52), want = random_vector(total, -1, 1, 53);
    std::vector<float> got = want;
    memcpy(l->delta, delta.data(), total * sizeof(float));
    net->input_delta = want.data();
    l->ops->backward(l, net);
    host_for_each(slices, softmax_backward_body{p.data(), delta.data(), got.data(), n, 1.0f / temperature});
    host_for_each(total, axpy_body{1, loss_delta.data(), got.data()});
    check_close(got, want, 0, "softmax backward with its loss");
    free_network(net);
}

TEST(softmax_bodies_equal_the_cpu_layer_forward_loss_and_backward)
{
    check_softmax("[net]\nbatch=3\nwidth=51\nheight=1\nchannels=5\n[softmax]\ngroups=5\ntemperature=0.7\n", 5, 0.7f);
    check_softmax("[net]\nbatch=3\nwidth=1\nheight=1\nchannels=1031\n[softmax]\n", 1, 1);
    check_softmax("[net]\nbatch=3\nwidth=1\nheight=1\nchannels=1\n[softmax]\n", 1, 1);
}
