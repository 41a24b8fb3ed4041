/*
 * bloom.c -- the bloom filter over an SSTable's partition keys.
 *
 * Layout (doc/formats.md, "Bloom filter"): m/8 bytes of bits, bit i being
 * bit (i % 8) of byte i / 8, then one byte k. A key with hash h sets the k
 * bits (h + j * d) mod m for j = 0..k-1, with d = rotl64(h, 17) | 1: double
 * hashing derives all probes from one 64-bit hash, and an odd d keeps them
 * apart. The hash is hash64(pk, 0) (util/hash.h), pinned by known-answer
 * tests, because it is part of the format.
 *
 * Invariants:
 *  (1) no false negatives: eng_bloom_may_contain(f, h) is true for every h
 *      the filter was built from, and for any filter it cannot interpret.
 *  (2) m >= 64, and k = round(bits_per_key * ln 2) clamped to 1..30, the k
 *      that minimises false positives for m / n bits per key.
 */
#include "engine/bloom.h"

#include <string.h>

#include "util/err.h"

#define BLOOM_MIN_BITS 64
#define BLOOM_MAX_K 30

static inline uint64_t probe_step(uint64_t h)
{
    return ((h << 17) | (h >> 47)) | 1;
}

/* invariant (2): ln 2 in millionths keeps the rounding exact without libm. */
static uint8_t bloom_k(uint32_t bits_per_key)
{
    uint64_t k = ((uint64_t)bits_per_key * 693147u + 500000u) / 1000000u;
    if (k < 1)
        k = 1;
    if (k > BLOOM_MAX_K)
        k = BLOOM_MAX_K;
    return (uint8_t)k;
}

int eng_bloom_build(cf_buf *out, const uint64_t *hashes, size_t n, uint32_t bits_per_key)
{
    uint64_t bits = (uint64_t)n * bits_per_key;
    if (bits < BLOOM_MIN_BITS)
        bits = BLOOM_MIN_BITS;
    uint64_t nbytes = (bits + 7) / 8;
    if (nbytes > SIZE_MAX - 1)
        return CF_ENOMEM;
    int rc = buf_reserve(out, (size_t)nbytes + 1);
    if (rc)
        return rc;
    uint8_t *array = out->data + out->len;
    memset(array, 0, (size_t)nbytes);
    uint64_t m = nbytes * 8;
    uint8_t k = bloom_k(bits_per_key);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = hashes[i];
        uint64_t d = probe_step(h);
        for (uint8_t j = 0; j < k; j++) {
            uint64_t bit = h % m;
            array[bit / 8] |= (uint8_t)(1u << (bit % 8));
            h += d;
        }
    }
    array[nbytes] = k;
    out->len += (size_t)nbytes + 1;
    return 0;
}

bool eng_bloom_may_contain(cf_slice filter, uint64_t h)
{
    if (filter.len < 2)
        return true; /* invariant (1): too short to prove anything */
    uint8_t k = filter.ptr[filter.len - 1];
    if (k < 1 || k > BLOOM_MAX_K)
        return true;
    uint64_t m = (uint64_t)(filter.len - 1) * 8;
    uint64_t d = probe_step(h);
    for (uint8_t j = 0; j < k; j++) {
        uint64_t bit = h % m;
        if (!(filter.ptr[bit / 8] & (1u << (bit % 8))))
            return false;
        h += d;
    }
    return true;
}
