/*
 * slice.h -- (pointer, length) views of bytes.
 *
 * A cf_slice never owns its bytes; whoever hands one out states how long it
 * stays valid. Bytes are compared as unsigned, shorter-prefix-first, which is
 * the order of every key in coffer.
 */
#ifndef CF_SLICE_H
#define CF_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cf_slice {
    const uint8_t *ptr;
    size_t len;
} cf_slice;

static inline cf_slice slice_make(const void *ptr, size_t len)
{
    cf_slice s = {(const uint8_t *)ptr, len};
    return s;
}

/* slice_str -- a view of a NUL-terminated string, without the NUL. */
static inline cf_slice slice_str(const char *s)
{
    return slice_make(s, strlen(s));
}

/* slice_cmp -- memcmp order; a proper prefix sorts first. Returns <0, 0, >0. */
static inline int slice_cmp(cf_slice a, cf_slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

static inline int slice_eq(cf_slice a, cf_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/*
 * slice_to_u64 -- s as an unsigned decimal number: true and *v when s is 1
 * or more digits and fits in 64 bits; false (*v 0) otherwise.
 */
static inline bool slice_to_u64(cf_slice s, uint64_t *v)
{
    uint64_t r = 0;
    *v = 0;
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s.ptr[i] - '0');
        if (r > (UINT64_MAX - d) / 10)
            return false;
        r = r * 10 + d;
    }
    *v = r;
    return true;
}

#endif
