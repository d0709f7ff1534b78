/* grad_sync.h: summing the gradients of a data-parallel step over the ranks
 * (dist.h) while backward still runs, as PyTorch DDP does.
 *
 * The trainable layers are cut, in backward order (last layer first), into
 * buckets of about `bucket_bytes` of gradient. A bucket's gradients are final
 * once the backward of its lowest layer in the step's last pass is done; then
 * they are copied into the bucket's buffer (a bucket of one tensor uses the
 * tensor itself) and a non-blocking sum starts, which later layers' backward
 * hides. grad_sync_finish waits for every bucket and writes the sums back
 * before the update. Without overlap every sum starts in grad_sync_finish:
 * the same sums, all of their time exposed. */
#ifndef DN_GRAD_SYNC_H
#define DN_GRAD_SYNC_H

#include <stddef.h>

#include "network.h"

typedef struct grad_sync grad_sync;

typedef struct {
    int buckets;
    int overlap;             /* sums start during backward */
    size_t floats;           /* gradient values summed per step */
    long steps;              /* steps finished */
    double exposed_ms;       /* in grad_sync_finish: what the backward did not hide */
    double hooks_ms;         /* in grad_sync_layer_done: copying, starting, progressing */
} grad_sync_stats;

/* Buckets over net's parameters; NULL with the error recorded. */
grad_sync *grad_sync_create(const network *net, size_t bucket_bytes, int overlap);
void grad_sync_free(grad_sync *g);
/* Layer i's backward in the step's last pass has finished: starts the
 * buckets that are now complete and lets the running sums progress. 0 or -1. */
int grad_sync_layer_done(grad_sync *g, int i);
/* Starts the buckets not yet started, waits for all and writes every sum
 * into its gradient buffer. 0, or -1 (the gradients are then unusable). */
int grad_sync_finish(grad_sync *g);
grad_sync_stats grad_sync_get_stats(const grad_sync *g);

#endif
