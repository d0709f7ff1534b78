/* classifier_train.c: `classifier train DATA CFG [WEIGHTS]`: the images of
 * train= labelled by the label name in their paths, through the threaded
 * loader with the cfg's augmentation (jitter crop, resize, flip, colour);
 * the truth is the one-hot of the classes, what a last [softmax] reads.
 * Progress, backups, chart and Ctrl-C as `detector train` (train_session.h). */
#include <stdio.h>

#include "args.h"
#include "classifier_cmds.h"
#include "classify.h"
#include "commands.h"
#include "train_session.h"

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
    char **labels = NULL;
    int n_labels = 0, rc = 1;
    class_list list = {0};
    loader *L = NULL;
    loader_config lc;
    if (train_session_open(&t, "classifier train", data, cfg, weights, clear, seed) ||
        !(labels = classifier_labels(t.data, t.net, cfg, &n_labels)) ||
        class_list_read(t.data->train, labels, n_labels, &list) || train_session_loader_config(&t, &lc, seed))
        goto done;
    lc.paths = list.paths;
    lc.n_paths = list.n;
    lc.image_classes = list.classes;
    lc.classes = n_labels;
    if (!(L = loader_open(&lc))) goto done;
    printf("%d images of %d classes (%d without a label skipped)\n", list.n, n_labels, list.skipped);
    rc = train_session_run(&t, L, n_labels, backup_every);
done:
    if (rc && !L) fprintf(stderr, "darknet classifier train: %s\n", dn_last_error());
    loader_close(L);
    class_list_free(&list);
    free_string_list(labels, n_labels);
    train_session_close(&t);
    return rc;
}
