/* test_dist_device.c: NCCL sums of GPU buffers over the ranks (GPU=1 MPI=1
 * builds only; elsewhere this file is empty). Skipped on a machine without a
 * GPU. `mpirun -np 1 build-gpu-mpi/run_tests nccl` on a GPU machine. */
#if defined(DN_GPU) && defined(DN_MPI)
#include <cuda_runtime.h>
#include <stdlib.h>

#include "dist.h"
#include "dist_device.h"
#include "test.h"

TEST(nccl_sums_device_buffers_over_the_ranks)
{
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices < 1) return;   /* no GPU here */
    enum { N = 1000 };
    float host[N], *dev = NULL;
    for (int i = 0; i < N; ++i) host[i] = (float)(dist_rank() + 1) + i;
    CHECK_MSG(dist_device_init() == 0, "%s", dn_last_error());
    CHECK(cudaMalloc((void **)&dev, sizeof host) == cudaSuccess);
    CHECK(cudaMemcpy(dev, host, sizeof host, cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK_MSG(dist_device_sum_floats(dev, N) == 0, "%s", dn_last_error());
    CHECK(cudaMemcpy(host, dev, sizeof host, cudaMemcpyDeviceToHost) == cudaSuccess);
    int n = dist_size();
    for (int i = 0; i < N; ++i) CHECK_NEAR(host[i], n * (n + 1) / 2.0 + (double)n * i, 1e-3);
    cudaFree(dev);
    dist_device_free();
}
#else
typedef int dist_device_tests_need_gpu_and_mpi;   /* ISO C wants something in a file */
#endif
