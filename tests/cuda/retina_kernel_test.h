/* retina_kernel_test.h: the CPU reference of the [retina] kernel tests: a
 * two-level network (classes 2, anchors 2 per position) run forward in
 * training, and the anchors' targets matched on the host as the layer does. */
#ifndef DN_RETINA_KERNEL_TEST_H
#define DN_RETINA_KERNEL_TEST_H

#include <string.h>

#include "kernel_test.h"

extern "C" {
#include "anchors.h"
#include "box_coding.h"
#include "matcher.h"
#include "network.h"
}

/* Levels: 4x4 (cls 1, box 3) at stride 4 and 2x2 (cls 6, box 8) at stride 8 of a 16x16 input. */
static const char retina_test_cfg[] =
    "[net]\nbatch=3\nwidth=16\nheight=16\nchannels=2\n"
    "[convolutional]\nfilters=4\nsize=4\nstride=4\nactivation=tanh\n"
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
    "[route]\nlayers=0\n"
    "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n"
    "[route]\nlayers=0\n"
    "[convolutional]\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=tanh\n"
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\nshare=1\n"
    "[route]\nlayers=5\n"
    "[convolutional]\nfilters=8\nsize=1\nactivation=linear\nshare=3\n"
    "[retina]\nclasses=2\ncls=1,6\nbox=3,-1\nanchor_sizes=6,12\nscales=1\nratios=0.5,1\nbox_loss=%s\n";

enum { RT_LEVELS = 2, RT_A = 2, RT_K = 2, RT_ANCHORS = (16 + 4) * RT_A };
static const int rt_cls[RT_LEVELS] = {1, 6}, rt_box[RT_LEVELS] = {3, 8}, rt_w[RT_LEVELS] = {4, 2},
                 rt_offset[RT_LEVELS] = {0, 16 * RT_A};

/* The CPU layer's result on one batch and the host's matching. */
struct retina_case {
    network *net;
    std::vector<float> truth, enc, cls_delta[RT_LEVELS], box_delta[RT_LEVELS];
    std::vector<int> target;
    float cost, focal, boxl;
};

/* Targets per anchor (class, -1, -2) and encoded deltas, image by image. */
static inline void match_retina_case(retina_case *c, int batch)
{
    anchor_config ac = anchor_config_retinanet(1);
    ac.n_scales = 1, ac.scales[0] = 1, ac.n_ratios = 2, ac.ratios[0] = 0.5f, ac.ratios[1] = 1;
    cbox anchors[RT_ANCHORS], gts[DN_MAX_BOXES];
    for (int li = 0; li < RT_LEVELS; ++li) {
        ac.base_size = li ? 12 : 6;
        make_anchors(&ac, rt_w[li], rt_w[li], 16.0f / rt_w[li], anchors + rt_offset[li]);
    }
    std::vector<char> scratch(match_scratch_size(RT_ANCHORS, DN_MAX_BOXES));
    int m[RT_ANCHORS], cls[DN_MAX_BOXES];
    c->target.assign((size_t)batch * RT_ANCHORS, 0);
    c->enc.assign(c->target.size() * 4, 0);
    for (int b = 0; b < batch; ++b) {
        const float *t = c->truth.data() + (size_t)b * DN_MAX_BOXES * 5;
        int n = 0;
        for (; n < DN_MAX_BOXES && t[n * 5 + 2] != 0; ++n) {
            box bx = {t[n * 5] * 16, t[n * 5 + 1] * 16, t[n * 5 + 2] * 16, t[n * 5 + 3] * 16};
            gts[n] = cbox_from_box(bx);
            cls[n] = (int)t[n * 5 + 4];
        }
        match_config mc = match_config_retinanet();
        CHECK(match_anchors(anchors, RT_ANCHORS, gts, n, &mc, scratch.data(), m) >= 0);
        for (int i = 0; i < RT_ANCHORS; ++i) {
            size_t at = (size_t)b * RT_ANCHORS + i;
            c->target[at] = m[i] >= 0 ? cls[m[i]] : m[i];
            if (m[i] >= 0) box_encode(gts[m[i]], anchors[i], NULL, &c->enc[at * 4]);
        }
    }
}

/* Builds the network with box_loss, runs a training forward on truth with
 * boxes in images 0 and 2 (none in 1) and keeps the layer's results. */
static inline int run_retina_case(retina_case *c, const char *box_loss, unsigned seed)
{
    char text[2048];
    snprintf(text, sizeof text, retina_test_cfg, box_loss);
    if (!(c->net = build_net(text))) return -1;
    network *net = c->net;
    const float t[3][5] = {{0.4f, 0.5f, 0.3f, 0.4f, 1}, {0.7f, 0.3f, 0.2f, 0.25f, 0}, {0.5f, 0.5f, 0.6f, 0.5f, 0}};
    c->truth.assign(3 * DN_MAX_BOXES * 5, 0);
    memcpy(&c->truth[0], t[0], sizeof t[0]);
    memcpy(&c->truth[5], t[1], sizeof t[1]);
    memcpy(&c->truth[2 * DN_MAX_BOXES * 5], t[2], sizeof t[2]);
    for (int p = 0; p < net->layers[3].n_params; ++p)   /* spread the box deltas */
        for (int k = 0; k < net->layers[3].params[p].n; ++k) net->layers[3].params[p].val[k] *= 3;
    float *x = random_input(net, seed);
    net->truth = c->truth.data();
    net->train = 1;
    forward_network(net, x);
    free(x);
    for (int li = 0; li < RT_LEVELS; ++li) {
        const layer *cl = &net->layers[rt_cls[li]], *bl = &net->layers[rt_box[li]];
        c->cls_delta[li].assign(cl->delta, cl->delta + (size_t)3 * cl->outputs);
        c->box_delta[li].assign(bl->delta, bl->delta + (size_t)3 * bl->outputs);
    }
    layer *r = &net->layers[9];
    const char *names[2];
    float parts[2];
    r->ops->named_losses(r, names, parts, 2);
    c->cost = r->cost, c->focal = parts[0], c->boxl = parts[1];
    match_retina_case(c, 3);
    return 0;
}

#endif
