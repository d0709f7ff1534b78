/* classifier_cmds.h: the `classifier` subcommands and what they share. */
#ifndef DN_CLASSIFIER_CMDS_H
#define DN_CLASSIFIER_CMDS_H

#include "classify.h"
#include "darknet.h"
#include "data_cfg.h"
#include "train_session.h"

int classifier_train(int argc, char **argv);
int classifier_valid(int argc, char **argv);
int classifier_predict(int argc, char **argv);

/* The label names of a classifier .data: its labels= file (else names=),
 * which must agree with classes= (when given) and with the network's outputs
 * per image. NULL with dn_last_error() naming the file. */
char **classifier_labels(const data_cfg *d, const network *net, const char *cfg, int *n);
/* k of top-k: the .data's top= (default 5), at most the number of labels. */
int classifier_top(const data_cfg *d, int n_labels);

/* What a classifier training reads beside its train_session: the labels, the
 * labelled train= list and the loader over it. */
typedef struct {
    char **labels;
    int n_labels;
    class_list list;
    loader *loader;
} classifier_train_data;
/* For an open session: reads the labels and the train= list and opens the
 * training loader (truth: n_labels floats per image). 0 or -1. */
int classifier_train_open(train_session *t, uint64_t seed, classifier_train_data *d);
void classifier_train_close(classifier_train_data *d);

/* Top-1 and top-k accuracy of net (frozen, built from cfg, whose [net] says
 * whether to letterbox) on d's valid= list; *skipped: list entries without a
 * label. 0, or -1 (also when no image could be read). */
int classifier_valid_accuracy(const data_cfg *d, network *net, const char *cfg, int threads, class_accuracy *acc,
                              int *skipped);

#endif
