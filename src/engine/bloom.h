/*
 * bloom.h -- the bloom filter over an SSTable's partition keys.
 *
 * k probes by double hashing of hash64(key, 0): h, h + d, h + 2d, ... with
 * d = rotate(h, 17) | 1 (odd, so the probes differ), over m bits. The byte
 * layout (bits, then k) is in doc/formats.md ("Bloom filter").
 */
#ifndef ENG_BLOOM_H
#define ENG_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/slice.h"

/*
 * eng_bloom_build -- appends to out a filter for the n key hashes
 * (each hash64(key, 0)) with bits_per_key bits per key.
 */
int eng_bloom_build(cf_buf *out, const uint64_t *hashes, size_t n, uint32_t bits_per_key);

/*
 * eng_bloom_may_contain -- false only if the key with hash h was not among
 * the filter's keys. filter is the bytes eng_bloom_build appended; a filter
 * too short to be valid answers true (it proves nothing).
 */
bool eng_bloom_may_contain(cf_slice filter, uint64_t h);

#endif
