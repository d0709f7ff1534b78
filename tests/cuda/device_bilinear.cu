/* The bilinear resize launched on a GPU, against ops/bilinear.c. */
#include "gpu_test.h"
#include "hd.h"   /* first: its template may not be declared inside extern "C" */

extern "C" {
#include "bilinear.h"
#include "bilinear_gpu.h"
}

TEST(gpu_bilinear_resize_and_its_adjoint_equal_the_cpu_up_and_down)
{
    gpu_ctx *g = test_gpu();
    if (!g) return;
    const int planes = 3 * 5, sizes[][4] = {{3, 4, 7, 9}, {9, 7, 4, 3}, {5, 5, 7, 3}, {1, 1, 4, 5}, {5, 4, 1, 1}};
    for (const auto &r : sizes) {
        int h = r[0], w = r[1], oh = r[2], ow = r[3];
        std::vector<float> in = random_vector((size_t)planes * h * w, -1, 1, 1), want((size_t)planes * oh * ow);
        device_vector din(g, in), dout(g, want);
        bilinear_resize_gpu(g, din.p, planes, h, w, dout.p, oh, ow);
        bilinear_resize(in.data(), planes, h, w, want.data(), oh, ow);
        check_close(dout.pull(), want, 1e-6, "resize");
        std::vector<float> back = in;
        bilinear_resize_backward_gpu(g, dout.p, planes, h, w, din.p, oh, ow);
        bilinear_resize_backward(want.data(), planes, h, w, back.data(), oh, ow);
        check_close(din.pull(), back, 1e-5, "adjoint");
    }
    CHECK_MSG(gpu_sync(g) == 0, "%s", dn_last_error());
}
