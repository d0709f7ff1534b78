/* blas_body.cuh: the bodies of the vector helpers (ops/blas.h), one element each. */
#ifndef DN_BLAS_BODY_CUH
#define DN_BLAS_BODY_CUH

#include "hd.h"

struct fill_body {
    float *x;
    float v;
    DN_HD void operator()(long i) const { x[i] = v; }
};

struct copy_body {
    const float *x;
    float *y;
    DN_HD void operator()(long i) const { y[i] = x[i]; }
};

/* y += a * x */
struct axpy_body {
    float a;
    const float *x;
    float *y;
    DN_HD void operator()(long i) const { y[i] += a * x[i]; }
};

struct scal_body {
    float a;
    float *x;
    DN_HD void operator()(long i) const { x[i] *= a; }
};

#endif
