/* fuzz_weights.c: libFuzzer harness for the .weights reader: the input is a
 * weights file for a small fixed network (convolutional with and without
 * batch norm, connected), loaded whole and up to the first two layers.
 * DN_FUZZ_WRITE_SEEDS=DIR writes seed files for this network into DIR and
 * exits (scripts/fuzz.sh does this). */
#include <string.h>

#include "fuzz_util.h"

static const char cfg[] =
    "[net]\nbatch=2\nwidth=8\nheight=8\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=2\nsize=1\nactivation=linear\n"
    "[connected]\noutput=3\nactivation=linear\n"
    "[softmax]\n";
static network *net;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char path[512], out[512];
    fuzz_begin();
    net = parse_network_cfg(fuzz_write("net.cfg", (const uint8_t *)cfg, strlen(cfg), path));
    if (!net) {
        fprintf(stderr, "fuzz_weights: %s\n", dn_last_error());
        abort();
    }
    const char *dir = getenv("DN_FUZZ_WRITE_SEEDS");
    if (dir) {
        snprintf(out, sizeof out, "%s/full.weights", dir);
        int bad = save_weights(net, out);
        snprintf(out, sizeof out, "%s/two_layers.weights", dir);
        bad = bad || save_weights_upto(net, out, 2);
        if (bad) fprintf(stderr, "fuzz_weights: %s\n", dn_last_error());
        exit(bad);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[512];
    fuzz_write("fuzz.weights", data, size, path);
    fuzz_begin();
    if (load_weights(net, path) && !dn_last_error()[0]) abort();
    fuzz_begin();
    if (load_weights_upto(net, path, 2) && !dn_last_error()[0]) abort();
    return 0;
}
