/* A tiny classifier learns: trained on the synthetic shapes stream, it must
 * classify held-out images (another stream) far above chance (25%). */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static const char *tiny_classifier =
    "[net]\nbatch=16\nsubdivisions=2\nwidth=20\nheight=20\nchannels=3\n"
    "momentum=0.9\ndecay=0.0005\nlearning_rate=0.1\nburn_in=10\npolicy=steps\nsteps=180,220\nscales=0.1,0.1\nmax_batches=150\n"
    "[convolutional]\nbatch_normalize=1\nfilters=12\nsize=3\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=24\nsize=3\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\npad=1\nactivation=leaky\n"
    "[avgpool]\n"
    "[convolutional]\nfilters=4\nsize=1\nactivation=linear\n"
    "[softmax]\n";

static float accuracy(network *net, uint64_t seed, int n, float *x)
{
    int in = network_inputs(net), right = 0, batch = network_batch(net);
    for (int start = 0; start < n; start += batch) {
        int labels[64];
        for (int i = 0; i < batch; ++i) labels[i] = synth_shape_image(seed, start + i, 20, 20, 3, x + i * in);
        float *p = network_predict(net, x);
        for (int i = 0; i < batch; ++i) {
            int best = 0;
            for (int k = 1; k < 4; ++k)
                if (p[i * 4 + k] > p[i * 4 + best]) best = k;
            right += best == labels[i];
        }
    }
    return (float)right / n;
}

TEST(tiny_classifier_learns_shapes)
{
    network *net = net_from_text(tiny_classifier);
    CHECK_MSG(net != NULL, "%s", dn_last_error());
    if (!net) return;
    int images = 16, in = network_inputs(net);
    float *x = malloc(sizeof(float) * images * in), truth[16 * 4];
    float first_loss = 0, last_loss = 0;
    for (int it = 0; it < 250; ++it) {
        memset(truth, 0, sizeof truth);
        for (int i = 0; i < images; ++i)
            truth[i * 4 + synth_shape_image(1, (uint64_t)it * images + i, 20, 20, 3, x + i * in)] = 1;
        float loss = train_network_step(net, x, truth);
        if (it == 0) first_loss = loss;
        last_loss = loss;
    }
    float acc = accuracy(net, 2, 192, x);
    /* Seen with data seeds 1, 3, 5, 7: 0.93, 0.81, 0.91, 0.81 held-out (chance 0.25).
     * The learning rate must decay before the end: batch-norm rolling statistics
     * lag a network whose weights still move fast. */
    CHECK_MSG(acc >= 0.70f, "held-out accuracy %.3f (loss %.3f -> %.3f)", acc, first_loss, last_loss);
    CHECK_MSG(last_loss < 0.5f * first_loss, "loss %.3f -> %.3f", first_loss, last_loss);
    free(x);
    free_network(net);
}
