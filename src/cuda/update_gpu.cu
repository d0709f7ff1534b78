/* update_gpu.cu: the launch of the SGD body (update_body.cuh). */
#include "gpu_launch.cuh"
#include "update_body.cuh"
#include "update_gpu.h"

void sgd_update_gpu(gpu_ctx *g, size_t n, float *val, float *grad, int decay, float lr, float batch,
                    float net_decay, float keep)
{
    gpu_for_each(g, (long)n, sgd_update_of(val, grad, decay, lr, batch, net_decay, keep));
}
