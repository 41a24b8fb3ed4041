/*
 * hash.h -- a fast 64-bit non-cryptographic hash for bloom filters and shards.
 *
 * The value is part of the on-disk bloom filter format: changing the function
 * changes every filter, so it is fixed and tested against known vectors.
 */
#ifndef CF_HASH_H
#define CF_HASH_H

#include <stddef.h>
#include <stdint.h>

/* hash64 -- hashes len bytes at p with the given seed. */
uint64_t hash64(const void *p, size_t len, uint64_t seed);

#endif
