/* synth.c: `darknet synth OUT_DIR`: writes the synthetic detection dataset
 * (images, darknet labels and lists, .data/.names, COCO JSON), or with
 * -classify a classification set, optionally with corrupted copies of its
 * validation images (ImageNet-C's corruptions, corrupt_sets.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "corrupt_sets.h"
#include "darknet.h"
#include "errors.h"

const char usage_synth[] =
    "synth OUT_DIR [-n N] [-valid N] [-size S] [-classes K] [-seed S]\n"
    "      write a synthetic detection dataset: N training (default 1000) and -valid\n"
    "      (default N/5) validation JPEGs of S x S pixels (default 128, 32-4096) with\n"
    "      1-6 objects of K shape classes (1-8, default 8); darknet labels, train.txt and\n"
    "      valid.txt (absolute paths), synth.names, synth.data, and COCO instances JSON in\n"
    "      OUT_DIR/annotations (crowd regions in the validation set only)\n"
    "  synth OUT_DIR -classify [-context [-distractors K]] [-n N] [-valid N] [-size S] [-seed S]\n"
    "        [-corrupt KINDS [-severity S] [-corrupt_table T]]\n"
    "      a classification set instead: PNGs of one shape each (square, circle, triangle,\n"
    "      cross; S default 32) named images/{train,valid}/LABEL_NNNNNN.png, train.txt,\n"
    "      valid.txt, labels.txt and classify.data for `darknet classifier`. -context: a\n"
    "      shape and a small disc far apart, labelled by the disc's direction from the\n"
    "      shape (left, right, above, below; S default 64); -distractors K (0-8): K more\n"
    "      discs in other colours, the marker being the disc of the shape's colour.\n"
    "      -corrupt also writes corrupted copies of the validation images under\n"
    "      OUT_DIR/corrupt (ImageNet-C: KINDS is all\n"
    "      or a comma list of gaussian_noise, defocus_blur, contrast, jpeg_compression;\n"
    "      -severity all (default) or a list of 1-5; -corrupt_table imagenet, tiny or\n"
    "      cifar: the parameters made for 224, 64 or 32 pixels, default the nearest to S)\n"
    "      and names them in classify.data (corrupt=), so `classifier valid` reports each\n";

/* A comma list of names (or "all") into bits of their indices; -1 if one is unknown. */
static long name_bits(const char *list, const char *const *names, int n)
{
    if (!strcmp(list, "all")) return (1L << n) - 1;
    long bits = 0;
    for (const char *p = list; *p; p += *p == ',') {
        size_t len = strcspn(p, ",");
        int k = -1;
        for (int i = 0; i < n && k < 0; ++i)
            if (strlen(names[i]) == len && !strncmp(p, names[i], len)) k = i;
        if (k < 0) return -1;
        bits |= 1L << k;
        p += len;
    }
    return bits;
}

static const char *const severity_names[CORRUPT_SEVERITIES] = {"1", "2", "3", "4", "5"};

/* The -corrupt flags into o (kinds == 0: none asked for); -1 on a bad value. */
static int corrupt_flags(args *a, int size, corrupt_options *o)
{
    const char *kinds = arg_str(a, "-corrupt", NULL), *sev = arg_str(a, "-severity", "all");
    const char *table = arg_str(a, "-corrupt_table", NULL);
    memset(o, 0, sizeof *o);
    o->table = table ? (corrupt_table)corrupt_lookup(table, corrupt_table_names, CORRUPT_TABLES)
                     : corrupt_table_for_size(size);
    if (!kinds) {
        if (arg_flag(a, "-severity") || table) fprintf(stderr, "darknet synth: -severity and -corrupt_table need -corrupt\n");
        return arg_flag(a, "-severity") || table ? -1 : 0;
    }
    long k = name_bits(kinds, corrupt_kind_names, CORRUPT_KINDS), s = name_bits(sev, severity_names, 5);
    if (k <= 0) fprintf(stderr, "darknet synth: -corrupt %s: expected all or a comma list of gaussian_noise, "
                                "defocus_blur, contrast, jpeg_compression\n", kinds);
    if (s <= 0) fprintf(stderr, "darknet synth: -severity %s: expected all or a comma list of 1-5\n", sev);
    if ((int)o->table < 0) fprintf(stderr, "darknet synth: -corrupt_table %s: expected imagenet, tiny or cifar\n", table);
    if (k <= 0 || s <= 0 || (int)o->table < 0) return -1;
    o->kinds = (unsigned)k, o->severities = (unsigned)s;
    return 0;
}

static int write_corrupt(const char *out, const corrupt_options *given, int n_valid)
{
    char root[PATH_MAX], valid[PATH_MAX + 16], data[PATH_MAX + 16], *index = NULL;
    if (!realpath(out, root)) return dn_error("cannot resolve %s", out);   /* absolute paths, as the set's */
    snprintf(valid, sizeof valid, "%s/valid.txt", root);
    snprintf(data, sizeof data, "%s/classify.data", root);
    corrupt_options o = *given;
    o.list = valid, o.out_dir = root;
    if (corrupt_write_sets(&o, &index) || corrupt_add_to_data(data, index)) {
        free(index);
        return -1;
    }
    int sets = __builtin_popcount(o.kinds) * __builtin_popcount(o.severities);
    printf("synth: %d corrupted copies of the %d validation images (%s parameters) listed in %s, named by "
           "corrupt= in %s\n", sets, n_valid, corrupt_table_names[o.table], index, data);
    free(index);
    return 0;
}

int run_synth(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int classify = arg_flag(&a, "-classify"), context = arg_flag(&a, "-context");
    int distractors = arg_int(&a, "-distractors", 0);
    int n = arg_int(&a, "-n", 1000);
    int n_valid = arg_int(&a, "-valid", n / 5 > 0 ? n / 5 : 1);
    int size = arg_int(&a, "-size", classify ? (context ? 64 : 32) : 128), classes = arg_int(&a, "-classes", 0);
    int classes_given = arg_flag(&a, "-classes");
    long long seed = arg_int(&a, "-seed", 1);
    corrupt_options co;
    int bad_corrupt = corrupt_flags(&a, size, &co);
    const char *out = arg_pos(&a, 0);
    if (args_check(&a) || !out || arg_pos(&a, 1) || n < 1 || n_valid < 1 || size < SYNTH_MIN_SIZE ||
        size > SYNTH_MAX_SIZE || (classes_given && (classify || classes < 1 || classes > SYNTH_DETECT_CLASSES)) ||
        bad_corrupt || ((context || co.kinds) && !classify) || distractors < 0 ||
        distractors > SYNTH_MAX_DISTRACTORS || (distractors && !context))
        return usage_error("synth");
    if (!classes) classes = classify ? SYNTH_SHAPE_CLASSES : SYNTH_DETECT_CLASSES;

    synth_options o = {.out_dir = out, .n_train = n, .n_valid = n_valid, .size = size, .classes = classes,
                       .seed = (uint64_t)seed, .context = context, .distractors = distractors};
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
        printf("synth: %d training and %d validation images of %d x %d, %d classes%s, in %.2f s\n", n, n_valid,
               size, size, classes, context ? " (context: the marker's direction)" : "", s);
        printf("synth: data file %s/classify.data\n", out);
        if (co.kinds && write_corrupt(out, &co, n_valid)) {
            fprintf(stderr, "darknet synth: %s\n", dn_last_error());
            return 1;
        }
        return 0;
    }
    printf("synth: %d training and %d validation images of %d x %d, %d objects and %d crowd regions, "
           "%d classes, in %.2f s (%.0f images/s)\n",
           n, n_valid, size, size, sum.objects, sum.crowds, classes, s, (n + n_valid) / (s > 0 ? s : 1e-9));
    printf("synth: data file %s/synth.data\n", out);
    return 0;
}
