/* update_body.cuh: darknet's SGD step (update_network, src/core/network.c)
 * on one value of a parameter, so the optimiser never leaves the device. */
#ifndef DN_UPDATE_BODY_CUH
#define DN_UPDATE_BODY_CUH

#include "hd.h"

/* grad holds the negative gradient summed over the batch (plus the previous
 * step's momentum): with decay, grad -= decay*batch * val; then
 * val += lr/batch * grad and grad keeps `keep` (momentum) of itself. The
 * three steps are update_network's axpy, axpy and scal on one value. */
struct sgd_update_body {
    float *val, *grad;
    int decay;
    float neg_decay_batch, lr_over_batch, keep;
    DN_HD void operator()(long i) const
    {
        float g = grad[i];
        if (decay) g += neg_decay_batch * val[i];
        val[i] += lr_over_batch * g;
        grad[i] = g * keep;
    }
};

/* update_network's factors: batch = images per step over all replicas. */
DN_HD sgd_update_body sgd_update_of(float *val, float *grad, int decay, float lr, float batch, float net_decay,
                                    float keep)
{
    sgd_update_body b = {val, grad, decay, -net_decay * batch, lr / batch, keep};
    return b;
}

#endif
