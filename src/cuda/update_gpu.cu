/* update_gpu.cu: the launch of the optimiser body (update_body.cuh). */
#include "gpu_launch.cuh"
#include "update_body.cuh"
#include "update_gpu.h"

void param_update_gpu(gpu_ctx *g, size_t n, const optimizer_step *s, float *val, float *grad, float *m, float *v,
                      int decay)
{
    gpu_for_each(g, (long)n, param_update_of(*s, val, grad, m, v, decay));
}
