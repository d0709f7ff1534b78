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
    "      OUT_DIR/annotations (crowd regions in the validation set only)\n"
    "  synth OUT_DIR -classify [-n N] [-valid N] [-size S] [-seed S]\n"
    "      a classification set instead: PNGs of one shape each (square, circle, triangle,\n"
    "      cross; S default 32) named images/{train,valid}/LABEL_NNNNNN.png, train.txt,\n"
    "      valid.txt, labels.txt and classify.data for `darknet classifier`\n";

int run_synth(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int classify = arg_flag(&a, "-classify");
    int n = arg_int(&a, "-n", 1000);
    int n_valid = arg_int(&a, "-valid", n / 5 > 0 ? n / 5 : 1);
    int size = arg_int(&a, "-size", classify ? 32 : 128), classes = arg_int(&a, "-classes", 0);
    int classes_given = arg_flag(&a, "-classes");
    long long seed = arg_int(&a, "-seed", 1);
    const char *out = arg_pos(&a, 0);
    if (args_check(&a) || !out || arg_pos(&a, 1) || n < 1 || n_valid < 1 || size < SYNTH_MIN_SIZE ||
        size > SYNTH_MAX_SIZE || (classes_given && (classify || classes < 1 || classes > SYNTH_DETECT_CLASSES)))
        return usage_error("synth");
    if (!classes) classes = classify ? SYNTH_SHAPE_CLASSES : SYNTH_DETECT_CLASSES;

    synth_options o = {.out_dir = out, .n_train = n, .n_valid = n_valid, .size = size, .classes = classes,
                       .seed = (uint64_t)seed};
    synth_summary sum;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (classify ? synth_write_classify(&o) : synth_write_dataset(&o, &sum)) {
        fprintf(stderr, "darknet synth: %s\n", dn_last_error());
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (classify) {
        printf("synth: %d training and %d validation images of %d x %d, %d classes, in %.2f s\n", n, n_valid,
               size, size, classes, s);
        printf("synth: data file %s/classify.data\n", out);
        return 0;
    }
    printf("synth: %d training and %d validation images of %d x %d, %d objects and %d crowd regions, "
           "%d classes, in %.2f s (%.0f images/s)\n",
           n, n_valid, size, size, sum.objects, sum.crowds, classes, s, (n + n_valid) / (s > 0 ? s : 1e-9));
    printf("synth: data file %s/synth.data\n", out);
    return 0;
}
