/* The optimiser body, run on the CPU, against update_network (SGD and Adam). */
#include "update_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "network.h"
}

static void check_body_equals_update_network(const char *optimiser)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=6\nsubdivisions=2\nwidth=5\nheight=5\nchannels=3\n"
             "learning_rate=0.01\nmomentum=0.9\ndecay=0.0005\n%s\n"
             "[convolutional]\nfilters=7\nsize=3\nactivation=leaky\n[layernorm]\n", optimiser);
    network *net = build_net(cfg);
    if (!net) return;
    net->iteration = 3;   /* the step being taken: Adam's bias correction at t = 3 */
    std::vector<std::vector<float>> val, grad, m, v;
    std::vector<const param *> params;
    int decayed = 0;
    for (int i = 0; i < net->n; ++i)
        for (int p = 0; p < net->layers[i].n_params; ++p) {
            param *q = &net->layers[i].params[p];
            random_fill(q->grad, q->n, -5, 5, 60 + (unsigned)params.size());
            if (q->m) random_fill(q->m, q->n, -1, 1, 80 + (unsigned)params.size());
            if (q->v) random_fill(q->v, q->n, 0, 3, 90 + (unsigned)params.size());
            val.emplace_back(q->val, q->val + q->n);
            grad.emplace_back(q->grad, q->grad + q->n);
            m.emplace_back(q->m ? q->m : q->val, (q->m ? q->m : q->val) + q->n);
            v.emplace_back(q->v ? q->v : q->val, (q->v ? q->v : q->val) + q->n);
            params.push_back(q);
            decayed += q->decay;
        }
    CHECK_MSG(decayed > 0 && decayed < (int)params.size(), "want params with and without decay");
    optimizer_step s = network_optimizer_step(net);
    update_network(net);
    for (size_t k = 0; k < params.size(); ++k) {
        const param *q = params[k];
        host_for_each(q->n, param_update_of(s, val[k].data(), grad[k].data(), m[k].data(), v[k].data(), q->decay));
        check_close(val[k], std::vector<float>(q->val, q->val + q->n), 0, "value");
        check_close(grad[k], std::vector<float>(q->grad, q->grad + q->n), 0, "buffer");
        if (q->m) check_close(m[k], std::vector<float>(q->m, q->m + q->n), 0, "first moment");
        if (q->v) check_close(v[k], std::vector<float>(q->v, q->v + q->n), 0, "second moment");
    }
    free_network(net);
}

TEST(sgd_update_body_equals_update_network_with_decay_and_momentum)
{
    check_body_equals_update_network("");
}

TEST(adam_update_body_equals_update_network_with_decay_and_bias_correction)
{
    check_body_equals_update_network("adam=1\nB1=0.8\nB2=0.99\neps=0.001");
}
