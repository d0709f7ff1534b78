/* distill_kernel_test.h: the CPU reference of the distillation kernel tests:
 * a student of one conv (layer 0) distilled by one section (layer 1) from a
 * saved teacher of one conv with the same input, run forward in training. */
#ifndef DN_DISTILL_KERNEL_TEST_H
#define DN_DISTILL_KERNEL_TEST_H

#include <string.h>
#include <unistd.h>

#include "kernel_test.h"

extern "C" {
#include "distill.h"
#include "network.h"
#include "teacher.h"
}

/* What the CPU layer computed on one batch. */
struct distill_case {
    int batch, c, hw;
    std::vector<float> s, t, grad, truth;
    float cost;
    network *net;
};

/* Saves the teacher (input w x h x 2, a conv to c maps) and returns its cfg
 * path in cfg and its weights' path in weights (256 bytes each). */
static inline int save_conv_teacher(int batch, int w, int h, int c, char *cfg, char *weights)
{
    char text[512];
    snprintf(text, sizeof text, "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=2\n"
             "[convolutional]\nfilters=%d\nsize=3\npad=1\nactivation=linear\n", batch, w, h, c);
    strcpy(cfg, temp_file(text));
    strcpy(weights, cfg);
    strcat(weights, ".weights");   /* temp_file paths are short */
    network *t = load_network_seeded(cfg, NULL, 0, 17);
    int ok = t && save_weights(t, weights) == 0;
    CHECK_MSG(ok, "teacher: %s", dn_last_error());
    free_network(t);
    return ok ? 0 : -1;
}

/* Runs the student with `section` (its keys after from/teacher keys) on a
 * random batch scaled by `gain` (peaky maps); with_truth: one-hot truth over
 * c * w * h classes. The case keeps the network (free it with free_network). */
static inline int run_distill_case(distill_case *d, int batch, int w, int h, int c, const char *section,
                                   float gain, int with_truth, unsigned seed)
{
    char cfg[256], weights[256], text[2048];
    if (save_conv_teacher(batch, w, h, c, cfg, weights)) return -1;
    snprintf(text, sizeof text, "[net]\nbatch=%d\nwidth=%d\nheight=%d\nchannels=2\n"
             "[convolutional]\nfilters=%d\nsize=3\npad=1\nactivation=linear\n"
             "%s\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n", batch, w, h, c, section, cfg,
             weights);
    d->net = build_net(text);
    unlink(cfg);
    unlink(weights);
    if (!d->net) return -1;
    network *net = d->net;
    d->batch = batch, d->c = c, d->hw = w * h;
    size_t n = (size_t)batch * c * w * h;
    float *x = random_input(net, seed);
    for (int i = 0; i < net->inputs * batch; ++i) x[i] *= gain;
    d->truth.assign(n, 0);
    for (int b = 0; b < batch; ++b) d->truth[(size_t)b * c * w * h + (b * 7 + 3) % (c * w * h)] = 1;
    net->truth = with_truth ? d->truth.data() : NULL;
    net->train = 1;
    forward_network(net, x);
    free(x);
    distill_pair *p = distill_layer_pair(&net->layers[1]);
    d->s.assign(net->layers[0].output, net->layers[0].output + n);
    d->t.assign(distill_teacher_map(p), distill_teacher_map(p) + n);
    d->grad.assign(p->grad, p->grad + n);
    d->cost = net->layers[1].cost;
    return 0;
}

/* Runs the [cwd] case of the kernel tests (loss_weight 2.5, norm channel, or
 * spatial with `spatial`) on a random batch scaled by 3. */
static inline int run_cwd_case(distill_case *d, int batch, int w, int h, int c, float tau, int spatial)
{
    char section[128];
    snprintf(section, sizeof section, "[cwd]\ntau=%g\nloss_weight=2.5\nnorm=%s", tau,
             spatial ? "spatial" : "channel");
    return run_distill_case(d, batch, w, h, c, section, 3, 0, 5);
}

/* Checks a kernel's gradient and cost (one value) against the CPU layer's,
 * within tol; what names the loss in the messages. */
static inline void check_distill_case(const distill_case &d, const std::vector<float> &grad,
                                      const std::vector<float> &cost, double tol, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "%s gradient", what);
    check_close(grad, d.grad, tol, name);
    snprintf(name, sizeof name, "%s cost", what);
    check_close(cost, std::vector<float>{d.cost}, tol, name);
}

#endif
