/* test_nkd_torch.c: our [kd] method=nkd against a PyTorch implementation of
 * the NKD authors' formula (tests/torch/nkd_reference.py) on random logits:
 * the loss per image and its gradient w.r.t. the student's logits agree to
 * 1e-5. Runs /usr/bin/python3; prints a "skip" line when it has no torch
 * (Debian: apt-get install python3-torch).
 *
 * The student's logits and the teacher's are independent: both networks read
 * a 2K-wide input [s; t], the student's [connected] keeps the first half
 * (weights [I 0]) and the teacher's the second ([0 I]). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill_test_util.h"
#include "network.h"
#include "teacher.h"
#include "test.h"

enum { N = 6, K = 7 };
static const char *const PY = "/usr/bin/python3";

static const char *script_path(void)
{
    static const char *const where[] = {"tests/torch/nkd_reference.py", "../tests/torch/nkd_reference.py"};
    for (int i = 0; i < 2; ++i)
        if (access(where[i], R_OK) == 0) return where[i];
    return NULL;
}

static int torch_available(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "%s -c 'import torch' > /dev/null 2>&1", PY);
    return access(PY, X_OK) == 0 && system(cmd) == 0;
}

/* A [connected] K x 2K layer keeping half `half` of its input. */
static void select_half(layer *l, int half)
{
    memset(l->stored[0], 0, sizeof(float) * K);
    memset(l->stored[1], 0, sizeof(float) * K * 2 * K);
    for (int i = 0; i < K; ++i) l->stored[1][i * 2 * K + half * K + i] = 1;
}

#define NET "[net]\nbatch=6\nwidth=14\nheight=1\nchannels=1\n[connected]\noutput=7\nactivation=linear\n"

static void save_selecting_teacher(char *cfg, char *weights, size_t size)
{
    const char *path = temp_file(NET);
    if (snprintf(cfg, size, "%s", path) >= (int)size || snprintf(weights, size, "%s.weights", path) >= (int)size)
        return;
    network *t = parse_network_cfg(cfg);
    CHECK_MSG(t != NULL, "teacher: %s", dn_last_error());
    if (!t) return;
    select_half(&t->layers[0], 1);
    CHECK(save_weights(t, weights) == 0);
    free_network(t);
}

typedef struct {
    double T, gamma, alpha;
    float x[N * 2 * K];      /* per image: the student's logits, then the teacher's */
    int label[N];
    double loss;             /* ours: per image */
    double grad[N * K];      /* ours: of the mean over the images */
} nkd_case;

/* Our loss and gradient for the case's logits and labels. */
static void run_ours(const char *tcfg, const char *tw, nkd_case *c, unsigned seed)
{
    char text[1024];
    snprintf(text, sizeof text, NET "[kd]\nteacher=%s\nteacher_weights=%s\nmethod=nkd\ntemperature=%g\ngamma=%g\n"
                                    "alpha=%g\n", tcfg, tw, c->T, c->gamma, c->alpha);
    network *net = build_net(text);
    if (!net) return;
    select_half(&net->layers[0], 0);
    random_fill(c->x, N * 2 * K, -4, 4, seed);   /* logits of a few units */
    float y[N * K] = {0};
    for (int b = 0; b < N; ++b) y[b * K + (c->label[b] = (int)((seed * 7 + b * 3) % K))] = 1;
    net->truth = y;
    net->train = 1;
    forward_network(net, c->x);
    const float *d = student_map_gradient(net);
    c->loss = net->layers[1].cost / N;                                  /* cost sums the images; torch: mean */
    for (int i = 0; i < N * K; ++i) c->grad[i] = -d[i] / N;             /* delta: the negative gradient */
    free_network(net);
}

static void write_rows(FILE *f, const nkd_case *c, int half)
{
    fprintf(f, "\"%s\": [", half ? "t" : "s");
    for (int b = 0; b < N; ++b) {
        fprintf(f, "%s[", b ? ", " : "");
        for (int i = 0; i < K; ++i) fprintf(f, "%s%.9g", i ? ", " : "", c->x[b * 2 * K + half * K + i]);
        fprintf(f, "]");
    }
    fprintf(f, "]");
}

static void write_cases(const char *path, const nkd_case *cases, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (int k = 0; k < n; ++k) {
        const nkd_case *c = &cases[k];
        fprintf(f, "%s{\"T\": %.17g, \"gamma\": %.17g, \"alpha\": %.17g, \"label\": [", k ? ", " : "[", c->T,
                c->gamma, c->alpha);
        for (int b = 0; b < N; ++b) fprintf(f, "%s%d", b ? ", " : "", c->label[b]);
        fprintf(f, "], ");
        write_rows(f, c, 0);
        fprintf(f, ", ");
        write_rows(f, c, 1);
        fprintf(f, "}");
    }
    fprintf(f, "]\n");
    fclose(f);
}

/* Compares one case with the reference's answer. */
static void compare(const nkd_case *c, cJSON *answer)
{
    cJSON *l = cJSON_GetObjectItem(answer, "loss"), *g = cJSON_GetObjectItem(answer, "grad");
    CHECK_MSG(cJSON_IsNumber(l) && cJSON_GetArraySize(g) == N, "T %g: no answer", c->T);
    if (!cJSON_IsNumber(l) || cJSON_GetArraySize(g) != N) return;
    CHECK_MSG(fabs(c->loss - l->valuedouble) <= 1e-5, "T %g gamma %g alpha %g: loss %.9g, torch %.9g", c->T,
              c->gamma, c->alpha, c->loss, l->valuedouble);
    double worst = 0;
    for (int b = 0; b < N; ++b) {
        cJSON *row = cJSON_GetArrayItem(g, b);
        for (int i = 0; i < K; ++i) {
            cJSON *v = cJSON_GetArrayItem(row, i);
            worst = fmax(worst, v ? fabs(c->grad[b * K + i] - v->valuedouble) : INFINITY);
        }
    }
    CHECK_MSG(worst <= 1e-5, "T %g gamma %g alpha %g: gradient differs by %g", c->T, c->gamma, c->alpha, worst);
}

/* Runs the reference on all cases at once (torch loads in seconds). */
static void check_against_torch(const nkd_case *cases, int n)
{
    char path[64], cmd[1024];
    snprintf(path, sizeof path, "%s", temp_file(""));
    write_cases(path, cases, n);
    snprintf(cmd, sizeof cmd, "%s %s %s", PY, script_path(), path);
    FILE *p = popen(cmd, "r");
    static char out[1 << 16];
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = 0;
    int rc = p ? pclose(p) : -1;
    unlink(path);
    cJSON *answers = rc == 0 ? cJSON_Parse(out) : NULL;
    CHECK_MSG(cJSON_GetArraySize(answers) == n, "reference failed (status %d): %s", rc, out);
    for (int k = 0; k < n && cJSON_GetArraySize(answers) == n; ++k) compare(&cases[k], cJSON_GetArrayItem(answers, k));
    cJSON_Delete(answers);
}

TEST(nkd_loss_and_gradient_match_pytorch_reference)
{
    if (!script_path() || !torch_available()) {
        printf("skip nkd_matches_pytorch: %s has no torch (apt-get install python3-torch)\n", PY);
        return;
    }
    static nkd_case cases[] = {
        {1, 1.5, 1, {0}, {0}, 0, {0}},     /* the authors' ImageNet setting, NKD alone */
        {1, 1, 1, {0}, {0}, 0, {0}},       /* the SLaK code's NKD (gamma 1, T 1, no CE) */
        {3, 3.5, 1, {0}, {0}, 0, {0}},     /* their CIFAR-100 setting */
        {2, 1.5, 0.5, {0}, {0}, 0, {0}},   /* our default weighting with CE, at T 2 */
    };
    enum { N_CASES = sizeof cases / sizeof cases[0] };
    char tcfg[256], tw[256];
    save_selecting_teacher(tcfg, tw, sizeof tcfg);
    for (int k = 0; k < N_CASES; ++k) run_ours(tcfg, tw, &cases[k], 1 + (unsigned)k);
    check_against_torch(cases, N_CASES);
    remove_teacher(tcfg, tw);
}
