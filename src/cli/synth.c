/* synth.c: `darknet synth OUT_DIR`: writes the synthetic detection dataset
 * (images, darknet labels and lists, .data/.names, COCO JSON). */
#include <stdio.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "darknet.h"

const char usage_synth[] =
    "synth OUT_DIR [-n N] [-valid N] [-size S] [-classes K] [-seed S]\n"
    "      write a synthetic detection dataset: N training (default 1000) and -valid\n"
    "      (default N/5) validation JPEGs of S x S pixels (default 128, 32-4096) with\n"
    "      1-6 objects of K shape classes (1-8, default 8); darknet labels, train.txt and\n"
    "      valid.txt (absolute paths), synth.names, synth.data, and COCO instances JSON in\n"
    "      OUT_DIR/annotations (crowd regions in the validation set only)\n";

int run_synth(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int n = arg_int(&a, "-n", 1000);
    int n_valid = arg_int(&a, "-valid", n / 5 > 0 ? n / 5 : 1);
    int size = arg_int(&a, "-size", 128), classes = arg_int(&a, "-classes", SYNTH_DETECT_CLASSES);
    long long seed = arg_int(&a, "-seed", 1);
    const char *out = arg_pos(&a, 0);
    if (args_check(&a) || !out || arg_pos(&a, 1) || n < 1 || n_valid < 1 || size < SYNTH_MIN_SIZE ||
        size > SYNTH_MAX_SIZE || classes < 1 || classes > SYNTH_DETECT_CLASSES)
        return usage_error("synth");

    synth_options o = {.out_dir = out, .n_train = n, .n_valid = n_valid, .size = size, .classes = classes,
                       .seed = (uint64_t)seed};
    synth_summary sum;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (synth_write_dataset(&o, &sum)) {
        fprintf(stderr, "darknet synth: %s\n", dn_last_error());
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("synth: %d training and %d validation images of %d x %d, %d objects and %d crowd regions, "
           "%d classes, in %.2f s (%.0f images/s)\n",
           n, n_valid, size, size, sum.objects, sum.crowds, classes, s, (n + n_valid) / (s > 0 ? s : 1e-9));
    printf("synth: data file %s/synth.data\n", out);
    return 0;
}
