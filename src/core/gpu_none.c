/* gpu_none.c: gpu.h and the device run loop (network.h) in builds without
 * GPU=1: there is no device, and asking for one says how to get it. */
#include <stdlib.h>

#include "errors.h"
#include "gpu.h"
#include "network.h"

static int no_gpu(void) { return dn_error("this darknet was built without GPU support: rebuild with make GPU=1"); }

int gpu_count(void) { return 0; }
gpu_ctx *gpu_ctx_create(int device)
{
    (void)device;
    no_gpu();
    return NULL;
}
void gpu_ctx_free(gpu_ctx *g) { (void)g; }
size_t gpu_peak_bytes(const gpu_ctx *g)
{
    (void)g;
    return 0;
}

float *gpu_host_alloc(size_t n) { return dn_calloc(n ? n : 1, sizeof(float)); }
void gpu_host_free(float *p) { free(p); }

int network_use_gpu(network *net, int device)
{
    (void)net;
    (void)device;
    return no_gpu();
}
int network_gpu_setup(network *net)
{
    (void)net;
    return no_gpu();
}
void network_gpu_free(network *net) { (void)net; }
int forward_network_gpu(network *net, const float *input, int last)
{
    (void)net, (void)input, (void)last;
    return no_gpu();
}
int forward_network_gpu_on_device(network *net, const float *input, int last)
{
    (void)net, (void)input, (void)last;
    return no_gpu();
}
int backward_network_gpu(network *net, int last)
{
    (void)net, (void)last;
    return no_gpu();
}
int update_network_gpu(network *net)
{
    (void)net;
    return no_gpu();
}
int network_gpu_pull_weights(const network *net)
{
    (void)net;
    return 0;
}
int network_gpu_push_weights(network *net)
{
    (void)net;
    return 0;
}
