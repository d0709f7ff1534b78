#include "rng.h"

#include <math.h>

void rng_seed(rng_state *r, uint64_t seed)
{
    r->state = 0;
    r->inc = (seed << 1u) | 1u;
    rng_u32(r);
    r->state += seed ^ 0x853c49e6748fea9bULL;
    rng_u32(r);
}

uint32_t rng_u32(rng_state *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

float rng_uniform(rng_state *r) { return (rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

float rng_range(rng_state *r, float lo, float hi) { return lo + (hi - lo) * rng_uniform(r); }

float rng_normal(rng_state *r)
{
    /* Box-Muller; u1 is kept away from 0 so the log is finite. */
    float u1 = (rng_u32(r) >> 8 | 1) * (1.0f / 16777216.0f);
    float u2 = rng_uniform(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}
