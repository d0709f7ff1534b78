/* fuzz_cfg.c: libFuzzer harness for the cfg reader and network build: the
 * input is a cfg file; parse_network_cfg builds the network (every layer's
 * parse and setup, teachers of distillation layers included) or refuses it
 * with an error. Seeds: the .cfg files in cfg/ (scripts/fuzz.sh). */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;   /* longer cfgs add nothing but time */
    char path[512];
    fuzz_begin();
    network *net = parse_network_cfg(fuzz_write("fuzz.cfg", data, size, path));
    if (net) {
        /* a built network must answer its accessors */
        (void)network_flops(net);
        for (int i = 0; i < network_n_layers(net); ++i) (void)layer_outputs(network_layer(net, i));
        free_network(net);
    } else if (!dn_last_error()[0]) {
        fprintf(stderr, "fuzz_cfg: parse_network_cfg failed without an error message\n");
        abort();
    }
    return 0;
}
