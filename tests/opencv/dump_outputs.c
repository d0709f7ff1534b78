/* dump_outputs: this project's side of the OpenCV cross-check
 * (tests/cli/opencv_crosscheck.sh). Built against libdarknet.a.
 *
 *   dump_outputs init CFG OUT.weights SEED
 *       random weights with non-trivial batch-norm statistics, saved in
 *       darknet's format (variances in [2, 4]: see below)
 *   dump_outputs input CFG OUT.bin SEED
 *       one random image in [0, 1], raw float32 NCHW
 *   dump_outputs run CFG WEIGHTS INPUT.bin OUTDIR SPEC...
 *       forward in inference mode (WEIGHTS none: the random initial ones); SPEC is a layer index N (writes OUTDIR/_N.bin,
 *       the layer's output) or "boxes" (OUTDIR/boxes.bin: x, y, w, h, objectness
 *       of every box of every [yolo] layer, threshold 0); for the ONNX checks
 *       (tests/cli/onnx.sh) also "output" (OUTDIR/output.bin: the last layer's),
 *       "detections" (detections.bin: x, y, w, h, objectness and the class
 *       probabilities of each detection of image 0, threshold 0) and "retina"
 *       (clsK.bin and boxK.bin: each level's head outputs)
 *   dump_outputs compare A.bin B.bin TOL NAME
 *       prints "ok NAME ..." or "FAIL NAME ..." with the largest relative
 *       difference |a-b| / max(|b|, mean |b|): relative for values of the
 *       tensor's typical size or larger, and relative to that typical size for
 *       values near zero (where float rounding of the sums is all that is left);
 *       exit 0 on ok
 *
 * Batch norm: this project divides by sqrt(var + 1e-5), OpenCV's darknet
 * reader uses 1e-6; with variances >= 2 that convention differs by < 2.3e-6
 * relative per layer, so the comparison sees real differences only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_desc.h"
#include "network.h"

static int fail(const char *what)
{
    fprintf(stderr, "dump_outputs: %s%s%s\n", what, dn_last_error()[0] ? ": " : "", dn_last_error());
    return 1;
}

static float *read_floats(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long bytes = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    float *x = malloc(bytes > 0 ? (size_t)bytes : 1);
    *n = bytes > 0 ? (size_t)bytes / sizeof(float) : 0;
    if (x && fread(x, sizeof(float), *n, fp) != *n) {
        free(x);
        x = NULL;
    }
    fclose(fp);
    return x;
}

static int write_floats(const char *path, const float *x, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    int bad = fwrite(x, sizeof(float), n, fp) != n;
    return (fclose(fp) || bad) ? -1 : 0;
}

static int cmd_init(const char *cfg, const char *out, uint64_t seed)
{
    network *net = load_network_seeded(cfg, NULL, 1, seed);
    if (!net) return fail("cannot build the network");
    rng_state r;
    rng_seed(&r, seed ^ 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < net->n; ++i) {
        layer *l = &net->layers[i];
        /* weights keep their He initialisation; biases and batch-norm tensors get
         * spread-out values. Stored order: convolutional biases[, scales, mean,
         * variance], weights; connected biases, weights[, scales, mean, variance]. */
        int conv = !strcmp(layer_type_name(l), "convolutional");
        int fc = !strcmp(layer_type_name(l), "connected");
        if (!conv && !fc) continue;
        int bn = l->n_stored == 5, first_bn = conv ? 1 : 2;
        for (int t = 0; t < l->n_stored; ++t) {
            float lo = -0.5f, hi = 0.5f;
            if (t == (conv ? l->n_stored - 1 : 1)) continue;     /* weights */
            if (bn && t == first_bn) lo = 0.5f, hi = 1.5f;       /* scales */
            if (bn && t == first_bn + 2) lo = 2.0f, hi = 4.0f;   /* variances */
            for (int k = 0; k < l->stored_n[t]; ++k) l->stored[t][k] = rng_range(&r, lo, hi);
        }
    }
    int rc = save_weights(net, out) ? fail("cannot save") : 0;
    free_network(net);
    return rc;
}

static int cmd_input(const char *cfg, const char *out, uint64_t seed)
{
    network *net = build_network(cfg, 0, 0);   /* the shape is all it needs: no weights drawn */
    if (!net) return fail("cannot build the network");
    size_t n = (size_t)net->batch * net->inputs;
    float *x = malloc(n * sizeof(float));
    rng_state r;
    rng_seed(&r, seed);
    for (size_t i = 0; x && i < n; ++i) x[i] = rng_uniform(&r);
    int rc = (!x || write_floats(out, x, n)) ? fail("cannot write the input") : 0;
    free(x);
    free_network(net);
    return rc;
}

/* The rows of get_network_boxes_unsuppressed (threshold 0): x, y, w, h, objectness and,
 * with probs, every class probability. */
static int write_boxes(network *net, const char *path, int probs)
{
    int count = 0;
    detection *d = get_network_boxes_unsuppressed(net, 0, &count);
    int per = 5 + (probs && count ? d[0].classes : 0);
    float *rows = malloc(sizeof(float) * per * (count ? count : 1));
    for (int k = 0; d && rows && k < count; ++k) {
        float row[5] = {d[k].bbox.x, d[k].bbox.y, d[k].bbox.w, d[k].bbox.h, d[k].objectness};
        memcpy(rows + per * k, row, sizeof row);
        if (per > 5) memcpy(rows + per * k + 5, d[k].prob, sizeof(float) * d[k].classes);
    }
    int rc = (!d || !rows || write_floats(path, rows, (size_t)per * count)) ? fail("cannot write boxes") : 0;
    free(rows);
    free_detections(d, count);
    return rc;
}

static int write_layer(network *net, const layer *l, const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    return write_floats(path, layer_output(l), (size_t)net->batch * layer_outputs(l)) ? fail("cannot write") : 0;
}

/* Each level's class and box head outputs of the network's [retina] layer. */
static int write_retina_heads(network *net, const char *dir)
{
    for (int i = 0; i < net->n; ++i) {
        retina_desc d;
        if (strcmp(layer_type_name(&net->layers[i]), "retina") || retina_describe(&net->layers[i], &d)) continue;
        char name[32];
        for (int k = 0; k < d.n_levels; ++k) {
            snprintf(name, sizeof name, "cls%d", k);
            if (write_layer(net, &net->layers[d.cls[k]], dir, name)) return 1;
            snprintf(name, sizeof name, "box%d", k);
            if (write_layer(net, &net->layers[d.box[k]], dir, name)) return 1;
        }
        return 0;
    }
    fprintf(stderr, "dump_outputs: no [retina] layer\n");
    return 1;
}

static int cmd_run(const char *cfg, const char *weights, const char *input, const char *dir, int n_specs,
                   char **specs)
{
    network *net = load_network_frozen(cfg, strcmp(weights, "none") ? weights : NULL);
    if (!net) return fail("cannot load the network");
    size_t n = 0;
    float *x = read_floats(input, &n);
    int rc = 0;
    if (!x || n != (size_t)net->batch * net->inputs) {
        fprintf(stderr, "dump_outputs: %s: expected %d floats\n", input, net->batch * net->inputs);
        rc = 1;
    } else {
        network_predict(net, x);
    }
    char path[1024];
    for (int i = 0; !rc && i < n_specs; ++i) {
        snprintf(path, sizeof path, "%s/%s.bin", dir, specs[i]);
        if (!strcmp(specs[i], "output")) {
            rc = write_layer(net, &net->layers[net->n - 1], dir, "output");
            continue;
        }
        if (!strcmp(specs[i], "detections")) {
            rc = write_boxes(net, path, 1);
            continue;
        }
        if (!strcmp(specs[i], "retina")) {
            rc = write_retina_heads(net, dir);
            continue;
        }
        if (!strcmp(specs[i], "boxes")) {
            rc = write_boxes(net, path, 0);
            continue;
        }
        layer *l = network_layer(net, atoi(specs[i]));
        if (!l) {
            fprintf(stderr, "dump_outputs: no layer %s\n", specs[i]);
            rc = 1;
            break;
        }
        char name[64];
        snprintf(name, sizeof name, "_%s", specs[i]);
        rc = write_layer(net, l, dir, name);
    }
    free(x);
    free_network(net);
    return rc;
}

static int cmd_compare(const char *a_path, const char *b_path, double tol, const char *name)
{
    size_t na = 0, nb = 0;
    float *a = read_floats(a_path, &na), *b = read_floats(b_path, &nb);
    int rc = 1;
    if (!a || !b || na != nb || !na) {
        printf("FAIL %s: sizes differ or unreadable (%zu vs %zu floats)\n", name, na, nb);
    } else {
        double typical = 0, worst = 0;
        size_t where = 0;
        for (size_t i = 0; i < nb; ++i) typical += fabs(b[i]) / nb;
        for (size_t i = 0; i < nb; ++i) {
            double d = fabs((double)a[i] - b[i]) / fmax(fabs(b[i]), typical);
            if (!(d <= worst)) { /* also catches NaN */
                worst = isnan(d) ? INFINITY : d;
                where = i;
            }
        }
        rc = !(worst <= tol);
        printf("%s %s: %zu values, max relative difference %.3g (at %zu: %.7g vs %.7g), tolerance %g\n",
               rc ? "FAIL" : "ok  ", name, nb, worst, where, a[where], b[where], tol);
    }
    free(a);
    free(b);
    return rc;
}

int main(int argc, char **argv)
{
    dn_set_log_level(DN_LOG_WARN);
    if (argc == 5 && !strcmp(argv[1], "init")) return cmd_init(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    if (argc == 5 && !strcmp(argv[1], "input")) return cmd_input(argv[2], argv[3], strtoull(argv[4], NULL, 10));
    if (argc >= 7 && !strcmp(argv[1], "run")) return cmd_run(argv[2], argv[3], argv[4], argv[5], argc - 6, argv + 6);
    if (argc == 6 && !strcmp(argv[1], "compare")) return cmd_compare(argv[2], argv[3], atof(argv[4]), argv[5]);
    fprintf(stderr, "usage: dump_outputs init CFG OUT.weights SEED\n"
                    "       dump_outputs input CFG OUT.bin SEED\n"
                    "       dump_outputs run CFG WEIGHTS INPUT.bin OUTDIR LAYER|boxes...\n"
                    "       dump_outputs compare A.bin B.bin TOL NAME\n");
    return 2;
}
