/* activation_gpu.h: ops/activations.h on device buffers, on the context's stream. */
#ifndef DN_ACTIVATION_GPU_H
#define DN_ACTIVATION_GPU_H

#include "activations.h"
#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x[i] = f(x[i]), as activate_array. */
void activate_gpu(gpu_ctx *g, float *x, size_t n, activation a);
/* delta[i] *= f'(.), as gradient_array: `in` is read only when
 * activation_needs_input(a), `out` only otherwise (the other may be NULL). */
void gradient_gpu(gpu_ctx *g, const float *in, const float *out, size_t n, activation a, float *delta);

#ifdef __cplusplus
}
#endif

#endif
