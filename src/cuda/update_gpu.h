/* update_gpu.h: the SGD step of update_network on a device parameter. */
#ifndef DN_UPDATE_GPU_H
#define DN_UPDATE_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One parameter of n values: decay (the param's flag) applies net_decay;
 * batch = net->batch * subdivisions * replicas; keep = the momentum (0 on
 * ranks other than 0), as update_network computes them. */
void sgd_update_gpu(gpu_ctx *g, size_t n, float *val, float *grad, int decay, float lr, float batch,
                    float net_decay, float keep);

#ifdef __cplusplus
}
#endif

#endif
