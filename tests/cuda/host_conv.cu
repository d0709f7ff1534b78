/* The convolution bodies (im2col, col2im, depthwise), run on the CPU, against
 * ops/im2col.c and ops/depthwise.c. */
#include "conv_test.h"
#include "im2col_body.cuh"
#include "kernel_test.h"

TEST(im2col_body_equals_the_cpu_im2col_for_strided_dilated_rectangular_kernels)
{
    for (int s = 0; s < N_CONV_SHAPES; ++s) {
        const conv_geometry &g = conv_shapes[s];
        std::vector<float> im = random_vector(conv_in_size(g), -1, 1, 10 + s);
        std::vector<float> col(conv_col_size(g), 7.0f), want(col.size());
        host_for_each(conv_col_size(g), im2col_body{g, im.data(), col.data()});
        im2col(im.data(), &g, want.data());
        check_close(col, want, 0, "im2col");
    }
}

TEST(col2im_gather_body_equals_the_cpu_col2im_add_exactly)
{
    for (int s = 0; s < N_CONV_SHAPES; ++s) {
        const conv_geometry &g = conv_shapes[s];
        std::vector<float> col = random_vector(conv_col_size(g), -1, 1, 20 + s);
        std::vector<float> im = random_vector(conv_in_size(g), -1, 1, 30 + s), want = im;
        host_for_each(conv_in_size(g), col2im_add_body{g, col.data(), im.data()});
        col2im_add(col.data(), &g, want.data());
        check_close(im, want, 0, "col2im_add");
    }
}
