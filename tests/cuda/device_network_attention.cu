/* Networks of [attention] blocks on the GPU against the CPU: a ViT-style
 * classifier (patch embedding, position embedding, global multi-head
 * attention, a GELU MLP) and a Swin-style one (windows, shifted windows with
 * the wrap-around mask, relative position bias, edge windows smaller). Maps
 * of 9 to 20 tokens keep the emulated device's serial kernels quick. */
#include "network_test.h"

#define NET(w, h, batch, subdivisions)                                                                         \
    "[net]\nbatch=" #batch "\nsubdivisions=" #subdivisions "\nwidth=" #w "\nheight=" #h "\nchannels=3\n"      \
    "learning_rate=0.1\nmomentum=0.9\ndecay=0.0005\n"

/* A pre-norm transformer block on the 8-channel tokens the layer before `at`
 * produced: attention with `keys`, then a 4x GELU MLP as 1x1 convolutions. */
#define BLOCK(keys)                                                                                          \
    "[layernorm]\n[attention]\n" keys "[shortcut]\nfrom=-3\nactivation=linear\n"                              \
    "[layernorm]\n[convolutional]\nfilters=32\nsize=1\nstride=1\npad=1\nactivation=gelu\n"                    \
    "[convolutional]\nfilters=8\nsize=1\nstride=1\npad=1\nactivation=linear\n"                              \
    "[shortcut]\nfrom=-4\nactivation=linear\n"

#define HEAD "[avgpool]\n[connected]\noutput=4\nactivation=linear\n[softmax]\n"

TEST(gpu_vit_network_with_global_two_head_attention_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET(12, 12, 4, 2) "[convolutional]\nfilters=8\nsize=4\nstride=4\npad=0\nactivation=linear\n"
                                           "[posembed]\n" BLOCK("heads=2\n") HEAD,
                         1e-4);
}

/* window=0 with a relative bias spans the whole 3 x 3 map */
TEST(gpu_global_attention_with_a_relative_position_bias_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET(12, 12, 3, 1) "[convolutional]\nfilters=8\nsize=4\nstride=4\npad=0\nactivation=linear\n"
                                           BLOCK("heads=2\npos_bias=relative\n") HEAD,
                         1e-4);
}

/* 5 x 4 tokens: 2 x 2 windows, then 3 x 3 windows shifted by 1 (smaller at the edges, masked where wrapped) */
TEST(gpu_swin_attention_network_with_shifted_windows_and_relative_bias_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET(10, 8, 4, 2) "[convolutional]\nfilters=8\nsize=2\nstride=2\npad=0\nactivation=linear\n"
                                          BLOCK("heads=2\nwindow=2\npos_bias=relative\n")
                                          BLOCK("heads=2\nwindow=3\nshift=1\npos_bias=relative\n") HEAD,
                         1e-4);
}
