/* benchmark.c: `darknet benchmark CFG`: times forward passes (and with -train
 * whole training steps) on random input after a warm-up. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "darknet.h"
#include "dist.h"
#include "errors.h"
#include "synth_detect.h"

const char usage_benchmark[] =
    "benchmark CFG [-width W] [-height H] [-batch B] [-iters N] [-train] [-threads T] [-layers]\n"
    "      time forward passes (with box decoding and NMS in detection layers) and, with\n"
    "      -train, training steps on random input (detectors: with the boxes of synthetic\n"
    "      scenes as truth) and their losses; -layers adds a per-layer table;\n"
    "      the last line reads: benchmark forward_ms=F train_ms=T gflops=G. Under mpirun the\n"
    "      batch is split over the ranks and training sums the gradients over them (the time\n"
    "      that takes is printed; DARKNET_OVERLAP=0 sums only after backward)\n";

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static float *random_array(size_t n, float lo, float hi)
{
    float *x = malloc(n * sizeof *x);
    if (!x) return NULL;
    unsigned s = 12345;
    for (size_t i = 0; i < n; ++i) {
        s = s * 1103515245u + 12345u;
        x[i] = lo + (hi - lo) * ((s >> 8) & 0xffff) / 65535.0f;
    }
    return x;
}

/* Training truth for `batch` images. Detectors (DN_MAX_BOXES boxes of 5 floats
 * an image) get the objects of synthetic scenes (1 to 6 of COCO-like sizes),
 * so their losses match as many anchors as in real training; random boxes
 * would be mostly rejected or tiny. Every object is class 0, which any
 * detector has (the class does not change the work). Other networks get
 * random values. NULL when out of memory or a scene fails. */
static float *make_truth(const network *net, int batch)
{
    int per_image = network_truths(net);
    if (per_image != DN_MAX_BOXES * 5) return random_array((size_t)batch * (per_image + 1), 0, 1);
    int side = network_width(net) < network_height(net) ? network_width(net) : network_height(net);
    if (side < SYNTH_MIN_SIZE) side = SYNTH_MIN_SIZE;   /* boxes are relative: any size draws them */
    float *truth = calloc((size_t)batch * per_image, sizeof *truth);
    image *im = make_image(side, side, 3);
    int ok = truth && im;
    for (int b = 0; b < batch && ok; ++b) {
        synth_object objs[SYNTH_MAX_OBJECTS];
        int n = synth_detect_scene(1, SYNTH_TRAIN, (uint64_t)b, SYNTH_DETECT_CLASSES, im, objs, SYNTH_MAX_OBJECTS);
        ok = n >= 0;
        float *t = truth + (size_t)b * per_image;
        for (int i = 0; i < n; ++i) {
            if (objs[i].crowd) continue;   /* as the darknet labels of these scenes */
            t[0] = (objs[i].x + objs[i].w * 0.5f) / side;
            t[1] = (objs[i].y + objs[i].h * 0.5f) / side;
            t[2] = (float)objs[i].w / side;
            t[3] = (float)objs[i].h / side;
            t[4] = 0;
            t += 5;
        }
    }
    free_image(im);
    if (!ok) {
        free(truth);
        return NULL;
    }
    return truth;
}

/* Per-layer mean times over the timed runs (fwd, bwd: sums over `iters`). */
static void print_layers(network *net, int batch, const double *fwd, const double *bwd, int iters)
{
    printf("%5s %-14s %16s %10s %10s %8s\n", "layer", "type", "output", "fwd ms", "bwd ms", "GFLOP/s");
    for (int i = 0; i < network_n_layers(net); ++i) {
        layer *l = network_layer(net, i);
        int w, h, c;
        layer_shape(l, &w, &h, &c);
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%dx%d", w, h, c);
        double f = fwd[i] / iters;
        printf("%5d %-14s %16s %10.3f %10.3f %8.1f\n", i, layer_type_name(l), shape, f, bwd[i] / iters,
               f > 0 ? layer_flops(l) * batch / f / 1e6 : 0);
    }
}

/* Mean time of `iters` runs of one forward pass or one training step; with
 * -layers, prints the mean time of each layer. */
static double time_runs(network *net, float *x, float *truth, int iters, int train, int per_layer)
{
    for (int i = 0; i < 2; ++i) /* warm-up: page faults, caches, thread start */
        train ? (void)train_network_step(net, x, truth) : (void)network_predict(net, x);
    dist_barrier();   /* the ranks start timing together */
    int n = network_n_layers(net);
    double *fwd = calloc(n, sizeof *fwd), *bwd = calloc(n, sizeof *bwd), total = 0;
    for (int i = 0; i < iters; ++i) {
        double t0 = now_ms();
        if (train) {
            train_network_step(net, x, truth);
        } else {
            /* inference as a user runs it: with decoding and NMS in detection layers */
            network_predict(net, x);
            int n = 0;
            free_detections(get_network_boxes(net, 0.05f, &n), n);
        }
        total += now_ms() - t0;
        for (int k = 0; k < n && fwd && bwd; ++k) {
            fwd[k] += layer_forward_ms(network_layer(net, k));
            bwd[k] += layer_backward_ms(network_layer(net, k));
        }
    }
    if (per_layer && fwd && bwd) print_layers(net, network_batch(net), fwd, bwd, iters);
    free(fwd);
    free(bwd);
    return total / iters;
}

/* The network at the asked size; under mpirun each rank gets its share of
 * the batch (training: a data-parallel replica that sums gradients). */
static network *prepare(const char *cfg, int trainable, int w, int h, int batch)
{
    if (batch % dist_size()) {
        dn_error("-batch %d does not split over %d ranks", batch, dist_size());
        return NULL;
    }
    network *net = trainable ? load_network(cfg, NULL, 1) : load_network_frozen(cfg, NULL);
    if (!net) return NULL;
    set_subdivisions_network(net, 1);
    if (set_batch_network(net, trainable ? batch : batch / dist_size()) ||
        ((w || h) && resize_network(net, w ? w : network_width(net), h ? h : network_height(net))) ||
        (trainable && network_set_data_parallel(net))) {
        free_network(net);
        return NULL;
    }
    return net;
}

/* What summing the gradients over the ranks cost per step. */
static void print_allreduce(const network *net)
{
    dn_allreduce_stats s = network_allreduce_stats(net);
    if (s.replicas < 2) return;
    printf("allreduce over %d ranks: %.1f MB per step in %d buckets, overlap %s: %.2f ms per step after backward, "
           "%.2f ms during it\n", s.replicas, s.mbytes, s.buckets, s.overlap ? "on" : "off", s.exposed_ms, s.hooks_ms);
}

int run_benchmark(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int w = arg_int(&a, "-width", 0), h = arg_int(&a, "-height", 0);
    int batch = arg_int(&a, "-batch", 1), iters = arg_int(&a, "-iters", 10);
    int train = arg_flag(&a, "-train"), threads = arg_int(&a, "-threads", 0);
    int per_layer = arg_flag(&a, "-layers");
    const char *cfg = arg_pos(&a, 0);
    if (args_check(&a) || !cfg || batch < 1 || iters < 1 || w < 0 || h < 0)
        return usage_error("benchmark");
    dn_set_threads(threads);

    network *net = prepare(cfg, 0, w, h, batch);
    if (!net) {
        fprintf(stderr, "darknet benchmark: %s\n", dn_last_error());
        return 1;
    }
    size_t n_in = (size_t)batch * network_inputs(net);
    float *x = random_array(n_in, 0, 1);
    double flops = network_flops(net) * batch;
    printf("%s: %d x %d x %d, batch %d, %.2f GFLOPs per forward\n", cfg, network_width(net),
           network_height(net), network_channels(net), batch, flops / 1e9);
    double fwd = time_runs(net, x, NULL, iters, 0, per_layer);
    printf("forward: %.2f ms (%.1f images/s)\n", fwd, batch * 1e3 / fwd);
    free_network(net);

    double step = 0;
    if (train) {
        net = prepare(cfg, 1, w, h, batch);
        if (!net) {
            fprintf(stderr, "darknet benchmark: %s\n", dn_last_error());
            free(x);
            return 1;
        }
        float *truth = make_truth(net, batch);
        if (!truth) {
            fprintf(stderr, "darknet benchmark: no training truth: %s\n", dn_last_error());
            free_network(net);
            free(x);
            return 1;
        }
        step = time_runs(net, x, truth, iters, 1, per_layer);
        printf("train step: %.2f ms (%.1f images/s)\n", step, batch * 1e3 / step);
        print_allreduce(net);
        const char *names[16];
        float values[16];
        int n = network_losses(net, names, values, 16);
        printf("losses per image of the last step:");
        for (int k = 0; k < n; ++k) printf("%s %s %.4f", k ? "," : "", names[k], values[k]);
        printf("\n");
        free(truth);
        free_network(net);
    }
    free(x);
    printf("benchmark forward_ms=%.3f train_ms=%.3f gflops=%.2f\n", fwd, step, flops / fwd / 1e6);
    return 0;
}
