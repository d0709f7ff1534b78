/* threadpool.h: one process-wide pool of worker threads for data-parallel loops.
 * It is the only global mutable state besides the log level. */
#ifndef DN_THREADPOOL_H
#define DN_THREADPOOL_H

/* Body of a parallel loop: handles items [start, end). */
typedef void (*parallel_fn)(void *ctx, int start, int end);

/* Splits [0, n) into contiguous chunks of at least `grain` items and runs them
 * on the pool (the caller works too); returns when all are done. Runs inline
 * when n is small or when called from inside a pool task. */
void parallel_for(int n, int grain, parallel_fn fn, void *ctx);
int threadpool_size(void);

#endif
