/* The bilinear resize's bodies run on the CPU, against ops/bilinear.c. */
#include "bilinear_body.cuh"
#include "kernel_test.h"

struct resize_shape {
    int h, w, oh, ow;
};

/* Sizes up, down, by non-integer ratios, from and to 1x1, and unchanged. */
static const resize_shape shapes[] = {
    {3, 4, 7, 9}, {9, 7, 4, 3}, {5, 5, 7, 3}, {6, 51, 13, 5}, {1, 1, 4, 5}, {5, 4, 1, 1}, {1, 6, 3, 1}, {4, 3, 4, 3},
};

TEST(bilinear_body_equals_the_cpu_resize_up_down_and_at_non_integer_ratios)
{
    const int planes = 3 * 5;
    for (const resize_shape &r : shapes) {
        std::vector<float> in = random_vector((size_t)planes * r.h * r.w, -1, 1, 1);
        std::vector<float> got((size_t)planes * r.oh * r.ow), want(got.size());
        host_for_each((long)got.size(), bilinear_body{in.data(), got.data(), r.h, r.w, r.oh, r.ow});
        bilinear_resize(in.data(), planes, r.h, r.w, want.data(), r.oh, r.ow);
        char what[64];
        snprintf(what, sizeof what, "resize %dx%d -> %dx%d", r.h, r.w, r.oh, r.ow);
        check_close(got, want, 0, what);
    }
}

TEST(bilinear_backward_gather_body_equals_the_cpu_scatter_and_adds_into_its_output)
{
    const int planes = 3 * 5;
    for (const resize_shape &r : shapes) {
        std::vector<float> dout = random_vector((size_t)planes * r.oh * r.ow, -1, 1, 2);
        std::vector<float> got = random_vector((size_t)planes * r.h * r.w, -1, 1, 3), want = got;
        host_for_each((long)got.size(), bilinear_backward_body{dout.data(), got.data(), r.h, r.w, r.oh, r.ow});
        bilinear_resize_backward(dout.data(), planes, r.h, r.w, want.data(), r.oh, r.ow);
        char what[64];
        snprintf(what, sizeof what, "adjoint %dx%d -> %dx%d", r.h, r.w, r.oh, r.ow);
        check_close(got, want, 0, what);
    }
}
