/* distill_test_util.h: teachers for the distillation tests (test_cwd.c,
 * test_distill.c): a cfg and a weights file of a randomly initialised
 * network, written to temporary files and removed afterwards. */
#ifndef DN_DISTILL_TEST_UTIL_H
#define DN_DISTILL_TEST_UTIL_H

#include "darknet.h"

/* Saves a randomly initialised network of cfg text as a teacher: its cfg path
 * in `cfg`, its weights path in `weights` (256 bytes each). With constant != 0
 * its first layer's weights are zeroed and its biases drawn in [-2, 2], so the
 * teacher's output does not depend on the input. Records a test failure when
 * the network cannot be built or saved. */
void save_teacher(const char *text, char *cfg, char *weights, unsigned seed, int constant);
/* Removes both files. */
void remove_teacher(const char *cfg, const char *weights);
/* 1 when the student has exactly one teacher (layers naming the same files share it). */
int one_teacher(const network *student);

/* For a student whose layer 0 is the map a distillation layer (layer 1)
 * compares with the teacher's layer 0: */
/* gives layer 0 the teacher's weights, so that both maps are equal; */
void copy_teacher_layer0(network *student);
/* runs layer 1's backward alone (after a training forward) into layer 0's
 * delta, zeroed first, and returns that delta (batch x outputs floats): the
 * layer's negative loss gradient w.r.t. the student map. */
float *student_map_gradient(network *net);

#endif
