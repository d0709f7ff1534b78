/* [avgpool] ([avg]): global average pooling, w x h x c -> 1 x 1 x c. */
#include "network.h"

#ifdef DN_GPU
#include "spatial_gpu.h"
#endif

static int avgpool_parse(layer *l, cfg_section *sec, network *net)
{
    (void)l;
    (void)net;
    return cfg_failed(sec) ? -1 : 0;
}

static int avgpool_setup(layer *l, network *net)
{
    (void)net;
    l->out_w = 1;
    l->out_h = 1;
    l->out_c = l->c;
    l->workspace = 0;
    l->flops = (double)l->w * l->h * l->c;
    return 0;
}

static void avgpool_forward(layer *l, network *net)
{
    int plane = l->w * l->h;
    for (int p = 0; p < l->batch * l->c; ++p) {
        const float *in = net->input + (size_t)p * plane;
        double sum = 0;
        for (int i = 0; i < plane; ++i) sum += in[i];
        l->output[p] = (float)(sum / plane);
    }
}

static void avgpool_backward(layer *l, network *net)
{
    if (!net->input_delta) return;
    int plane = l->w * l->h;
    for (int p = 0; p < l->batch * l->c; ++p) {
        float g = l->delta[p] / plane;
        float *in_delta = net->input_delta + (size_t)p * plane;
        for (int i = 0; i < plane; ++i) in_delta[i] += g;
    }
}

#ifdef DN_GPU
/* ---- the same passes on the device ---- */
static void avgpool_gpu_forward(layer *l, network *net)
{
    avgpool_forward_gpu(net->gpu, l->batch * l->c, l->w * l->h, net->gpu_input, l->output_gpu);
}

static void avgpool_gpu_backward(layer *l, network *net)
{
    if (!net->gpu_input_delta) return;
    avgpool_backward_gpu(net->gpu, l->batch * l->c, l->w * l->h, l->delta_gpu, net->gpu_input_delta);
}
#endif

const layer_ops avgpool_ops = {
    .name = "avgpool",
    .alias = "avg",
    .parse = avgpool_parse,
    .setup = avgpool_setup,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
#ifdef DN_GPU
    .forward_gpu = avgpool_gpu_forward,
    .backward_gpu = avgpool_gpu_backward,
#endif
};
