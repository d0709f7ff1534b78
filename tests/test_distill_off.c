/* test_distill_off.c: distillation switched off (network_set_distillation),
 * the baseline of `distill compare`. A student whose [cwd] and [fd] layers
 * sit after everything else must train, off, to exactly the weights of the
 * same cfg with those layers deleted (same seed, same batches), without
 * running its teacher; on, it must train to other weights. A [kd] student
 * off trains as the [softmax] it replaces. Also the pairing accessor and
 * the type each layer has in the student. */
#include <stdlib.h>
#include <string.h>

#include "distill_test_util.h"
#include "network.h"
#include "teacher.h"
#include "test.h"

#define NET "[net]\nbatch=4\nsubdivisions=2\nwidth=7\nheight=6\nchannels=2\n" \
            "learning_rate=0.1\nmomentum=0.9\ndecay=0.001\n"

/* Layers 0-2 of the student: two convs (the first with batch norm) and an
 * sse [cost] on the second (3 x 7 x 6 truth values per image). */
#define BODY "[convolutional]\nfilters=4\nsize=3\npad=1\nbatch_normalize=1\nactivation=tanh\n" \
             "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=linear\n" \
             "[cost]\ntype=sse\n"

static network *from_text(const char *text)
{
    network *net = load_network_seeded(temp_file(text), NULL, 0, 77);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    return net;
}

/* Three training steps on fixed random batches. */
static void train(network *net)
{
    int images = net->batch * net->subdivisions;
    float *x = malloc(sizeof(float) * images * net->inputs);
    float *truth = malloc(sizeof(float) * images * net->truths);
    for (int step = 0; step < 3; ++step) {
        random_fill(x, images * net->inputs, -1, 1, 10 + step);
        random_fill(truth, images * net->truths, -1, 1, 20 + step);
        float loss = train_network_step(net, x, truth);
        CHECK(loss == loss && loss > 0);
    }
    free(x);
    free(truth);
}

/* Whether layers 0..n-1 of a and b hold bitwise the same stored tensors. */
static int same_weights(const network *a, const network *b, int n)
{
    for (int i = 0; i < n; ++i) {
        const layer *la = &a->layers[i], *lb = &b->layers[i];
        if (la->n_stored != lb->n_stored) return 0;
        for (int t = 0; t < la->n_stored; ++t)
            if (la->stored_n[t] != lb->stored_n[t] ||
                memcmp(la->stored[t], lb->stored[t], sizeof(float) * la->stored_n[t]))
                return 0;
    }
    return 1;
}

TEST(distill_off_trains_exactly_as_the_cfg_without_distillation_layers)
{
    char tcfg[256], tw[256], with[4096];
    /* teacher: 3 maps of 7 x 6 (the student's layer 0 has 4: an adapter) */
    save_teacher("[net]\nbatch=1\nwidth=7\nheight=6\nchannels=2\n"
                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n",
                 tcfg, tw, 5, 0);
    snprintf(with, sizeof with,
             NET BODY "[cwd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\nloss_weight=5\n"
                      "[fd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n",
             tcfg, tw, tcfg, tw);
    network *plain = from_text(NET BODY), *off = from_text(with), *on = from_text(with);
    if (plain && off && on) {
        CHECK(network_distillation(off) == 1);
        network_set_distillation(off, 0);
        CHECK(network_distillation(off) == 0);
        /* the same initial weights: the distillation layers come last */
        CHECK(same_weights(plain, off, 3) && same_weights(plain, on, 3));
        train(plain);
        train(off);
        train(on);
        CHECK_MSG(same_weights(plain, off, 3), "distillation off moved the weights differently");
        CHECK_MSG(!same_weights(plain, on, 3), "distillation on left the weights as without it");
        CHECK(one_teacher(off) && network_teacher(off, 0)->runs == 0);
        CHECK(one_teacher(on) && network_teacher(on, 0)->runs == 3 * 2);   /* once per subdivision */
        CHECK(off->layers[3].cost == 0 && off->layers[4].cost == 0 && off->layers[3].step_loss == 0);
        CHECK(on->layers[3].step_loss > 0 && on->layers[4].step_loss > 0);
        /* the adapter stays (the weights file keeps its layout) but gets no
         * gradient (its bias has no weight decay, so its buffer stays zero) */
        CHECK(off->layers[3].n_params == 2 && off->layers[3].n_stored == 2);
        const param *a = &off->layers[3].params[0];
        int zero_grad = 1;
        for (int i = 0; i < a->n; ++i) zero_grad &= a->grad[i] == 0;
        CHECK_MSG(zero_grad, "the adapter of a switched-off [cwd] got a gradient");
        /* switched back on, it distils again */
        network_set_distillation(off, 1);
        train(off);
        CHECK(network_teacher(off, 0)->runs == 3 * 2 && off->layers[3].step_loss > 0);
    }
    free_network(plain);
    free_network(off);
    free_network(on);
    remove_teacher(tcfg, tw);
}

#define KD_NET "[net]\nbatch=3\nwidth=2\nheight=1\nchannels=3\nlearning_rate=0.5\nmomentum=0.9\n"

/* [kd] off: the cross-entropy of the [softmax] it replaces, with weight 1
 * (alpha=0.9 here would scale it by 0.1 if it were left in). */
TEST(distill_off_kd_trains_as_softmax)
{
    char tcfg[256], tw[256], text[2048];
    save_teacher(KD_NET "[connected]\noutput=5\nactivation=linear\n[softmax]\n", tcfg, tw, 7, 0);
    snprintf(text, sizeof text,
             KD_NET "[connected]\noutput=5\nactivation=linear\n[kd]\nteacher=%s\nteacher_weights=%s\nalpha=0.9\n",
             tcfg, tw);
    network *kd = from_text(text), *soft = from_text(KD_NET "[connected]\noutput=5\nactivation=linear\n[softmax]\n");
    if (kd && soft) {
        network_set_distillation(kd, 0);
        float x[3 * 6], truth[3 * 5] = {0};
        for (int step = 0; step < 3; ++step) {
            random_fill(x, 3 * 6, -1, 1, 30 + step);
            for (int b = 0; b < 3; ++b) {
                memset(truth + b * 5, 0, sizeof(float) * 5);
                truth[b * 5 + (b + step) % 5] = 1;
            }
            float lk = train_network_step(kd, x, truth), ls = train_network_step(soft, x, truth);
            CHECK_NEAR(lk, ls, 1e-5 * ls);
        }
        const layer *a = &kd->layers[0], *b = &soft->layers[0];
        int where;
        for (int t = 0; t < a->n_stored; ++t)
            CHECK_MSG(max_rel_diff(a->stored[t], b->stored[t], a->stored_n[t], &where) < 1e-5,
                      "tensor %d differs at %d", t, where);
        CHECK(network_teacher(kd, 0)->runs == 0);
        const char *names[4];
        float values[4];
        int n = layer_losses(&kd->layers[1], names, values, 4);
        CHECK(n == 2 && !strcmp(names[1], "kd") && values[1] == 0 && values[0] > 0);
        CHECK(!strcmp(layer_student_type(&kd->layers[1]), "softmax"));
    }
    free_network(kd);
    free_network(soft);
    remove_teacher(tcfg, tw);
}

TEST(distill_pairing_lists_the_distillation_layers)
{
    char tcfg[256], tw[256], text[4096];
    save_teacher("[net]\nbatch=1\nwidth=7\nheight=6\nchannels=2\n"
                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n"
                 "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=tanh\n",
                 tcfg, tw, 9, 0);
    snprintf(text, sizeof text,
             NET BODY "[cwd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=-1\n"
                      "[fd]\nfrom=0\nteacher=%s\nteacher_weights=%s\nteacher_layer=0\n",
             tcfg, tw, tcfg, tw);
    network *net = from_text(text), *plain = from_text(NET BODY);
    if (net && plain) {
        distill_pairing p;
        CHECK(network_distill_pairing(net, 0, NULL) == 2 && network_distill_pairing(plain, 0, &p) == 0);
        CHECK(network_distill_pairing(net, 0, &p) == 2);
        CHECK(p.layer == 3 && p.from == 1 && p.teacher_layer == 1 && !strcmp(p.teacher_cfg, tcfg) &&
              !strcmp(p.teacher_weights, tw));
        network_distill_pairing(net, 1, &p);
        CHECK(p.layer == 4 && p.from == 0 && p.teacher_layer == 0);
        /* the distillers pass their input through in the student: they have no type there */
        CHECK(!layer_student_type(&net->layers[3]) && !layer_student_type(&net->layers[4]));
        CHECK(!strcmp(layer_student_type(&net->layers[1]), "convolutional"));
    }
    free_network(net);
    free_network(plain);
    remove_teacher(tcfg, tw);
}
