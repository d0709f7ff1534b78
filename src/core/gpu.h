/* gpu.h: the device, seen from C: a context per network (its device, stream
 * and cuBLAS handle, and the memory it holds), device buffers and the explicit
 * copies between host and device. Core declares it; src/cuda/gpu.cu defines it
 * in GPU=1 builds, src/cuda/gpu_emu.cu on the emulated device (GPU_EMU=1) and
 * core/gpu_none.c in CPU builds, where there is no device to use. Errors are
 * recorded with dn_error and returned as -1 / NULL, like everywhere else. */
#ifndef DN_GPU_H
#define DN_GPU_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gpu_ctx gpu_ctx;

/* GPUs this process can use (0 when there is no driver or no device). */
int gpu_count(void);
/* A context on device `device`: its own stream and cuBLAS handle, so that two
 * networks (a teacher and its student) never share mutable device state. */
gpu_ctx *gpu_ctx_create(int device);
void gpu_ctx_free(gpu_ctx *g);

/* n zeroed floats on g's device (NULL on failure); counted in g's peak memory. */
float *gpu_alloc(gpu_ctx *g, size_t n);
void gpu_free(gpu_ctx *g, float *p, size_t n);
/* Copies n floats host -> device / device -> host on g's stream; the pull
 * waits for the stream, so the host array is ready when it returns. 0 or -1. */
int gpu_push(gpu_ctx *g, float *dev, const float *host, size_t n);
int gpu_pull(gpu_ctx *g, float *host, const float *dev, size_t n);
/* Waits for g's stream; -1 with the first failure of its kernels recorded. */
int gpu_sync(gpu_ctx *g);
/* The most device memory g held at once, in bytes. */
size_t gpu_peak_bytes(const gpu_ctx *g);

/* n zeroed floats of host memory that copies to and from the device are
 * fastest from (page-locked on a real device); NULL on failure. */
float *gpu_host_alloc(size_t n);
void gpu_host_free(float *p);
/* The sum, in double, of n device floats (a loss per image), pulled through
 * host (n floats of scratch): the host passes add their costs in this order. 0 or -1. */
int gpu_pull_sum(gpu_ctx *g, const float *dev, size_t n, float *host, double *sum);

/* A device buffer that knows its size: a layer's private device state. */
typedef struct {
    float *p;
    size_t n;
} gpu_buffer;
/* Makes b hold n zeroed floats (reallocating only when n changed; n = 0
 * frees it). 0 or -1. */
int gpu_buffer_resize(gpu_ctx *g, gpu_buffer *b, size_t n);
void gpu_buffer_free(gpu_ctx *g, gpu_buffer *b);

#ifdef __cplusplus
}
#endif

#endif
