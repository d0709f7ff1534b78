/* The large-kernel cfgs of scripts/gen_retinanet_cfg.py (ConvNeXt- and
 * SLaK-style RetinaNets): the tiny teachers' FPN levels have exactly
 * retinanet_tiny's shapes and [retina] settings (so [cwd] pairs them without
 * adapters), a forward on a random image stays finite, and SLaK's rectangular
 * depthwise kernels take the direct depthwise path, not im2col. The
 * distillation examples (*_cwd.cfg) pair each student FPN level with the
 * teacher's, and the tiny one trains.
 *
 * Parameter counts (checked in test_retina.c), worked out by hand:
 *   ConvNeXt block of width d: 7x7 depthwise + bias 50d, [layernorm] 2d,
 *   1x1 d->4d 4d^2+4d, 1x1 4d->d 4d^2+d: 8d^2+57d. Stem 48*96+96 + 2*96;
 *   downsampling 2*d_in + 4*d_in*d_out + d_out. With ConvNeXt-T's widths and
 *   depths, a final norm (1,536) and 1000-class head (769,000) and layer scale
 *   (one d per block, 6,624), this gives 28,589,128, the published 28.6M.
 *   The detection backbone here has no layer scale, norm or head but three
 *   output norms (2 * (192 + 384 + 768)): 27,814,656. SLaK-T (widths 124, 249,
 *   499, 998) swaps 50d for d * (2 * 5 * k + 25) weights plus 3 * 2d batch-norm
 *   scales and shifts: 49,697,730 (SLaK's published 30M is the 40%-sparse model).
 *   FPN (1x1 laterals + bias, 3x3 outputs, P6, P7 with 256 channels) and heads
 *   (4 x 3x3 256 per subnet, 720 class and 36 box outputs): 9,758,452 for
 *   C3-C5 of 192/384/768, 9,861,364 for 249/499/998. Tiny ones: the same
 *   formulas with widths 32..256 (x 1.3 for SLaK), depths 1,1,3,1, kernels
 *   29,29,15,7, FPN 64 and 2-conv heads over P3-P5. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill_test_util.h"
#include "network.h"
#include "test.h"

/* The indices of the generator's "# fpn_outputs=a,b,c" line; returns how many. */
static int fpn_outputs(const char *text, int *idx, int max) { return cfg_comment_indices(text, "fpn_outputs", idx, max); }

/* The [retina] section without its cls= and box= lines (layer indices differ). */
static void retina_keys(const char *text, char *out, size_t size)
{
    out[0] = 0;
    const char *p = strstr(text, "[retina]");
    CHECK(p != NULL);
    if (!p) return;
    size_t used = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (strncmp(p, "cls=", 4) && strncmp(p, "box=", 4) && used + len + 2 < size) {
            memcpy(out + used, p, len);
            used += len;
            out[used++] = '\n';
            out[used] = 0;
        }
        p += len + (eol != NULL);
    }
}

static const char *const tiny_teachers[] = {"retinanet_convnext_tiny.cfg", "retinanet_slak_tiny.cfg"};

TEST(large_kernel_tiny_fpn_levels_match_retinanet_tiny)
{
    char path[256], want_retina[2048], got_retina[2048];
    char *ref_text = repo_cfg_text("retinanet_tiny.cfg", path, sizeof path);
    if (!ref_text) return;
    int ref_idx[8], n_ref = fpn_outputs(ref_text, ref_idx, 8);
    CHECK_MSG(n_ref == 3, "retinanet_tiny.cfg names %d FPN outputs, expected P3-P5", n_ref);
    retina_keys(ref_text, want_retina, sizeof want_retina);
    network *ref = build_network(path, 0, DN_DEFAULT_SEED);
    CHECK_MSG(ref != NULL, "retinanet_tiny.cfg: %s", dn_last_error());
    for (size_t t = 0; ref && t < sizeof tiny_teachers / sizeof tiny_teachers[0]; ++t) {
        const char *name = tiny_teachers[t];
        char *text = repo_cfg_text(name, path, sizeof path);
        if (!text) continue;
        int idx[8], n = fpn_outputs(text, idx, 8);
        CHECK_MSG(n == n_ref, "%s names %d FPN outputs, retinanet_tiny.cfg %d", name, n, n_ref);
        retina_keys(text, got_retina, sizeof got_retina);
        CHECK_MSG(!strcmp(got_retina, want_retina), "%s: [retina] differs from retinanet_tiny's:\n%s", name,
                  got_retina);
        network *net = build_network(path, 0, DN_DEFAULT_SEED);
        free(text);
        CHECK_MSG(net != NULL, "%s: %s", name, dn_last_error());
        if (!net) continue;
        CHECK(net->w == ref->w && net->h == ref->h && net->c == ref->c);
        for (int i = 0; i < n && i < n_ref; ++i) {
            CHECK_MSG(idx[i] >= 0 && idx[i] < net->n, "%s: FPN output %d is layer %d", name, i, idx[i]);
            if (idx[i] < 0 || idx[i] >= net->n) continue;
            const layer *a = &net->layers[idx[i]], *b = &ref->layers[ref_idx[i]];
            CHECK_MSG(!strcmp(a->ops->name, "convolutional"), "%s: layer %d is a [%s]", name, idx[i],
                      a->ops->name);
            CHECK_MSG(a->out_w == b->out_w && a->out_h == b->out_h && a->out_c == b->out_c,
                      "%s: P%d (layer %d) is %dx%dx%d, retinanet_tiny's %dx%dx%d", name, i + 3, idx[i],
                      a->out_w, a->out_h, a->out_c, b->out_w, b->out_h, b->out_c);
        }
        free_network(net);
    }
    if (ref) free_network(ref);
    free(ref_text);
}

TEST(large_kernel_tiny_forward_is_finite)
{
    char path[256];
    for (size_t t = 0; t < sizeof tiny_teachers / sizeof tiny_teachers[0]; ++t) {
        char *text = repo_cfg_text(tiny_teachers[t], path, sizeof path);
        int idx[8], n = text ? fpn_outputs(text, idx, 8) : 0;
        free(text);
        network *net = load_network_frozen(path, NULL);
        CHECK_MSG(net != NULL, "%s: %s", tiny_teachers[t], dn_last_error());
        if (!net) continue;
        set_batch_network(net, 1); /* one image is enough, and fast */
        CHECK(net->batch == 1);
        float *x = random_input(net, 3 + (unsigned)t);
        for (int i = 0; i < net->inputs; ++i) x[i] = 0.5f + 0.5f * x[i]; /* images are in [0,1] */
        network_predict(net, x);
        for (int i = 0; i < net->n; ++i) {
            const layer *l = &net->layers[i];
            int bad = 0;
            for (int k = 0; k < net->batch * l->outputs; ++k) bad += !isfinite(l->output[k]);
            CHECK_MSG(!bad, "%s: layer %d [%s] has %d non-finite outputs", tiny_teachers[t], i, l->ops->name, bad);
        }
        /* the FPN levels carry signal (not all one value) */
        for (int i = 0; i < n; ++i) {
            const layer *l = &net->layers[idx[i]];
            float lo = l->output[0], hi = l->output[0];
            for (int k = 1; k < l->outputs; ++k) {
                lo = l->output[k] < lo ? l->output[k] : lo;
                hi = l->output[k] > hi ? l->output[k] : hi;
            }
            CHECK_MSG(hi - lo > 1e-3f, "%s: P%d is flat (%g..%g)", tiny_teachers[t], i + 3, lo, hi);
        }
        free(x);
        free_network(net);
    }
}

/* ---- rectangular depthwise kernels take the direct path ------------------- */

static network *depthwise_net(int c, int h, int w, int sy, int sx, const char *act)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=2\nwidth=%d\nheight=%d\nchannels=%d\n"
             "[convolutional]\nfilters=%d\ngroups=%d\nsize_y=%d\nsize_x=%d\nstride=1\npad=1\nactivation=%s\n",
             w, h, c, c, c, sy, sx, act);
    return build_net(cfg);
}

TEST(rectangular_depthwise_direct_path_matches_loops)
{
    /* kernels taller or wider than the map, as SLaK's 51x5 on small maps */
    static const int shapes[][2] = {{13, 3}, {3, 13}, {5, 9}};
    const int c = 3, h = 6, w = 7;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
        int sy = shapes[s][0], sx = shapes[s][1];
        network *net = depthwise_net(c, h, w, sy, sx, "linear");
        if (!net) continue;
        layer *l = &net->layers[0];
        CHECK_MSG(l->workspace == 0, "%dx%d depthwise asks for %zu im2col floats", sx, sy, l->workspace);
        CHECK(l->out_w == w && l->out_h == h && l->out_c == c);
        float *x = random_input(net, 17 + (unsigned)s);
        random_fill(l->params[0].val, l->params[0].n, -0.5f, 0.5f, 2); /* biases */
        const float *bias = l->params[0].val, *wt = l->params[1].val;
        const float *out = network_predict(net, x);
        double worst = 0;
        for (int b = 0; b < 2; ++b)
            for (int ch = 0; ch < c; ++ch)
                for (int oy = 0; oy < h; ++oy)
                    for (int ox = 0; ox < w; ++ox) {
                        double sum = bias[ch];
                        for (int ky = 0; ky < sy; ++ky)
                            for (int kx = 0; kx < sx; ++kx) {
                                int y = oy - sy / 2 + ky, xx = ox - sx / 2 + kx;
                                if (y >= 0 && y < h && xx >= 0 && xx < w)
                                    sum += (double)wt[(ch * sy + ky) * sx + kx] * x[((b * c + ch) * h + y) * w + xx];
                            }
                        double d = fabs(out[((b * c + ch) * h + oy) * w + ox] - sum);
                        worst = d > worst ? d : worst;
                    }
        CHECK_MSG(worst < 1e-4, "%dx%d depthwise: forward differs by %g", sx, sy, worst);
        free(x);
        free_network(net);
        /* gradients of input and weights (tanh: smooth for finite differences) */
        net = depthwise_net(c, h, w, sy, sx, "tanh");
        if (!net) continue;
        x = random_input(net, 23 + (unsigned)s);
        double err = grad_check(net, x, 1e-2);
        CHECK_MSG(err < 2e-2, "%dx%d depthwise: gradient error %g", sx, sy, err);
        free(x);
        free_network(net);
    }
    /* SLaK-T's first stage at 640 x 640 (160 x 160 x 124, 5 x 51): im2col would
     * ask for 124 * 255 * 160^2 floats; the direct path for none */
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "[net]\nbatch=1\nwidth=160\nheight=160\nchannels=124\n"
             "[convolutional]\nfilters=124\ngroups=124\nsize_y=5\nsize_x=51\npad=1\nbatch_normalize=1\n"
             "activation=linear\n");
    network *net = build_net(cfg);
    if (net) {
        CHECK(net->layers[0].workspace == 0);
        CHECK(net->layers[0].out_w == 160 && net->layers[0].out_h == 160);
        free_network(net);
    }
}

TEST(slak_tiny_needs_no_large_im2col)
{
    /* Its largest im2col should be a head's 3x3 over 64 channels at 16 x 16, four
     * images side by side (1024 columns, small maps share a gemm) with the product
     * of up to 256 filters beside them; one 5 x 29 depthwise of stage 1 through
     * im2col would need 41 * 145 * 32^2 per image. */
    char path[256];
    char *text = repo_cfg_text("retinanet_slak_tiny.cfg", path, sizeof path);
    if (!text) return;
    free(text);
    setenv("DARKNET_CONV", "gemm", 1);   /* the im2col path (oneDNN's workspace holds blocked activations) */
    network *net = build_network(path, 0, DN_DEFAULT_SEED);
    unsetenv("DARKNET_CONV");
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return;
    CHECK(net->workspace_size > 0);
    CHECK_MSG(net->workspace_size <= (size_t)(64 * 9 + 256) * 4 * 16 * 16, "workspace of %zu floats",
              net->workspace_size);
    free_network(net);
}

/* ---- the distillation examples (students with one [cwd] per FPN level) ---- */

/* Values of `key=` in the [cwd] sections, in order; returns how many. */
static int cwd_values(const char *text, const char *key, char values[][128], int max)
{
    int n = 0;
    size_t klen = strlen(key);
    for (const char *p = strstr(text, "\n[cwd]"); p && n < max; p = strstr(p + 1, "\n[cwd]")) {
        const char *end = strstr(p + 1, "\n["), *k = p;
        while ((k = strstr(k + 1, key)) && (!end || k < end))
            if (k[-1] == '\n' && k[klen] == '=') break;
        if (!k || (end && k > end)) continue;
        size_t len = strcspn(k + klen + 1, "\n");
        snprintf(values[n++], 128, "%.*s", (int)(len < 127 ? len : 127), k + klen + 1);
    }
    return n;
}

static void check_cwd_example(const char *student, const char *example, const char *teacher)
{
    char path[256], values[8][128];
    char *s = repo_cfg_text(student, path, sizeof path), *e = repo_cfg_text(example, path, sizeof path),
         *t = repo_cfg_text(teacher, path, sizeof path);
    if (s && e && t) {
        int s_idx[8], t_idx[8], n = fpn_outputs(s, s_idx, 8);
        CHECK_MSG(n > 0 && n == fpn_outputs(t, t_idx, 8), "%s and %s name different FPN levels", student, teacher);
        CHECK_MSG(!strncmp(e, s, strlen(s)), "%s is not %s plus [cwd] sections", example, student);
        CHECK_MSG(cwd_values(e, "from", values, 8) == n, "%s: not one [cwd] per FPN level", example);
        for (int i = 0; i < n; ++i) CHECK_MSG(atoi(values[i]) == s_idx[i], "%s: [cwd] %d from=%s", example, i, values[i]);
        CHECK(cwd_values(e, "teacher_layer", values, 8) == n);
        for (int i = 0; i < n; ++i)
            CHECK_MSG(atoi(values[i]) == t_idx[i], "%s: [cwd] %d teacher_layer=%s, %s's P%d is %d", example, i,
                      values[i], teacher, i + 3, t_idx[i]);
        CHECK(cwd_values(e, "teacher", values, 8) == n);
        for (int i = 0; i < n; ++i) CHECK_MSG(!strcmp(values[i], teacher), "%s: teacher=%s", example, values[i]);
    }
    free(s), free(e), free(t);
}

TEST(cwd_examples_pair_fpn_levels)
{
    check_cwd_example("retinanet_r18_fpn.cfg", "retinanet_r18_fpn_cwd.cfg", "retinanet_r50_fpn.cfg");
    check_cwd_example("retinanet_tiny.cfg", "retinanet_tiny_cwd.cfg", "retinanet_convnext_tiny.cfg");
}

/* retinanet_tiny_cwd.cfg loads as a user would run it (teacher weights under
 * backup/, found beside the cfg) and one training step gives a cwd loss. */
TEST(cwd_tiny_example_trains_a_step)
{
    char dir[] = "/tmp/dn_cwd_example_XXXXXX", path[256], dst[512];
    if (!mkdtemp(dir)) return;
    const char *names[] = {"retinanet_tiny_cwd.cfg", "retinanet_convnext_tiny.cfg"};
    for (int i = 0; i < 2; ++i) {
        char *text = repo_cfg_text(names[i], path, sizeof path);
        snprintf(dst, sizeof dst, "%s/%s", dir, names[i]);
        FILE *f = fopen(dst, "w");
        if (f && text) fputs(text, f);
        if (f) fclose(f);
        free(text);
    }
    snprintf(dst, sizeof dst, "%s/backup", dir);
    mkdir(dst, 0755);
    snprintf(path, sizeof path, "%s/retinanet_convnext_tiny.cfg", dir);
    snprintf(dst, sizeof dst, "%s/backup/retinanet_convnext_tiny_final.weights", dir);
    network *teacher = build_network(path, 0, 7);
    CHECK_MSG(teacher && save_weights(teacher, dst) == 0, "%s", dn_last_error());
    if (teacher) free_network(teacher);
    snprintf(path, sizeof path, "%s/retinanet_tiny_cwd.cfg", dir);
    network *net = load_network_seeded(path, NULL, 1, 3);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (net) {
        set_batch_network(net, 1);
        CHECK(one_teacher(net));
        float *x = random_input(net, 5), *truth = calloc((size_t)network_truths(net), sizeof(float));
        for (int i = 0; i < net->inputs; ++i) x[i] = 0.5f + 0.5f * x[i];
        truth[0] = truth[1] = 0.5f, truth[2] = truth[3] = 0.3f; /* one box of class 0 */
        train_network_step(net, x, truth);
        int cwd = 0;
        for (int i = 0; i < net->n; ++i)
            if (!strcmp(net->layers[i].ops->name, "cwd")) {
                ++cwd;
                CHECK_MSG(net->layers[i].cost > 0 && isfinite(net->layers[i].cost), "cwd layer %d loss %g", i,
                          net->layers[i].cost);
            }
        CHECK(cwd == 3);
        free(x), free(truth);
        free_network(net);
    }
    snprintf(dst, sizeof dst, "rm -rf '%s'", dir);
    CHECK(system(dst) == 0);
}
