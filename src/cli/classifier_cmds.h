/* classifier_cmds.h: the `classifier` subcommands and what they share. */
#ifndef DN_CLASSIFIER_CMDS_H
#define DN_CLASSIFIER_CMDS_H

#include "darknet.h"
#include "data_cfg.h"

int classifier_train(int argc, char **argv);
int classifier_valid(int argc, char **argv);
int classifier_predict(int argc, char **argv);

/* The label names of a classifier .data: its labels= file (else names=),
 * which must agree with classes= (when given) and with the network's outputs
 * per image. NULL with dn_last_error() naming the file. */
char **classifier_labels(const data_cfg *d, const network *net, const char *cfg, int *n);
/* k of top-k: the .data's top= (default 5), at most the number of labels. */
int classifier_top(const data_cfg *d, int n_labels);

#endif
