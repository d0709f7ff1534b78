/* hd.h: kernel bodies that compile for the GPU and for the CPU.
 *
 * A kernel's work for one index (an element, a row, a channel) is a body: a
 * small struct holding the arguments, with a DN_HD operator()(long i). The
 * .cu files launch a body over its index space on the device (gpu_for_each,
 * gpu_launch.cuh); the kernel tests (tests/cuda/host_*.cu, built with nvcc and
 * run on the CPU) run the very same body over the whole index space with
 * host_for_each and compare it with the CPU layer, so every kernel is checked
 * without a GPU. Bodies whose threads would cooperate (reductions) are written
 * one thread per row or channel instead, so that this holds for them too. */
#ifndef DN_HD_H
#define DN_HD_H

#ifdef __CUDACC__
#define DN_HD __host__ __device__ inline
#else
#define DN_HD static inline
#endif

/* Runs body(i) for every i in [0, n) on the CPU, in order. */
#ifdef __cplusplus
extern "C++" { /* a template, also where hd.h is first met inside extern "C" */
template <typename Body>
void host_for_each(long n, const Body &body)
{
    for (long i = 0; i < n; ++i) body(i);
}
}
#endif

#endif
