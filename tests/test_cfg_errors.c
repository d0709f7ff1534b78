/* cfg robustness: a table of broken cfg texts, each of which must be rejected
 * (NULL, never a crash) with a message naming file:line and the key; the
 * tolerated variants (CRLF, BOM, comments, spaces, aliases, ignored darknet
 * keys) must be accepted; and mutated cfgs must never crash the parser. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network.h"
#include "test.h"

/* Writes n bytes to a fresh temporary file; path receives its name. */
static int write_temp(char path[64], const char *text, size_t n)
{
    strcpy(path, access("/dev/shm", W_OK) ? "/tmp/dn_cfgerr_XXXXXX" : "/dev/shm/dn_cfgerr_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* Parses cfg bytes; returns the network (or NULL) and the path it was read from. */
static network *parse_bytes(const char *text, size_t n, char path[64])
{
    dn_clear_error();
    if (write_temp(path, text, n)) return NULL;
    network *net = parse_network_cfg(path);
    unlink(path);
    return net;
}

#define NET "[net]\nbatch=2\nwidth=8\nheight=8\nchannels=3\n"   /* lines 1-5 */
#define CONV "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=linear\n"

typedef struct {
    const char *what;
    const char *text;
    int line;            /* expected in "path:line" (0: the path alone) */
    const char *needle;  /* must also appear in the message (the key, the section) */
} bad_cfg;

static const bad_cfg bad_cases[] = {
    {"unknown section", NET "[foo]\nx=1\n", 6, "[foo]"},
    {"unknown key in [net]", "[net]\nbatch=2\nwidht=8\nwidth=8\nheight=8\n" CONV, 3, "widht"},
    {"unknown key in [convolutional]", NET CONV "bogus=1\n", 11, "bogus"},
    {"misspelt key filter=", NET "[convolutional]\nfilter=4\nsize=3\n", 7, "filter"},
    {"non-integer value", NET "[convolutional]\nfilters=abc\n", 7, "filters"},
    {"float where int expected", NET "[convolutional]\nfilters=4\nsize=3.5\n", 8, "size"},
    {"int overflow", NET "[convolutional]\nfilters=99999999999999999999\n", 7, "filters"},
    {"filters=0", NET "[convolutional]\nfilters=0\n", 7, "filters"},
    {"size=0", NET "[convolutional]\nfilters=4\nsize=0\n", 8, "size"},
    {"stride=0", NET "[convolutional]\nfilters=4\nstride=0\n", 8, "stride"},
    {"negative batch", "[net]\nbatch=-2\nwidth=8\nheight=8\n" CONV, 2, "batch"},
    {"zero width", "[net]\nbatch=2\nwidth=0\nheight=8\n" CONV, 3, "width"},
    {"missing width", "[net]\nbatch=2\nheight=8\n" CONV, 1, "width"},
    {"batch not divisible by subdivisions", "[net]\nbatch=3\nsubdivisions=2\nwidth=8\nheight=8\n" CONV, 3,
     "subdivisions"},
    {"bad activation name", NET "[convolutional]\nfilters=4\nactivation=leakyrelu\n", 8, "activation"},
    {"groups do not divide channels", NET "[convolutional]\nfilters=4\ngroups=2\n", 8, "groups"},
    {"momentum out of range", "[net]\nbatch=2\nwidth=8\nheight=8\nmomentum=1.5\n" CONV, 5, "momentum"},
    {"nan learning rate", "[net]\nbatch=2\nwidth=8\nheight=8\nlearning_rate=nan\n" CONV, 5, "learning_rate"},
    {"kernel larger than the input", NET "[convolutional]\nfilters=4\nsize=11\n", 6, "convolutional"},
    {"route index past the end", NET CONV CONV "[route]\nlayers=5\n", 17, "layers=5"},
    {"route index pointing at itself", NET CONV CONV "[route]\nlayers=2\n", 17, "layers=2"},
    {"route relative index before the first layer", NET CONV "[route]\nlayers=-1,-3\n", 12, "layers=-1,-3"},
    {"shortcut from=-10", NET CONV CONV "[shortcut]\nfrom=-10\n", 17, "from=-10"},
    {"shortcut pointing forward", NET CONV CONV "[shortcut]\nfrom=3\n", 17, "from=3"},
    {"bad list item", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=steps\nsteps=100,abc\nscales=.1,.1\n" CONV, 6,
     "steps"},
    {"empty list item", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=steps\nsteps=100,\nscales=.1,.1\n" CONV, 6,
     "steps"},
    {"policy=steps without steps", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=steps\n" CONV, 1, "steps"},
    {"policy=steps with mismatched scales",
     "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=steps\nsteps=100,200\nscales=.1\n" CONV, 7, "scales"},
    {"steps out of order", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=steps\nsteps=200,100\nscales=.1,.1\n" CONV,
     6, "steps"},
    {"poly without max_batches", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=poly\n" CONV, 5, "max_batches"},
    {"unknown policy", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=sometimes\n" CONV, 5, "policy"},
    {"second [net]", NET CONV "[net]\nbatch=2\n", 11, "[net]"},
    {"input too large for int sizes", "[net]\nwidth=65536\nheight=65536\nchannels=3\n" CONV, 1, "too large"},
    {"missing [net] first", CONV NET, 1, "[net]"},
    {"empty file", "", 0, "no sections"},
    {"only comments", "# nothing\n; here\n\n", 0, "no sections"},
    {"only [net]", NET, 0, "no layers"},
    {"option before any section", "batch=2\n" NET CONV, 1, "batch=2"},
    {"malformed header", NET "[convolutional\nfilters=4\n", 6, "[convolutional"},
    {"empty header", NET "[]\nfilters=4\n", 6, "[]"},
    {"repeated key", NET "[convolutional]\nfilters=4\nsize=3\nfilters=8\n", 9, "filters"},
    {"key with no '='", NET "[convolutional]\nfilters 4\n", 7, "filters"},
    {"value with no key", NET "[convolutional]\n=4\n", 7, "=4"},
    {"empty value", NET "[convolutional]\nfilters=\n", 7, "filters"},
    {"binary garbage without NUL", "\x89PNG\r\n\x1a\n\xff\xfe garbage \x80\x81\n", 1, ""},
};

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

TEST(cfg_errors_table)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; ++i) {
        const bad_cfg *c = &bad_cases[i];
        char path[64], where[96];
        network *net = parse_bytes(c->text, strlen(c->text), path);
        const char *msg = dn_last_error();
        CHECK_MSG(net == NULL, "case '%s': accepted", c->what);
        free_network(net);
        if (c->line)
            snprintf(where, sizeof where, "%s:%d", path, c->line);
        else
            snprintf(where, sizeof where, "%s", path);
        CHECK_MSG(contains(msg, where), "case '%s': message lacks '%s': %s", c->what, where, msg);
        CHECK_MSG(contains(msg, c->needle), "case '%s': message lacks '%s': %s", c->what, c->needle, msg);
    }
}

/* A value too large for the type must not be reported as "must be at least 1". */
TEST(cfg_error_too_large_says_range)
{
    char path[64];
    const char *text = "[net]\nbatch=2\nwidth=8\nheight=8\nchannels=3\ninputs=3000000000\n" CONV;
    network *net = parse_bytes(text, strlen(text), path);
    CHECK(net == NULL);
    free_network(net);
    CHECK_MSG(!contains(dn_last_error(), "at least"), "misleading message: %s", dn_last_error());
    net = parse_bytes(NET "[convolutional]\nfilters=2000000\n", strlen(NET "[convolutional]\nfilters=2000000\n"),
                      path);
    CHECK(net == NULL);
    free_network(net);
    CHECK_MSG(contains(dn_last_error(), "between"), "message: %s", dn_last_error());
}

TEST(cfg_error_binary_with_nul)
{
    static const char garbage[] = "[net]\nbatch=2\0\0\x01\x02\xff\nwidth=8\n";
    char path[64];
    network *net = parse_bytes(garbage, sizeof garbage - 1, path);
    CHECK(net == NULL);
    free_network(net);
    CHECK_MSG(contains(dn_last_error(), path), "message: %s", dn_last_error());
}

TEST(cfg_error_missing_file)
{
    dn_clear_error();
    network *net = parse_network_cfg("/nonexistent/dir/x.cfg");
    CHECK(net == NULL);
    free_network(net);
    CHECK_MSG(contains(dn_last_error(), "/nonexistent/dir/x.cfg"), "message: %s", dn_last_error());
}

/* Each parse reports its own error, not one left over from an earlier failure
 * the caller already handled (errors keep the first message until cleared). */
TEST(cfg_error_is_the_latest_call)
{
    char path[64];
    const char *a = NET "[convolutional]\nfilters=0\n", *b = NET "[convolutional]\nsize=0\n";
    network *net = parse_bytes(a, strlen(a), path);
    CHECK(net == NULL);
    /* no dn_clear_error() here, on purpose */
    if (write_temp(path, b, strlen(b))) return;
    network *net2 = parse_network_cfg(path);
    unlink(path);
    CHECK(net2 == NULL);
    CHECK_MSG(contains(dn_last_error(), path) && contains(dn_last_error(), "size"),
              "second parse shows a stale message: %s", dn_last_error());
    free_network(net);
    free_network(net2);
}

/* ---- accepted variants ---- */

static network *accept(const char *what, const char *text)
{
    char path[64];
    network *net = parse_bytes(text, strlen(text), path);
    CHECK_MSG(net != NULL, "case '%s' rejected: %s", what, dn_last_error());
    return net;
}

/* The accepted net must be the one the clean text describes. */
static void check_shape(const char *what, network *net, int layers, int out_c)
{
    if (!net) return;
    CHECK_MSG(network_n_layers(net) == layers, "case '%s': %d layers", what, network_n_layers(net));
    int c = 0;
    layer_shape(network_layer(net, network_n_layers(net) - 1), NULL, NULL, &c);
    CHECK_MSG(c == out_c, "case '%s': out_c %d, expected %d", what, c, out_c);
    CHECK_MSG(network_batch(net) == 2 && network_width(net) == 8, "case '%s': batch %d width %d", what,
              network_batch(net), network_width(net));
}

TEST(cfg_accepts_tolerated_variants)
{
    static const struct {
        const char *what, *text;
    } cases[] = {
        {"CRLF", "[net]\r\nbatch=2\r\nwidth=8\r\nheight=8\r\nchannels=3\r\n\r\n[convolutional]\r\nfilters=4\r\n"
                 "size=3\r\npad=1\r\nactivation=linear\r\n"},
        {"CRLF without final newline", "[net]\r\nbatch=2\r\nwidth=8\r\nheight=8\r\n[convolutional]\r\nfilters=4"},
        {"UTF-8 BOM", "\xEF\xBB\xBF" NET "[convolutional]\nfilters=4\n"},
        {"comments", "# a model\n[net] # the net\nbatch=2 # images\n; semicolon\nwidth=8;x\nheight=8\n"
                     "#[convolutional]\n[convolutional]\nfilters=4 ; four\n#filters=9\n"},
        {"spaces and tabs", "  [net]  \nbatch = 2\n\twidth\t=\t8\nheight= 8\n[convolutional]\n filters =4 \n"},
        {"[network]", "[network]\nbatch=2\nwidth=8\nheight=8\n[convolutional]\nfilters=4\n"},
        {"[conv] alias", NET "[conv]\nfilters=4\n"},
        {"ignored darknet keys", "[net]\nbatch=2\nwidth=8\nheight=8\nangle=0\nsaturation=1.5\nexposure=1.5\n"
                                 "hue=.1\n[convolutional]\nfilters=4\nbinary=0\n"},
        {"no trailing newline", NET "[convolutional]\nfilters=4"},
        {"darknet classifier [net]", "[net]\nbatch=2\nsubdivisions=1\nheight=8\nwidth=8\nmax_crop=16\n"
                                     "min_crop=8\nmax_ratio=2\nmin_ratio=1\nchannels=3\nmomentum=0.9\n"
                                     "decay=0.0005\nburn_in=1000\nlearning_rate=0.1\npolicy=poly\npower=4\n"
                                     "max_batches=1600000\nangle=7\nhue=.1\nsaturation=.75\nexposure=.75\n"
                                     "aspect=.75\n[convolutional]\nfilters=4\n"},
        {"AlexeyAB detector [net]", "[net]\nbatch=4\nsubdivisions=2\nwidth=8\nheight=8\nchannels=3\n"
                                    "momentum=0.949\ndecay=0.0005\nlearning_rate=0.0013\nburn_in=1000\n"
                                    "max_batches=500500\npolicy=steps\nsteps=400000,450000\nscales=.1,.1\n"
                                    "mosaic=1\nletter_box=1\nema_alpha=0.9998\ncutmix=1\nflip=0\nblur=0\n"
                                    "[convolutional]\nfilters=4\n"},
        {"keys of another policy", "[net]\nbatch=2\nwidth=8\nheight=8\npolicy=poly\nmax_batches=100\n"
                                   "steps=10,20\nscales=.1,.1\ngamma=.9\n[convolutional]\nfilters=4\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        network *net = accept(cases[i].what, cases[i].text);
        check_shape(cases[i].what, net, 1, 4);
        free_network(net);
    }
}

/* An ignored key gets one note per section type and key, not one per layer. */
TEST(cfg_ignored_key_noted_once)
{
    const char *text = "[net]\nbatch=2\nwidth=8\nheight=8\nangle=0\n"
                       "[convolutional]\nfilters=4\nbinary=0\n[convolutional]\nfilters=4\nbinary=0\n"
                       "[convolutional]\nfilters=4\nbinary=0\n";
    char log[] = "/tmp/dn_cfglog_XXXXXX";
    int fd = mkstemp(log);
    if (fd < 0) return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    dn_set_log_level(DN_LOG_INFO);
    char path[64];
    network *net = parse_bytes(text, strlen(text), path);
    fflush(stderr);
    dn_set_log_level(DN_LOG_WARN);
    dup2(saved, 2);
    close(saved);
    CHECK_MSG(net != NULL, "rejected: %s", dn_last_error());
    free_network(net);
    char buf[4096] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    unlink(log);
    buf[n > 0 ? n : 0] = 0;
    int binary = 0, angle = 0;
    for (const char *p = buf; (p = strstr(p, "binary")); ++p) ++binary;
    for (const char *p = buf; (p = strstr(p, "angle")); ++p) ++angle;
    CHECK_MSG(binary == 1, "binary noted %d times:\n%s", binary, buf);
    CHECK_MSG(angle == 1, "angle noted %d times:\n%s", angle, buf);
    CHECK_MSG(strstr(buf, ":8:") != NULL, "the note does not name the first line:\n%s", buf);
}

/* ---- mutations: never crash, always a message naming the file when rejected ---- */

static const char *const valid_cfgs[] = {
    "[net]\nbatch=2\nsubdivisions=1\nwidth=6\nheight=6\nchannels=2\npolicy=steps\nsteps=10,20\nscales=.1,.1\n"
    "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\npad=1\nstride=1\nactivation=leaky\n"
    "[convolutional]\nfilters=2\nsize=1\ngroups=1\nactivation=linear\n",
    /* layers that refer to others and change shapes */
    "[net]\nbatch=1\nwidth=8\nheight=8\nchannels=3\n[convolutional]\nfilters=4\nsize=3\npad=1\n"
    "[maxpool]\nsize=2\nstride=2\n[convolutional]\nfilters=4\nsize=1\n[upsample]\nstride=2\n"
    "[shortcut]\nfrom=-4\n[route]\nlayers=-1,-5\n[avgpool]\n",
};

/* One file rewritten for every mutation (thousands of them). */
static int mutation_ok(const char *path, const char *text, size_t n, int *accepted)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    int written = fwrite(text, 1, n, fp) == n;
    if (fclose(fp) || !written) return 0;
    dn_clear_error();
    network *net = parse_network_cfg(path);
    if (net) {
        ++*accepted;
        free_network(net);
        return 1;
    }
    return strstr(dn_last_error(), path) != NULL;
}

static void mutate(const char *valid)
{
    size_t len = strlen(valid);
    char *text = malloc(len + 1);
    static const char subst[] = "=[]-0#\n,x ";
    int accepted = 0, silent = 0, cases = 0;
    char path[64];
    if (write_temp(path, "", 0)) return;
    for (size_t cut = 0; cut <= len; ++cut, ++cases) /* every truncation */
        if (!mutation_ok(path, valid, cut, &accepted) && !silent++)
            test_fail(__FILE__, __LINE__, "truncated at %zu: rejected without naming the file: %s", cut,
                      dn_last_error());
    for (size_t i = 0; i < len; ++i) /* every byte replaced by each of subst */
        for (const char *c = subst; *c; ++c, ++cases) {
            memcpy(text, valid, len + 1);
            text[i] = *c;
            if (!mutation_ok(path, text, len, &accepted) && !silent++)
                test_fail(__FILE__, __LINE__, "byte %zu -> '%c': rejected without naming the file: %s", i, *c,
                          dn_last_error());
        }
    CHECK(accepted > 0 && accepted < cases);
    unlink(path);
    free(text);
}

TEST(cfg_mutations_never_crash)
{
    for (size_t i = 0; i < sizeof valid_cfgs / sizeof valid_cfgs[0]; ++i) mutate(valid_cfgs[i]);
}
