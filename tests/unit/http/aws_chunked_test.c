/*
 * aws_chunked_test.c -- the aws-chunked decoder, on the AWS documentation's
 * example bodies and on a table of small and bad inputs.
 *
 * The examples are the PUT of "chunkObject.txt" (66560 bytes of 'a' in a
 * 64 KiB and a 1 KiB chunk) from the S3 API reference, "sigv4-streaming"
 * (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, Content-Length 66824) and
 * "sigv4-streaming-trailers" (...-PAYLOAD-TRAILER with a CRC32C trailer),
 * and the same object as STREAMING-UNSIGNED-PAYLOAD-TRAILER. Every input is
 * also decoded split in two at every offset (the example bodies: every
 * offset in the framing, a stride inside the data) and one byte at a time;
 * payload, events, trailers and the result must be identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "test.h"
#include "util/crc.h"

#define SIG_SEED_1 "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
#define SIG_SEED_2 "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
#define SIG_SEED_3 "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
#define SIG_TRL_1 "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
#define SIG_TRL_2 "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
#define SIG_TRL_3 "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
#define SIG_TRAILER "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
#define CRC_TRAILER "x-amz-checksum-crc32c:sOO8/Q==\r\n"

typedef struct result {
    int rc;      /* 0 at DONE, CF_EAGAIN if the input ended first, or the error */
    size_t used; /* bytes consumed (when rc is 0 or CF_EAGAIN) */
    cf_buf payload;
    cf_buf events; /* "S<size>:<sig>" per CHUNK_START, "E", "D", then "T<name>=<value>" */
} result;

static void note(cf_buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
    buf_append(b, " ", 1);
}

/* decode -- feeds the first first_cut bytes, then pieces of step bytes,
 * calling again after every event (the final CHUNK_END consumes nothing). */
static void decode(const uint8_t *in, size_t len, size_t first_cut, size_t step, bool want_trailers,
                   result *r)
{
    static http_aws_chunked c;
    memset(&c, 0, sizeof c);
    c.want_trailers = want_trailers;
    buf_clear(&r->payload);
    buf_clear(&r->events);
    r->rc = CF_EAGAIN;
    size_t pos = 0, piece_end = first_cut < len ? first_cut : len;
    for (;;) {
        const uint8_t *data;
        size_t n;
        int ev;
        int rc = http_aws_chunked_feed(&c, in + pos, piece_end - pos, &data, &n, &ev);
        if (rc < 0) {
            r->rc = rc;
            return;
        }
        if (n > 0 && !(data >= in + pos && data + n <= in + pos + (size_t)rc)) {
            r->rc = -101; /* payload not among the consumed bytes */
            return;
        }
        buf_append(&r->payload, data, n);
        pos += (size_t)rc;
        char text[128];
        if (ev == HTTP_AWS_EV_CHUNK_START) {
            snprintf(text, sizeof text, "S%llx:%s", (unsigned long long)c.chunk_size, c.sig);
            note(&r->events, text);
        } else if (ev == HTTP_AWS_EV_CHUNK_END) {
            note(&r->events, "E");
        } else if (ev == HTTP_AWS_EV_DONE) {
            note(&r->events, "D");
            for (size_t i = 0; i < c.n_trailers; i++) {
                snprintf(text, sizeof text, "T%s=%s", c.trailer_name[i], c.trailer_value[i]);
                note(&r->events, text);
            }
            r->rc = 0;
            break;
        }
        if (rc == 0 && ev == HTTP_AWS_EV_NONE) {
            if (piece_end == len)
                break;
            piece_end = len - piece_end < step ? len : piece_end + step;
        }
    }
    r->used = pos;
}

static bool same_buf(const cf_buf *a, const cf_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool same_result(const result *a, const result *b)
{
    /* After an error, how much was consumed before depends on the split. */
    bool ok = a->rc == b->rc && same_buf(&a->events, &b->events);
    if (a->rc >= 0 || a->rc == CF_EAGAIN)
        ok = ok && a->used == b->used && same_buf(&a->payload, &b->payload);
    return ok;
}

static result whole, split;

/* check_splits -- two pieces at every offset (every stride-th one past
 * the first 200 bytes and outside [dense_from, len)), and byte by byte. */
static void check_splits(const uint8_t *in, size_t len, bool want_trailers, size_t stride,
                         size_t dense_from)
{
    decode(in, len, len, len, want_trailers, &whole);
    for (size_t k = 0; k <= len;) {
        decode(in, len, k, len, want_trailers, &split);
        if (!CHECK(same_result(&split, &whole))) {
            fprintf(stderr, "  split at %zu: rc %d\n", k, split.rc);
            return;
        }
        k += (k < 200 || k >= dense_from) ? 1 : stride;
    }
    decode(in, len, 1, 1, want_trailers, &split);
    CHECK(same_result(&split, &whole));
}

static bool events_are(const result *r, const char *want)
{
    bool ok = r->events.len == strlen(want) && memcmp(r->events.data, want, r->events.len) == 0;
    if (!ok)
        fprintf(stderr, "  events: %.*s\n  wanted: %s\n", (int)r->events.len,
                (const char *)r->events.data, want);
    return ok;
}

/* example -- the documentation's object framed with the given size lines;
 * tail follows the last chunk's line. */
static size_t example(uint8_t *out, const char *line1, const char *line2, const char *line3,
                      const char *tail)
{
    size_t n = 0;
    n += (size_t)sprintf((char *)out + n, "%s\r\n", line1);
    memset(out + n, 'a', 65536);
    n += 65536;
    n += (size_t)sprintf((char *)out + n, "\r\n%s\r\n", line2);
    memset(out + n, 'a', 1024);
    n += 1024;
    n += (size_t)sprintf((char *)out + n, "\r\n%s\r\n%s", line3, tail);
    return n;
}

static void check_example_payload(const result *r)
{
    static uint8_t want[66560];
    memset(want, 'a', sizeof want);
    CHECK_MEM(r->payload.data, r->payload.len, want, sizeof want);
    /* sOO8/Q== is the base64 of the payload's CRC32C, 0xb0e3bcfd. */
    CHECK_EQ(crc32c(r->payload.data, r->payload.len), 0xb0e3bcfdu);
}

static void test_aws_signed_example_from_the_documentation(void)
{
    uint8_t *in = malloc(70000);
    size_t len = example(in, "10000;chunk-signature=" SIG_SEED_1, "400;chunk-signature=" SIG_SEED_2,
                         "0;chunk-signature=" SIG_SEED_3, "\r\n");
    CHECK_EQ(len, 66824); /* the example's Content-Length */
    decode(in, len, len, len, false, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.used, len);
    check_example_payload(&whole);
    CHECK(
        events_are(&whole, "S10000:" SIG_SEED_1 " E S400:" SIG_SEED_2 " E S0:" SIG_SEED_3 " E D "));
    check_splits(in, len, false, 997, 65536 + 80);
    free(in);
}

static void test_aws_signed_trailer_example_both_layouts(void)
{
    uint8_t *in = malloc(70000);
    const char *events =
        "S10000:" SIG_TRL_1 " E S400:" SIG_TRL_2 " E S0:" SIG_TRL_3
        " E D Tx-amz-checksum-crc32c=sOO8/Q== Tx-amz-trailer-signature=" SIG_TRAILER " ";
    /* As the SDKs send it: the trailers follow the final chunk's line. */
    size_t len = example(in, "10000;chunk-signature=" SIG_TRL_1, "400;chunk-signature=" SIG_TRL_2,
                         "0;chunk-signature=" SIG_TRL_3,
                         CRC_TRAILER "x-amz-trailer-signature:" SIG_TRAILER "\r\n\r\n");
    for (int want_trailers = 0; want_trailers <= 1; want_trailers++) {
        decode(in, len, len, len, want_trailers, &whole);
        CHECK_EQ(whole.rc, 0);
        CHECK_EQ(whole.used, len);
        check_example_payload(&whole);
        CHECK(events_are(&whole, events));
    }
    check_splits(in, len, true, 997, 65536 + 80);
    /* As the documentation prints it: an empty line before the trailers.
     * Accepted when the request announced trailers (x-amz-trailer)... */
    len = example(in, "10000;chunk-signature=" SIG_TRL_1, "400;chunk-signature=" SIG_TRL_2,
                  "0;chunk-signature=" SIG_TRL_3,
                  "\r\n" CRC_TRAILER "x-amz-trailer-signature:" SIG_TRAILER "\r\n\r\n");
    decode(in, len, len, len, true, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.used, len);
    CHECK(events_are(&whole, events));
    check_splits(in, len, true, 997, 65536 + 80);
    /* ...otherwise that empty line ends the body, and the rest is left. */
    decode(in, len, len, len, false, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.used, 66824); /* up to and with the empty line */
    CHECK(events_are(&whole, "S10000:" SIG_TRL_1 " E S400:" SIG_TRL_2 " E S0:" SIG_TRL_3 " E D "));
    free(in);
}

static void test_aws_unsigned_trailer_example(void)
{
    uint8_t *in = malloc(70000);
    size_t len = example(in, "10000", "400", "0", CRC_TRAILER "\r\n");
    decode(in, len, len, len, true, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK_EQ(whole.used, len);
    check_example_payload(&whole);
    CHECK(events_are(&whole, "S10000: E S400: E S0: E D Tx-amz-checksum-crc32c=sOO8/Q== "));
    check_splits(in, len, true, 997, 65536 + 10);
    free(in);
}

#define SIG64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define L40 "tttttttttttttttttttttttttttttttttttttttt"

static const struct {
    const char *in;
    bool want_trailers;
    int rc;
    const char *events;
} table[] = {
    {"3\r\nabc\r\n0\r\n\r\n", false, 0, "S3: E S0: E D "},
    {"3;chunk-signature=" SIG64 "\r\nabc\r\n0;chunk-signature=" SIG64 "\r\n\r\n", false, 0,
     "S3:" SIG64 " E S0:" SIG64 " E D "},
    {"0\r\n\r\n", false, 0, "S0: E D "},
    {"A\r\n0123456789\r\n0\r\nx-amz-checksum-crc32:  AAAA \t\r\n\r\n", false, 0,
     "Sa: E S0: E D Tx-amz-checksum-crc32=AAAA "},
    {"0\r\nA:\r\nB:b\r\n\r\n", true, 0, "S0: E D TA= TB=b "},
    {"0\r\n\r\n\r\n", true, 0, "S0: E D "}, /* the tolerated line, no trailer */
    {"3\r\nabc\r\n", false, CF_EAGAIN, "S3: E "},
    {"0\r\nx:1\r\n", false, CF_EAGAIN, "S0: E "},
    {"3\r\nabc\r\n3;chunk-signature=" SIG64 "\r\n", false, CF_EINVAL, "S3: E "}, /* mixed */
    {"3;chunk-signature=" SIG64 "\r\nabc\r\n0\r\n\r\n", false, CF_EINVAL, "S3:" SIG64 " E "},
    {"3;chunk-signature=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\r\n",
     false, CF_EINVAL, ""},                                     /* uppercase signature */
    {"3;chunk-signature=" SIG64 "0\r\n", false, CF_EINVAL, ""}, /* 65 digits */
    {"3;chunk-signature=0" SIG64 "\r\n", false, CF_EINVAL, ""},
    {"3;chunk-signature=\r\n", false, CF_EINVAL, ""},
    {"3;chunk-signature=" SIG64 ";x=y\r\n", false, CF_EINVAL, ""},
    {"3;foo=bar\r\n", false, CF_EINVAL, ""},
    {"3 \r\n", false, CF_EINVAL, ""},
    {"\r\n", false, CF_EINVAL, ""},
    {"x\r\n", false, CF_EINVAL, ""},
    {"3\nabc\r\n", false, CF_EINVAL, ""},        /* bare LF */
    {"3\r\nabcd\r\n", false, CF_EINVAL, "S3: "}, /* data longer than its size */
    {"3\r\nabc\n", false, CF_EINVAL, "S3: "},
    {"0\r\nx-amz-checksum\r\n\r\n", false, CF_EINVAL, "S0: E "}, /* no ':' */
    {"0\r\n:v\r\n\r\n", false, CF_EINVAL, "S0: E "},
    {"0\r\nx y:v\r\n\r\n", false, CF_EINVAL, "S0: E "},
    {"0\r\nx:\x01\r\n\r\n", false, CF_EINVAL, "S0: E "},
    {"0\r\n\n", false, CF_EINVAL, "S0: E "},
    {"10000000000000000\r\n", false, CF_ELIMIT, ""}, /* 17 hex digits of value */
    {"000000000000000000003\r\nabc\r\n0\r\n\r\n", false, 0, "S3: E S0: E D "},
    {"0\r\n" L40 L40 L40 L40 L40 L40 L40 "xxxxxxxxxxxxxxx:v\r\n\r\n", false, CF_ELIMIT,
     "S0: E "}, /* a line over 255 bytes */
    {"0\r\n" L40 "tttttttttttttttttttttttt:v\r\n\r\n", false, CF_ELIMIT, "S0: E "}, /* name 64 */
    {"0\r\n" L40 "ttttttttttttttttttttttt:v\r\n\r\n", false, 0,
     "S0: E D T" L40 "ttttttttttttttttttttttt=v "}, /* name 63 */
    {"0\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\ne:5\r\nf:6\r\ng:7\r\nh:8\r\ni:9\r\n\r\n", false, CF_ELIMIT,
     "S0: E "}, /* 9 trailers */
};

static void test_aws_table_answers_and_every_split_agrees(void)
{
    for (size_t i = 0; i < TEST_COUNT(table); i++) {
        const uint8_t *in = (const uint8_t *)table[i].in;
        size_t len = strlen(table[i].in);
        decode(in, len, len, len, table[i].want_trailers, &whole);
        bool ok = CHECK_EQ(whole.rc, table[i].rc);
        ok &= events_are(&whole, table[i].events);
        if (!ok)
            fprintf(stderr, "  row %zu: %s\n", i, table[i].in);
        check_splits(in, len, table[i].want_trailers, 1, 0);
    }
}

static void test_aws_trailer_value_limit(void)
{
    char in[512];
    char value[129];
    memset(value, 'v', sizeof value - 1);
    value[127] = '\0';
    snprintf(in, sizeof in, "0\r\nn:%s\r\n\r\n", value); /* 127 bytes: fits */
    decode((const uint8_t *)in, strlen(in), strlen(in), strlen(in), false, &whole);
    CHECK_EQ(whole.rc, 0);
    value[127] = 'v';
    value[128] = '\0';
    snprintf(in, sizeof in, "0\r\nn:%s\r\n\r\n", value); /* 128 bytes: over */
    decode((const uint8_t *)in, strlen(in), strlen(in), strlen(in), false, &whole);
    CHECK_EQ(whole.rc, CF_ELIMIT);
}

static void test_aws_done_and_errors_are_final(void)
{
    http_aws_chunked c = {0};
    const uint8_t *data;
    size_t n;
    int ev;
    const uint8_t *body = (const uint8_t *)"0\r\n\r\nmore";
    CHECK_EQ(http_aws_chunked_feed(&c, body, 9, &data, &n, &ev), 3);
    CHECK_EQ(ev, HTTP_AWS_EV_CHUNK_START);
    CHECK_EQ(http_aws_chunked_feed(&c, body + 3, 6, &data, &n, &ev), 0);
    CHECK_EQ(ev, HTTP_AWS_EV_CHUNK_END);
    CHECK_EQ(http_aws_chunked_feed(&c, body + 3, 6, &data, &n, &ev), 2);
    CHECK_EQ(ev, HTTP_AWS_EV_DONE);
    CHECK_EQ(http_aws_chunked_feed(&c, body + 5, 4, &data, &n, &ev), 0);
    CHECK_EQ(ev, HTTP_AWS_EV_NONE);
    http_aws_chunked bad = {0};
    CHECK_EQ(http_aws_chunked_feed(&bad, (const uint8_t *)"z\r\n", 3, &data, &n, &ev), CF_EINVAL);
    CHECK_EQ(http_aws_chunked_feed(&bad, body, 9, &data, &n, &ev), CF_EINVAL);
    CHECK(data == NULL && n == 0 && ev == HTTP_AWS_EV_NONE);
}

static const test_case cases[] = {
    TEST(test_aws_signed_example_from_the_documentation),
    TEST(test_aws_signed_trailer_example_both_layouts),
    TEST(test_aws_unsigned_trailer_example),
    TEST(test_aws_table_answers_and_every_split_agrees),
    TEST(test_aws_trailer_value_limit),
    TEST(test_aws_done_and_errors_are_final),
};

int main(void)
{
    int rc = test_main(cases, TEST_COUNT(cases));
    buf_free(&whole.payload);
    buf_free(&whole.events);
    buf_free(&split.payload);
    buf_free(&split.events);
    return rc;
}
