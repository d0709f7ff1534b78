/* export.c: `darknet export onnx CFG WEIGHTS OUT.onnx [...]` (src/export/). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "darknet.h"
#include "export_onnx.h"

const char usage_export[] =
    "export onnx CFG WEIGHTS OUT.onnx [-width W -height H] [-batch B|-dynamic_batch] [-opset N] [-postprocess] "
    "[-data DATA]\n"
    "      the network as an ONNX model (WEIGHTS none: its random initial weights; see README,\n"
    "      Export to ONNX)\n";

static int export_onnx_cmd(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    onnx_export_options o = {0};
    o.width = arg_int(&a, "-width", 0);
    o.height = arg_int(&a, "-height", 0);
    int batch = arg_int(&a, "-batch", 0);   /* 0: not given */
    o.dynamic_batch = arg_flag(&a, "-dynamic_batch");
    o.opset = arg_int(&a, "-opset", ONNX_OPSET_DEFAULT);
    o.postprocess = arg_flag(&a, "-postprocess");
    o.data = arg_str(&a, "-data", NULL);
    o.cfg = arg_pos(&a, 0), o.weights = arg_pos(&a, 1), o.out = arg_pos(&a, 2);
    if (!o.out || arg_pos(&a, 3) || args_check(&a)) return usage_error("export");
    if (!strcmp(o.weights, "none")) o.weights = NULL;   /* the random initial weights */
    o.batch = batch ? batch : 1;
    if (batch && o.dynamic_batch) {
        fprintf(stderr, "darknet export onnx: -batch and -dynamic_batch exclude each other\n");
        return usage_error("export");
    }
    if (export_onnx(&o)) {
        fprintf(stderr, "darknet export onnx: %s\n", dn_last_error());
        return 1;
    }
    printf("wrote %s\n", o.out);
    return 0;
}

int run_export(int argc, char **argv)
{
    static const subcommand subs[] = {{"onnx", export_onnx_cmd}};
    return run_subcommand("export", subs, 1, argc, argv);
}
