/*
 * bloom_test.c -- the SSTable bloom filter and the hash it is built on.
 *
 * hash64 and the filter bytes are part of the on-disk format, so both are
 * pinned by known answers computed once: a change to either fails here
 * before it can make old filters answer "absent" for present keys.
 */
#include <stdio.h>
#include <string.h>

#include "engine/bloom.h"
#include "test.h"
#include "util/hash.h"

static uint64_t key_hash(const char *prefix, uint64_t i)
{
    char k[48];
    int n = snprintf(k, sizeof k, "%s%llu", prefix, (unsigned long long)i);
    return hash64(k, (size_t)n, 0);
}

static void test_hash64_known_answers(void)
{
    static const struct {
        const char *in;
        uint64_t seed;
        uint64_t want;
    } kat[] = {
        {"", 0, 0x0000000000000000ull},
        {"a", 0, 0x7787878fa566d651ull},
        {"abc", 0, 0xcf4096f92cdbcc36ull},
        {"coffer", 0, 0x1792e75e8a05fc2full},
        {"01234567", 0, 0xa588b1db2a8cfc0aull}, /* one whole 8-byte lane, no tail */
        {"0123456789abcdef", 0, 0xa5dfe2770eb88641ull},
        {"The quick brown fox jumps over the lazy dog", 0, 0x5a1828e8193312a1ull},
        {"abc", 0x9e3779b97f4a7c15ull, 0xbcd8d9af1e546ab5ull},
    };
    for (size_t i = 0; i < TEST_COUNT(kat); i++)
        CHECK_EQ(hash64(kat[i].in, strlen(kat[i].in), kat[i].seed), kat[i].want);
}

static void test_bloom_filter_bytes_are_pinned(void)
{
    /* {"a", "b", "c"} at 10 bits/key: 30 bits round up to the 64-bit minimum, k = 7. */
    static const uint8_t want[] = {0x20, 0xa0, 0x02, 0x11, 0x03, 0x9e, 0x2c, 0x59, 0x07};
    uint64_t h[3] = {hash64("a", 1, 0), hash64("b", 1, 0), hash64("c", 1, 0)};
    cf_buf b = {0};
    CHECK_EQ(eng_bloom_build(&b, h, 3, 10), 0);
    CHECK_MEM(b.data, b.len, want, sizeof want);
    buf_free(&b);
}

static void test_bloom_appends_after_existing_bytes(void)
{
    uint64_t h = hash64("a", 1, 0);
    cf_buf b = {0};
    CHECK_EQ(buf_append(&b, "xyz", 3), 0);
    CHECK_EQ(eng_bloom_build(&b, &h, 1, 10), 0);
    CHECK_EQ(b.len, 3 + 8 + 1);
    CHECK_MEM(b.data, 3, "xyz", 3);
    CHECK(eng_bloom_may_contain(slice_make(b.data + 3, b.len - 3), h));
    buf_free(&b);
}

static void test_bloom_k_is_rounded_bits_ln2_clamped_1_to_30(void)
{
    static const struct {
        uint32_t bits;
        uint8_t k;
    } cases[] = {{0, 1}, {1, 1}, {2, 1}, {3, 2}, {5, 3}, {10, 7}, {16, 11}, {20, 14}, {44, 30},
                 {100, 30}};
    uint64_t h = 42;
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        cf_buf b = {0};
        CHECK_EQ(eng_bloom_build(&b, &h, 1, cases[i].bits), 0);
        if (CHECK(b.len >= 9))
            CHECK_EQ(b.data[b.len - 1], cases[i].k);
        buf_free(&b);
    }
}

static void test_bloom_size_is_bits_per_key_with_64_bit_floor(void)
{
    static uint64_t h[1000];
    for (size_t i = 0; i < 1000; i++)
        h[i] = key_hash("k", i);
    cf_buf b = {0};
    CHECK_EQ(eng_bloom_build(&b, h, 0, 10), 0);
    CHECK_EQ(b.len, 8 + 1);
    buf_clear(&b);
    CHECK_EQ(eng_bloom_build(&b, h, 1000, 10), 0);
    CHECK_EQ(b.len, 10000 / 8 + 1);
    buf_clear(&b);
    CHECK_EQ(eng_bloom_build(&b, h, 1000, 3), 0);
    CHECK_EQ(b.len, 3000 / 8 + 1);
    buf_free(&b);
}

static void test_bloom_no_false_negatives_10k_keys(void)
{
    static uint64_t h[10000];
    for (size_t i = 0; i < 10000; i++)
        h[i] = key_hash("present-", i);
    static const uint32_t bits[] = {1, 4, 10, 20};
    for (size_t j = 0; j < TEST_COUNT(bits); j++) {
        cf_buf b = {0};
        CHECK_EQ(eng_bloom_build(&b, h, 10000, bits[j]), 0);
        size_t missed = 0;
        for (size_t i = 0; i < 10000; i++)
            missed += !eng_bloom_may_contain(buf_slice(&b), h[i]);
        CHECK_EQ(missed, 0);
        buf_free(&b);
    }
}

static void test_bloom_false_positive_rate_under_2pct_at_10_bits(void)
{
    static uint64_t h[10000];
    for (size_t i = 0; i < 10000; i++)
        h[i] = key_hash("present-", i);
    cf_buf b = {0};
    CHECK_EQ(eng_bloom_build(&b, h, 10000, 10), 0);
    size_t fp = 0;
    for (size_t i = 0; i < 10000; i++)
        fp += eng_bloom_may_contain(buf_slice(&b), key_hash("absent-", i));
    CHECK(fp < 200);
    CHECK(fp > 0); /* ~0.8% expected: zero would mean the probe is not testing anything */
    buf_free(&b);
}

static void test_bloom_unreadable_filter_answers_true(void)
{
    const uint8_t zeros[9] = {0};
    uint8_t k0[9] = {0}, k31[9] = {0};
    k31[8] = 31;
    CHECK(eng_bloom_may_contain(slice_make(NULL, 0), 1));
    CHECK(eng_bloom_may_contain(slice_make(zeros, 1), 1));
    CHECK(eng_bloom_may_contain(slice_make(k0, 9), 1));
    CHECK(eng_bloom_may_contain(slice_make(k31, 9), 1));
    uint8_t empty_k7[9] = {0, 0, 0, 0, 0, 0, 0, 0, 7};
    CHECK(!eng_bloom_may_contain(slice_make(empty_k7, 9), 1)); /* a readable empty filter proves */
}

static const test_case cases[] = {
    TEST(test_hash64_known_answers),
    TEST(test_bloom_filter_bytes_are_pinned),
    TEST(test_bloom_appends_after_existing_bytes),
    TEST(test_bloom_k_is_rounded_bits_ln2_clamped_1_to_30),
    TEST(test_bloom_size_is_bits_per_key_with_64_bit_floor),
    TEST(test_bloom_no_false_negatives_10k_keys),
    TEST(test_bloom_false_positive_rate_under_2pct_at_10_bits),
    TEST(test_bloom_unreadable_filter_answers_true),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
