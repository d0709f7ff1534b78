/* activations.h: darknet's activation functions and their gradients. */
#ifndef DN_ACTIVATIONS_H
#define DN_ACTIVATIONS_H

#include <stddef.h>

typedef enum {
    ACT_LINEAR, ACT_RELU, ACT_LEAKY, ACT_LOGISTIC, ACT_TANH, ACT_RELU6, ACT_SWISH, ACT_MISH, ACT_GELU
} activation;

/* NULL-terminated cfg names, indexed by activation ("silu" is read as swish). */
extern const char *const activation_names[];
/* Parses a cfg name; returns -1 when unknown. */
int activation_from_name(const char *name);

/* x[i] = f(x[i]). */
void activate_array(float *x, size_t n, activation a);
/* Whether the gradient needs the input (pre-activation) rather than the output. */
int activation_needs_input(activation a);
/* x[b][c][s] = f(x[b][c][s] + bias[c]) in one pass: an inference layer's
 * bias (or folded batch norm) and activation. */
void bias_activate(float *x, const float *bias, int batch, int channels, int spatial, activation a);
/* delta[i] *= f'(.) where f' is taken from `in` (pre-activation) when
 * activation_needs_input(a), else from `out` (post-activation). */
void gradient_array(const float *in, const float *out, size_t n, activation a, float *delta);

#endif
