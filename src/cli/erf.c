/* erf.c: `darknet erf CFG WEIGHTS IMAGE_LIST`: the effective receptive field
 * of one feature map, averaged over images, as a heat-map PNG plus its area
 * fractions (the computation is src/analysis/erf.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "commands.h"
#include "data_cfg.h"
#include "darknet.h"
#include "erf.h"

const char usage_erf[] =
    "erf CFG WEIGHTS IMAGE_LIST [-layer L] [-n N] [-out erf.png] [-title TEXT] [-append PNG] [-relu] [-batch B]\n"
    "      effective receptive field of layer L (default: the last non-loss layer with more\n"
    "      than one output position; name an FPN level with -layer): |d/dx| of the ReLU'd,\n"
    "      channel-summed centre output, summed over colours, averaged over the first N images\n"
    "      of the list (default 100, letterboxed; unreadable ones skipped), drawn as\n"
    "      log10(1+x) / max in a heat map with the title (default \"CFG-name layer L\"). -append\n"
    "      puts it right of an earlier picture (e.g. teacher | student | distilled); -relu keeps\n"
    "      positive gradients only (as RepLKNet/SLaK); WEIGHTS none: random initial weights.\n"
    "      Last line: erf layer=L area20=.. area30=.. area50=.. area99=.. (fraction of the\n"
    "      image area holding 20/30/50/99% of the log-scaled map's total)\n";

static void show_progress(void *ctx, int done, int total)
{
    (void)ctx;
    fprintf(stderr, "\rerf: %d/%d images%s", done, total, done == total ? "\n" : "");
}

/* "dir/name.cfg" -> "name" */
static void cfg_name(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    snprintf(buf, size, "%s", base ? base + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf && !strcmp(dot, ".cfg")) *dot = 0;
}

static int run(network *net, const char *cfg, char **paths, int n, int layer, erf_grad mode, const char *title,
               const char *out, const char *append_path)
{
    int lw, lh, lc;
    layer_shape(network_layer(net, layer), &lw, &lh, &lc);
    fprintf(stderr, "erf: layer %d ([%s], %d x %d x %d), input %d x %d, %d images\n", layer,
            layer_type_name(network_layer(net, layer)), lw, lh, lc, network_width(net), network_height(net), n);
    char name[256], default_title[300];
    cfg_name(cfg, name, sizeof name);
    snprintf(default_title, sizeof default_title, "%s layer %d", name, layer);
    erf_summary s;
    image *im = erf_picture(net, layer, paths, n, mode, title ? title : default_title, &s,
                            isatty(2) ? show_progress : NULL, NULL);
    if (im && append_path) {
        image *both = erf_append_to_file(im, append_path);
        free_image(im);
        im = both;
    }
    int rc = !im || save_image(im, out);
    free_image(im);
    if (rc) return 1;
    printf("erf: %d of %d images used; heat map in %s\n", s.used, n, out);
    printf("erf layer=%d area20=%.6f area30=%.6f area50=%.6f area99=%.6f\n", layer, s.area[0], s.area[1], s.area[2],
           s.area[3]);
    return 0;
}

int run_erf(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int layer = arg_int(&a, "-layer", INT_MIN), n = arg_int(&a, "-n", 100), batch = arg_int(&a, "-batch", 1);
    const char *out = arg_str(&a, "-out", "erf.png"), *title = arg_str(&a, "-title", NULL),
               *append_path = arg_str(&a, "-append", NULL);
    erf_grad mode = arg_flag(&a, "-relu") ? ERF_GRAD_RELU : ERF_GRAD_ABS;
    const char *cfg = arg_pos(&a, 0), *weights = arg_pos(&a, 1), *list = arg_pos(&a, 2);
    if (args_check(&a) || !list || arg_pos(&a, 3) || n < 1 || batch < 1) return usage_error("erf");

    int n_paths = 0, rc = 1;
    char **paths = read_image_list(list, &n_paths);
    network *net = paths ? load_network(cfg, strcmp(weights, "none") ? weights : NULL, 0) : NULL;
    if (net && !set_batch_network(net, batch)) {
        int given = layer != INT_MIN;
        if (!given) layer = erf_default_layer(net);
        if (!given && layer < 0)
            fprintf(stderr, "darknet erf: %s has no layer with more than one output position; pass -layer\n", cfg);
        else if (erf_check_layer(net, layer) == 0)
            rc = run(net, cfg, paths, n < n_paths ? n : n_paths, layer, mode, title, out, append_path);
    }
    if (rc && dn_last_error()[0]) fprintf(stderr, "darknet erf: %s\n", dn_last_error());
    free_network(net);
    free_string_list(paths, n_paths);
    return rc;
}
