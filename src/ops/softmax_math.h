/* softmax_math.h: the per-slice softmax of [softmax] (src/layers/softmax.c),
 * shared with its kernel bodies (src/cuda) so both run the same loops. */
#ifndef DN_SOFTMAX_MATH_H
#define DN_SOFTMAX_MATH_H

#include <math.h>

#include "hd.h"

/* Stable: exp of (x - max) / T, normalised with a double sum. */
DN_HD void softmax_slice(const float *x, int n, float temperature, float *p)
{
    float max = x[0];
    for (int i = 1; i < n; ++i) max = fmaxf(max, x[i]);
    double sum = 0;
    for (int i = 0; i < n; ++i) {
        p[i] = expf((x[i] - max) / temperature);
        sum += p[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; ++i) p[i] *= inv;
}

/* d/dx_i of sum_j d_j p_j = p_i (d_i - sum_j p_j d_j) / T, added to in_delta. */
DN_HD void softmax_slice_backward(const float *p, const float *d, int n, float inv_t, float *in_delta)
{
    double pd = 0;
    for (int i = 0; i < n; ++i) pd += (double)p[i] * d[i];
    for (int i = 0; i < n; ++i) in_delta[i] += p[i] * (d[i] - (float)pd) * inv_t;
}

/* One value's cross-entropy term -t log p (0 where t is 0). */
DN_HD double softmax_ce_term(float t, float p) { return t != 0 ? -t * log(fmax((double)p, 1e-30)) : 0; }

#endif
