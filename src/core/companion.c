/* companion.c: a network's companions and the calls of their hooks (companion.h). */
#include "companion.h"

#include <stdlib.h>

#include "errors.h"
#include "network.h"

int network_add_companion(network *net, const companion_hooks *hooks, void *state)
{
    companion *grown = dn_realloc(net->companions, (size_t)net->n_companions + 1, sizeof *grown);
    if (!grown) return -1;
    net->companions = grown;
    net->companions[net->n_companions++] = (companion){hooks, state};
    return 0;
}

void *network_companion(const network *net, const companion_hooks *hooks, int k)
{
    for (int i = 0; i < net->n_companions; ++i)
        if (net->companions[i].hooks == hooks && k-- == 0) return net->companions[i].state;
    return NULL;
}

void companions_before_forward(network *net, const float *input)
{
    for (int i = 0; i < net->n_companions; ++i) {
        const companion *c = &net->companions[i];
        if (c->hooks->before_forward) c->hooks->before_forward(c->state, net, input);
    }
}

int companions_resize(network *net)
{
    for (int i = 0; i < net->n_companions; ++i) {
        const companion *c = &net->companions[i];
        if (c->hooks->resize && c->hooks->resize(c->state, net)) return -1;
    }
    return 0;
}

int companions_use_gpu(network *net, int device)
{
    for (int i = 0; i < net->n_companions; ++i) {
        const companion *c = &net->companions[i];
        if (c->hooks->use_gpu && c->hooks->use_gpu(c->state, net, device)) return -1;
    }
    return 0;
}

void companions_hash(const network *net, uint64_t *cfg, uint64_t *values)
{
    for (int i = 0; i < net->n_companions; ++i) {
        const companion *c = &net->companions[i];
        if (c->hooks->hash) c->hooks->hash(c->state, cfg, values);
    }
}

void companions_free(network *net)
{
    for (int i = 0; i < net->n_companions; ++i) net->companions[i].hooks->free(net->companions[i].state);
    free(net->companions);
    net->companions = NULL;
    net->n_companions = 0;
}
