/* hash.h: a 64-bit hash of bytes, for telling contents apart (cfgs, weights,
 * image lists on different ranks). Not for security. */
#ifndef DN_HASH_H
#define DN_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of n bytes, continuing from h (start with 0). */
uint64_t hash_bytes(const void *data, size_t n, uint64_t h);

#endif
