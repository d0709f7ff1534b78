/* partial.c: `darknet partial CFG WEIGHTS OUT N` keeps the first N layers'
 * weights, as darknet users make pretrained backbones (darknet53.conv.74). */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "commands.h"
#include "darknet.h"

const char usage_partial[] = "partial CFG WEIGHTS OUT N   save the first N layers' weights to OUT\n";

int run_partial(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    const char *cfg = arg_pos(&a, 0), *weights = arg_pos(&a, 1), *out = arg_pos(&a, 2),
               *count = arg_pos(&a, 3);
    if (!count || args_check(&a)) return usage_error("partial");
    char *end;
    long n = strtol(count, &end, 10);
    if (*end || n < 0) {
        fprintf(stderr, "darknet partial: N must be a non-negative integer, got '%s'\n", count);
        return usage_error("partial");
    }
    /* clear=1 as darknet's partial: a backbone starts a new training schedule */
    network *net = parse_network_cfg(cfg);
    int failed = !net || load_weights_upto(net, weights, (int)n);
    if (!failed) {
        network_reset_schedule(net);
        failed = save_weights_upto(net, out, (int)n) != 0;
    }
    if (failed) {
        fprintf(stderr, "darknet partial: %s\n", dn_last_error());
        free_network(net);
        return 1;
    }
    printf("saved the first %ld of %d layers to %s\n", n, network_n_layers(net), out);
    free_network(net);
    return 0;
}
