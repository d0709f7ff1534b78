#include "blas.h"

#include <string.h>

void fill(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; ++i) x[i] = v;
}

void copy(const float *x, float *y, size_t n)
{
    if (x != y) memmove(y, x, n * sizeof *x);
}

void axpy(size_t n, float a, const float *restrict x, float *restrict y)
{
    for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void scal(size_t n, float a, float *x)
{
    for (size_t i = 0; i < n; ++i) x[i] *= a;
}

float sum_array(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += x[i];
    return (float)s;
}

double dot_double(const float *x, const float *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += (double)x[i] * y[i];
    return s;
}
