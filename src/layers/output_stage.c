#include "output_stage.h"

#include "blas.h"
#ifdef DN_GPU
#include "activation_gpu.h"
#include "batchnorm_gpu.h"
#include "blas_gpu.h"
#endif

void output_stage_forward(const output_stage *o, float *x, int batch, int channels, int spatial, network *net)
{
    size_t n = (size_t)batch * channels * spatial;
    if (o->bn) {
        int train = net->train && o->bn->x_norm;
        if (bn_forward_sync(o->bn, x, train, network_bn_momentum(net), train ? network_bn_sum(net) : NULL))
            net->replica_failed = 1;
    } else
        add_bias(x, o->biases, batch, channels, spatial);
    if (o->pre_act) copy(x, o->pre_act, n); /* also in inference: an input gradient may follow */
    activate_array(x, n, o->act);
}

void output_stage_backward(const output_stage *o, const float *out, float *delta, int batch, int channels,
                           int spatial, network *net)
{
    gradient_array(o->pre_act, out, (size_t)batch * channels * spatial, o->act, delta);
    if (o->bn) {
        if (bn_backward_sync(o->bn, delta, net->train, o->scale_grad, o->bias_grad, network_bn_sum(net)))
            net->replica_failed = 1;
    } else
        backward_bias(o->bias_grad, delta, batch, channels, spatial);
}

#ifdef DN_GPU
void output_stage_forward_gpu(const output_stage *o, float *x, int batch, int channels, int spatial, network *net)
{
    size_t n = (size_t)batch * channels * spatial;
    if (o->bn)
        bn_forward_gpu(net->gpu, o->bn, x, net->train && o->bn->x_norm, network_bn_momentum(net));
    else
        add_bias_gpu(net->gpu, x, o->biases, batch, channels, spatial);
    if (o->pre_act) copy_gpu(net->gpu, x, o->pre_act, n);
    activate_gpu(net->gpu, x, n, o->act);
}

void output_stage_backward_gpu(const output_stage *o, const float *out, float *delta, int batch, int channels,
                               int spatial, network *net)
{
    gradient_gpu(net->gpu, o->pre_act, out, (size_t)batch * channels * spatial, o->act, delta);
    if (o->bn)
        bn_backward_gpu(net->gpu, o->bn, delta, net->train, o->scale_grad, o->bias_grad);
    else
        backward_bias_gpu(net->gpu, o->bias_grad, delta, batch, channels, spatial);
}
#endif
