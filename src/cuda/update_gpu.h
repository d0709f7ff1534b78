/* update_gpu.h: the optimiser step of update_network on a device parameter. */
#ifndef DN_UPDATE_GPU_H
#define DN_UPDATE_GPU_H

#include "gpu.h"
#include "optimizer_math.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One parameter of n values with its buffer (and Adam's moments, else NULL);
 * s = network_optimizer_step of this iteration; decay: the param's flag. */
void param_update_gpu(gpu_ctx *g, size_t n, const optimizer_step *s, float *val, float *grad, float *m, float *v,
                      int decay);

#ifdef __cplusplus
}
#endif

#endif
