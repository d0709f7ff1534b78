/* The SGD body, run on the CPU, against update_network. */
#include "update_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "lr_policy.h"
#include "network.h"
}

TEST(sgd_update_body_equals_update_network_with_decay_and_momentum)
{
    network *net = build_net("[net]\nbatch=6\nsubdivisions=2\nwidth=5\nheight=5\nchannels=3\n"
                             "learning_rate=0.01\nmomentum=0.9\ndecay=0.0005\n"
                             "[convolutional]\nfilters=7\nsize=3\nactivation=leaky\n"
                             "[layernorm]\n");
    if (!net) return;
    std::vector<std::vector<float>> val, grad;
    std::vector<const param *> params;
    int decayed = 0;
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p) {
            param *q = &net->layers[i].params[p];
            random_fill(q->grad, q->n, -5, 5, 60 + (unsigned)params.size());
            val.emplace_back(q->val, q->val + q->n);
            grad.emplace_back(q->grad, q->grad + q->n);
            params.push_back(q);
            decayed += q->decay;
        }
    CHECK_MSG(decayed > 0 && decayed < (int)params.size(), "want params with and without decay");
    float lr = lr_at(&net->lr, net->iteration);
    float batch = (float)net->batch * net->subdivisions * net->replicas;
    float keep = net->rank ? 0 : net->momentum;
    update_network(net);
    for (size_t k = 0; k < params.size(); ++k) {
        const param *q = params[k];
        host_for_each(q->n, sgd_update_of(val[k].data(), grad[k].data(), q->decay, lr, batch, net->decay, keep));
        check_close(val[k], std::vector<float>(q->val, q->val + q->n), 0, "value");
        check_close(grad[k], std::vector<float>(q->grad, q->grad + q->n), 0, "momentum");
    }
    free_network(net);
}
