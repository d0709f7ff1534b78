#include "hash.h"

#include <string.h>

static uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser: every input bit moves every output bit */
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t hash_bytes(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    h = mix64(h ^ n);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w);
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    return mix64(h ^ tail);
}
