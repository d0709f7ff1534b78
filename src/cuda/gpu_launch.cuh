/* gpu_launch.cuh: the definition of gpu_ctx and the launch of a body (hd.h)
 * over its index space, for the .cu files only. */
#ifndef DN_GPU_LAUNCH_CUH
#define DN_GPU_LAUNCH_CUH

#include "gpu.h"
#include "hd.h"

#ifdef DN_GPU_EMU
/* The emulated device (GPU_EMU=1): buffers in host memory, bodies run by
 * host_for_each, so the device path runs, sanitizers included, without a GPU. */
struct gpu_ctx {
    int device;
    size_t bytes, peak;
};

template <typename Body>
void gpu_for_each(gpu_ctx *g, long n, const Body &body)
{
    (void)g;
    host_for_each(n, body);
}
#else
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef DN_CUDNN
#include <cudnn.h>
#endif

struct gpu_ctx {
    int device;
    cudaStream_t stream;
    cublasHandle_t blas;
#ifdef DN_CUDNN
    cudnnHandle_t dnn;       /* shared by the network's cuDNN convolutions */
#endif
    size_t bytes, peak;      /* device memory held now / at most */
};

enum { GPU_BLOCK = 256 };

/* One thread per index; a grid-stride loop, so any n fits the grid limits. */
template <typename Body>
__global__ void gpu_for_each_kernel(long n, Body body)
{
    long stride = (long)gridDim.x * blockDim.x;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) body(i);
}

/* Launches body(i), i in [0, n), on g's stream; failures surface at the next
 * gpu_sync or gpu_check_launch. */
template <typename Body>
void gpu_for_each(gpu_ctx *g, long n, const Body &body)
{
    if (n <= 0) return;
    long blocks = (n + GPU_BLOCK - 1) / GPU_BLOCK;
    if (blocks > 65535L * 32) blocks = 65535L * 32;
    gpu_for_each_kernel<<<(unsigned)blocks, GPU_BLOCK, 0, g->stream>>>(n, body);
}

/* Records a failed CUDA call as an error naming `what`; 0 or -1. */
int gpu_ok(cudaError_t e, const char *what);
int gpu_blas_ok(cublasStatus_t s, const char *what);
#endif

#endif
