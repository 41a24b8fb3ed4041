/*
 * hash.c -- 64-bit hash: 8-byte lanes mixed with multiply-xorshift steps.
 *
 * Each 8-byte little-endian word is multiplied into the state with two odd
 * 64-bit constants and folded with xor-shifts; the tail is packed into one
 * word; a final avalanche (the murmur3 fmix64 finaliser) spreads every input
 * bit over every output bit. Good enough for double-hashed bloom probes; not
 * resistant to chosen-input attacks, which bloom filters do not need.
 */
#include "util/hash.h"

#include "util/coding.h"

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t hash64(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t k = get_u64(p) * 0x87c37b91114253d5ULL;
        k = (k << 31) | (k >> 33);
        h ^= k * 0x4cf5ad432745937fULL;
        h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
        p += 8;
        len -= 8;
    }
    uint64_t t = 0;
    for (size_t i = 0; i < len; i++)
        t |= (uint64_t)p[i] << (8 * i);
    h ^= t * 0x87c37b91114253d5ULL;
    return fmix64(h);
}
