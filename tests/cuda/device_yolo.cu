/* [yolo]'s forward launched on a GPU, against the layer. */
#include "gpu_test.h"
#include "yolo_kernel_test.h"

extern "C" {
#include "yolo_gpu.h"
}

TEST(gpu_yolo_forward_equals_the_cpu_layer)
{
    gpu_ctx *g = test_gpu();
    std::vector<float> in, want;
    network *net = g ? run_yolo_net(&in, &want) : NULL;
    if (!net) return;
    device_vector din(g, in), dout(g, std::vector<float>(YT_N));
    yolo_forward_gpu(g, din.p, dout.p, YT_BATCH, YT_MASK, YT_CLASSES, YT_HW, 1);
    check_close(dout.pull(), want, 1e-6, "yolo output");
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
    free_network(net);
}
