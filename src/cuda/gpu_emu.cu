/* gpu_emu.cu: gpu.h on the emulated device (GPU_EMU=1): one "GPU" whose
 * memory is host memory, so that device buffers, copies and their sizes are
 * exercised (and checked by AddressSanitizer) where no GPU exists. */
#include <stdlib.h>
#include <string.h>

#include "gpu_launch.cuh"

extern "C" {
#include "errors.h"
}

int gpu_count(void) { return 1; }

gpu_ctx *gpu_ctx_create(int device)
{
    if (device != 0) {
        dn_error("GPU %d: the emulated device is GPU 0", device);
        return NULL;
    }
    return (gpu_ctx *)dn_calloc(1, sizeof(gpu_ctx));
}

void gpu_ctx_free(gpu_ctx *g) { free(g); }

float *gpu_alloc(gpu_ctx *g, size_t n)
{
    float *p = (float *)dn_calloc(n ? n : 1, sizeof(float));
    if (!p) return NULL;
    g->bytes += n * sizeof(float);
    if (g->bytes > g->peak) g->peak = g->bytes;
    return p;
}

void gpu_free(gpu_ctx *g, float *p, size_t n)
{
    if (!p) return;
    free(p);
    g->bytes -= n * sizeof(float);
}

int gpu_push(gpu_ctx *g, float *dev, const float *host, size_t n)
{
    (void)g;
    if (n) memcpy(dev, host, n * sizeof(float));
    return 0;
}

int gpu_pull(gpu_ctx *g, float *host, const float *dev, size_t n)
{
    (void)g;
    if (n) memcpy(host, dev, n * sizeof(float));
    return 0;
}

int gpu_sync(gpu_ctx *g)
{
    (void)g;
    return 0;
}

size_t gpu_peak_bytes(const gpu_ctx *g) { return g->peak; }

float *gpu_host_alloc(size_t n) { return (float *)dn_calloc(n ? n : 1, sizeof(float)); }
void gpu_host_free(float *p) { free(p); }
