/* The convolution bodies (im2col, col2im, depthwise), run on the CPU, against
 * ops/im2col.c and ops/depthwise.c. */
#include "conv_test.h"
#include "depthwise_body.cuh"
#include "im2col_body.cuh"
#include "kernel_test.h"

extern "C" {
#include "depthwise.h"
}

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

TEST(depthwise_forward_body_equals_the_cpu_for_3x3_51x51_51x5_and_5x51_kernels_on_a_batch_of_3)
{
    const int batch = DEPTHWISE_BATCH;
    for (int s = 0; s < N_DEPTHWISE_SHAPES; ++s) {
        const conv_geometry &g = depthwise_shapes[s];
        long n_out = batch * g.c * conv_out_plane(g);
        std::vector<float> in = random_vector(batch * conv_in_size(g), -1, 1, 40 + s);
        std::vector<float> w = random_vector((long)g.c * g.ksize_y * g.ksize_x, -1, 1, 50 + s);
        std::vector<float> out(n_out, 7.0f), want(n_out);
        host_for_each(n_out, depthwise_forward_body{g, in.data(), w.data(), out.data()});
        depthwise_forward(in.data(), w.data(), want.data(), &g, batch);
        check_close(out, want, 0, "depthwise forward");
    }
}

TEST(depthwise_backward_bodies_add_the_cpu_weight_and_input_gradients_exactly)
{
    const int batch = DEPTHWISE_BATCH;
    for (int s = 0; s < N_DEPTHWISE_SHAPES; ++s) {
        const conv_geometry &g = depthwise_shapes[s];
        long n_in = batch * conv_in_size(g), n_w = (long)g.c * g.ksize_y * g.ksize_x;
        std::vector<float> in = random_vector(n_in, -1, 1, 60 + s), w = random_vector(n_w, -1, 1, 70 + s);
        std::vector<float> d = random_vector(batch * g.c * conv_out_plane(g), -1, 1, 80 + s);
        std::vector<float> gw = random_vector(n_w, -1, 1, 90 + s), gw_want = gw;
        std::vector<float> din = random_vector(n_in, -1, 1, 100 + s), din_want = din;
        host_for_each(n_w, depthwise_backward_weights_body{g, batch, in.data(), d.data(), gw.data()});
        host_for_each(n_in, depthwise_backward_data_body{g, w.data(), d.data(), din.data()});
        depthwise_backward(in.data(), w.data(), d.data(), &g, batch, gw_want.data(), din_want.data());
        check_close(gw, gw_want, 0, "depthwise weight gradient");
        check_close(din, din_want, 0, "depthwise input gradient");
    }
}
