/*
 * crc.c -- CRC32C through ISA-L.
 *
 * ISA-L's crc32_iscsi(buf, len, init) neither inverts its input nor its
 * output, so the standard pre- and post-inversion are done here; that makes
 * crc32c_extend() chainable from the finished value of an earlier call.
 * ISA-L takes an int length, so long buffers are fed in pieces.
 */
#include "util/crc.h"

#include <isa-l/crc.h>
#include <limits.h>

uint32_t crc32c_extend(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    uint32_t c = ~crc;
    while (len > 0) {
        int n = len > (size_t)INT_MAX / 2 ? INT_MAX / 2 : (int)len;
        c = crc32_iscsi((unsigned char *)p, n, c);
        p += n;
        len -= (size_t)n;
    }
    return ~c;
}
