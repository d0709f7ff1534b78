/* shapes.c: `darknet shapes CFG`: trains a classifier cfg on the built-in
 * synthetic shapes stream and reports accuracy on held-out images; the quick
 * start's first job, and a check that training works on a new machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "chart.h"
#include "commands.h"
#include "darknet.h"
#include "progress.h"

const char usage_shapes[] =
    "shapes CFG [-iters N] [-seed S] [-valid N] [-out WEIGHTS] [-chart PNG] [-context [-distractors K]]\n"
    "      train a classifier cfg (ending in a 4-way [softmax]) on generated shape\n"
    "      images and print held-out accuracy; saves WEIGHTS (default shapes.weights)\n"
    "      and the loss chart (default shapes_chart.png). -context: the images of\n"
    "      `synth -classify -context` (a marker's direction from a shape far from it),\n"
    "      -distractors K: with K discs in other colours than the marker's (0-8)\n";

typedef struct {
    network *net;
    float *x, *truth;
    int w, h, c, classes;
    int context, distractors;   /* the stream: shapes, or context images with distractors */
} shapes_job;

/* Fills n images of the stream `seed` from `first` on, with one-hot truths. */
static void fill_batch(shapes_job *j, uint64_t seed, uint64_t first, int n)
{
    size_t in = (size_t)j->w * j->h * j->c;
    memset(j->truth, 0, sizeof(float) * n * j->classes);
    for (int i = 0; i < n; ++i) {
        float *x = j->x + i * in;
        int label = j->context ? synth_context_image_distractors(seed, first + i, j->distractors, j->w, j->h, j->c, x)
                               : synth_shape_image(seed, first + i, j->w, j->h, j->c, x);
        j->truth[i * j->classes + label] = 1;
    }
}

static float accuracy(shapes_job *j, uint64_t seed, int n)
{
    int batch = network_batch(j->net), right = 0, seen = 0;
    for (int start = 0; start < n; start += batch, seen += batch) {
        fill_batch(j, seed, start, batch);
        float *p = network_predict(j->net, j->x);
        for (int i = 0; i < batch && start + i < n; ++i) {
            int best = 0;
            for (int k = 1; k < j->classes; ++k)
                if (p[i * j->classes + k] > p[i * j->classes + best]) best = k;
            right += j->truth[i * j->classes + best] == 1;
        }
    }
    return (float)right / n;
}

int run_shapes(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int iters = arg_int(&a, "-iters", 0), n_valid = arg_int(&a, "-valid", 400);
    uint64_t seed = (uint64_t)arg_int(&a, "-seed", 1);
    const char *out = arg_str(&a, "-out", "shapes.weights");
    const char *chart_path = arg_str(&a, "-chart", "shapes_chart.png");
    int context = arg_flag(&a, "-context"), distractors = arg_int(&a, "-distractors", 0);
    const char *cfg = arg_pos(&a, 0);
    if (args_check(&a) || !cfg || iters < 0 || n_valid < 1 || distractors < 0 ||
        distractors > SYNTH_MAX_DISTRACTORS || (distractors && !context))
        return usage_error("shapes");

    shapes_job j = {.context = context, .distractors = distractors};
    j.net = load_network_seeded(cfg, NULL, 1, seed);
    if (!j.net) {
        fprintf(stderr, "darknet shapes: %s\n", dn_last_error());
        return 1;
    }
    j.w = network_width(j.net);
    j.h = network_height(j.net);
    j.c = network_channels(j.net);
    j.classes = network_outputs(j.net);
    if (j.classes != SYNTH_SHAPE_CLASSES) {
        fprintf(stderr, "darknet shapes: %s must end in %d outputs (one per shape), not %d\n", cfg,
                SYNTH_SHAPE_CLASSES, j.classes);
        free_network(j.net);
        return 1;
    }
    if (!iters) iters = network_max_batches(j.net);
    int images = network_batch(j.net) * network_subdivisions(j.net);
    j.x = malloc(sizeof(float) * images * j.w * j.h * j.c);
    j.truth = malloc(sizeof(float) * images * j.classes);
    float *losses = malloc(sizeof(float) * iters);
    printf("training %s on synthetic %s (%dx%d, %d classes), %d iterations of %d images\n", cfg,
           context ? "context images" : "shapes", j.w, j.h, j.classes, iters, images);
    progress p;
    progress_start(&p, j.net);
    int status = 0;
    while (network_iteration(j.net) < iters) {
        fill_batch(&j, seed, (uint64_t)network_iteration(j.net) * images, images);
        float loss = train_network_step(j.net, j.x, j.truth);
        if (losses && network_iteration(j.net) <= iters) losses[network_iteration(j.net) - 1] = loss;
        if (loss != loss) {
            fprintf(stderr, "darknet shapes: the loss is NaN at iteration %d; lower learning_rate\n",
                    network_iteration(j.net));
            status = 1;
            break;
        }
        int it = network_iteration(j.net);
        if (it % 10 == 0 || it == iters) progress_report(&p, j.net, loss);
    }
    if (!status) {
        /* held-out: another stream, never trained on */
        float acc = accuracy(&j, seed + 1000003, n_valid);
        printf("accuracy: %.3f on %d held-out images\n", acc, n_valid);
        int at = network_iteration(j.net);
        chart_data d = {losses, at, &at, &acc, 1, iters, cfg, "accuracy"};
        if (losses && save_chart(chart_path, &d) == 0) printf("chart %s\n", chart_path);
        if (save_weights(j.net, out)) {
            fprintf(stderr, "darknet shapes: %s\n", dn_last_error());
            status = 1;
        } else {
            printf("saved %s\n", out);
        }
    }
    free(j.x);
    free(j.truth);
    free(losses);
    free_network(j.net);
    return status;
}
