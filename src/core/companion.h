/* companion.h: networks (or any state) that belong to a network and follow its
 * life: e.g. the frozen teachers of the distillation layers (src/distill/teacher.c).
 * Core knows them only by these hooks, called at the points where the network's
 * own forward, resize and free happen, so that every backend (the CPU loop now, a
 * GPU one later) and every kind of companion share one path. */
#ifndef DN_COMPANION_H
#define DN_COMPANION_H

#include <stdint.h>

#include "darknet.h"

typedef struct companion_hooks {
    /* Before a training forward (net->train), on exactly the batch the network
     * is about to see, before any of its layers runs. May be NULL. */
    void (*before_forward)(void *state, network *net, const float *input);
    /* After the network's batch or input size changed, before its layers'
     * setup. Returns 0 or -1 (error recorded). May be NULL. */
    int (*resize)(void *state, network *net);
    /* After the network moved to GPU `device` (network_use_gpu), so that the
     * companion can follow it there. Returns 0 or -1 (error recorded). May be NULL. */
    int (*use_gpu)(void *state, network *net, int device);
    /* Mixes into the two hashes what must be the same on every data-parallel
     * replica: what the companion's cfg says and its values. May be NULL. */
    void (*hash)(const void *state, uint64_t *cfg, uint64_t *values);
    /* Frees the state when the network is freed. */
    void (*free)(void *state);
} companion_hooks;

typedef struct companion {
    const companion_hooks *hooks;
    void *state;
} companion;

/* Gives net the companion (hooks, state); net frees it. Returns 0, or -1 (no
 * memory; the caller still owns state). */
int network_add_companion(network *net, const companion_hooks *hooks, void *state);
/* The state of net's k-th companion with these hooks (in the order added), or NULL. */
void *network_companion(const network *net, const companion_hooks *hooks, int k);

/* For core's loop: each hook over all companions, in the order added. */
void companions_before_forward(network *net, const float *input);
int companions_resize(network *net);
int companions_use_gpu(network *net, int device);
void companions_hash(const network *net, uint64_t *cfg, uint64_t *values);
void companions_free(network *net);

#endif
