/*
 * crc.c -- CRC32C and CRC32 through ISA-L; CRC64NVME by slice-by-8 tables.
 *
 * ISA-L's crc32_iscsi(buf, len, init) neither inverts its input nor its
 * output, so the standard pre- and post-inversion are done here; that makes
 * crc32c_extend() chainable from the finished value of an earlier call.
 * ISA-L takes an int length, so long buffers are fed in pieces.
 */
#include "util/crc.h"

#include <isa-l/crc.h>
#include <limits.h>
#include <pthread.h>

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

uint32_t crc32_ieee_extend(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        uint64_t n = len > (size_t)INT_MAX / 2 ? INT_MAX / 2 : len;
        crc = crc32_gzip_refl(crc, (unsigned char *)p, n);
        p += n;
        len -= (size_t)n;
    }
    return crc;
}

#define CRC64NVME_POLY 0x9A6C9329AC4BC9B5ULL

static uint64_t crc64_table[8][256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t c = (uint64_t)i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC64NVME_POLY : c >> 1;
        crc64_table[0][i] = c;
    }
    for (int i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc64_table[t][i] =
                (crc64_table[t - 1][i] >> 8) ^ crc64_table[0][crc64_table[t - 1][i] & 0xff];
}

uint64_t crc64nvme_extend(uint64_t crc, const void *buf, size_t len)
{
    pthread_once(&crc64_once, crc64_init);
    const unsigned char *p = buf;
    uint64_t c = ~crc;
    while (len >= 8) {
        uint64_t w = c ^ ((uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                          (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                          (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56);
        c = crc64_table[7][w & 0xff] ^ crc64_table[6][(w >> 8) & 0xff] ^
            crc64_table[5][(w >> 16) & 0xff] ^ crc64_table[4][(w >> 24) & 0xff] ^
            crc64_table[3][(w >> 32) & 0xff] ^ crc64_table[2][(w >> 40) & 0xff] ^
            crc64_table[1][(w >> 48) & 0xff] ^ crc64_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc64_table[0][(c ^ *p++) & 0xff];
    return ~c;
}
