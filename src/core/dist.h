/* dist.h: the processes of one job (MPI ranks) and the collectives that
 * data-parallel training needs. The only code that knows MPI is dist_mpi.c
 * (built with `make MPI=1`); without it dist_local.c makes every call the
 * single-process one (rank 0 of 1, sums of one), so callers use this module
 * unconditionally and the CPU build behaves as before.
 *
 * Every collective must be called by all ranks in the same order. Only the
 * thread that called dist_init may call them (MPI_THREAD_FUNNELED); the
 * thread pool and loader workers never do. Failures return -1 with the error
 * recorded; a broken job is ended by the command with dist_end_job. */
#ifndef DN_DIST_H
#define DN_DIST_H

#include <stddef.h>
#include <stdint.h>

/* Joins the job (MPI_Init_thread) when mpirun (or another MPI launcher)
 * started the process; one started alone is a job of one and does not touch
 * MPI. Safe to call once per process; 0 or -1. */
int dist_init(int *argc, char ***argv);
/* Leaves the job (MPI_Finalize); nothing when dist_init did not run. A rank
 * that failed (failed != 0) may be alone in leaving while the others wait for
 * it in a collective: when they have not all come to leave within
 * DIST_LEAVE_SECONDS, it says so and returns -1 without leaving, and the
 * caller ends the whole job (dist_end_job). A rank that did not fail waits
 * for the others however long they take. 0 or -1. */
enum { DIST_LEAVE_SECONDS = 5 };
int dist_leave(int failed);
/* Ends every rank of the job at once with `code` (MPI_Abort, which does not
 * return): for a rank that fails where the others wait in a collective. In a
 * job of one it does nothing; the caller returns its code as usual. The
 * library never ends the process itself: src/cli/ decides. */
void dist_end_job(int code);

int dist_rank(void);        /* 0 .. dist_size() - 1 */
int dist_size(void);        /* ranks in the job (1 without mpirun) */
int dist_local_rank(void);  /* rank among the ranks of this host (picks its GPU) */
const char *dist_host(void);   /* this rank's host name */
/* "rank R of N on HOST" for messages (a static buffer). */
const char *dist_where(void);

/* In place: buf becomes the element-wise sum over the ranks. */
int dist_sum_floats(float *buf, size_t n);
int dist_sum_doubles(double *buf, size_t n);
/* 1 when flag is non-zero on any rank (a logical or). */
int dist_any(int flag);

/* A non-blocking in-place sum of floats: started now, progressed by
 * dist_test (call it now and then while computing) and finished by
 * dist_wait, before which buf must not be touched. */
typedef struct dist_request dist_request;
dist_request *dist_sum_floats_start(float *buf, size_t n);
/* 1 when done (dist_wait still releases it), 0 while under way, -1 on error. */
int dist_test(dist_request *r);
/* Waits and releases the request; NULL is fine. 0 or -1. */
int dist_wait(dist_request *r);

/* Rank `root`'s bytes into every rank's buf. */
int dist_broadcast(void *buf, size_t bytes, int root);
/* Every rank's `bytes` bytes, in rank order, into all (size * bytes). */
int dist_allgather(const void *mine, void *all, size_t bytes);
/* Every rank's variable-size block concatenated in rank order: *all
 * (malloc'ed, the caller frees; NULL when empty) and its size. */
int dist_allgather_blocks(const void *mine, size_t bytes, void **all, size_t *total);
int dist_barrier(void);

#endif
