/* blas.h: small vector helpers on float arrays. */
#ifndef DN_BLAS_H
#define DN_BLAS_H

#include <stddef.h>

void fill(float *x, size_t n, float v);
void copy(const float *x, float *y, size_t n);
void axpy(size_t n, float a, const float *x, float *y);   /* y += a*x */
void scal(size_t n, float a, float *x);                  /* x *= a */
float sum_array(const float *x, size_t n);
double dot_double(const float *x, const float *y, size_t n);

#endif
