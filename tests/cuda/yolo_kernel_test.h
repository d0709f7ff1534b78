/* yolo_kernel_test.h: the [yolo] network of the kernel tests: a 1x1 conv to
 * 2 mask entries x (3 classes + 5) = 16 channels on a 5x3 grid, batch 3. */
#ifndef DN_YOLO_KERNEL_TEST_H
#define DN_YOLO_KERNEL_TEST_H

#include "kernel_test.h"

extern "C" {
#include "network.h"
}

static const char yolo_test_cfg[] =
    "[net]\nbatch=3\nwidth=5\nheight=3\nchannels=4\n"
    "[convolutional]\nfilters=16\nsize=1\nactivation=linear\n"
    "[yolo]\nmask=2,0\nanchors=2,3, 4,1.5, 6,5\nclasses=3\nnum=3\n";

enum { YT_BATCH = 3, YT_HW = 15, YT_MASK = 2, YT_CLASSES = 3, YT_N = YT_BATCH * 16 * YT_HW };

/* The net run forward; its conv output (the [yolo] input) and [yolo]'s output. */
static inline network *run_yolo_net(std::vector<float> *in, std::vector<float> *out)
{
    network *net = build_net(yolo_test_cfg);
    if (!net) return NULL;
    float *x = random_input(net, 4);
    for (int i = 0; i < net->inputs * YT_BATCH; ++i) x[i] *= 4;   /* logits well past +-1 */
    forward_network(net, x);
    free(x);
    in->assign(net->layers[0].output, net->layers[0].output + YT_N);
    out->assign(net->layers[1].output, net->layers[1].output + YT_N);
    return net;
}

#endif
