#include "threadpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "errors.h"

#define MAX_THREADS 64

static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t threads[MAX_THREADS];
    int n_threads;          /* workers, not counting the caller */
    int requested;          /* from dn_set_threads; 0: one per core */
    /* the job in flight */
    parallel_fn fn;
    void *ctx;
    int n, chunk, next, pending;
    unsigned generation;
    char worker_error[1024];  /* first error a worker thread recorded in this job */
    pthread_mutex_t submit; /* one parallel_for at a time */
} pool = {.once = PTHREAD_ONCE_INIT,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .work = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER,
          .submit = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local int inside_task;
static _Thread_local int is_worker;

/* Takes chunks until none are left; call with the lock held. A worker starts
 * each chunk with a clean error and hands its first error to the caller. */
static void run_chunks(void)
{
    while (pool.next < pool.n) {
        int start = pool.next;
        int end = start + pool.chunk < pool.n ? start + pool.chunk : pool.n;
        pool.next = end;
        pthread_mutex_unlock(&pool.lock);
        inside_task = 1;
        if (is_worker) dn_clear_error();
        pool.fn(pool.ctx, start, end);
        inside_task = 0;
        pthread_mutex_lock(&pool.lock);
        if (is_worker && dn_has_error() && !pool.worker_error[0])
            snprintf(pool.worker_error, sizeof pool.worker_error, "%s", dn_last_error());
        pool.pending -= end - start;
        if (pool.pending == 0) pthread_cond_broadcast(&pool.done);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    is_worker = 1;
    unsigned seen = 0;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.lock);
        seen = pool.generation;
        run_chunks();
    }
    return NULL;
}

static void start_pool(void)
{
    int n = pool.requested;
    if (n <= 0) {
        const char *env = getenv("DARKNET_THREADS");
        n = env ? atoi(env) : (int)sysconf(_SC_NPROCESSORS_ONLN);
    }
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    for (int i = 0; i < n - 1; ++i) {
        if (pthread_create(&pool.threads[i], NULL, worker, NULL)) break;
        pthread_detach(pool.threads[i]);
        pool.n_threads++;
    }
}

void dn_set_threads(int n) { pool.requested = n; }

int threadpool_size(void)
{
    pthread_once(&pool.once, start_pool);
    return pool.n_threads + 1;
}

void parallel_for(int n, int grain, parallel_fn fn, void *ctx)
{
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int workers = threadpool_size();
    if (inside_task || workers == 1 || n < 2 * grain) {
        fn(ctx, 0, n);
        return;
    }
    int chunks = workers * 4;
    int chunk = (n + chunks - 1) / chunks;
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&pool.submit);
    pthread_mutex_lock(&pool.lock);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = chunk;
    pool.next = 0;
    pool.pending = n;
    pool.worker_error[0] = 0;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    run_chunks();
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.lock);
    if (pool.worker_error[0]) dn_error("%s", pool.worker_error);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.submit);
}
