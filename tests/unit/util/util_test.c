/*
 * util_test.c -- CRC32C known answers and chaining, varint and fixed-width
 * coding round trips and truncation, buffers.
 */
#include <string.h>

#include "test.h"
#include "util/buf.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/err.h"
#include "util/slice.h"

static void test_crc32c_known_answer(void)
{
    CHECK_EQ(crc32c("123456789", 9), 0xE3069283u);
    CHECK_EQ(crc32c("", 0), 0);
    uint8_t zeros[32] = {0};
    CHECK_EQ(crc32c(zeros, sizeof zeros), 0x8A9136AAu); /* RFC 3720 B.4 */
}

static void test_crc32_and_crc64nvme_known_answers(void)
{
    CHECK_EQ(crc32_ieee_extend(0, "123456789", 9), 0xCBF43926u);
    CHECK(crc64nvme_extend(0, "123456789", 9) == 0xAE8B14860A799888ULL);
    CHECK(crc64nvme_extend(0, "", 0) == 0);
    const char *s = "the quick brown fox jumps over the lazy dog, twice: the quick brown fox";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++) {
        CHECK(crc64nvme_extend(crc64nvme_extend(0, s, cut), s + cut, n - cut) ==
              crc64nvme_extend(0, s, n));
        CHECK_EQ(crc32_ieee_extend(crc32_ieee_extend(0, s, cut), s + cut, n - cut),
                 crc32_ieee_extend(0, s, n));
    }
}

static void test_crc32c_extend_equals_whole(void)
{
    const char *s = "the quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    for (size_t cut = 0; cut <= n; cut++)
        CHECK_EQ(crc32c_extend(crc32c(s, cut), s + cut, n - cut), crc32c(s, n));
}

static void test_varint_round_trip_and_truncation(void)
{
    const uint64_t vals[] = {0, 1, 127, 128, 300, 16383, 16384, (1ull << 32) - 1, 1ull << 35,
                             UINT64_MAX};
    for (size_t i = 0; i < TEST_COUNT(vals); i++) {
        uint8_t b[CODING_VARINT64_MAX_LEN];
        size_t n = put_varint(b, vals[i]);
        CHECK_EQ(n, varint_len(vals[i]));
        uint64_t v;
        CHECK(get_varint(b, b + n, &v) == b + n && v == vals[i]);
        CHECK(n == 1 || get_varint(b, b + n - 1, &v) == NULL); /* cut short */
    }
    uint8_t too_long[11];
    memset(too_long, 0xff, sizeof too_long);
    uint64_t v;
    CHECK(get_varint(too_long, too_long + sizeof too_long, &v) == NULL);
    CHECK_EQ(zigzag_dec(zigzag_enc(-5)), -5);
    CHECK_EQ(zigzag_enc(-1), 1);
    CHECK_EQ(zigzag_dec(zigzag_enc(INT64_MIN)), INT64_MIN);
}

static void test_fixed_little_endian(void)
{
    uint8_t b[8];
    put_u32(b, 0x11223344u);
    CHECK(b[0] == 0x44 && b[3] == 0x11);
    CHECK_EQ(get_u32(b), 0x11223344u);
    put_u64(b, 0x0102030405060708ull);
    CHECK(b[0] == 0x08 && b[7] == 0x01);
    CHECK(get_u64(b) == 0x0102030405060708ull);
}

static void test_slice_to_u64_digits_only_no_overflow(void)
{
    uint64_t v;
    CHECK(slice_to_u64(slice_str("0"), &v) && v == 0);
    CHECK(slice_to_u64(slice_str("18446744073709551615"), &v) && v == UINT64_MAX);
    CHECK(!slice_to_u64(slice_str("18446744073709551616"), &v) && v == 0);
    CHECK(!slice_to_u64(slice_str(""), &v));
    CHECK(!slice_to_u64(slice_str("12a"), &v));
    CHECK(!slice_to_u64(slice_str("-1"), &v));
    CHECK(!slice_to_u64(slice_str(" 1"), &v));
}

static void test_buf_grows_and_keeps_capacity(void)
{
    cf_buf b = {0};
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(buf_append(&b, "abc", 3), 0);
    CHECK_EQ(b.len, 3000);
    size_t cap = b.cap;
    buf_clear(&b);
    CHECK_EQ(b.len, 0);
    CHECK_EQ(b.cap, cap);
    CHECK_EQ(buf_append_varint(&b, 300), 0);
    CHECK_EQ(b.len, 2);
    buf_free(&b);
    CHECK(b.data == NULL && b.cap == 0);
}

static void test_buf_appendf_appends_formatted_text_past_the_first_capacity(void)
{
    cf_buf b = {0};
    CHECK_EQ(buf_append(&b, "x", 1), 0);
    CHECK_EQ(buf_appendf(&b, "%s=%llu;", "n", 18446744073709551615ull), 0);
    CHECK_MEM(b.data, b.len, "xn=18446744073709551615;", 24);
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_EQ(buf_appendf(&b, "[%s]", big), 0); /* more than the first 256 bytes */
    CHECK_EQ(b.len, 24 + 601);
    CHECK(b.data[24] == '[' && b.data[24 + 600] == ']');
    CHECK_EQ(buf_appendf(&b, "%s", ""), 0);
    CHECK_EQ(b.len, 24 + 601);
    buf_free(&b);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_crc32c_known_answer),       TEST(test_crc32c_extend_equals_whole),
        TEST(test_crc32_and_crc64nvme_known_answers),
        TEST(test_varint_round_trip_and_truncation), TEST(test_fixed_little_endian),
        TEST(test_slice_to_u64_digits_only_no_overflow),
        TEST(test_buf_grows_and_keeps_capacity),
        TEST(test_buf_appendf_appends_formatted_text_past_the_first_capacity),
    };
    return test_main(cases, TEST_COUNT(cases));
}
