/*
 * crc_test.c -- CRC combination: crc32c_combine, crc32_ieee_combine and
 * crc64nvme_combine against the CRC of the concatenated bytes (random
 * buffers, random and every-byte splits, empty sides, many pieces folded in
 * order), the "123456789" check values, and, for lengths far too large to
 * checksum, algebraic identities anchored at lengths that can be.
 *
 * Every case runs once per CRC through the kinds[] table; a failure prints
 * the CRC's name and the lengths involved before the CHECK line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/crc.h"

typedef struct crc_kind {
    const char *name;
    uint64_t (*whole)(const void *buf, size_t len); /* finished CRC of buf */
    uint64_t (*extend)(uint64_t crc, const void *buf, size_t len);
    uint64_t (*combine)(uint64_t crc_a, uint64_t crc_b, uint64_t len_b);
    uint64_t check; /* CRC of "123456789" */
} crc_kind;

static uint64_t c32c_whole(const void *buf, size_t len)
{
    return crc32c(buf, len);
}
static uint64_t c32c_extend(uint64_t crc, const void *buf, size_t len)
{
    return crc32c_extend((uint32_t)crc, buf, len);
}
static uint64_t c32c_combine(uint64_t a, uint64_t b, uint64_t len_b)
{
    return crc32c_combine((uint32_t)a, (uint32_t)b, len_b);
}
static uint64_t c32_whole(const void *buf, size_t len)
{
    return crc32_ieee_extend(0, buf, len);
}
static uint64_t c32_extend(uint64_t crc, const void *buf, size_t len)
{
    return crc32_ieee_extend((uint32_t)crc, buf, len);
}
static uint64_t c32_combine(uint64_t a, uint64_t b, uint64_t len_b)
{
    return crc32_ieee_combine((uint32_t)a, (uint32_t)b, len_b);
}
static uint64_t c64_whole(const void *buf, size_t len)
{
    return crc64nvme_extend(0, buf, len);
}
static uint64_t c64_extend(uint64_t crc, const void *buf, size_t len)
{
    return crc64nvme_extend(crc, buf, len);
}
static uint64_t c64_combine(uint64_t a, uint64_t b, uint64_t len_b)
{
    return crc64nvme_combine(a, b, len_b);
}

static const crc_kind kinds[] = {
    {"crc32c", c32c_whole, c32c_extend, c32c_combine, 0xE3069283u},
    {"crc32", c32_whole, c32_extend, c32_combine, 0xCBF43926u},
    {"crc64nvme", c64_whole, c64_extend, c64_combine, 0xAE8B14860A799888ULL},
};

/* A random value of the CRC's width, so 32-bit kinds never see high bits. */
static uint64_t rand_crc(const crc_kind *k)
{
    uint64_t r = test_rand();
    return k->check >> 32 ? r : (uint32_t)r;
}

/* CHECK(got == want), first printing which CRC and lengths were involved. */
static bool check_crc(const crc_kind *k, uint64_t got, uint64_t want, uint64_t n1, uint64_t n2,
                      int line)
{
    if (got != want)
        fprintf(stderr, "  line %d: %s: got 0x%llx want 0x%llx (lengths %llu, %llu)\n", line,
                k->name, (unsigned long long)got, (unsigned long long)want, (unsigned long long)n1,
                (unsigned long long)n2);
    return CHECK(got == want);
}
#define CHECK_CRC(k, got, want, n1, n2) check_crc((k), (got), (want), (n1), (n2), __LINE__)

#define BIG_LEN 300000

static uint8_t *random_buf(size_t len)
{
    uint8_t *p = malloc(len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)test_rand();
    return p;
}

static void test_crc_combine_check_values_split_at_every_byte(void)
{
    const char *s = "123456789";
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        CHECK_CRC(k, k->whole(s, 9), k->check, 9, 0);
        for (size_t cut = 0; cut <= 9; cut++)
            CHECK_CRC(k, k->combine(k->whole(s, cut), k->whole(s + cut, 9 - cut), 9 - cut),
                      k->check, cut, 9 - cut);
    }
}

static void test_crc_combine_empty_a_or_empty_b_is_identity(void)
{
    uint8_t *buf = random_buf(4096);
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        CHECK_CRC(k, k->whole("", 0), 0, 0, 0); /* so the identities below are the contract */
        for (size_t len = 0; len <= 4096; len = len * 2 + 1) {
            uint64_t c = k->whole(buf, len);
            CHECK_CRC(k, k->combine(c, 0, 0), c, len, 0);   /* B empty */
            CHECK_CRC(k, k->combine(0, c, len), c, 0, len); /* A empty */
        }
        uint64_t r = rand_crc(k);
        CHECK_CRC(k, k->combine(r, 0, 0), r, 0, 0);
    }
    free(buf);
}

/* Small buffers split at every byte: every (len(A), len(B)) with sum <= 64. */
static void test_crc_combine_small_buffers_every_split(void)
{
    uint8_t *buf = random_buf(64);
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        for (size_t len = 0; len <= 64; len++) {
            uint64_t whole = k->whole(buf, len);
            for (size_t cut = 0; cut <= len; cut++)
                CHECK_CRC(k,
                          k->combine(k->whole(buf, cut), k->whole(buf + cut, len - cut), len - cut),
                          whole, cut, len - cut);
        }
    }
    free(buf);
}

static void test_crc_combine_random_splits_up_to_300000_bytes(void)
{
    uint8_t *buf = random_buf(BIG_LEN);
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        for (int trial = 0; trial < 60; trial++) {
            /* Mix short and long totals; the last trials are the full buffer. */
            size_t len = trial < 20   ? 1 + test_rand() % 300
                         : trial < 55 ? 1 + test_rand() % BIG_LEN
                                      : BIG_LEN;
            size_t cut = trial % 5 == 0 ? 0 : trial % 5 == 1 ? len : test_rand() % (len + 1);
            uint64_t got =
                k->combine(k->whole(buf, cut), k->whole(buf + cut, len - cut), len - cut);
            CHECK_CRC(k, got, k->whole(buf, len), cut, len - cut);
        }
    }
    free(buf);
}

/* Pieces of 0..4999 bytes (empty ones included) folded left to right. */
static void test_crc_combine_many_pieces_in_sequence_equal_whole(void)
{
    uint8_t *buf = random_buf(BIG_LEN);
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        uint64_t acc = 0; /* the CRC of the empty prefix */
        size_t off = 0, pieces = 0;
        while (off < BIG_LEN) {
            size_t n = test_rand() % 5000;
            if (n > BIG_LEN - off)
                n = BIG_LEN - off;
            acc = k->combine(acc, k->whole(buf + off, n), n);
            off += n;
            pieces++;
            if (pieces % 16 == 0 && !CHECK_CRC(k, acc, k->whole(buf, off), off, n))
                break;
        }
        CHECK_CRC(k, acc, k->whole(buf, BIG_LEN), BIG_LEN, pieces);
    }
    free(buf);
}

/*
 * combine(a, 0, n) is a * x^(8n), the CRC state moved past n zero bytes, so
 * it must agree with really feeding zeros: a_zeros is x(A || 0^n) computed by
 * *_extend, and combine(x(A), x(0^n), n) must match it.
 */
static void test_crc_combine_matches_extend_over_zero_runs(void)
{
    uint8_t *zeros = calloc(1, BIG_LEN);
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        uint64_t a = k->whole("123456789", 9);
        for (size_t n = 1; n <= BIG_LEN; n = n * 3 + 1)
            CHECK_CRC(k, k->combine(a, k->whole(zeros, n), n), k->extend(a, zeros, n), 9, n);
    }
    free(zeros);
}

/*
 * Lengths up to 5 TiB cannot be checksummed here, so two identities pin the
 * power computation down instead. (1) Associativity, for large n1, n2:
 * combine(combine(a, b, n1), c, n2) == combine(a, combine(b, c, n2), n1 + n2).
 * This alone would accept a length truncated to 32 bits, so (2) a doubling
 * ladder: combine(combine(a, 0, 2^j), 0, 2^j) == combine(a, 0, 2^(j+1)) for
 * every j up to 62, whose bottom rung, 2^0 = one zero byte, the zero-run test
 * above anchors to real bytes. Together every bit of len_b is exercised.
 */
static void test_crc_combine_huge_lengths_associative(void)
{
    const uint64_t fixed[][2] = {
        {3ull << 30, 5ull << 40}, {5ull << 40, 3ull << 30}, {1, 5ull << 40}, {(1ull << 32) - 1, 1}};
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        for (size_t t = 0; t < TEST_COUNT(fixed) + 20; t++) {
            uint64_t n1 = t < TEST_COUNT(fixed) ? fixed[t][0] : test_rand() % (6ull << 40);
            uint64_t n2 = t < TEST_COUNT(fixed) ? fixed[t][1] : test_rand() % (6ull << 40);
            uint64_t a = rand_crc(k), b = rand_crc(k), c = rand_crc(k);
            uint64_t left = k->combine(k->combine(a, b, n1), c, n2);
            uint64_t right = k->combine(a, k->combine(b, c, n2), n1 + n2);
            CHECK_CRC(k, left, right, n1, n2);
        }
    }
}

static void test_crc_combine_doubling_ladder_to_2_pow_63(void)
{
    for (size_t i = 0; i < TEST_COUNT(kinds); i++) {
        const crc_kind *k = &kinds[i];
        uint64_t a = rand_crc(k);
        for (int j = 0; j < 63; j++) {
            uint64_t n = 1ull << j;
            CHECK_CRC(k, k->combine(k->combine(a, 0, n), 0, n), k->combine(a, 0, 2 * n), n, n);
        }
        /* And the whole range is reachable: the top bit of len_b counts too. */
        CHECK_CRC(k, k->combine(k->combine(a, 0, 1ull << 63), 0, UINT64_MAX >> 1),
                  k->combine(k->combine(a, 0, UINT64_MAX), 0, 0), 1ull << 63, UINT64_MAX >> 1);
    }
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_crc_combine_check_values_split_at_every_byte),
        TEST(test_crc_combine_empty_a_or_empty_b_is_identity),
        TEST(test_crc_combine_small_buffers_every_split),
        TEST(test_crc_combine_random_splits_up_to_300000_bytes),
        TEST(test_crc_combine_many_pieces_in_sequence_equal_whole),
        TEST(test_crc_combine_matches_extend_over_zero_runs),
        TEST(test_crc_combine_huge_lengths_associative),
        TEST(test_crc_combine_doubling_ladder_to_2_pow_63),
    };
    return test_main(cases, TEST_COUNT(cases));
}
