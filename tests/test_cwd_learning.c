/* Channel-wise distillation helps: a small RetinaNet trained with [cwd] on
 * its FPN levels from a wider (backbone x2), longer-trained teacher beats the
 * same student (same seed, same initial weights, same batches and schedule)
 * trained alone, in AP50 on held-out synthetic scenes. Everything is trained in-process; the teacher
 * goes through a cfg file and a weights file as a user's would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "scene_test_util.h"
#include "test.h"

enum { S = 64, CLASSES = 3 };

typedef struct {
    int teacher_filters, student_filters, teacher_iters, student_iters, seed, valid;
    float lr, teacher_lr, loss_weight, tau;
} cwd_experiment;

static network *trained(const char *cfg_text, uint64_t seed, int iters)
{
    const char *path = temp_file(cfg_text);
    network *net = load_network_seeded(path, NULL, 1, seed);
    unlink(path);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (net) train_on_scenes(net, seed, S, CLASSES, iters, NULL);
    return net;
}

/* Trains the teacher and saves it as (teacher_cfg, teacher_weights); returns its AP50. */
static double train_teacher(const cwd_experiment *e, char *teacher_cfg, char *teacher_weights)
{
    char text[8192];
    small_retina_cfg(text, sizeof text, e->teacher_filters, e->teacher_lr, e->teacher_iters);
    strcpy(teacher_cfg, temp_file(text));
    snprintf(teacher_weights, 64, "%s.weights", teacher_cfg);
    /* experiments: DN_CWD_TEACHER_FILE keeps the trained teacher for the next run */
    const char *kept = getenv("DN_CWD_TEACHER_FILE");
    network *t = kept && !access(kept, R_OK) ? load_network_frozen(teacher_cfg, kept)
                                              : trained(text, 1000 + e->seed, e->teacher_iters);
    if (!t) return -1;
    double ap50 = scenes_ap50(t, 100 + e->seed, S, CLASSES, e->valid, NULL);
    CHECK_MSG(save_weights(t, teacher_weights) == 0, "%s", dn_last_error());
    if (kept) save_weights(t, kept);
    free_network(t);
    return ap50;
}

/* Student AP50, trained alone (teacher_cfg NULL) or with [cwd] on P3 and P4. */
static double train_student(const cwd_experiment *e, const char *teacher_cfg, const char *teacher_weights)
{
    char text[8192];
    small_retina_cfg(text, sizeof text, e->student_filters, e->lr, e->student_iters);
    for (int level = 0; teacher_cfg && level < 2; ++level) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof text - n,
                 "[cwd]\nfrom=%d\nteacher=%s\nteacher_weights=%s\nteacher_layer=%d\ntau=%g\nloss_weight=%g\n"
                 "adapter=%s\n",
                 14 + 2 * level, teacher_cfg, teacher_weights, 14 + 2 * level, e->tau, e->loss_weight,
                 getenv("DN_CWD_ADAPTER") ? getenv("DN_CWD_ADAPTER") : "auto");
    }
    network *net = trained(text, e->seed, e->student_iters);
    if (!net) return -1;
    double ap50 = scenes_ap50(net, 100 + e->seed, S, CLASSES, e->valid, NULL);
    free_network(net);
    return ap50;
}

/* Seeds 1-5 (teacher: backbone x2, 1000 steps at lr 0.01; students: 150
 * steps at lr 0.02; [cwd] on P3 and P4, tau 1, loss_weight 40), held-out AP50:
 *   seed  teacher  student  distilled  gain
 *   1     0.263    0.094    0.162      +0.069
 *   2     0.232    0.096    0.159      +0.063
 *   3     0.218    0.123    0.148      +0.025
 *   4     0.231    0.096    0.171      +0.076
 *   5     0.246    0.092    0.146      +0.055
 * The gain grows with loss_weight (seed 2, 600-step teacher at lr 0.02:
 * 2 -> +0.016, 5 -> +0.026, 10 -> +0.034, 20 -> +0.046, 40 -> +0.054,
 * 80 -> +0.052; tau 4 or adapter=always at weight 5: +0.034, +0.029): the
 * maps are small (8x8 and 4x4) and the run short, so the paper's 5-10 pull
 * too weakly here. It needs a teacher clearly better than the student: an
 * untrained teacher costs -0.022 (seed 1), one that collapsed in training
 * (seed 3 at lr 0.02, AP50 0.004) -0.051, and a 600-step teacher only 0.04
 * above the student (seed 3, lr 0.01) -0.004. About 3 minutes on 2 cores,
 * so it runs in the main build only: under AddressSanitizer, or with
 * DN_SKIP_SLOW=1 (CI's second build), it is skipped. DN_CWD_* are knobs for
 * experiments (see the struct below); DN_VERBOSE=1 prints the losses. */
TEST(cwd_student_beats_plain_student)
{
    int full = !getenv("DN_SKIP_SLOW");
#if defined(__SANITIZE_ADDRESS__)
    full = getenv("DN_SLOW_TESTS") && !strcmp(getenv("DN_SLOW_TESTS"), "1");
#endif
    if (!full) {
        fprintf(stderr, "    skipped: minutes long (test_cwd.c covers the layer itself)\n");
        return;
    }
    cwd_experiment e = {
        .teacher_filters = env_int("DN_CWD_TEACHER_FILTERS", 32),
        .student_filters = env_int("DN_CWD_STUDENT_FILTERS", 16),
        .teacher_iters = env_int("DN_CWD_TEACHER_ITERS", 1000),
        .student_iters = env_int("DN_CWD_ITERS", 150),
        .seed = env_int("DN_CWD_SEED", 1),
        .valid = env_int("DN_CWD_VALID", 200),
        .lr = (float)env_double("DN_CWD_LR", 0.02),
        .teacher_lr = (float)env_double("DN_CWD_TEACHER_LR", 0.01),
        .loss_weight = (float)env_double("DN_CWD_WEIGHT", 40),
        .tau = (float)env_double("DN_CWD_TAU", 1),
    };
    char teacher_cfg[64], teacher_weights[64];
    double teacher = train_teacher(&e, teacher_cfg, teacher_weights);
    if (getenv("DN_CWD_TEACHER_ONLY")) {
        fprintf(stderr, "    teacher AP50 %.3f\n", teacher);
        return;
    }
    double plain = getenv("DN_CWD_SKIP_PLAIN") ? 0 : train_student(&e, NULL, NULL);
    /* without a clearly better teacher there is nothing to transfer (see above) */
    CHECK_MSG(teacher >= plain + 0.05, "the teacher trained badly: AP50 %.3f, the plain student %.3f", teacher,
              plain);
    double distilled = train_student(&e, teacher_cfg, teacher_weights);
    unlink(teacher_cfg);
    unlink(teacher_weights);
    fprintf(stderr, "    cwd experiment: teacher AP50 %.3f, student %.3f, distilled %.3f (gain %+.3f)\n", teacher,
            plain, distilled, distilled - plain);
    /* gains over seeds 1-5: +0.025 to +0.076, mean +0.058 */
    CHECK_MSG(distilled >= plain + 0.01, "distilled AP50 %.3f, plain %.3f, teacher %.3f", distilled, plain, teacher);
}
