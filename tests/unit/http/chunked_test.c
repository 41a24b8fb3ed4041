/*
 * chunked_test.c -- the chunked transfer-coding decoder.
 *
 * Each table row is decoded whole, split in two at every offset, and one
 * byte at a time; the payload, the bytes consumed, done and the error must
 * be identical every way (the decoder keeps its state across calls).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

typedef struct result {
    int rc;      /* 0 or the error */
    size_t used; /* bytes consumed in all */
    bool done;
    cf_buf payload;
} result;

/* decode -- feeds in[0..len) in pieces: the first first_cut bytes, then
 * pieces of step bytes, calling again while a piece has bytes left, as a
 * reader with a partly consumed buffer does. */
static void decode(const uint8_t *in, size_t len, size_t first_cut, size_t step, result *r)
{
    http_chunked c = {0};
    buf_clear(&r->payload);
    r->rc = 0;
    r->done = false;
    size_t pos = 0, piece_end = first_cut < len ? first_cut : len;
    for (;;) {
        while (pos < piece_end && !r->done) {
            const uint8_t *data;
            size_t n;
            int rc = http_chunked_feed(&c, in + pos, piece_end - pos, &data, &n, &r->done);
            if (rc < 0) {
                r->rc = rc;
                r->used = pos;
                return;
            }
            if (rc == 0 && !r->done) {
                r->rc = -100; /* no progress: a decoder bug */
                r->used = pos;
                return;
            }
            if (n > 0 && !(data >= in + pos && data + n <= in + pos + (size_t)rc)) {
                r->rc = -101; /* payload not among the consumed bytes */
                return;
            }
            buf_append(&r->payload, data, n);
            pos += (size_t)rc;
        }
        if (r->done || piece_end == len)
            break;
        piece_end = len - piece_end < step ? len : piece_end + step;
    }
    r->used = pos;
}

static bool same_result(const result *a, const result *b)
{
    /* After an error, where the failing call started depends on the split. */
    return a->rc == b->rc && (a->rc != 0 || a->used == b->used) && a->done == b->done &&
           a->payload.len == b->payload.len &&
           (a->payload.len == 0 || memcmp(a->payload.data, b->payload.data, a->payload.len) == 0);
}

static result whole, split;

/* check_splits -- two pieces at every offset (stride past the first and
 * last 64 bytes) and one byte at a time, against the whole input. */
static void check_splits(const uint8_t *in, size_t len, size_t stride)
{
    decode(in, len, len, len, &whole);
    for (size_t k = 0; k <= len; k += (k < 64 || len - k < 64) ? 1 : stride) {
        decode(in, len, k, len, &split);
        if (!CHECK(same_result(&split, &whole))) {
            fprintf(stderr, "  split at %zu: rc %d used %zu\n", k, split.rc, split.used);
            return;
        }
    }
    decode(in, len, 1, 1, &split);
    CHECK(same_result(&split, &whole));
}

static const struct {
    const char *in;
    int rc; /* 0, CF_EAGAIN (not done, no error) or the error */
    const char *payload;
    size_t used; /* bytes consumed */
} table[] = {
    {"5\r\nhello\r\n0\r\n\r\n", 0, "hello", 15},
    {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, "hello world", 26},
    {"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", 0, "0123456789abcdefghij", 35},
    {"0005\r\nhello\r\n000\r\n\r\n", 0, "hello", 20},
    {"5;name=val;x\r\nhello\r\n0;last\r\n\r\n", 0, "hello", 31},
    {"5 \t;a=\"q s\"\r\nhello\r\n0\r\n\r\n", 0, "hello", 25},
    {"0\r\nX-Sum: abc\r\nY:\r\n\r\n", 0, "", 21},
    {"3\r\na\r\n\r\n0\r\n\r\n", 0, "a\r\n", 13}, /* CRLF inside the payload */
    {"0\r\n\r\nGET / HTTP/1.1\r\n", 0, "", 5},   /* nothing past the end */
    {"5\r\nhel", CF_EAGAIN, "hel", 6},
    {"5\r\nhello\r\n0\r\n", CF_EAGAIN, "hello", 13},
    {"FFFFFFFFFFFFFFFF\r\nab", CF_EAGAIN, "ab", 20}, /* the largest size */
    {"", CF_EAGAIN, "", 0},
    {"5\nhello\r\n0\r\n\r\n", CF_EINVAL, "", 1},       /* bare LF after the size */
    {"5\r\nhello\n0\r\n\r\n", CF_EINVAL, "hello", 8},  /* bare LF after the data */
    {"5\r\nhelloX\r\n", CF_EINVAL, "hello", 8},        /* data longer than its size */
    {"5\r\nhello\r\n0\r\n\n", CF_EINVAL, "hello", 13}, /* bare LF ends the trailers */
    {"g\r\n", CF_EINVAL, "", 0},
    {"\r\n", CF_EINVAL, "", 0}, /* empty size */
    {";x\r\n", CF_EINVAL, "", 0},
    {"-1\r\n", CF_EINVAL, "", 0},
    {"5 \r\nhello\r\n", CF_EINVAL, "", 2},      /* whitespace, no extension */
    {"5;a\x01\r\nhello\r\n", CF_EINVAL, "", 3}, /* CTL in an extension */
    {"5;a\nhello\r\n", CF_EINVAL, "", 3},
    {"10000000000000000\r\n", CF_ELIMIT, "", 16}, /* 17 hex digits of value */
    {"0\r\n X: y\r\n\r\n", CF_EINVAL, "", 3},     /* obs-fold in the trailers */
    {"0\r\nX y\r\n\r\n", CF_EINVAL, "", 4},
    {"0\r\nX: a\x7f\r\n\r\n", CF_EINVAL, "", 7},
};

static void test_chunked_table_answers_and_every_split_agrees(void)
{
    for (size_t i = 0; i < TEST_COUNT(table); i++) {
        const uint8_t *in = (const uint8_t *)table[i].in;
        size_t len = strlen(table[i].in);
        decode(in, len, len, len, &whole);
        int want = table[i].rc == CF_EAGAIN ? 0 : table[i].rc;
        bool ok = CHECK_EQ(whole.rc, want);
        ok &= CHECK_EQ(whole.done, table[i].rc == 0);
        ok &= CHECK_MEM(whole.payload.data, whole.payload.len, table[i].payload,
                        strlen(table[i].payload));
        if (whole.rc == 0)
            ok &= CHECK_EQ(whole.used, table[i].used); /* errors: used is not defined */
        if (!ok)
            fprintf(stderr, "  row %zu: %s\n", i, table[i].in);
        check_splits(in, len, 1);
    }
}

static void test_chunked_errors_are_sticky(void)
{
    http_chunked c = {0};
    const uint8_t *data;
    size_t n;
    bool done;
    CHECK_EQ(http_chunked_feed(&c, (const uint8_t *)"x", 1, &data, &n, &done), CF_EINVAL);
    CHECK_EQ(http_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &data, &n, &done), CF_EINVAL);
    CHECK(!done && n == 0 && data == NULL);
}

static void test_chunked_done_consumes_nothing_more(void)
{
    http_chunked c = {0};
    const uint8_t *data;
    size_t n;
    bool done;
    CHECK_EQ(http_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &data, &n, &done), 5);
    CHECK(done);
    CHECK_EQ(http_chunked_feed(&c, (const uint8_t *)"5\r\n", 3, &data, &n, &done), 0);
    CHECK(done && n == 0);
    CHECK_EQ(http_chunked_feed(&c, NULL, 0, &data, &n, &done), 0);
    CHECK(done);
}

static void test_chunked_limit_size_line(void)
{
    size_t max = HTTP_CHUNK_MAX_LINE_BYTES;
    char *in = malloc(max + 64);
    /* "1;" + extension up to exactly the limit, then CRLF: accepted. */
    memcpy(in, "1;", 2);
    memset(in + 2, 'e', max - 2);
    memcpy(in + max, "\r\nZ\r\n0\r\n\r\n", 11);
    decode((const uint8_t *)in, max + 10, max + 10, max + 10, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK(whole.done);
    CHECK_MEM(whole.payload.data, whole.payload.len, "Z", 1);
    check_splits((const uint8_t *)in, max + 10, 13);
    /* One byte more: CF_ELIMIT, at the byte that breaks it. */
    memset(in + 2, 'e', max - 1);
    memcpy(in + max + 1, "\r\nZ\r\n0\r\n\r\n", 11);
    decode((const uint8_t *)in, max + 11, max + 11, max + 11, &whole);
    CHECK_EQ(whole.rc, CF_ELIMIT);
    check_splits((const uint8_t *)in, max + 11, 13);
    /* Leading zeros count against the line, not the value. */
    memset(in, '0', max + 1);
    decode((const uint8_t *)in, max + 1, max + 1, max + 1, &whole);
    CHECK_EQ(whole.rc, CF_ELIMIT);
    free(in);
}

static void test_chunked_limit_trailer_section(void)
{
    size_t cap = HTTP_MAX_HEAD_BYTES + 64;
    char *in = malloc(cap);
    size_t n = (size_t)sprintf(in, "0\r\n");
    while (n + 12 < 3 + HTTP_MAX_HEAD_BYTES - 2) /* trailers + final CRLF == the limit */
        n += (size_t)sprintf(in + n, "T: 12345\r\n");
    size_t fill = 3 + HTTP_MAX_HEAD_BYTES - 2 - n; /* one more trailer of the exact size */
    memcpy(in + n, "U:", 2);
    memset(in + n + 2, 'u', fill - 4);
    memcpy(in + n + fill - 2, "\r\n\r\n", 4);
    n += fill + 2;
    CHECK_EQ(n, 3 + HTTP_MAX_HEAD_BYTES);
    decode((const uint8_t *)in, n, n, n, &whole);
    CHECK_EQ(whole.rc, 0);
    CHECK(whole.done);
    CHECK_EQ(whole.used, n);
    /* One byte longer: over the bound. */
    memcpy(in + n - 4, "u\r\n\r\n", 5);
    decode((const uint8_t *)in, n + 1, n + 1, n + 1, &whole);
    CHECK_EQ(whole.rc, CF_ELIMIT);
    check_splits((const uint8_t *)in, n + 1, 97);
    free(in);
}

static void test_chunked_large_body_in_random_pieces(void)
{
    /* 1 MiB in chunks of random sizes, fed in random pieces. */
    size_t body_len = 1 << 20;
    uint8_t *body = malloc(body_len);
    for (size_t i = 0; i < body_len; i++)
        body[i] = (uint8_t)test_rand();
    cf_buf enc = {0};
    char line[32];
    for (size_t off = 0; off < body_len;) {
        size_t n = 1 + test_rand() % 70000;
        if (n > body_len - off)
            n = body_len - off;
        buf_append(&enc, line, (size_t)sprintf(line, "%zx\r\n", n));
        buf_append(&enc, body + off, n);
        buf_append(&enc, "\r\n", 2);
        off += n;
    }
    buf_append(&enc, "0\r\n\r\n", 5);
    for (int round = 0; round < 4; round++) {
        size_t step = 1 + test_rand() % 9000;
        decode(enc.data, enc.len, 1 + test_rand() % 5000, step, &split);
        CHECK_EQ(split.rc, 0);
        CHECK(split.done);
        CHECK_EQ(split.used, enc.len);
        CHECK_MEM(split.payload.data, split.payload.len, body, body_len);
    }
    buf_free(&enc);
    free(body);
}

static const test_case cases[] = {
    TEST(test_chunked_table_answers_and_every_split_agrees),
    TEST(test_chunked_errors_are_sticky),
    TEST(test_chunked_done_consumes_nothing_more),
    TEST(test_chunked_limit_size_line),
    TEST(test_chunked_limit_trailer_section),
    TEST(test_chunked_large_body_in_random_pieces),
};

int main(void)
{
    int rc = test_main(cases, TEST_COUNT(cases));
    buf_free(&whole.payload);
    buf_free(&split.payload);
    return rc;
}
