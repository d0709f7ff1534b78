/* classifier_train.c: `classifier train DATA CFG [WEIGHTS]`: the images of
 * train= labelled by the label name in their paths, through the threaded
 * loader with the cfg's augmentation (jitter crop, resize, flip, colour);
 * the truth is the one-hot of the classes, what a last [softmax] reads.
 * Progress, backups, chart and Ctrl-C as `detector train` (train_session.h). */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "classifier_cmds.h"
#include "classify.h"
#include "commands.h"
#include "train_session.h"

int classifier_train_open(train_session *t, uint64_t seed, classifier_train_data *d)
{
    loader_config lc;
    if (!(d->labels = classifier_labels(t->data, t->net, t->cfg, &d->n_labels)) ||
        class_list_read(t->data->train, d->labels, d->n_labels, &d->list) ||
        train_session_loader_config(t, &lc, seed))
        return -1;
    lc.paths = d->list.paths;
    lc.n_paths = d->list.n;
    lc.image_classes = d->list.classes;
    lc.classes = d->n_labels;
    if (!(d->loader = loader_open(&lc))) return -1;
    printf("%d images of %d classes (%d without a label skipped)\n", d->list.n, d->n_labels, d->list.skipped);
    return 0;
}

void classifier_train_close(classifier_train_data *d)
{
    loader_close(d->loader);
    class_list_free(&d->list);
    free_string_list(d->labels, d->n_labels);
    memset(d, 0, sizeof *d);
}

int classifier_train(int argc, char **argv)
{
    args a;
    args_init(&a, argc, argv);
    int clear = arg_flag(&a, "-clear");
    (void)arg_flag(&a, "-dont_show"); /* darknet's: no window is ever opened here */
    uint64_t seed = (uint64_t)arg_int(&a, "-seed", 1);
    int backup_every = arg_int(&a, "-backup_every", 100);
    train_session t = {0};
    t.threads = arg_int(&a, "-threads", 2);
    const char *data = arg_pos(&a, 0), *cfg = arg_pos(&a, 1), *weights = arg_pos(&a, 2);
    if (args_check(&a) || !cfg || arg_pos(&a, 3) || backup_every < 1 || t.threads < 1)
        return usage_error("classifier");
    classifier_train_data d = {0};
    int rc = 1;
    if (train_session_open(&t, "classifier train", data, cfg, weights, clear, seed) ||
        classifier_train_open(&t, seed, &d))
        fprintf(stderr, "darknet classifier train: %s\n", dn_last_error());
    else
        rc = train_session_run(&t, d.loader, d.n_labels, backup_every);
    classifier_train_close(&d);
    train_session_close(&t);
    return rc;
}
