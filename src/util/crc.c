/*
 * crc.c -- CRC32C and CRC32 through ISA-L; CRC64NVME by slice-by-8 tables.
 *
 * ISA-L's crc32_iscsi(buf, len, init) neither inverts its input nor its
 * output, so the standard pre- and post-inversion are done here; that makes
 * crc32c_extend() chainable from the finished value of an earlier call.
 * ISA-L takes an int length, so long buffers are fed in pieces.
 *
 * The *_combine functions share one generic routine, crc_combine(). All three
 * CRCs are reflected with init == xorout == all ones, and for such a CRC
 * x(A || B) = x(A) * x^(8 * len(B)) + x(B) over GF(2) modulo the polynomial
 * (the ones terms cancel). x^(8n) is the product of the precomputed powers
 * x^(8 * 2^k) for the set bits k of n, so the cost is popcount(n)
 * multiplications of at most 64 steps each.
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

#define CRC32C_POLY 0x82F63B78u
#define CRC32_IEEE_POLY 0xEDB88320u
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

/*
 * gf2_mulmod -- a * b modulo the polynomial, both operands and the result in
 * the reflected layout of a width-bit CRC register: bit width-1 holds the
 * coefficient of x^0 and bit 0 that of x^(width-1). poly is the reflected
 * polynomial without its x^width term. Walks a from x^0 upwards while b is
 * multiplied by x each step; branch-free so the cost does not depend on data.
 */
static uint64_t gf2_mulmod(uint64_t a, uint64_t b, uint64_t poly, unsigned width)
{
    uint64_t prod = 0;
    for (uint64_t m = (uint64_t)1 << (width - 1); m != 0; m >>= 1) {
        prod ^= b & -(uint64_t)((a & m) != 0);
        b = (b >> 1) ^ (poly & -(b & 1)); /* b *= x: x^(width-1) * x reduces by poly */
    }
    return prod;
}

/*
 * The powers x^(8 * 2^k) mod the polynomial, k = 0..63, of each CRC: filled
 * once (pthread_once) by repeated squaring from x^8, so that a combine costs
 * one multiplication per set bit of len_b and no squaring.
 */
typedef struct crc_pows {
    uint64_t poly;
    unsigned width;
    uint64_t pow[64];
} crc_pows;

static crc_pows pows32c = {CRC32C_POLY, 32, {0}};
static crc_pows pows32 = {CRC32_IEEE_POLY, 32, {0}};
static crc_pows pows64 = {CRC64NVME_POLY, 64, {0}};
static pthread_once_t pows_once = PTHREAD_ONCE_INIT;

static void pows_fill(crc_pows *t)
{
    t->pow[0] = (uint64_t)1 << (t->width - 1 - 8); /* x^8: one byte */
    for (int k = 1; k < 64; k++)
        t->pow[k] = gf2_mulmod(t->pow[k - 1], t->pow[k - 1], t->poly, t->width);
}

static void pows_init(void)
{
    pows_fill(&pows32c);
    pows_fill(&pows32);
    pows_fill(&pows64);
}

/*
 * crc_combine -- crc_a * x^(8 * len_b) + crc_b for a reflected width-bit CRC
 * (width 32 or 64) whose init equals its xorout: crc_a picks up the factor
 * x^(8 * 2^k) for every set bit k of len_b. The exponent is never formed as
 * 8 * len_b, so every uint64_t length works.
 */
static uint64_t crc_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b, const crc_pows *t)
{
    pthread_once(&pows_once, pows_init);
    for (int k = 0; len_b != 0; k++, len_b >>= 1)
        if (len_b & 1)
            crc_a = gf2_mulmod(crc_a, t->pow[k], t->poly, t->width);
    return crc_a ^ crc_b;
}

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    return (uint32_t)crc_combine(crc_a, crc_b, len_b, &pows32c);
}

uint32_t crc32_ieee_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
    return (uint32_t)crc_combine(crc_a, crc_b, len_b, &pows32);
}

uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b)
{
    return crc_combine(crc_a, crc_b, len_b, &pows64);
}
