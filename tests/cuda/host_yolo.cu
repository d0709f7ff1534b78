/* [yolo]'s forward body run on the CPU, against the layer. */
#include "yolo_body.cuh"
#include "yolo_kernel_test.h"

TEST(yolo_forward_body_equals_the_cpu_layer_and_leaves_w_and_h_raw)
{
    std::vector<float> in, want;
    network *net = run_yolo_net(&in, &want);
    if (!net) return;
    std::vector<float> got(YT_N);
    host_for_each(YT_N, yolo_forward_body{in.data(), got.data(), YT_HW, 16, YT_CLASSES + 5, 1});
    check_close(got, want, 0, "yolo output");
    CHECK(got[2 * YT_HW] == in[2 * YT_HW] && got[(8 + 3) * YT_HW] == in[(8 + 3) * YT_HW]);
    free_network(net);
}
