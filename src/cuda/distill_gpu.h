/* distill_gpu.h: the distillation losses ([cwd], [fd], [kd]) on device
 * buffers, on the context's stream. Maps are batch x c x hw floats; `grad`
 * receives (is overwritten with) the NEGATIVE loss gradient w.r.t. the
 * student's map, as the CPU layers write their pair's grad (distill.h).
 * `work` is device scratch of the given size in doubles (one per row or
 * part): allocate it as gpu_alloc(g, 2 * n) and cast. Costs are written to
 * device floats, to be pulled when the host needs them. */
#ifndef DN_DISTILL_GPU_H
#define DN_DISTILL_GPU_H

#include "gpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* [cwd]: KL(teacher t || student s) with temperature tau into cost[0], as the
 * CPU layer's l->cost. spatial == 0 (norm=channel): a softmax row per (image,
 * channel), work batch * c doubles; else per (image, position), batch * hw. */
void cwd_gpu(gpu_ctx *g, const float *s, const float *t, float *grad, int batch, int c, int hw, int spatial,
             float tau, float weight, double *work, float *cost);
/* [fd]: weight / (c * hw) * sum f(s - t), f = d^2 or smooth L1 (smooth_l1 != 0,
 * with beta), into cost[0]; work: batch * c doubles. */
void fd_gpu(gpu_ctx *g, const float *s, const float *t, float *grad, int batch, int c, int hw, int smooth_l1,
            float beta, float weight, double *work, float *cost);

/* [kd]'s output: softmax of each image's n logits x into out. */
void kd_softmax_gpu(gpu_ctx *g, const float *x, float *out, int batch, int n);
/* [kd]'s backward of later layers' delta d through its softmax output p: adds into in. */
void kd_softmax_backward_gpu(gpu_ctx *g, const float *p, const float *d, float *in, int batch, int n);
/* [kd]'s loss (nkd != 0: method=nkd) on the student's logits x and the
 * teacher's t (NULL: distillation off, plain cross-entropy), truth y (NULL:
 * none; rows truth_stride apart). out[0] = the cost, out[1..3] the named
 * losses (means over the batch); work: batch * 3 doubles. */
void kd_gpu(gpu_ctx *g, const float *x, const float *t, const float *y, int truth_stride, float *grad,
            int batch, int n, int nkd, float T, float alpha, float gamma, double *work, float *out);

#ifdef __cplusplus
}
#endif

#endif
