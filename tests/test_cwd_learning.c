/* Channel-wise distillation helps: a small RetinaNet trained with [cwd] on
 * its FPN levels from a 4x wider teacher trained on the same schedule beats
 * the same student (same seed, same initial weights, same batches and
 * schedule) trained alone, in AP50 on held-out synthetic scenes. Everything is
 * trained in-process; the teacher goes through a cfg file and a weights file as
 * a user's would. */
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

/* The setting of docs/DISTILLATION.md's reference at the size CI affords: the
 * teacher has 4x the student's backbone width (16-32-32-64-64 against
 * 4-8-8-16-16, the same 32-channel FPN) and all three, teacher, plain and
 * distilled student, train the same 2000 steps at lr 0.02 (burn-in 200, lr /10
 * at 1600), so the teacher's lead is its capacity, not a longer schedule.
 * [cwd] on P3 and P4, tau 1, loss_weight 40. Held-out AP50 (200 scenes):
 *   seed  teacher  plain  distilled  gain
 *   1     0.392    0.309  0.351      +0.041
 *   2     0.383    0.297  0.339      +0.042
 *   3     0.387    0.313  0.327      +0.014
 * What went wrong in other settings (seed 1), and why the test checks the teacher:
 * - the plain student at other lengths: 1000 steps 0.225 (distilled 0.303),
 *   4000 steps 0.439, above the 2000-step teacher, and distilling from that
 *   teacher then costs 0.044 (0.395). On scenes drawn without end nothing here
 *   is converged in minutes; the converged comparison (6000 steps on a fixed
 *   set, three seeds) is docs/DISTILLATION.md's.
 * - a 32-wide teacher at lr 0.01 (2000 steps, AP50 0.338) with an 8-wide
 *   student (2000 steps alone: 0.382): distilled 0.361, a loss of 0.021.
 * - with a 16-wide student and a 32-wide teacher trained 1000 steps at lr 0.01
 *   against students of 150 steps (this test until 2026-12), the "gain" was the
 *   teacher's longer training: the same student alone for 1200 steps (0.326)
 *   passed that teacher (0.218).
 * loss_weight: 5 (the paper's) does nothing on these 8x8 and 4x4 maps, 20-40
 * help (docs/DISTILLATION.md). About 4 minutes on 2 cores, so it runs in the
 * main build only: under AddressSanitizer, or with DN_SKIP_SLOW=1 (CI's second
 * build), it is skipped. DN_CWD_* are knobs for experiments (see the struct
 * below); DN_VERBOSE=1 prints the losses. */
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
        .teacher_filters = env_int("DN_CWD_TEACHER_FILTERS", 16),
        .student_filters = env_int("DN_CWD_STUDENT_FILTERS", 4),
        .teacher_iters = env_int("DN_CWD_TEACHER_ITERS", 2000),
        .student_iters = env_int("DN_CWD_ITERS", 2000),
        .seed = env_int("DN_CWD_SEED", 1),
        .valid = env_int("DN_CWD_VALID", 200),
        .lr = (float)env_double("DN_CWD_LR", 0.02),
        .teacher_lr = (float)env_double("DN_CWD_TEACHER_LR", 0.02),
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
    /* without a teacher clearly better on the same schedule there is nothing to
     * transfer, and a gain would not be distillation's (see above) */
    CHECK_MSG(teacher >= plain + 0.05, "the teacher trained badly: AP50 %.3f, the plain student %.3f", teacher,
              plain);
    double distilled = train_student(&e, teacher_cfg, teacher_weights);
    unlink(teacher_cfg);
    unlink(teacher_weights);
    fprintf(stderr, "    cwd experiment: teacher AP50 %.3f, student %.3f, distilled %.3f (gain %+.3f)\n", teacher,
            plain, distilled, distilled - plain);
    /* gains over seeds 1-3: +0.014 to +0.042 (teacher leads +0.074 to +0.086) */
    CHECK_MSG(distilled >= plain + 0.01, "distilled AP50 %.3f, plain %.3f, teacher %.3f", distilled, plain, teacher);
}
