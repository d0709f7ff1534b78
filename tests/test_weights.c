/* .weights I/O: round-trips for every layer type that stores tensors, darknet's
 * layout read from hand-written files, old 32-bit `seen` headers, truncated and
 * too-long files (with the byte counts in the message), partial files ending at
 * a layer boundary, load/save up to N layers, and atomic saving. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

enum { HEADER = 20 }; /* int32 major, minor, revision; uint64 seen */

/* A cfg file that stays on disk until cfg_done() (weights loads name the cfg). */
static const char *cfg_path_for(const char *text) { return temp_file(text); }
static void cfg_done(const char *path) { unlink(path); }

static network *build(const char *cfg_path, uint64_t seed)
{
    network *net = load_network_seeded(cfg_path, NULL, 0, seed);
    CHECK_MSG(net != NULL, "cfg rejected: %s", dn_last_error());
    return net;
}

static size_t stored_bytes(const layer *l)
{
    size_t n = 0;
    for (int t = 0; t < l->n_stored; ++t) n += (size_t)l->stored_n[t] * sizeof(float);
    return n;
}

static size_t file_bytes(const network *net, int n_layers)
{
    size_t n = HEADER;
    for (int i = 0; i < n_layers; ++i) n += stored_bytes(&net->layers[i]);
    return n;
}

/* Positive values everywhere, so variances stay valid. */
static void randomize_stored(network *net, unsigned seed)
{
    for (int i = 0; i < net->n; ++i)
        for (int t = 0; t < net->layers[i].n_stored; ++t)
            random_fill(net->layers[i].stored[t], net->layers[i].stored_n[t], 0.1f, 1.0f,
                        seed + 16 * i + t);
}

/* Number of layers whose stored tensors are bit-identical in a and b. */
static int same_layer(const network *a, const network *b, int i)
{
    const layer *la = &a->layers[i], *lb = &b->layers[i];
    if (la->n_stored != lb->n_stored) return 0;
    for (int t = 0; t < la->n_stored; ++t)
        if (la->stored_n[t] != lb->stored_n[t] ||
            memcmp(la->stored[t], lb->stored[t], la->stored_n[t] * sizeof(float)))
            return 0;
    return 1;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long)st.st_size;
}

static char *temp_weights(void)
{
    static char paths[4][64];
    static int next;
    char *p = paths[next++ % 4];
    strcpy(p, "/tmp/dn_wt_XXXXXX");
    int fd = mkstemp(p);
    if (fd >= 0) close(fd);
    return p;
}

/* Save a randomised net, load it into a net built with another seed, and
 * compare every stored tensor bit for bit and the inference outputs. */
static void roundtrip(const char *what, const char *cfg_text, int expect_stored_layers)
{
    const char *cfg = cfg_path_for(cfg_text);
    network *a = build(cfg, 1), *b = build(cfg, 2);
    if (!a || !b) goto done;
    randomize_stored(a, 10);
    randomize_stored(b, 20);
    a->seen = 12345;
    const char *w = temp_weights();
    CHECK_MSG(save_weights(a, w) == 0, "%s: save: %s", what, dn_last_error());
    CHECK_MSG(file_size(w) == (long)file_bytes(a, a->n), "%s: file has %ld bytes, expected %zu", what,
              file_size(w), file_bytes(a, a->n));
    int storing = 0;
    for (int i = 0; i < a->n; ++i) storing += a->layers[i].n_stored > 0;
    CHECK_MSG(storing == expect_stored_layers, "%s: %d layers store tensors, expected %d", what, storing,
              expect_stored_layers);
    CHECK_MSG(load_weights(b, w) == 0, "%s: load: %s", what, dn_last_error());
    for (int i = 0; i < a->n; ++i)
        CHECK_MSG(same_layer(a, b, i), "%s: layer %d ([%s]) differs after the round-trip", what, i,
                  a->layers[i].ops->name);
    CHECK_MSG(b->seen == 12345, "%s: seen %llu", what, (unsigned long long)b->seen);
    size_t n_in = (size_t)a->batch * a->inputs, n_out = (size_t)a->batch * network_outputs(a);
    float *x = malloc(n_in * sizeof *x), *ya = malloc(n_out * sizeof *ya);
    random_fill(x, (int)n_in, -1, 1, 5);
    memcpy(ya, network_predict(a, x), n_out * sizeof *ya);
    CHECK_MSG(!memcmp(ya, network_predict(b, x), n_out * sizeof *ya), "%s: outputs differ", what);
    free(x);
    free(ya);
    unlink(w);
done:
    free_network(a);
    free_network(b);
    cfg_done(cfg);
}

#define NET "[net]\nbatch=2\nwidth=5\nheight=4\nchannels=4\n"

TEST(weights_roundtrip_convolutional)
{
    roundtrip("conv", NET "[convolutional]\nfilters=6\nsize=3\npad=1\nactivation=leaky\n", 1);
    roundtrip("conv bn", NET "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\npad=1\nactivation=leaky\n",
              1);
    roundtrip("conv grouped", NET "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\ngroups=2\npad=1\n"
                                  "activation=linear\n",
              1);
    roundtrip("conv depthwise", NET "[convolutional]\nfilters=4\nsize=3\ngroups=4\npad=1\n", 1);
    /* layer 1 shares layer 0's weights and stores nothing */
    roundtrip("conv shared", NET "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"
                                 "[convolutional]\nfilters=4\nsize=3\npad=1\nshare=-1\nactivation=linear\n"
                                 "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n",
              2);
}

TEST(weights_roundtrip_connected)
{
    roundtrip("connected", NET "[connected]\noutput=7\nactivation=leaky\n", 1);
    roundtrip("connected bn", NET "[connected]\noutput=7\nbatch_normalize=1\nactivation=linear\n", 1);
}

TEST(weights_roundtrip_layernorm)
{
    roundtrip("layernorm", NET "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n[layernorm]\n", 2);
}

TEST(weights_roundtrip_mixed_network)
{
    roundtrip("mixed", NET "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=leaky\n"
                           "[maxpool]\nsize=2\nstride=2\n"
                           "[convolutional]\nfilters=8\nsize=3\npad=1\nactivation=linear\n"
                           "[shortcut]\nfrom=-2\nactivation=linear\n"
                           "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n",
              3);
}

/* ---- darknet's layout, from hand-written files ---- */

static int write_file(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    int ok = fwrite(a, 1, na, fp) == na && (!nb || fwrite(b, 1, nb, fp) == nb);
    return (fclose(fp) == 0 && ok) ? 0 : -1;
}

/* Writes header (major.minor, 64- or 32-bit seen) plus floats. */
static int write_weights(const char *path, int major, int minor, uint64_t seen, const float *f, size_t n)
{
    unsigned char head[20];
    int32_t ver[3] = {major, minor, 0};
    memcpy(head, ver, 12);
    size_t nh = 12;
    if (major * 10 + minor >= 2) {
        memcpy(head + 12, &seen, 8);
        nh = 20;
    } else {
        uint32_t s = (uint32_t)seen;
        memcpy(head + 12, &s, 4);
        nh = 16;
    }
    return write_file(path, head, nh, f, n * sizeof(float));
}

/* 1x1 conv, 2 -> 3 channels on a 2x2 image: bias, [bn: scale, mean, var], weights. */
static void check_layout_conv(int bn)
{
    char cfg_text[256];
    snprintf(cfg_text, sizeof cfg_text,
             "[net]\nbatch=1\nwidth=2\nheight=2\nchannels=2\n"
             "[convolutional]\nfilters=3\nsize=1\nbatch_normalize=%d\nactivation=linear\n", bn);
    const float bias[3] = {0.5f, -1, 2}, scale[3] = {2, 0.5f, -1}, mean[3] = {0.1f, -0.2f, 0.3f},
                var[3] = {4, 0.25f, 1}, wt[6] = {1, 2, -1, 0.5f, 3, -2};
    float file[18];
    int n = 0;
    memcpy(file + n, bias, sizeof bias), n += 3;
    if (bn) {
        memcpy(file + n, scale, sizeof scale), n += 3;
        memcpy(file + n, mean, sizeof mean), n += 3;
        memcpy(file + n, var, sizeof var), n += 3;
    }
    memcpy(file + n, wt, sizeof wt), n += 6;
    const char *cfg = cfg_path_for(cfg_text), *w = temp_weights();
    CHECK(write_weights(w, 0, 2, 77, file, n) == 0);
    network *net = load_network_frozen(cfg, w);
    CHECK_MSG(net != NULL, "bn=%d: %s", bn, dn_last_error());
    if (net) {
        float x[8] = {1, -2, 0.5f, 3, -1, 0.25f, 2, -0.5f}; /* [c][y][x] */
        float *y = network_predict(net, x);
        for (int f = 0; f < 3; ++f)
            for (int p = 0; p < 4; ++p) {
                double s = (double)wt[f * 2] * x[p] + (double)wt[f * 2 + 1] * x[4 + p];
                if (bn) s = scale[f] * (s - mean[f]) / sqrt(var[f] + 1e-5);
                s += bias[f];
                CHECK_NEAR(y[f * 4 + p], s, 1e-5);
            }
        CHECK(network_seen(net) == 77);
    }
    free_network(net);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_darknet_layout_convolutional)
{
    check_layout_conv(0);
    check_layout_conv(1);
}

/* connected 3 -> 2: biases, weights[out][in], then scales, mean, var with bn. */
static void check_layout_connected(int bn)
{
    char cfg_text[256];
    snprintf(cfg_text, sizeof cfg_text,
             "[net]\nbatch=1\nwidth=1\nheight=1\nchannels=3\n"
             "[connected]\noutput=2\nbatch_normalize=%d\nactivation=linear\n", bn);
    const float bias[2] = {0.5f, -1}, wt[6] = {1, 2, -1, 0.5f, 3, -2}, scale[2] = {2, -0.5f},
                mean[2] = {0.3f, -0.1f}, var[2] = {0.5f, 2};
    float file[14];
    int n = 0;
    memcpy(file + n, bias, sizeof bias), n += 2;
    memcpy(file + n, wt, sizeof wt), n += 6;
    if (bn) {
        memcpy(file + n, scale, sizeof scale), n += 2;
        memcpy(file + n, mean, sizeof mean), n += 2;
        memcpy(file + n, var, sizeof var), n += 2;
    }
    const char *cfg = cfg_path_for(cfg_text), *w = temp_weights();
    CHECK(write_weights(w, 0, 2, 0, file, n) == 0);
    network *net = load_network_frozen(cfg, w);
    CHECK_MSG(net != NULL, "bn=%d: %s", bn, dn_last_error());
    if (net) {
        float x[3] = {1, -2, 0.5f};
        float *y = network_predict(net, x);
        for (int o = 0; o < 2; ++o) {
            double s = 0;
            for (int i = 0; i < 3; ++i) s += (double)wt[o * 3 + i] * x[i];
            if (bn) s = scale[o] * (s - mean[o]) / sqrt(var[o] + 1e-5);
            s += bias[o];
            CHECK_NEAR(y[o], s, 1e-5);
        }
    }
    free_network(net);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_darknet_layout_connected)
{
    check_layout_connected(0);
    check_layout_connected(1);
}

/* ---- headers ---- */

static const char *two_conv =
    "[net]\nbatch=2\nsubdivisions=2\nwidth=4\nheight=4\nchannels=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\npad=1\nactivation=leaky\n"
    "[convolutional]\nfilters=5\nsize=1\nactivation=linear\n"
    "[convolutional]\nfilters=2\nsize=3\npad=1\nactivation=linear\n";

/* All stored floats of net, in file order. */
static float *flatten(const network *net, size_t *n)
{
    *n = (file_bytes(net, net->n) - HEADER) / sizeof(float);
    float *f = malloc(*n * sizeof *f), *p = f;
    for (int i = 0; i < net->n; ++i)
        for (int t = 0; t < net->layers[i].n_stored; ++t) {
            memcpy(p, net->layers[i].stored[t], net->layers[i].stored_n[t] * sizeof(float));
            p += net->layers[i].stored_n[t];
        }
    return f;
}

TEST(weights_old_header_32bit_seen)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1), *b = build(cfg, 2);
    if (a && b) {
        randomize_stored(a, 3);
        size_t n;
        float *f = flatten(a, &n);
        CHECK(write_weights(w, 0, 1, 4000000000u, f, n) == 0);
        CHECK(file_size(w) == (long)(16 + n * sizeof(float)));
        CHECK_MSG(load_weights(b, w) == 0, "%s", dn_last_error());
        CHECK_MSG(b->seen == 4000000000u, "seen %llu", (unsigned long long)b->seen);
        CHECK(network_iteration(b) == 2000000000); /* seen / (batch 1 * subdivisions 2) */
        for (int i = 0; i < a->n; ++i) CHECK_MSG(same_layer(a, b, i), "layer %d", i);
        free(f);
    }
    free_network(a);
    free_network(b);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_transposed_header_rejected)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    if (a) {
        size_t n;
        float *f = flatten(a, &n);
        CHECK(write_weights(w, 1001, 0, 0, f, n) == 0);
        dn_clear_error();
        CHECK(load_weights(a, w) != 0);
        CHECK_MSG(strstr(dn_last_error(), "1001") && strstr(dn_last_error(), "transposed"), "message: %s",
                  dn_last_error());
        free(f);
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

/* Another kind of file given as weights (an image, a cfg, garbage) says so. */
TEST(weights_not_a_weights_file)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    static const char *const junk[] = {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10", "[net]\nbatch=1\nwidth=8\n",
                                       "\xff\xff\xff\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"};
    static const size_t len[] = {20, 22, 20};
    for (int i = 0; a && i < 3; ++i) {
        CHECK(write_file(w, junk[i], len[i], NULL, 0) == 0);
        dn_clear_error();
        CHECK_MSG(load_weights(a, w) != 0, "junk %d accepted", i);
        CHECK_MSG(strstr(dn_last_error(), "not a darknet weights file"), "junk %d: %s", i, dn_last_error());
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_short_header_rejected)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    int32_t head[5] = {0, 2, 0, 0, 0};
    for (size_t cut = 0; a && cut < 20; cut += 6) {
        CHECK(write_file(w, head, cut, NULL, 0) == 0);
        dn_clear_error();
        CHECK_MSG(load_weights(a, w) != 0, "%zu-byte file accepted", cut);
        CHECK_MSG(strstr(dn_last_error(), w) && strstr(dn_last_error(), "header"), "message: %s",
                  dn_last_error());
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

/* ---- sizes ---- */

static int has_number(const char *msg, size_t x)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", x);
    for (const char *p = msg; (p = strstr(p, num)); ++p) {
        int before = p == msg || (p[-1] < '0' || p[-1] > '9');
        char after = p[strlen(num)];
        if (before && (after < '0' || after > '9')) return 1;
    }
    return 0;
}

TEST(weights_truncated_file_rejected)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1), *b = build(cfg, 2);
    if (a && b) {
        size_t full = file_bytes(a, 3), cuts[] = {HEADER + 8, file_bytes(a, 1) + 4, full - 4};
        size_t n;
        float *f = flatten(a, &n);
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; ++i) {
            CHECK(write_weights(w, 0, 2, 0, f, (cuts[i] - HEADER) / sizeof(float)) == 0);
            CHECK(file_size(w) == (long)cuts[i]);
            dn_clear_error();
            CHECK_MSG(load_weights(b, w) != 0, "file cut at %zu of %zu bytes accepted", cuts[i], full);
            const char *msg = dn_last_error();
            CHECK_MSG(has_number(msg, cuts[i]) && has_number(msg, full),
                      "message lacks the sizes %zu (found) and %zu (expected): %s", cuts[i], full, msg);
            CHECK_MSG(strstr(msg, w) != NULL, "message lacks the path: %s", msg);
        }
        free(f);
    }
    free_network(a);
    free_network(b);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_too_long_file_rejected)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    if (a) {
        size_t n, full = file_bytes(a, 3);
        float *f = flatten(a, &n);
        f = realloc(f, (n + 3) * sizeof *f);
        for (int extra = 1; extra <= 3; extra += 2) {
            CHECK(write_weights(w, 0, 2, 0, f, n + extra) == 0);
            size_t size = full + extra * sizeof(float);
            dn_clear_error();
            CHECK_MSG(load_weights(a, w) != 0, "file with %d extra floats accepted", extra);
            const char *msg = dn_last_error();
            CHECK_MSG(has_number(msg, size) && has_number(msg, full),
                      "message lacks the sizes %zu (found) and %zu (expected): %s", size, full, msg);
        }
        free(f);
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

/* darknet's .conv.N files: a file ending exactly at a layer boundary loads those
 * layers and leaves the rest as they were. */
TEST(weights_partial_file_at_layer_boundary)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1), *b = build(cfg, 2), *keep = build(cfg, 2);
    if (a && b && keep) {
        randomize_stored(a, 7);
        for (int held = 0; held <= 3; ++held) {
            size_t n;
            float *f = flatten(a, &n);
            CHECK(write_weights(w, 0, 2, 40, f, (file_bytes(a, held) - HEADER) / sizeof(float)) == 0);
            free(f);
            network *c = build(cfg, 2);
            if (!c) break;
            dn_clear_error();
            int rc = load_weights(c, w);
            if (held == 0) {
                /* a header alone holds nothing: most likely the wrong file */
                CHECK_MSG(rc != 0, "a header-only file was accepted");
            } else {
                CHECK_MSG(rc == 0, "held=%d: %s", held, dn_last_error());
                for (int i = 0; i < 3; ++i)
                    CHECK_MSG(same_layer(i < held ? a : keep, c, i), "held=%d: layer %d wrong", held, i);
                CHECK(c->seen == 40);
            }
            free_network(c);
        }
    }
    free_network(a);
    free_network(b);
    free_network(keep);
    unlink(w);
    cfg_done(cfg);
}

TEST(weights_load_and_save_upto)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights(), *w2 = temp_weights();
    network *a = build(cfg, 1), *keep = build(cfg, 2);
    if (a && keep) {
        randomize_stored(a, 9);
        CHECK(save_weights(a, w) == 0);
        for (int upto = 0; upto <= 3; ++upto) {
            /* load the first `upto` layers of a full file */
            network *c = build(cfg, 2);
            if (!c) break;
            CHECK_MSG(load_weights_upto(c, w, upto) == 0, "upto=%d: %s", upto, dn_last_error());
            for (int i = 0; i < 3; ++i)
                CHECK_MSG(same_layer(i < upto ? a : keep, c, i), "load upto=%d: layer %d wrong", upto, i);
            free_network(c);
            /* save the first `upto` layers; the file holds exactly them */
            CHECK(save_weights_upto(a, w2, upto) == 0);
            CHECK_MSG(file_size(w2) == (long)file_bytes(a, upto), "save upto=%d: %ld bytes, expected %zu",
                      upto, file_size(w2), file_bytes(a, upto));
            if (upto > 0) {
                c = build(cfg, 2);
                if (!c) break;
                CHECK_MSG(load_weights(c, w2) == 0, "upto=%d: %s", upto, dn_last_error());
                for (int i = 0; i < 3; ++i)
                    CHECK_MSG(same_layer(i < upto ? a : keep, c, i), "save upto=%d: layer %d wrong", upto, i);
                free_network(c);
            }
        }
    }
    free_network(a);
    free_network(keep);
    unlink(w);
    unlink(w2);
    cfg_done(cfg);
}

/* ---- seen, iteration ---- */

TEST(weights_seen_and_iteration_restored)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    if (a) {
        int images = a->batch * a->subdivisions;
        float *x = calloc((size_t)images * a->inputs, sizeof *x);
        random_fill(x, images * a->inputs, 0, 1, 1);
        for (int i = 0; i < 3; ++i) train_network_step(a, x, NULL);
        CHECK(network_seen(a) == (uint64_t)3 * images);
        CHECK(network_iteration(a) == 3);
        CHECK(save_weights(a, w) == 0);
        network *b = load_network(cfg, w, 0);
        CHECK_MSG(b != NULL, "%s", dn_last_error());
        if (b) {
            CHECK(network_seen(b) == (uint64_t)3 * images);
            CHECK(network_iteration(b) == 3);
            CHECK(network_current_lr(b) == network_current_lr(a));
            for (int i = 0; i < 3; ++i) CHECK_MSG(same_layer(a, b, i), "layer %d", i);
        }
        free_network(b);
        b = load_network(cfg, w, 1); /* clear=1 starts the schedule over */
        if (b) CHECK(network_seen(b) == 0 && network_iteration(b) == 0);
        free_network(b);
        free(x);
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

/* ---- atomic saving ---- */

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++n;
    closedir(d);
    return n;
}

static void rm_tree_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p); /* files and empty directories */
    }
    closedir(d);
    rmdir(dir);
}

TEST(weights_save_is_atomic)
{
    const char *cfg = cfg_path_for(two_conv);
    network *a = build(cfg, 1);
    char dir[] = "/tmp/dn_wsave_XXXXXX";
    if (!a || !mkdtemp(dir)) goto done;
    char path[256], sub[256];
    snprintf(path, sizeof path, "%s/model.weights", dir);
    /* success leaves exactly the file, no temporary */
    CHECK_MSG(save_weights(a, path) == 0, "%s", dn_last_error());
    CHECK(count_entries(dir) == 1);
    CHECK(file_size(path) == (long)file_bytes(a, 3));
    /* saving over it replaces it, still nothing else left */
    a->seen = 99;
    CHECK(save_weights_upto(a, path, 1) == 0);
    CHECK(count_entries(dir) == 1);
    CHECK(file_size(path) == (long)file_bytes(a, 1));
    /* a directory that does not exist: clean failure naming the path */
    snprintf(sub, sizeof sub, "%s/missing/model.weights", dir);
    dn_clear_error();
    CHECK(save_weights(a, sub) != 0);
    CHECK_MSG(strstr(dn_last_error(), "missing/model.weights") != NULL, "message: %s", dn_last_error());
    /* the target is a directory: the rename fails and the temporary is removed */
    snprintf(sub, sizeof sub, "%s/adir", dir);
    CHECK(mkdir(sub, 0755) == 0);
    dn_clear_error();
    CHECK(save_weights(a, sub) != 0);
    CHECK_MSG(dn_last_error()[0] != 0, "no message");
    CHECK_MSG(count_entries(dir) == 2, "%d entries: a temporary file was left behind", count_entries(dir));
    /* a read-only directory (meaningless as root, who may write anyway) */
    if (geteuid() != 0) {
        CHECK(chmod(dir, 0555) == 0);
        CHECK(save_weights_upto(a, path, 3) != 0);
        CHECK(file_size(path) == (long)file_bytes(a, 1)); /* the old file is intact */
        chmod(dir, 0755);
    }
    rm_tree_flat(dir);
done:
    free_network(a);
    cfg_done(cfg);
}

/* An inference-only network loads the same file and computes the same outputs. */
TEST(weights_frozen_network_loads_same)
{
    const char *cfg = cfg_path_for(two_conv), *w = temp_weights();
    network *a = build(cfg, 1);
    if (a) {
        randomize_stored(a, 4);
        CHECK(save_weights(a, w) == 0);
        network *f = load_network_frozen(cfg, w);
        CHECK_MSG(f != NULL, "%s", dn_last_error());
        if (f) {
            CHECK(f->layers[0].delta == NULL);
            size_t n_in = (size_t)a->batch * a->inputs, n_out = (size_t)a->batch * network_outputs(a);
            float *x = malloc(n_in * sizeof *x), *ya = malloc(n_out * sizeof *ya);
            random_fill(x, (int)n_in, -1, 1, 6);
            memcpy(ya, network_predict(a, x), n_out * sizeof *ya);
            /* the trainable net keeps normalised values for backward, so its
             * arithmetic may round differently from the frozen one's */
            CHECK(max_rel_diff(ya, network_predict(f, x), (int)n_out, NULL) < 1e-6);
            free(x);
            free(ya);
        }
        free_network(f);
    }
    free_network(a);
    unlink(w);
    cfg_done(cfg);
}

/* load_network draws random weights only for the layers the file does not
 * fill: the loaded layer is bit-exact, the rest is initialised, not zero. */
TEST(weights_partial_file_leaves_rest_initialised)
{
    const char *cfg = temp_file("[net]\nwidth=4\nheight=4\nchannels=2\n"
                                "[convolutional]\nfilters=3\nsize=3\npad=1\nactivation=leaky\n"
                                "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n");
    network *full = load_network(cfg, NULL, 0);
    CHECK(full != NULL);
    if (!full) return;
    char path[64];
    snprintf(path, sizeof path, "%s.w", cfg);
    CHECK(save_weights_upto(full, path, 1) == 0);
    network *net = load_network(cfg, path, 0);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (net) {
        layer *a = &full->layers[0], *b = &net->layers[0], *rest = &net->layers[1];
        for (int t = 0; t < a->n_stored; ++t)
            CHECK(!memcmp(a->stored[t], b->stored[t], a->stored_n[t] * sizeof(float)));
        float energy = 0;
        for (int i = 0; i < rest->stored_n[1]; ++i) energy += rest->stored[1][i] * rest->stored[1][i];
        CHECK_MSG(energy > 0, "layer 1 weights were left at zero");
        free_network(net);
    }
    unlink(path);
    unlink(cfg);
    free_network(full);
}
