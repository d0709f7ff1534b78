/* detector_cmds.h: the `detector` subcommands, one file each family. */
#ifndef DN_DETECTOR_CMDS_H
#define DN_DETECTOR_CMDS_H

#include "detector_eval.h"

int detector_train(int argc, char **argv);
int detector_test(int argc, char **argv);
int detector_valid(int argc, char **argv);
int detector_map(int argc, char **argv);
int detector_demo(int argc, char **argv);
int detector_calc_anchors(int argc, char **argv);
void print_detector_eval(const detector_eval *e, const detector_eval_options *o);

#endif
