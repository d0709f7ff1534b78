/* teacher.c: loading teachers once per student and running them once per batch. */
#include "teacher.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "companion.h"
#include "errors.h"
#include "hash.h"
#include "network.h"

/* A relative path that does not exist from the working directory is looked up
 * beside the student's cfg, so a cfg and its teacher can move together. */
static char *find_file(const char *path, const char *student_cfg)
{
    if (access(path, R_OK) == 0 || path[0] == '/') return dn_strdup(path);
    const char *slash = strrchr(student_cfg, '/');
    if (!slash) return dn_strdup(path);
    size_t dir = (size_t)(slash - student_cfg) + 1, n = dir + strlen(path) + 1;
    char *beside = dn_calloc(n, 1);
    if (!beside) return NULL;
    memcpy(beside, student_cfg, dir);
    strcpy(beside + dir, path);
    if (access(beside, R_OK) == 0) return beside;
    free(beside);
    return dn_strdup(path);
}

/* Two names for the same file compare equal after realpath. */
static int same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!realpath(a, ra) || !realpath(b, rb)) return !strcmp(a, b);
    return !strcmp(ra, rb);
}

/* The teacher cfgs being built on this thread, outermost first. A teacher
 * that names its student or one of the cfgs above it (itself, A -> B -> A)
 * would be built again without end: refused. */
enum { MAX_TEACHER_DEPTH = 8 };
static _Thread_local const char *building[MAX_TEACHER_DEPTH];
static _Thread_local int n_building;

static int check_no_cycle(const network *student, const char *cfg)
{
    if (same_file(cfg, student->cfg_path))
        return dn_error("teacher cfg %s is the student's own cfg %s", cfg, student->cfg_path);
    for (int i = 0; i < n_building; ++i)
        if (same_file(cfg, building[i]))
            return dn_error("teacher cfg %s is a teacher of itself (through %s)", cfg, student->cfg_path);
    if (n_building == MAX_TEACHER_DEPTH)
        return dn_error("teachers of teachers nest deeper than %d at %s", MAX_TEACHER_DEPTH, cfg);
    return 0;
}

/* The teacher's network, built with `cfg` marked as in progress. */
static network *build_teacher(const network *student, const char *cfg)
{
    if (check_no_cycle(student, cfg)) return NULL;
    building[n_building++] = cfg;
    network *net = load_network_frozen_on_host(cfg, NULL);
    --n_building;
    return net;
}

static void free_teacher(teacher *t)
{
    if (!t) return;
    free_network(t->net);
    free(t->cfg);
    free(t->weights);
    free(t);
}

static teacher *load_teacher(network *student, const char *cfg, const char *weights, int *bad_weights)
{
    teacher *t = dn_calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = find_file(cfg, student->cfg_path);
    t->weights = find_file(weights, student->cfg_path);
    if (!t->cfg || !t->weights) goto fail;
    if (access(t->cfg, R_OK)) {
        dn_error("teacher cfg %s cannot be read", t->cfg);
        goto fail;
    }
    if (access(t->weights, R_OK)) {
        dn_error("teacher weights %s cannot be read (train the teacher first, or name its weights file)",
                 t->weights);
        *bad_weights = 1;
        goto fail;
    }
    /* the cfg first, then its weights, so a failure says which file is at fault */
    if (!(t->net = build_teacher(student, t->cfg))) goto fail;
    if (load_weights(t->net, t->weights)) {
        *bad_weights = 1;
        goto fail;
    }
    network *tn = t->net;
    tn->batch = student->batch;
    if (network_setup_layers(tn, 0)) goto fail;
    if (tn->w != student->w || tn->h != student->h || tn->c != student->c) {
        dn_error("teacher %s takes %d x %d x %d input but the student takes %d x %d x %d: "
                 "set the teacher's width/height/channels to the student's",
                 t->cfg, tn->w, tn->h, tn->c, student->w, student->h, student->c);
        goto fail;
    }
    return t;
fail:
    free_teacher(t);
    return NULL;
}

/* The companion hooks of a teacher (companion.h). */

/* One inference forward on the student's input batch; nothing when the
 * student's distillation is off (network_set_distillation). On a GPU the
 * teacher pushes the host batch it is given (one host -> device copy) and its
 * maps stay on the device, where the student's distillation layers read them
 * (forward_network_gpu_on_device waits for the teacher's stream first). */
static void teacher_before_forward(void *state, network *student, const float *input)
{
    teacher *t = state;
    if (student->distill_off) return;
    network *tn = t->net;
    tn->train = 0;
    t->runs++;
    if (!tn->gpu) {
        forward_network_to(tn, input, t->last_layer);
        return;
    }
    if (forward_network_gpu_on_device(tn, input, t->last_layer)) student->gpu_failed = 1;
}

/* Gives the teacher the student's batch size (after it changed). */
static int teacher_resize(void *state, network *student)
{
    network *tn = ((teacher *)state)->net;
    if (tn->batch == student->batch) return 0;
    tn->batch = student->batch;
    return network_setup_layers(tn, 0);
}

/* The teacher runs on the student's GPU, in a context (stream) of its own. */
static int teacher_use_gpu(void *state, network *student, int device)
{
    (void)student;
    return network_use_gpu(((teacher *)state)->net, device);
}

/* Replicas must agree on the teacher's cfg and weights as on the student's. */
static void teacher_hash(const void *state, uint64_t *cfg, uint64_t *values)
{
    const network *tn = ((const teacher *)state)->net;
    *cfg = hash_bytes(&tn->cfg_hash, sizeof tn->cfg_hash, *cfg);
    *values = network_values_hash(tn, *values);
}

static void teacher_free(void *state) { free_teacher(state); }

static const companion_hooks teacher_hooks = {
    .before_forward = teacher_before_forward,
    .resize = teacher_resize,
    .use_gpu = teacher_use_gpu,
    .hash = teacher_hash,
    .free = teacher_free,
};

teacher *network_teacher(const network *student, int k) { return network_companion(student, &teacher_hooks, k); }

teacher *network_attach_teacher(network *student, const char *cfg, const char *weights, int *bad_weights)
{
    int unused;
    if (!bad_weights) bad_weights = &unused;
    *bad_weights = 0;
    teacher *t;
    for (int i = 0; (t = network_teacher(student, i)); ++i) {
        char *c = find_file(cfg, student->cfg_path), *w = find_file(weights, student->cfg_path);
        int same = c && w && same_file(c, t->cfg) && same_file(w, t->weights);
        free(c);
        free(w);
        if (same) return t;
    }
    if (!(t = load_teacher(student, cfg, weights, bad_weights))) return NULL;
    if (network_add_companion(student, &teacher_hooks, t)) {
        free_teacher(t);
        return NULL;
    }
    return t;
}

void teacher_needs_layer(teacher *t, int index)
{
    if (index > t->last_layer) t->last_layer = index;
}
