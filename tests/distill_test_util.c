/* distill_test_util.c: see distill_test_util.h. */
#include "distill_test_util.h"

#include <string.h>
#include <unistd.h>

#include "network.h"
#include "teacher.h"
#include "test.h"

void save_teacher(const char *text, char *cfg, char *weights, unsigned seed, int constant)
{
    strcpy(cfg, temp_file(text));
    network *t = load_network_seeded(cfg, NULL, 0, seed);
    CHECK_MSG(t != NULL, "teacher: %s", dn_last_error());
    if (!t) return;
    if (constant) {
        layer *l = &t->layers[0];
        random_fill(l->stored[0], l->stored_n[0], -2, 2, seed);
        memset(l->stored[1], 0, sizeof(float) * l->stored_n[1]);
    }
    snprintf(weights, 256, "%s.weights", cfg);
    CHECK(save_weights(t, weights) == 0);
    free_network(t);
}

void remove_teacher(const char *cfg, const char *weights)
{
    unlink(cfg);
    unlink(weights);
}

int one_teacher(const network *student) { return network_teacher(student, 0) && !network_teacher(student, 1); }

void copy_teacher_layer0(network *student)
{
    layer *sl = &student->layers[0], *tl = &network_teacher(student, 0)->net->layers[0];
    for (int p = 0; p < sl->n_stored; ++p) memcpy(sl->stored[p], tl->stored[p], sl->stored_n[p] * sizeof(float));
}

float *student_map_gradient(network *net)
{
    layer *sl = &net->layers[0], *l = &net->layers[1];
    memset(sl->delta, 0, sizeof(float) * sl->batch * sl->outputs);
    net->input = sl->output;
    net->input_delta = sl->delta;
    l->ops->backward(l, net);
    return sl->delta;
}
