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

/* Accuracy on one corrupted copy of the validation set (classifier_corrupt.c). */
typedef struct {
    char *kind;               /* as the index names it, e.g. gaussian_noise */
    int severity;
    class_accuracy acc;
} corrupt_result;
/* The accuracy on every set of d's corrupt= index, in its order (*out
 * malloc'ed, *n sets). 0 or -1 (no corrupt=, a bad index, a set unreadable). */
int classifier_corrupt_accuracy(const data_cfg *d, network *net, const char *cfg, int threads, corrupt_result **out,
                                int *n);
/* Mean top-1 over the sets (ImageNet-C's mean corruption accuracy, without
 * AlexNet's normalisation). */
double corrupt_mean_top1(const corrupt_result *r, int n);
/* One line per corruption: top-1 by severity and their mean. */
void corrupt_results_print(const corrupt_result *r, int n);
void corrupt_results_free(corrupt_result *r, int n);

#endif
