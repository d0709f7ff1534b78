/* classifier.c: `darknet classifier SUBCOMMAND`, as darknet users know it:
 * a classifier .data names classes=, train=, valid=, labels= (one label
 * name a line), backup= and top=; the class of an image is the label name
 * in its path (classify.h). valid and predict are here, train in
 * classifier_train.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "classifier_cmds.h"
#include "classify.h"
#include "commands.h"
#include "errors.h"
#include "image.h"
#include "loader.h"
#include "nms.h"
#include "progress.h"

const char usage_classifier[] =
    "classifier train DATA CFG [WEIGHTS] [-clear] [-seed S] [-threads T] [-backup_every N] [-dont_show]\n"
    "      train; backups and chart_CFG.png go to the .data's backup=\n"
    "  classifier valid DATA CFG WEIGHTS [-threads T]   top-1 and top-k accuracy on valid=\n"
    "      (and top-1 on each corrupted copy a corrupt= line names: darknet synth -corrupt)\n"
    "  classifier predict DATA CFG WEIGHTS IMAGE [-top K]   the K (default top=) likeliest labels\n";

int run_classifier(int argc, char **argv)
{
    static const subcommand subcommands[] = {
        {"train", classifier_train},
        {"valid", classifier_valid},
        {"predict", classifier_predict},
    };
    return run_subcommand("classifier", subcommands, sizeof subcommands / sizeof subcommands[0], argc, argv);
}

char **classifier_labels(const data_cfg *d, const network *net, const char *cfg, int *n)
{
    *n = 0;
    const char *file = d->labels ? d->labels : d->names;
    if (!file) {
        dn_error("%s names no labels= file (one label name a line)", d->path);
        return NULL;
    }
    char **labels = read_names(file, n);
    if (!labels) return NULL;
    if (d->classes && d->classes != *n)
        dn_error("%s says classes=%d but its labels file %s holds %d names", d->path, d->classes, file, *n);
    else if (network_outputs(net) != *n)
        dn_error("%s gives %d outputs per image, not one per label of %s (%d)", cfg, network_outputs(net), file, *n);
    else
        return labels;
    free_string_list(labels, *n);
    *n = 0;
    return NULL;
}

int classifier_top(const data_cfg *d, int n_labels)
{
    int k = d->top ? d->top : 5;
    return k < n_labels ? k : n_labels;
}

/* The .data, its labels and a frozen network with `batch` images per pass. */
typedef struct {
    data_cfg *data;
    network *net;
    char **labels;
    int n_labels, letterbox;
} classifier_job;

static int open_job(classifier_job *j, const char *data, const char *cfg, const char *weights, int batch)
{
    loader_config lc;
    loader_config_default(&lc);
    if (!(j->data = data_cfg_read(data)) || !(j->net = load_network_frozen(cfg, weights)) ||
        !(j->labels = classifier_labels(j->data, j->net, cfg, &j->n_labels)) || loader_config_from_cfg(&lc, cfg))
        return -1;
    j->letterbox = lc.letterbox;
    return batch ? set_batch_network(j->net, batch) : 0;
}

static void close_job(classifier_job *j)
{
    free_string_list(j->labels, j->n_labels);
    free_network(j->net);
    data_cfg_free(j->data);
}

int classifier_valid_accuracy(const data_cfg *d, network *net, const char *cfg, int threads, class_accuracy *acc,
                              int *skipped)
{
    loader_config lc;
    loader_config_default(&lc);
    class_list list = {0};
    int n_labels = 0, rc = -1;
    char **labels = classifier_labels(d, net, cfg, &n_labels);
    if (!labels || loader_config_from_cfg(&lc, cfg)) goto done;
    if (!d->valid) {
        dn_error("%s names no valid= list", d->path);
        goto done;
    }
    if (class_list_read(d->valid, labels, n_labels, &list) ||
        classifier_evaluate(net, &list, n_labels, classifier_top(d, n_labels), lc.letterbox, threads, acc))
        goto done;
    if (!acc->images) {
        dn_error("no image of %s could be read", d->valid);
        goto done;
    }
    *skipped = list.skipped;
    rc = 0;
done:
    class_list_free(&list);
    free_string_list(labels, n_labels);
    return rc;
}

/* The .data names corrupted copies of valid= (corrupt=): top-1 on each. */
static int report_corrupt(classifier_job *j, const char *cfg, int threads)
{
    corrupt_result *r;
    int n;
    if (classifier_corrupt_accuracy(j->data, j->net, cfg, threads, &r, &n)) return -1;
    printf("corrupted copies (%s), top-1 by severity:\n", j->data->corrupt);
    corrupt_results_print(r, n);
    printf("corrupt mean_top1=%.4f over %d sets\n", corrupt_mean_top1(r, n), n);
    corrupt_results_free(r, n);
    return 0;
}

int classifier_valid(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int threads = arg_int(&a, "-threads", 2);
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2);
    if (args_check(&a) || !weights || arg_pos(&a, 3) || threads < 1) return usage_error("classifier");
    classifier_job j = {0};
    class_accuracy acc;
    int rc = 1, skipped = 0;
    if (open_job(&j, data, cfg, weights, 0) || classifier_valid_accuracy(j.data, j.net, cfg, threads, &acc, &skipped))
        goto done;
    printf("%lld images of %s (%d without a label skipped), %d classes\n", (long long)acc.images, j.data->valid,
           skipped, j.n_labels);
    if (j.data->corrupt && report_corrupt(&j, cfg, threads)) goto done;
    printf("top1=%.4f top%d=%.4f\n", (double)acc.top1 / acc.images, acc.k, (double)acc.topk / acc.images);
    rc = 0;
done:
    if (rc) fprintf(stderr, "darknet classifier valid: %s\n", dn_last_error());
    close_job(&j);
    return rc;
}

int classifier_predict(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int top = arg_int(&a, "-top", 0);
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2), *path = arg_pos(&a, 3);
    if (args_check(&a) || !path || arg_pos(&a, 4) || top < 0) return usage_error("classifier");
    classifier_job j = {0};
    image *im = NULL, *sized = NULL;
    int *index = NULL, rc = 1;
    if (open_job(&j, data, cfg, weights, 1)) goto done;
    int W = network_width(j.net), H = network_height(j.net);
    /* as valid sees its images: plain resize, or letterbox with letter_box=1 */
    if (!(im = load_image_hint(path, W, H, j.letterbox, NULL, NULL)) ||
        !(sized = j.letterbox ? letterbox_image(im, W, H, NULL) : resize_image(im, W, H)))
        goto done;
    int k = top ? (top < j.n_labels ? top : j.n_labels) : classifier_top(j.data, j.n_labels);
    if (!(index = dn_calloc(k, sizeof *index))) goto done;
    double t0 = progress_now_ms();
    const float *p = network_predict(j.net, sized->data);
    printf("%s: predicted in %.1f ms\n", path, progress_now_ms() - t0);
    top_k(p, j.n_labels, k, index);
    for (int i = 0; i < k; ++i) printf("%6.2f%%: %s\n", 100 * p[index[i]], j.labels[index[i]]);
    rc = 0;
done:
    if (rc) fprintf(stderr, "darknet classifier predict: %s\n", dn_last_error());
    free(index);
    free_image(im);
    free_image(sized);
    close_job(&j);
    return rc;
}
