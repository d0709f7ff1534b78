/* dist_nccl.c: dist_device.h with NCCL (GPU=1 MPI=1 builds). Rank 0 makes
 * the communicator's id and MPI hands it to the others (dist_broadcast). */
#include "dist_device.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include "dist.h"
#include "errors.h"

static ncclComm_t comm;
static cudaStream_t stream;
static int ready;

static int cuda_check(cudaError_t e, const char *what)
{
    return e == cudaSuccess ? 0 : dn_error("%s: %s failed: %s", dist_where(), what, cudaGetErrorString(e));
}

static int nccl_check(ncclResult_t r, const char *what)
{
    return r == ncclSuccess ? 0 : dn_error("%s: %s failed: %s", dist_where(), what, ncclGetErrorString(r));
}

int dist_device_init(void)
{
    if (ready) return 0;
    int devices = 0;
    if (cuda_check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount")) return -1;
    if (devices < 1) return dn_error("%s: no GPU", dist_where());
    /* ranks of one host take its GPUs in turn */
    if (cuda_check(cudaSetDevice(dist_local_rank() % devices), "cudaSetDevice") ||
        cuda_check(cudaStreamCreate(&stream), "cudaStreamCreate"))
        return -1;
    ncclUniqueId id;
    if (dist_rank() == 0 && nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId")) return -1;
    if (dist_broadcast(&id, sizeof id, 0) ||
        nccl_check(ncclCommInitRank(&comm, dist_size(), id, dist_rank()), "ncclCommInitRank"))
        return -1;
    ready = 1;
    return 0;
}

int dist_device_sum_floats(float *device_buf, size_t n)
{
    if (!ready) return dn_error("dist_device_sum_floats before dist_device_init");
    return nccl_check(ncclAllReduce(device_buf, device_buf, n, ncclFloat, ncclSum, comm, stream), "ncclAllReduce") ||
                   cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize")
               ? -1
               : 0;
}

void dist_device_free(void)
{
    if (!ready) return;
    ncclCommDestroy(comm);
    cudaStreamDestroy(stream);
    ready = 0;
}
