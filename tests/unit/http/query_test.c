/*
 * query_test.c -- percent-decoding and query-string iteration.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

static void test_pct_decode_table(void)
{
    static const struct {
        const char *in;
        bool plus;
        int rc;
        const char *out;
        size_t out_len;
    } rows[] = {
        {"", false, 0, "", 0},
        {"plain", false, 0, "plain", 5},
        {"a%20b", false, 0, "a b", 3},
        {"%41%42%43", false, 0, "ABC", 3},
        {"%e2%82%ac%E2%82%AC", false, 0, "\xe2\x82\xac\xe2\x82\xac", 6},
        {"a+b", false, 0, "a+b", 3},
        {"a+b", true, 0, "a b", 3},
        {"%2B+%2b", true, 0, "+ +", 3},
        {"%00x", false, 0, "\0x", 2},
        {"%25", false, 0, "%", 1},
        {"%2541", false, 0, "%41", 3}, /* decoded once, not twice */
        {"%", false, CF_EINVAL, "", 0},
        {"%4", false, CF_EINVAL, "", 0},
        {"ab%4", false, CF_EINVAL, "", 0},
        {"%G1", false, CF_EINVAL, "", 0},
        {"%1G", false, CF_EINVAL, "", 0},
        {"%%41", false, CF_EINVAL, "", 0},
        {"ok%zz", false, CF_EINVAL, "", 0},
    };
    cf_buf out = {0};
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        buf_append(&out, "junk", 4); /* cleared first */
        int rc = http_pct_decode(slice_str(rows[i].in), &out, rows[i].plus);
        bool ok = CHECK_EQ(rc, rows[i].rc);
        ok &= CHECK_MEM(out.data, out.len, rows[i].out, rows[i].out_len);
        if (!ok)
            fprintf(stderr, "  row %zu: %s\n", i, rows[i].in);
    }
    buf_free(&out);
}

static void test_pct_decode_never_reads_past_the_slice(void)
{
    /* "%4" followed in memory by "1": the slice ends before the '1'. */
    const char mem[] = "x%41";
    cf_buf out = {0};
    CHECK_EQ(http_pct_decode(slice_make(mem, 3), &out, false), CF_EINVAL);
    CHECK_EQ(http_pct_decode(slice_make(mem, 4), &out, false), 0);
    CHECK_MEM(out.data, out.len, "xA", 2);
    CHECK_EQ(http_pct_decode(slice_make(NULL, 0), &out, true), 0);
    CHECK_EQ(out.len, 0);
    buf_free(&out);
}

/* iterate -- "name=value|name|..." ('~' marks a value with ptr NULL). */
static void iterate(const char *q, cf_slice qs, char *out, size_t cap)
{
    cf_slice name, value;
    size_t n = 0;
    out[0] = '\0';
    while (http_query_next(&qs, &name, &value)) {
        CHECK(name.len == 0 || (name.ptr >= (const uint8_t *)q &&
                                name.ptr + name.len <= (const uint8_t *)q + strlen(q)));
        if (value.ptr)
            n += (size_t)snprintf(out + n, cap - n, "%.*s=%.*s|", (int)name.len,
                                  (const char *)name.ptr, (int)value.len, (const char *)value.ptr);
        else
            n +=
                (size_t)snprintf(out + n, cap - n, "%.*s~|", (int)name.len, (const char *)name.ptr);
    }
    CHECK_EQ(qs.len, 0);
    CHECK(name.ptr == NULL && value.ptr == NULL);
}

static void test_query_next_table(void)
{
    static const struct {
        const char *q;
        const char *want;
    } rows[] = {
        {"", ""},
        {"a=1", "a=1|"},
        {"a=1&b&c=", "a=1|b~|c=|"},
        {"&&a=1&&&b=2&", "a=1|b=2|"},
        {"=v", "=v|"},
        {"a==b", "a==b|"},
        {"uploads", "uploads~|"},
        {"prefix=a%2Fb&delimiter=%2F&list-type=2", "prefix=a%2Fb|delimiter=%2F|list-type=2|"},
        {"a=1;b=2", "a=1;b=2|"},
    };
    char out[256];
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        iterate(rows[i].q, slice_str(rows[i].q), out, sizeof out);
        if (!CHECK(strcmp(out, rows[i].want) == 0))
            fprintf(stderr, "  %s -> %s, wanted %s\n", rows[i].q, out, rows[i].want);
    }
    iterate("", slice_make(NULL, 0), out, sizeof out); /* a target without '?' */
    CHECK(strcmp(out, "") == 0);
}

static void test_query_from_a_parsed_request_decodes(void)
{
    const char *head = "GET /b?prefix=photos%2F2024+x&max-keys=10 HTTP/1.1\r\n\r\n";
    static http_request req;
    CHECK(http_parse_request((const uint8_t *)head, strlen(head), &req) > 0);
    cf_slice q = req.query, name, value;
    cf_buf dec = {0};
    CHECK_EQ(http_query_next(&q, &name, &value), 1);
    CHECK_EQ(http_pct_decode(value, &dec, true), 0);
    CHECK_MEM(dec.data, dec.len, "photos/2024 x", 13);
    CHECK_EQ(http_query_next(&q, &name, &value), 1);
    CHECK_MEM(name.ptr, name.len, "max-keys", 8);
    CHECK_MEM(value.ptr, value.len, "10", 2);
    CHECK_EQ(http_query_next(&q, &name, &value), 0);
    buf_free(&dec);
}

static const test_case cases[] = {
    TEST(test_pct_decode_table),
    TEST(test_pct_decode_never_reads_past_the_slice),
    TEST(test_query_next_table),
    TEST(test_query_from_a_parsed_request_decodes),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
