/* dist_device.h: sums of GPU buffers over the ranks of a job with NCCL, for
 * `make GPU=1 MPI=1` builds (dist_nccl.c): one GPU per rank, picked by the
 * rank's place on its host (dist_local_rank), and the NCCL communicator set up
 * through MPI. Nothing calls it yet but its test: the CUDA port, whose
 * gradients would live on the GPU, does not exist. */
#ifndef DN_DIST_DEVICE_H
#define DN_DIST_DEVICE_H

#include <stddef.h>

/* Collective: selects this rank's GPU and joins the NCCL communicator of all
 * ranks. 0, or -1 with the error (no GPU, NCCL failure). */
int dist_device_init(void);
/* In place on device memory, every rank's n floats summed; returns when done. 0 or -1. */
int dist_device_sum_floats(float *device_buf, size_t n);
void dist_device_free(void);

#endif
