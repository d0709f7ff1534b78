/* rng.h: a small seeded random number generator (PCG32), one per network, so
 * a run with the same -seed repeats exactly. */
#ifndef DN_RNG_H
#define DN_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state, inc;
} rng_state;

void rng_seed(rng_state *r, uint64_t seed);
uint32_t rng_u32(rng_state *r);
float rng_uniform(rng_state *r);                 /* [0, 1) */
float rng_range(rng_state *r, float lo, float hi);
float rng_normal(rng_state *r);                  /* mean 0, std 1 */

#endif
