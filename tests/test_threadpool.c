/* The thread pool: every item runs once, and an error recorded on a worker
 * thread reaches the caller without leaking into the next job. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "test.h"
#include "threadpool.h"

static void mark(void *ctx, int start, int end)
{
    int *hits = ctx;
    for (int i = start; i < end; ++i) __atomic_add_fetch(&hits[i], 1, __ATOMIC_RELAXED);
}

/* Fails only on pool workers (not the calling thread), slowly enough that the
 * workers surely take some of the chunks. */
static void fail_on_workers(void *ctx, int start, int end)
{
    (void)end;
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
    if (!pthread_equal(pthread_self(), *(pthread_t *)ctx)) dn_error("chunk at %d failed", start);
}

TEST(threadpool_runs_every_item_once)
{
    int hits[1000];
    memset(hits, 0, sizeof hits);
    parallel_for(1000, 1, mark, hits);
    int bad = 0;
    for (int i = 0; i < 1000; ++i) bad += hits[i] != 1;
    CHECK_MSG(bad == 0, "%d items not run exactly once", bad);
}

TEST(threadpool_worker_errors_reach_the_caller_once)
{
    if (threadpool_size() < 2) return; /* no workers to fail */
    pthread_t caller = pthread_self();
    dn_clear_error();
    parallel_for(64, 1, fail_on_workers, &caller);
    CHECK_MSG(dn_has_error() && strstr(dn_last_error(), "failed"), "worker error lost: '%s'", dn_last_error());
    dn_clear_error();
    int hits[64] = {0};
    parallel_for(64, 1, mark, hits);
    CHECK_MSG(!dn_has_error(), "stale error: %s", dn_last_error());
}
