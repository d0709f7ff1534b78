/* test_classifier_cfgs.c: the cfgs of the teacher study (scripts/
 * gen_classifier_cfg.py): every one builds for 64 x 64 x 3 images and 4
 * classes, names valid stage outputs, trains a step (finite, positive loss),
 * and the teachers are of one size; and each teacher distils into the
 * student by [kd] and by one [fd] per stage (multi-layer FD) in one step, the
 * teacher run once. Parameter counts (worked out by hand for the ViT: the
 * stem's batch-normalised 3x3 convs 9*(3*24 + 24*48 + 48*96) + 4*(24 + 48 + 96)
 * (weights; biases, scales, rolling means and variances) and its 1x1 conv
 * 96*96 + 96, position embedding 8*8*96, per block 2 norms 2*5*96 (batch
 * norm as a per-channel 1x1 conv: 96 weights + 4*96), attention 4*96^2 + 4*96,
 * MLP 8*96^2 + 5*96, times 5; final norm 5*96, classifier 96*4 + 4: 631,564). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill_test_util.h"
#include "network.h"
#include "teacher.h"
#include "test.h"

static const char *const teachers[] = {"context_resnet.cfg", "context_convnext.cfg", "context_slak.cfg",
                                       "context_vit.cfg", "context_swin.cfg"};
enum { N_TEACHERS = sizeof teachers / sizeof teachers[0], CLASSES = 4 };

static long count_params(const network *net)
{
    long n = 0;
    for (int i = 0; i < net->n; ++i)
        for (int k = 0; k < net->layers[i].n_stored; ++k) n += net->layers[i].stored_n[k];
    return n;
}

/* Images in [0, 1] and one-hot truths for the network's batch. */
static void random_batch(const network *net, float **x, float **truth, unsigned seed)
{
    *x = random_input(net, seed);
    for (int i = 0; i < net->batch * net->inputs; ++i) (*x)[i] = 0.5f + 0.5f * (*x)[i];
    *truth = calloc((size_t)net->batch * CLASSES, sizeof(float));
    for (int b = 0; b < net->batch; ++b) (*truth)[b * CLASSES + (b + (int)seed) % CLASSES] = 1;
}

/* Builds cfg/NAME at batch 4 and trains two steps; returns its parameter count (0 on failure). */
static long check_cfg(const char *name)
{
    char path[256];
    char *text = repo_cfg_text(name, path, sizeof path);
    network *net = text ? parse_network_cfg(path) : NULL;
    CHECK_MSG(!text || net, "%s: %s", name, dn_last_error());
    long params = 0;
    if (net) {
        CHECK(net->w == 64 && net->h == 64 && net->c == 3 && network_outputs(net) == CLASSES);
        CHECK(!strcmp(net->layers[net->n - 1].ops->name, "softmax"));
        int idx[8], n = cfg_comment_indices(text, "stage_outputs", idx, 8);
        CHECK_MSG(n >= 3, "%s names %d stage outputs", name, n);
        for (int i = 0; i < n; ++i) CHECK(idx[i] > 0 && idx[i] < net->n - 3);
        set_subdivisions_network(net, 1);
        CHECK(set_batch_network(net, 4) == 0);
        float *x, *truth;
        random_batch(net, &x, &truth, 3);
        for (int step = 0; step < 2; ++step) {
            float loss = train_network_step(net, x, truth);
            CHECK_MSG(isfinite(loss) && loss > 0, "%s: step %d loss %g", name, step, loss);
        }
        params = count_params(net);
        free(x), free(truth);
        free_network(net);
    }
    free(text);
    return params;
}

TEST(context_cfgs_build_and_train_a_step_and_teachers_match_in_size)
{
    long student = check_cfg("context_student.cfg");
    CHECK_MSG(student > 50000 && student < 100000, "student: %ld parameters", student);
    for (int t = 0; t < N_TEACHERS; ++t) {
        long p = check_cfg(teachers[t]);
        CHECK_MSG(p > 550000 && p < 750000, "%s: %ld parameters", teachers[t], p);
        if (!strcmp(teachers[t], "context_vit.cfg")) CHECK_MSG(p == 631564, "ViT: %ld parameters", p);
    }
}

/* The student cfg with its [softmax] replaced by [kd] and one [fd] per stage
 * on the teacher's stages (resized where the maps differ). */
static char *distilled_student(const char *student, const int *s_idx, const char *tcfg, const char *tweights,
                               const int *t_idx, int stages)
{
    size_t cap = strlen(student) + 4096;
    char *text = malloc(cap), *soft = strstr(student, "\n[softmax]");
    CHECK(soft != NULL);
    if (!text || !soft) return text;
    size_t len = (size_t)(soft - student) + 1;
    memcpy(text, student, len);
    len += (size_t)snprintf(text + len, cap - len, "[kd]\nteacher=%s\nteacher_weights=%s\n", tcfg, tweights);
    for (int i = 0; i < stages; ++i)
        len += (size_t)snprintf(text + len, cap - len,
                                "[fd]\nfrom=%d\nteacher=%s\nteacher_weights=%s\nteacher_layer=%d\nresize=1\n", s_idx[i],
                                tcfg, tweights, t_idx[i]);
    return text;
}

static void distil_one_step(const char *student, const int *s_idx, const char *teacher, int stages)
{
    char tpath[256], tweights[300];
    char *ttext = repo_cfg_text(teacher, tpath, sizeof tpath);
    network *t = ttext ? load_network_seeded(tpath, NULL, 0, 5) : NULL;
    int t_idx[8], n = ttext ? cfg_comment_indices(ttext, "stage_outputs", t_idx, 8) : 0;
    snprintf(tweights, sizeof tweights, "%s", temp_file(""));
    CHECK(t && n >= stages && save_weights(t, tweights) == 0);
    free_network(t);
    char *text = n >= stages ? distilled_student(student, s_idx, tpath, tweights, t_idx, stages) : NULL;
    network *net = text ? build_net(text) : NULL;
    if (net) {
        CHECK(one_teacher(net));
        set_subdivisions_network(net, 1);
        CHECK(set_batch_network(net, 2) == 0);
        float *x, *truth;
        random_batch(net, &x, &truth, 4);
        float loss = train_network_step(net, x, truth);
        const char *names[8];
        float values[8];
        int k = network_losses(net, names, values, 8), fd = 0, kd = 0;
        for (int i = 0; i < k; ++i) fd += !strcmp(names[i], "fd") && values[i] > 0, kd += !strcmp(names[i], "kd");
        CHECK_MSG(isfinite(loss) && fd && kd && network_teacher(net, 0)->runs == 1, "%s: loss %g, fd %d, kd %d",
                  teacher, loss, fd, kd);
        free(x), free(truth);
        free_network(net);
    }
    unlink(tweights);
    free(text), free(ttext);
}

TEST(context_teachers_distil_into_the_student_by_kd_and_fd_on_every_stage)
{
    char path[256];
    char *student = repo_cfg_text("context_student.cfg", path, sizeof path);
    int s_idx[8], stages = student ? cfg_comment_indices(student, "stage_outputs", s_idx, 8) : 0;
    CHECK(stages == 3);
    for (int t = 0; t < N_TEACHERS && stages == 3; ++t) distil_one_step(student, s_idx, teachers[t], stages);
    free(student);
}
