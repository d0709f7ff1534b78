/* test_companion.c: a network's companions (src/core/companion.h): core calls
 * their hooks before each training forward (on that very batch, before any
 * layer), after every change of batch size, and once when the network is freed. */
#include <stdlib.h>
#include <string.h>

#include "companion.h"
#include "network.h"
#include "test.h"

typedef struct {
    int forwards, resizes, batch_seen;
    const float *input;
    float first_output;    /* layer 0's output when the hook ran: still zero */
    int *freed;
} probe;

static void probe_before_forward(void *state, network *net, const float *input)
{
    probe *p = state;
    p->forwards++;
    p->input = input;
    p->first_output = net->layers[0].output[0];
}

static int probe_resize(void *state, network *net)
{
    probe *p = state;
    p->resizes++;
    p->batch_seen = net->batch;
    return 0;
}

static void probe_free(void *state)
{
    probe *p = state;
    ++*p->freed;
    free(p);
}

static const companion_hooks probe_hooks = {
    .before_forward = probe_before_forward,
    .resize = probe_resize,
    .free = probe_free,
};

TEST(companions_run_before_training_forwards_follow_the_batch_and_are_freed_with_the_network)
{
    network *net = build_net("[net]\nbatch=2\nwidth=3\nheight=3\nchannels=1\n"
                             "[convolutional]\nfilters=1\nsize=1\nactivation=linear\n");
    if (!net) return;
    int freed = 0;
    probe *p = calloc(1, sizeof *p);
    p->freed = &freed;
    CHECK(network_add_companion(net, &probe_hooks, p) == 0);
    CHECK(network_companion(net, &probe_hooks, 0) == p && network_companion(net, &probe_hooks, 1) == NULL);
    float x[2 * 9];
    for (int i = 0; i < 18; ++i) x[i] = 1;
    net->train = 0;
    forward_network(net, x);
    CHECK(p->forwards == 0);   /* inference forwards leave companions alone */
    memset(net->layers[0].output, 0, sizeof(float) * 18);
    net->train = 1;
    forward_network(net, x);
    CHECK(p->forwards == 1 && p->input == x && p->first_output == 0);
    CHECK(set_batch_network(net, 1) == 0);
    CHECK(p->resizes >= 1 && p->batch_seen == 1);
    free_network(net);
    CHECK(freed == 1);
}
