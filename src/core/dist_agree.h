/* dist_agree.h: checking that every rank of a job holds the same thing (cfg,
 * weights, image list) before they train one model together, by comparing
 * hashes rather than sending the things themselves. */
#ifndef DN_DIST_AGREE_H
#define DN_DIST_AGREE_H

#include <stdint.h>

#include "hash.h"

/* Collective. 0 when every rank passes the same value; otherwise -1 on every
 * rank, with an error saying that `what` differs between rank 0 and the first
 * rank that disagrees, naming both ranks' hosts. */
int dist_check_same(uint64_t value, const char *what);

#endif
