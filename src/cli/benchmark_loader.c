/* benchmark_loader.c: `darknet benchmark-loader DATA`: images per second the
 * threaded loader delivers (decode, augmentation, boxes) from a dataset's
 * train= list, with nothing else running. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "darknet.h"
#include "data_cfg.h"
#include "loader.h"

const char usage_benchmark_loader[] =
    "benchmark-loader DATA [-cfg CFG] [-width W] [-height H] [-batch B] [-threads T] [-iters N] [-eval]\n"
    "      images/s of loading and augmenting DATA's train= list (-eval: the valid= list, letterboxed,\n"
    "      no augmentation); augmentation from CFG's [net] keys, else jitter=.3 flip=1 hue=.1\n"
    "      saturation=1.5 exposure=1.5; the last line reads: benchmark-loader images_per_s=R\n";

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(data_cfg *d)
{
    fprintf(stderr, "darknet benchmark-loader: %s\n", dn_last_error());
    data_cfg_free(d);
    return 1;
}

int run_benchmark_loader(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    const char *cfg = arg_str(&a, "-cfg", NULL);
    int w = arg_int(&a, "-width", 0), h = arg_int(&a, "-height", 0), batch = arg_int(&a, "-batch", 16);
    int threads = arg_int(&a, "-threads", 2), iters = arg_int(&a, "-iters", 10), eval = arg_flag(&a, "-eval");
    const char *data = arg_pos(&a, 0);
    if (args_check(&a) || !data || w < 0 || h < 0 || batch < 1 || threads < 1 || threads > 64 || iters < 1)
        return usage_error("benchmark-loader");

    loader_config c;
    loader_config_default(&c);
    c.jitter = 0.3f, c.flip = 1, c.hue = 0.1f, c.saturation = 1.5f, c.exposure = 1.5f;
    c.width = c.height = 416;
    if (cfg) {
        c.jitter = c.hue = 0, c.saturation = c.exposure = 1;   /* darknet's defaults (flip=1) */
        if (loader_config_from_cfg(&c, cfg)) return fail(NULL);
    }
    if (w) c.width = w;
    if (h) c.height = h;
    data_cfg *d = data_cfg_read(data);
    if (!d) return fail(NULL);
    c.list = eval ? d->valid : d->train;
    if (!c.list) {
        fprintf(stderr, "darknet benchmark-loader: %s has no %s= list\n", data, eval ? "valid" : "train");
        data_cfg_free(d);
        return 1;
    }
    c.classes = d->classes;
    c.batch = batch;
    c.threads = threads;
    c.eval = eval;
    loader *L = loader_open(&c);
    int max_w = c.width, max_h = c.height;   /* random=1: batches up to 1.4x */
    if (L) loader_max_size(L, &max_w, &max_h);
    size_t n_img = (size_t)batch * 3 * max_w * max_h;
    float *im = malloc(n_img * sizeof *im), *truth = malloc((size_t)batch * DN_MAX_BOXES * 5 * sizeof *truth);
    if (!L || !im || !truth) {
        free(im);
        free(truth);
        loader_close(L);
        return fail(d);
    }
    printf("%s: %d images, %d x %d, batch %d, %d threads, jitter %g flip %d hue %g saturation %g exposure %g%s\n",
           c.list, loader_n_images(L), c.width, c.height, batch, threads, c.jitter, c.flip, c.hue, c.saturation,
           c.exposure, eval ? ", eval" : c.letterbox ? ", letterbox" : "");
    /* the first batch includes thread start and cold caches: not timed */
    int got = loader_next(L, im, truth, NULL), images = 0;
    double t0 = now_s();
    for (int i = 0; i < iters && got > 0; ++i) {
        got = loader_next(L, im, truth, NULL);
        images += got > 0 ? got : 0;
    }
    double dt = now_s() - t0;
    loader_close(L);
    free(im);
    free(truth);
    if (got < 0) return fail(d);
    data_cfg_free(d);
    if (!images) {
        fprintf(stderr, "darknet benchmark-loader: the list ended in the first batch (use more images or -batch)\n");
        return 1;
    }
    printf("%d images in %.3f s\n", images, dt);
    printf("benchmark-loader images_per_s=%.1f\n", images / dt);
    return 0;
}
