/* gpu_buffer.c: device buffers that know their size, and the sum of a
 * device array pulled to the host (gpu.h). */
#include "gpu.h"

int gpu_buffer_resize(gpu_ctx *g, gpu_buffer *b, size_t n)
{
    if (b->p && b->n == n) return 0;
    gpu_buffer_free(g, b);
    if (!n) return 0;
    if (!(b->p = gpu_alloc(g, n))) return -1;
    b->n = n;
    return 0;
}

void gpu_buffer_free(gpu_ctx *g, gpu_buffer *b)
{
    gpu_free(g, b->p, b->n);
    b->p = NULL;
    b->n = 0;
}

int gpu_pull_sum(gpu_ctx *g, const float *dev, size_t n, float *host, double *sum)
{
    *sum = 0;
    if (gpu_pull(g, host, dev, n)) return -1;
    for (size_t i = 0; i < n; ++i) *sum += host[i];
    return 0;
}
