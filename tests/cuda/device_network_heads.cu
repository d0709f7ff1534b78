/* Networks ending in [retina], [cwd] and [kd] on the GPU against the CPU: the
 * heads' truths (boxes, one-hot classes) and the distillers' teachers, which
 * follow their student onto the device. */
#include <unistd.h>

#include "network_test.h"

extern "C" {
#include "teacher.h"
}


/* One-hot classes, image i of class (3i + seed) mod classes. */
static std::vector<float> one_hot(network *net, unsigned seed)
{
    int n = net->truths, b = net->batch * net->subdivisions;
    std::vector<float> t((size_t)n * b, 0);
    for (int i = 0; i < b && n; ++i) t[(size_t)i * n + (3 * i + seed) % n] = 1;
    return t;
}

/* Up to two boxes per image (x, y, w, h relative, class), varying with the seed; every third image has none. */
static std::vector<float> boxes(network *net, unsigned seed)
{
    int n = net->truths, b = net->batch * net->subdivisions;
    std::vector<float> t((size_t)n * b, 0), r = random_vector((size_t)b * 10, 0, 1, seed);
    for (int i = 0; i < b; ++i) {
        if (i % 3 == 2) continue;
        for (int k = 0; k < 1 + i % 2; ++k) {
            const float *u = &r[(size_t)i * 10 + k * 5];
            float box[5] = {0.3f + 0.4f * u[0], 0.3f + 0.4f * u[1], 0.2f + 0.5f * u[2], 0.2f + 0.5f * u[3],
                            (float)((i + k) % 2)};
            memcpy(&t[(size_t)i * n + k * 5], box, sizeof box);
        }
    }
    return t;
}

static void check_named_losses(network *cpu, network *gpu, double tol)
{
    layer *c = &cpu->layers[cpu->n - 1], *g = &gpu->layers[gpu->n - 1];
    if (!c->ops->named_losses) return;
    std::vector<float> want(4), got(4);
    int n = c->ops->named_losses(c, NULL, want.data(), 4);
    g->ops->named_losses(g, NULL, got.data(), 4);
    want.resize(n < 4 ? n : 4);
    got.resize(want.size());
    check_close(got, want, tol, "named losses");
}

/* After an inference forward, the host outputs of layers [first, end) (those
 * a host decoding reads: they must have been pulled). */
static void check_host_outputs(network *cpu, network *gpu, int first, int end, double tol)
{
    for (int i = first; i < end; ++i) {
        const layer *c = &cpu->layers[i], *g = &gpu->layers[i];
        std::vector<float> want((size_t)c->batch * c->outputs), got(want.size());
        memcpy(want.data(), c->output, want.size() * sizeof(float));
        memcpy(got.data(), g->output, got.size() * sizeof(float));
        char name[96];
        snprintf(name, sizeof name, "inference: layer %d host output", i);
        check_close(got, want, tol, name);
    }
}

/* check_network_on_gpu with the head's own truths, the named losses and the
 * host outputs of layers [first_host, end_host) after the inference forward. */
static void check_head_on_gpu(const char *cfg, truth_maker truth, int first_host, int end_host, double tol)
{
    check_pair_on_gpu(cfg, truth, check_named_losses, [=](network *cpu, network *gpu, double t) {
        check_host_outputs(cpu, gpu, first_host, end_host, t);
    }, tol);
}

/* Retina on two 1x1 levels of [connected] heads (the box head reads the class
 * logits: only layers with device passes), 3 anchors each. */
static const char retina_connected_cfg[] =
    "[net]\nbatch=4\nwidth=8\nheight=8\nchannels=1\nlearning_rate=0.05\nmomentum=0.9\n"
    "[connected]\noutput=10\nactivation=tanh\n"
    "[connected]\noutput=6\nactivation=linear\n"
    "[connected]\noutput=12\nactivation=linear\n"
    "[connected]\noutput=6\nactivation=linear\n"
    "[connected]\noutput=12\nactivation=linear\n"
    "[retina]\nclasses=2\ncls=1,3\nbox=2,4\nstrides=8,8\nanchor_sizes=4,8\nscales=1\nratios=0.5,1,2\n"
    "box_loss=%s\n";

static void check_retina(const char *box_loss)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, retina_connected_cfg, box_loss);
    check_head_on_gpu(cfg, boxes, 1, 5, 1e-4);   /* the heads */
}

TEST(gpu_retina_on_connected_heads_trains_as_on_the_cpu) { check_retina("l1"); }

TEST(gpu_retina_with_smooth_l1_trains_as_on_the_cpu) { check_retina("smooth_l1"); }

TEST(gpu_retina_with_giou_says_it_has_no_device_pass)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg, retina_connected_cfg, "giou");
    network *net = build_net(cfg);
    if (!net || !test_gpu()) return;
    CHECK(network_use_gpu(net, 0) == -1);
    CHECK_MSG(strstr(dn_last_error(), "giou") != NULL, "%s", dn_last_error());
    free_network(net);
}

/* Two conv levels of 4x4 and 2x2, as the retina kernel tests. */
TEST(gpu_retina_on_conv_levels_trains_as_on_the_cpu)
{
    check_head_on_gpu("[net]\nbatch=3\nwidth=16\nheight=16\nchannels=2\nlearning_rate=0.05\n"
                      "[convolutional]\nfilters=4\nsize=4\nstride=4\nactivation=tanh\n"
                      "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
                      "[route]\nlayers=0\n"
                      "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n"
                      "[route]\nlayers=0\n"
                      "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
                      "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
                      "[route]\nlayers=5\n"
                      "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n"
                      "[retina]\nclasses=2\ncls=1,6\nbox=3,-1\nanchor_sizes=6,12\nscales=1\nratios=0.5,1\n",
                      boxes, 0, 0, 1e-4);
}

/* A trained-looking teacher: its cfg in a temp file, its seeded weights beside it. */
struct teacher_files {
    char cfg[256], weights[272];
};

static int save_teacher(const char *text, teacher_files *f, unsigned seed)
{
    snprintf(f->cfg, sizeof f->cfg, "%s", temp_file(text));
    network *t = load_network_seeded(f->cfg, NULL, 0, seed);
    CHECK_MSG(t != NULL, "teacher: %s", dn_last_error());
    if (!t) return -1;
    snprintf(f->weights, sizeof f->weights, "%s.weights", f->cfg);
    int rc = save_weights(t, f->weights);
    free_network(t);
    return rc;
}

static void remove_teacher(const teacher_files *f)
{
    unlink(f->cfg);
    unlink(f->weights);
}

/* The student's cfg: text with the teacher's cfg and weights for the two %s. */
static void check_pair(const char *teacher_text, const char *student_text, truth_maker truth)
{
    teacher_files f;
    if (save_teacher(teacher_text, &f, 5)) return;
    char cfg[4096];
    snprintf(cfg, sizeof cfg, student_text, f.cfg, f.weights);
    check_head_on_gpu(cfg, truth, 0, 0, 1e-4);
    remove_teacher(&f);
}

static const char pair_teacher[] = "[net]\nbatch=4\nwidth=3\nheight=2\nchannels=2\n"
                                   "[connected]\noutput=8\nactivation=leaky\n"
                                   "[connected]\noutput=5\nactivation=linear\n"
                                   "[softmax]\n";

TEST(gpu_cwd_with_an_adapter_trains_its_student_as_on_the_cpu)
{
    check_pair(pair_teacher,
               "[net]\nbatch=4\nwidth=3\nheight=2\nchannels=2\nlearning_rate=0.1\nmomentum=0.9\n"
               "[connected]\noutput=6\nactivation=tanh\n"
               "[connected]\noutput=3\nactivation=linear\n"
               "[cwd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=1\nnorm=spatial\ntau=2\n"
               "loss_weight=3\n",
               one_hot);
}

TEST(gpu_fd_trains_its_student_as_on_the_cpu)
{
    check_pair(pair_teacher,
               "[net]\nbatch=4\nwidth=3\nheight=2\nchannels=2\nlearning_rate=0.1\nmomentum=0.9\n"
               "[connected]\noutput=6\nactivation=tanh\n"
               "[connected]\noutput=5\nactivation=linear\n"
               "[fd]\nfrom=1\nteacher=%s\nteacher_weights=%s\nteacher_layer=1\ntype=smooth_l1\n",
               one_hot);
}

static const char kd_student[] = "[net]\nbatch=4\nwidth=3\nheight=2\nchannels=2\nlearning_rate=0.1\nmomentum=0.9\n"
                                 "[connected]\noutput=7\nactivation=leaky\n"
                                 "[connected]\noutput=5\nactivation=linear\n"
                                 "[kd]\nteacher=%s\nteacher_weights=%s\n%s";

static void check_kd(const char *method)
{
    char student[2048];
    snprintf(student, sizeof student, kd_student, "%s", "%s", method);
    check_pair(pair_teacher, student, one_hot);
}

TEST(gpu_kd_classifier_pair_trains_as_on_the_cpu) { check_kd("temperature=2\nalpha=0.7\n"); }

TEST(gpu_nkd_classifier_pair_trains_as_on_the_cpu) { check_kd("method=nkd\n"); }

TEST(gpu_teachers_follow_their_student_onto_the_gpu)
{
    teacher_files f;
    if (save_teacher(pair_teacher, &f, 5)) return;
    char cfg[2048];
    snprintf(cfg, sizeof cfg, kd_student, f.cfg, f.weights, "");
    dn_set_gpu(0);   /* the loads' device choice must not move a teacher before its student */
    network *net = build_net(cfg);
    dn_set_gpu(-1);
    if (net && test_gpu()) {
        CHECK(network_teacher(net, 0) && network_teacher(net, 0)->net->gpu == NULL);
        CHECK_MSG(network_use_gpu(net, 0) == 0, "%s", dn_last_error());
        teacher *t = network_teacher(net, 0);
        CHECK(t && t->net->gpu != NULL && t->net->gpu != net->gpu);
        std::vector<float> x = random_vector((size_t)net->batch * net->inputs, -1, 1, 3), y = one_hot(net, 1);
        train_network_step(net, x.data(), y.data());
        CHECK(t && t->runs == 1);
    }
    free_network(net);
    remove_teacher(&f);
}

/* Two [yolo] heads (the second on the first's map upsampled), CIoU and
 * scale_x_y on the first: the loss runs on the host from the pulled logits
 * and its gradient is pushed, so training must match the CPU's. */
static const char yolo_train_cfg[] =
    "[net]\nbatch=4\nwidth=8\nheight=8\nchannels=3\nlearning_rate=0.1\n"
    "[convolutional]\nfilters=14\nsize=3\nstride=2\npad=1\nactivation=linear\n"
    "[yolo]\nmask=2,3\nanchors=2,2, 3,4, 5,3, 6,6\nclasses=2\nnum=4\nscale_x_y=1.1\niou_loss=ciou\n"
    "iou_normalizer=0.5\n"
    "[route]\nlayers=0\n"
    "[upsample]\nstride=2\n"
    "[yolo]\nmask=0,1\nanchors=2,2, 3,4, 5,3, 6,6\nclasses=2\nnum=4\nlabel_smooth_eps=0.1\n";

TEST(gpu_yolo_network_trains_as_on_the_cpu) { check_head_on_gpu(yolo_train_cfg, boxes, 4, 5, 1e-4); }
