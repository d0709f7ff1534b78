/* gpu.cu: contexts, device memory and copies (gpu.h). */
#include <string.h>

#include "gpu_launch.cuh"

extern "C" {
#include "errors.h"
}

int gpu_ok(cudaError_t e, const char *what)
{
    if (e == cudaSuccess) return 0;
    return dn_error("%s: %s", what, cudaGetErrorString(e));
}

int gpu_blas_ok(cublasStatus_t s, const char *what)
{
    if (s == CUBLAS_STATUS_SUCCESS) return 0;
    return dn_error("%s: cuBLAS status %d", what, (int)s);
}

#ifdef DN_CUDNN
static int dnn_create(gpu_ctx *g)
{
    cudnnStatus_t s = cudnnCreate(&g->dnn);
    if (s == CUDNN_STATUS_SUCCESS) s = cudnnSetStream(g->dnn, g->stream);
    return s == CUDNN_STATUS_SUCCESS ? 0 : dn_error("cuDNN handle: %s", cudnnGetErrorString(s));
}
#else
static int dnn_create(gpu_ctx *g)
{
    (void)g; /* no cuDNN in this build */
    return 0;
}
#endif

int gpu_count(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* no driver or no device: not an error for the caller */
        return 0;
    }
    return n;
}

gpu_ctx *gpu_ctx_create(int device)
{
    int n = gpu_count();
    if (device < 0 || device >= n) {
        dn_error("GPU %d: this machine has %d usable GPU%s", device, n, n == 1 ? "" : "s");
        return NULL;
    }
    gpu_ctx *g = (gpu_ctx *)dn_calloc(1, sizeof *g);
    if (!g) return NULL;
    g->device = device;
    if (gpu_ok(cudaSetDevice(device), "cudaSetDevice") ||
        gpu_ok(cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking), "cudaStreamCreate") ||
        gpu_blas_ok(cublasCreate(&g->blas), "cublasCreate") ||
        gpu_blas_ok(cublasSetStream(g->blas, g->stream), "cublasSetStream") || dnn_create(g)) {
        gpu_ctx_free(g);
        return NULL;
    }
    return g;
}

void gpu_ctx_free(gpu_ctx *g)
{
    if (!g) return;
#ifdef DN_CUDNN
    if (g->dnn) cudnnDestroy(g->dnn);
#endif
    if (g->blas) cublasDestroy(g->blas);
    if (g->stream) cudaStreamDestroy(g->stream);
    free(g);
}

float *gpu_alloc(gpu_ctx *g, size_t n)
{
    void *p = NULL;
    if (gpu_ok(cudaSetDevice(g->device), "cudaSetDevice") ||
        gpu_ok(cudaMalloc(&p, n * sizeof(float) + (n == 0)), "cudaMalloc")) {
        dn_error("could not allocate %zu floats on GPU %d", n, g->device);
        return NULL;
    }
    if (gpu_ok(cudaMemsetAsync(p, 0, n * sizeof(float), g->stream), "cudaMemset")) {
        cudaFree(p);
        return NULL;
    }
    g->bytes += n * sizeof(float);
    if (g->bytes > g->peak) g->peak = g->bytes;
    return (float *)p;
}

void gpu_free(gpu_ctx *g, float *p, size_t n)
{
    if (!p) return;
    cudaFree(p);
    g->bytes -= n * sizeof(float);
}

int gpu_push(gpu_ctx *g, float *dev, const float *host, size_t n)
{
    return gpu_ok(cudaMemcpyAsync(dev, host, n * sizeof(float), cudaMemcpyHostToDevice, g->stream),
                  "copy to the GPU");
}

int gpu_pull(gpu_ctx *g, float *host, const float *dev, size_t n)
{
    if (gpu_ok(cudaMemcpyAsync(host, dev, n * sizeof(float), cudaMemcpyDeviceToHost, g->stream),
               "copy from the GPU"))
        return -1;
    return gpu_sync(g);
}

int gpu_sync(gpu_ctx *g)
{
    if (gpu_ok(cudaGetLastError(), "kernel launch")) return -1;
    return gpu_ok(cudaStreamSynchronize(g->stream), "GPU stream");
}

size_t gpu_peak_bytes(const gpu_ctx *g) { return g->peak; }

/* Page-locked where there is a device (a GPU build may run with -nogpu on a
 * machine without one: then plain memory, freed as such). */
float *gpu_host_alloc(size_t n)
{
    if (!gpu_count()) return (float *)dn_calloc(n ? n : 1, sizeof(float));
    void *p = NULL;
    if (gpu_ok(cudaMallocHost(&p, n * sizeof(float) + (n == 0)), "cudaMallocHost")) return NULL;
    memset(p, 0, n * sizeof(float));
    return (float *)p;
}

void gpu_host_free(float *p)
{
    if (!p) return;
    if (gpu_count())
        cudaFreeHost(p);
    else
        free(p);
}
