/* Networks of the routing, dropout, cost, layernorm, posembed and [yolo]
 * layers on the GPU against the CPU. [connected] stands in for the
 * convolutions that would normally sit between them. */
#include "network_test.h"

extern "C" {
#include "rng.h"
}

#define NET_HEAD "[net]\nbatch=4\nsubdivisions=2\nwidth=3\nheight=2\nchannels=2\nlearning_rate=0.1\nmomentum=0.9\n" \
                 "decay=0.0005\n"

/* route groups, upsample, a shortcut from a smaller map (sampled) and one
 * from a 1x1 map, ending in an sse [cost] */
TEST(gpu_route_shortcut_upsample_network_with_an_sse_cost_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET_HEAD "[connected]\noutput=32\nactivation=leaky\n"
                                  "[upsample]\nstride=2\n"
                                  "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"
                                  "[upsample]\nstride=2\nscale=0.5\n"
                                  "[shortcut]\nfrom=-2\nactivation=leaky\n"
                                  "[route]\nlayers=-2,-1\n"
                                  "[shortcut]\nfrom=0\nactivation=mish\n"
                                  "[connected]\noutput=5\nactivation=linear\n"
                                  "[cost]\ntype=sse\n",
                         1e-4);
}

/* a shortcut from a larger map (strided) and from more channels, ending in a classifier */
TEST(gpu_route_shortcut_upsample_classifier_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET_HEAD "[connected]\noutput=24\nactivation=tanh\n"
                                  "[upsample]\nstride=4\n"
                                  "[route]\nlayers=-1\ngroups=3\ngroup_id=0\n"
                                  "[upsample]\nstride=2\n"
                                  "[route]\nlayers=-1,-1\n"
                                  "[shortcut]\nfrom=-4\nactivation=linear\n"
                                  "[upsample]\nstride=1\n"
                                  "[shortcut]\nfrom=1\nactivation=swish\n"
                                  "[connected]\noutput=6\nactivation=linear\n[softmax]\n",
                         1e-4);
}

TEST(gpu_smooth_l1_cost_with_a_scale_trains_as_on_the_cpu)
{
    check_network_on_gpu(NET_HEAD "[connected]\noutput=9\nactivation=leaky\n"
                                  "[connected]\noutput=5\nactivation=linear\n[cost]\ntype=smooth\nscale=3\n",
                         1e-4);
}

#define DROPOUT_NET NET_HEAD "[connected]\noutput=40\nactivation=leaky\n[dropout]\nprobability=0.4\n" \
                             "[connected]\noutput=4\nactivation=linear\n[softmax]\n"

TEST(gpu_dropout_network_trains_as_on_the_cpu)
{
    check_network_on_gpu(DROPOUT_NET, 1e-4);
}

/* Both draw the mask from the network's rng on the host: after a step the two
 * rngs are in the same state and the dropped values are the same ones. */
TEST(gpu_dropout_drops_exactly_the_values_the_cpu_drops)
{
    network *cpu = build_net(DROPOUT_NET), *gpu = build_net(DROPOUT_NET);
    if (!cpu || !gpu || !test_gpu()) return;
    CHECK_MSG(network_use_gpu(gpu, 0) == 0, "network_use_gpu: %s", dn_last_error());
    if (!gpu->gpu) return;
    int b = cpu->batch * cpu->subdivisions;
    std::vector<float> x = random_vector((size_t)b * cpu->inputs, -1, 1, 5), t = batch_truth(cpu, 6);
    train_network_step(cpu, x.data(), t.data());
    train_network_step(gpu, x.data(), t.data());
    CHECK(memcmp(&cpu->rng, &gpu->rng, sizeof cpu->rng) == 0);
    layer *c = &cpu->layers[1], *g = &gpu->layers[1];
    std::vector<float> got((size_t)g->batch * g->outputs);
    CHECK(gpu_pull(gpu->gpu, got.data(), g->output_gpu, got.size()) == 0);
    size_t dropped = 0, differ = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        dropped += c->output[i] == 0;
        differ += (c->output[i] == 0) != (got[i] == 0);
    }
    CHECK_MSG(dropped > 0 && differ == 0, "%zu values dropped on the CPU, %zu dropped on one side only", dropped,
              differ);
    free_network(cpu);
    free_network(gpu);
}

TEST(gpu_layernorm_and_posembed_network_trains_as_on_the_cpu)
{
    check_network_on_gpu("[net]\nbatch=4\nsubdivisions=2\nwidth=4\nheight=3\nchannels=6\nlearning_rate=0.1\n"
                         "momentum=0.9\ndecay=0.0005\n"
                         "[layernorm]\n[posembed]\n[layernorm]\neps=1e-5\n"
                         "[connected]\noutput=4\nactivation=linear\n[softmax]\n",
                         1e-4);
}

/* Two [yolo] heads (2 classes, 2 anchors each) on a learned map and on it
 * upsampled; the heads read the map directly, no convolution in between. */
static const char yolo_net[] =
    "[net]\nbatch=1\nwidth=5\nheight=4\nchannels=14\n"
    "[posembed]\n"
    "[yolo]\nmask=2,3\nanchors=10,14, 23,27, 37,58, 81,82\nclasses=2\nnum=4\n"
    "[route]\nlayers=0\n"
    "[upsample]\nstride=2\n"
    "[yolo]\nmask=0,1\nanchors=10,14, 23,27, 37,58, 81,82\nclasses=2\nnum=4\n";

static void check_detections_agree(network *cpu, network *gpu, float thresh)
{
    int nc = 0, ng = 0;
    detection *dc = get_network_boxes(cpu, thresh, &nc), *dg = get_network_boxes(gpu, thresh, &ng);
    CHECK_MSG(nc == ng && nc > 0, "%d detections on the CPU, %d on the GPU", nc, ng);
    for (int i = 0; i < nc && i < ng; ++i) {
        std::vector<float> want = {dc[i].bbox.x, dc[i].bbox.y, dc[i].bbox.w, dc[i].bbox.h, dc[i].objectness};
        std::vector<float> got = {dg[i].bbox.x, dg[i].bbox.y, dg[i].bbox.w, dg[i].bbox.h, dg[i].objectness};
        want.insert(want.end(), dc[i].prob, dc[i].prob + dc[i].classes);
        got.insert(got.end(), dg[i].prob, dg[i].prob + dg[i].classes);
        check_close(got, want, 1e-4, "detection");
    }
    free_detections(dc, nc);
    free_detections(dg, ng);
}

TEST(gpu_two_head_yolo_network_gives_the_cpu_outputs_and_detections)
{
    network *cpu = build_net(yolo_net), *gpu = build_net(yolo_net);
    if (!cpu || !gpu || !test_gpu()) return;
    CHECK_MSG(network_use_gpu(gpu, 0) == 0, "network_use_gpu: %s", dn_last_error());
    if (!gpu->gpu) return;
    for (unsigned seed = 30; seed < 32; ++seed) {
        std::vector<float> x = random_vector((size_t)cpu->inputs, -3, 3, seed);
        network_predict(cpu, x.data());
        network_predict(gpu, x.data());
        check_layers_agree(cpu, gpu, 1e-4, "yolo inference");
        /* the host outputs of both heads, which get_detections reads */
        for (int i : {1, 4}) {
            layer *c = &cpu->layers[i], *g = &gpu->layers[i];
            std::vector<float> want(c->output, c->output + c->outputs), got(g->output, g->output + g->outputs);
            check_close(got, want, 1e-4, "yolo head host output");
        }
        check_detections_agree(cpu, gpu, 0.6f);
    }
    free_network(cpu);
    free_network(gpu);
}
