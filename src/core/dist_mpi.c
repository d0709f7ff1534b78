/* dist_mpi.c: dist.h over MPI (built with `make MPI=1`). All calls go to
 * MPI_COMM_WORLD; errors come back as return codes (MPI_ERRORS_RETURN) so
 * that they carry this rank's name. */
#include "dist.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

static int started, rank, size = 1, local_rank;
static MPI_Comm leave_comm;   /* only for leaving: it can never match a collective of training */
static char host[MPI_MAX_PROCESSOR_NAME] = "localhost";

struct dist_request {
    MPI_Request req;
};

/* Records MPI's message for a failed call; returns -1 (0 when rc is success). */
static int check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS) return 0;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return dn_error("%s: %s failed: %s", dist_where(), what, msg);
}

/* The rank among those sharing this host (MPI-3's shared-memory split). */
static int find_local_rank(void)
{
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) != MPI_SUCCESS)
        return 0;
    int r = 0;
    MPI_Comm_rank(node, &r);
    MPI_Comm_free(&node);
    return r;
}

/* Started by mpirun (or another MPI launcher)? A process started alone does
 * not initialise MPI at all: it runs as a build without MPI does (MPI's
 * singleton start would create shared-memory files, which a file-size limit
 * or a read-only /tmp refuses). */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", NULL};
    for (int i = 0; vars[i]; ++i)
        if (getenv(vars[i])) return 1;
    return 0;
}

int dist_init(int *argc, char ***argv)
{
    if (started) return 0;
    if (!launched_by_mpi()) {
        if (gethostname(host, sizeof host - 1)) snprintf(host, sizeof host, "localhost");
        return 0;
    }
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return dn_error("MPI_Init_thread failed");
    started = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_dup(MPI_COMM_WORLD, &leave_comm);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int len = 0;
    MPI_Get_processor_name(host, &len);
    local_rank = find_local_rank();
    /* other threads exist (pool, loader) but never call MPI: FUNNELED is all it takes */
    if (provided < MPI_THREAD_FUNNELED)
        dn_warn("%s: this MPI offers no thread support (level %d); darknet's worker threads never call MPI, "
                "which usually works", dist_where(), provided);
    return 0;
}

/* 1 when every rank has come to leave; 0 when this failed rank gave up waiting. */
static int all_leave(int failed)
{
    MPI_Request req;
    if (MPI_Ibarrier(leave_comm, &req) != MPI_SUCCESS) return 0;
    double start = MPI_Wtime();
    for (;;) {
        int done = 0;
        if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return 0;
        if (done) return 1;
        if (failed && MPI_Wtime() - start > DIST_LEAVE_SECONDS) return 0;
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
}

int dist_leave(int failed)
{
    if (!started) return 0;
    if (size > 1 && !all_leave(failed)) {
        fprintf(stderr, "darknet: %s failed while the other ranks go on: stopping them all\n", dist_where());
        return -1;
    }
    started = 0;
    MPI_Comm_free(&leave_comm);
    MPI_Finalize();
    return 0;
}

void dist_end_job(int code)
{
    fflush(stdout);
    fflush(stderr);
    if (started) MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
}

int dist_rank(void) { return rank; }
int dist_size(void) { return size; }
int dist_local_rank(void) { return local_rank; }
const char *dist_host(void) { return host; }

const char *dist_where(void)
{
    static char buf[MPI_MAX_PROCESSOR_NAME + 64];
    snprintf(buf, sizeof buf, "rank %d of %d on %s", rank, size, host);
    return buf;
}

/* MPI counts are ints: large buffers go in pieces. */
static int sum_in_pieces(void *buf, size_t n, MPI_Datatype type, size_t elem)
{
    char *p = buf;
    while (n) {
        int piece = n > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)n;
        if (check(MPI_Allreduce(MPI_IN_PLACE, p, piece, type, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce")) return -1;
        p += (size_t)piece * elem;
        n -= (size_t)piece;
    }
    return 0;
}

int dist_sum_floats(float *buf, size_t n)
{
    return size == 1 ? 0 : sum_in_pieces(buf, n, MPI_FLOAT, sizeof(float));
}

int dist_sum_doubles(double *buf, size_t n)
{
    return size == 1 ? 0 : sum_in_pieces(buf, n, MPI_DOUBLE, sizeof(double));
}

int dist_any(int flag)
{
    int v = flag != 0;
    if (size > 1 && check(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "MPI_Allreduce"))
        return 1;   /* a broken job: stopping is the safe answer */
    return v;
}

/* A sum over one rank is done when it starts: this handle says so. */
static dist_request alone;

dist_request *dist_sum_floats_start(float *buf, size_t n)
{
    if (size == 1) return &alone;
    if (n > (size_t)INT_MAX) {
        dn_error("%s: a non-blocking sum of %zu floats is too large for one MPI call", dist_where(), n);
        return NULL;
    }
    dist_request *r = dn_calloc(1, sizeof *r);
    if (!r) return NULL;
    if (check(MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &r->req),
              "MPI_Iallreduce")) {
        free(r);
        return NULL;
    }
    return r;
}

int dist_test(dist_request *r)
{
    if (!r || r == &alone) return 1;
    int done = 0;
    if (check(MPI_Test(&r->req, &done, MPI_STATUS_IGNORE), "MPI_Test")) return -1;
    return done;
}

int dist_wait(dist_request *r)
{
    if (!r || r == &alone) return 0;
    int rc = check(MPI_Wait(&r->req, MPI_STATUS_IGNORE), "MPI_Wait");
    free(r);
    return rc;
}

int dist_broadcast(void *buf, size_t bytes, int root)
{
    if (size == 1) return 0;
    if (bytes > (size_t)INT_MAX) return dn_error("%s: a broadcast of %zu bytes is too large", dist_where(), bytes);
    return check(MPI_Bcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

int dist_allgather(const void *mine, void *all, size_t bytes)
{
    if (bytes > (size_t)INT_MAX) return dn_error("%s: an allgather of %zu bytes is too large", dist_where(), bytes);
    if (size == 1) {
        memmove(all, mine, bytes);
        return 0;
    }
    return check(MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD),
                 "MPI_Allgather");
}

/* Each rank's size, then their displacements; -1 when the total overflows an int. */
static int block_layout(size_t bytes, int *counts, int *displs, size_t *total)
{
    long long mine = (long long)bytes, *all = dn_calloc(size, sizeof *all), sum = 0;
    if (!all || dist_allgather(&mine, all, sizeof mine)) {
        free(all);
        return -1;
    }
    int rc = 0;
    for (int r = 0; r < size && !rc; ++r) {
        if (all[r] > INT_MAX || sum + all[r] > INT_MAX)
            rc = dn_error("%s: gathering %lld bytes from rank %d would exceed MPI's int counts", dist_where(), all[r],
                          r);
        counts[r] = (int)all[r];
        displs[r] = (int)sum;
        sum += all[r];
    }
    free(all);
    *total = rc ? 0 : (size_t)sum;
    return rc;
}

int dist_allgather_blocks(const void *mine, size_t bytes, void **all, size_t *total)
{
    if (size == 1) {
        *total = bytes;
        if (!(*all = bytes ? dn_calloc(bytes, 1) : NULL) && bytes) *total = 0;
        if (*all) memcpy(*all, mine, bytes);
        return bytes && !*all ? -1 : 0;
    }
    int *counts = dn_calloc(size, sizeof(int)), *displs = dn_calloc(size, sizeof(int)), rc = -1;
    *all = NULL;
    *total = 0;
    if (counts && displs && !block_layout(bytes, counts, displs, total)) {
        rc = 0;
        if (*total && !(*all = dn_calloc(*total, 1))) rc = -1;
        if (*total && *all)
            rc = check(MPI_Allgatherv(mine, (int)bytes, MPI_BYTE, *all, counts, displs, MPI_BYTE, MPI_COMM_WORLD),
                       "MPI_Allgatherv");
    }
    if (rc) {
        free(*all);
        *all = NULL;
        *total = 0;
    }
    free(counts);
    free(displs);
    return rc;
}

int dist_barrier(void) { return size == 1 ? 0 : check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
