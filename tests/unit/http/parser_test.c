/*
 * parser_test.c -- the request-head parser, header lookup and body framing.
 *
 * Every table row is also parsed as it would arrive on a socket: split in
 * two at every offset and one byte at a time. Each prefix must answer
 * CF_EAGAIN or exactly what the whole input answers (same result, same
 * slices), which is what lets the session re-parse a growing buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

static bool same_slice(cf_slice a, cf_slice b)
{
    return a.ptr == b.ptr && a.len == b.len;
}

static bool same_request(const http_request *a, const http_request *b)
{
    if (!same_slice(a->method, b->method) || !same_slice(a->target, b->target) ||
        !same_slice(a->path, b->path) || !same_slice(a->query, b->query) ||
        a->minor_version != b->minor_version || a->n_headers != b->n_headers)
        return false;
    for (size_t i = 0; i < a->n_headers; i++) {
        if (!same_slice(a->headers[i].name, b->headers[i].name) ||
            !same_slice(a->headers[i].value, b->headers[i].value))
            return false;
    }
    return true;
}

static http_request whole, part; /* big: keep them off the stack */

/* check_splits -- every prefix answers CF_EAGAIN or the whole input's answer;
 * feeding in two pieces at each offset and byte by byte ends the same. */
static void check_splits(const uint8_t *in, size_t len, size_t stride)
{
    int want = http_parse_request(in, len, &whole);
    for (size_t k = 0; k < len; k += (k < 64 || len - k < 64) ? 1 : stride) {
        int rc = http_parse_request(in, k, &part); /* first piece */
        if (rc == CF_EAGAIN)
            rc = http_parse_request(in, len, &part); /* second piece arrives */
        if (!CHECK_EQ(rc, want)) {
            fprintf(stderr, "  split at %zu\n", k);
            return;
        }
        if (rc > 0 && !CHECK(same_request(&part, &whole)))
            return;
        if (rc == CF_ELIMIT && !CHECK_EQ(part.target.len, whole.target.len))
            return;
    }
    int rc = CF_EAGAIN;
    size_t k = 0;
    while (rc == CF_EAGAIN && k < len) /* one byte at a time */
        rc = http_parse_request(in, ++k, &part);
    CHECK_EQ(rc, want);
    if (rc > 0)
        CHECK(same_request(&part, &whole));
}

static bool slice_is(cf_slice s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

static const struct {
    const char *in;
    int rc; /* > 0: head length */
} table[] = {
    {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27},
    {"GET / HTTP/1.1\r\n\r\n", 18},
    {"PUT /b/k?uploadId=x&partNumber=1 HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 64},
    {"GET /?x HTTP/1.1\r\nA:b\r\nB:  c d \t\r\nC:\r\nD: \t \r\n\r\nrest", 47},
    {"DELETE * HTTP/1.1\r\nX-Obs: caf\xc3\xa9\r\n\r\n", 35},
    {"M!#$%&'*+-.^_`|~x /%41 HTTP/1.1\r\n\r\n", 35},
    {"GET / HTTP/1.1\r\nHost: a\r\n", CF_EAGAIN},
    {"GET / HTTP/1.1\r\nHost: a\r\n\r", CF_EAGAIN},
    {"", CF_EAGAIN},
    {"GET / HTTP/1.1\nHost: a\n\n", CF_EINVAL},          /* bare LF: rejected */
    {"GET / HTTP/1.1\r\nHost: a\n\r\n", CF_EINVAL},      /* bare LF after a field */
    {"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", CF_EINVAL}, /* obs-fold */
    {"GET / HTTP/1.1\r\n\tA: b\r\n\r\n", CF_EINVAL},     /* whitespace before a name */
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", CF_EINVAL},   /* whitespace before ':' */
    {"GET / HTTP/1.1\r\n: a\r\n\r\n", CF_EINVAL},        /* empty name */
    {"GET / HTTP/1.1\r\nHost a\r\n\r\n", CF_EINVAL},     /* no ':' */
    {"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", CF_EINVAL},   /* CTL in a value */
    {"GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", CF_EINVAL},   /* DEL in a value */
    {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", CF_EINVAL},    /* CR inside a value */
    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", CF_EINVAL},     /* the HTTP/2 preface */
    {"GET / HTTP/1.2\r\n\r\n", CF_EINVAL},
    {"GET / HTTP/0.9\r\n\r\n", CF_EINVAL},
    {"GET / http/1.1\r\n\r\n", CF_EINVAL},
    {"GET / HTTP/1.1 \r\n\r\n", CF_EINVAL},
    {"GET / HTTP/1.10\r\n\r\n", CF_EINVAL},
    {"GET  / HTTP/1.1\r\n\r\n", CF_EINVAL},
    {" / HTTP/1.1\r\n\r\n", CF_EINVAL},
    {"GET HTTP/1.1\r\n\r\n", CF_EINVAL},       /* no target */
    {"GET /\r\n\r\n", CF_EINVAL},              /* HTTP/0.9 request line */
    {"\r\nGET / HTTP/1.1\r\n\r\n", CF_EINVAL}, /* the session skips these */
    {"GET / HTTP/1.1\rX\r\n\r\n", CF_EINVAL},
    {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", CF_EINVAL}, /* raw non-ASCII target */
    {"GET\t/ HTTP/1.1\r\n\r\n", CF_EINVAL},
    {"G\x00T / HTTP/1.1\r\n\r\n", CF_EINVAL},
    {"\x16\x03\x01\x02\x10\x01\x01\x01\xfc\x03\x03", CF_EINVAL}, /* a TLS ClientHello */
};

static size_t row_len(size_t i)
{
    /* One row holds a NUL on purpose; its length is that of its literal. */
    return strcmp(table[i].in, "G") == 0 ? 18 : strlen(table[i].in);
}

static void test_parse_table_answers_and_every_split_agrees(void)
{
    for (size_t i = 0; i < TEST_COUNT(table); i++) {
        size_t len = row_len(i);
        int rc = http_parse_request((const uint8_t *)table[i].in, len, &whole);
        if (!CHECK_EQ(rc, table[i].rc))
            fprintf(stderr, "  row %zu: %s\n", i, table[i].in);
        check_splits((const uint8_t *)table[i].in, len, 1);
    }
}

static void test_parse_fields_point_into_the_input(void)
{
    const char *in = "PUT /b/k?uploadId=x&partNumber=1 HTTP/1.0\r\nContent-Length: 5\r\n"
                     "X-Amz-Meta-A:   two  words \t\r\nEmpty:\r\n\r\nhello";
    http_request *r = &whole;
    int rc = http_parse_request((const uint8_t *)in, strlen(in), r);
    CHECK_EQ(rc, (int)(strlen(in) - 5));
    CHECK(slice_is(r->method, "PUT"));
    CHECK(slice_is(r->target, "/b/k?uploadId=x&partNumber=1"));
    CHECK(slice_is(r->path, "/b/k"));
    CHECK(slice_is(r->query, "uploadId=x&partNumber=1"));
    CHECK_EQ(r->minor_version, 0);
    if (!CHECK_EQ(r->n_headers, 3))
        return;
    CHECK(slice_is(r->headers[0].name, "Content-Length"));
    CHECK(slice_is(r->headers[0].value, "5"));
    CHECK(slice_is(r->headers[1].value, "two  words"));
    CHECK(slice_is(r->headers[2].name, "Empty"));
    CHECK_EQ(r->headers[2].value.len, 0);
    CHECK(r->headers[2].value.ptr == (const uint8_t *)in + rc - 4); /* at its CR */
    CHECK(slice_is(http_header_find(r, "content-length"), "5"));
    CHECK(slice_is(http_header_find(r, "X-AMZ-META-A"), "two  words"));
    CHECK(http_header_find(r, "host").ptr == NULL);
    CHECK(http_header_find(r, "content-lengt").ptr == NULL);
}

static void test_parse_query_absent_vs_empty(void)
{
    const char *a = "GET /x HTTP/1.1\r\n\r\n", *b = "GET /x? HTTP/1.1\r\n\r\n";
    CHECK_EQ(http_parse_request((const uint8_t *)a, strlen(a), &whole), (int)strlen(a));
    CHECK(whole.query.ptr == NULL);
    CHECK(slice_is(whole.path, "/x"));
    CHECK_EQ(http_parse_request((const uint8_t *)b, strlen(b), &whole), (int)strlen(b));
    CHECK(whole.query.ptr == (const uint8_t *)b + 7);
    CHECK_EQ(whole.query.len, 0);
    CHECK(slice_is(whole.path, "/x"));
}

static void test_parse_resets_the_request_on_every_call(void)
{
    const char *good = "GET /a?b HTTP/1.1\r\nA: b\r\n\r\n";
    CHECK(http_parse_request((const uint8_t *)good, strlen(good), &whole) > 0);
    CHECK_EQ(http_parse_request((const uint8_t *)"GET", 3, &whole), CF_EAGAIN);
    CHECK_EQ(whole.n_headers, 0);
    CHECK(whole.target.ptr == NULL && whole.query.ptr == NULL && whole.path.ptr == NULL);
    CHECK_EQ(whole.minor_version, 0);
}

/* make_head -- "GET <target> HTTP/1.1\r\n" + n_fields fields, padded so the
 * whole head is total bytes when total > 0. */
static size_t make_head(char *out, size_t target_len, size_t n_fields, size_t total)
{
    size_t n = (size_t)sprintf(out, "GET /");
    memset(out + n, 'a', target_len - 1);
    n += target_len - 1;
    n += (size_t)sprintf(out + n, " HTTP/1.1\r\n");
    for (size_t i = 0; i < n_fields; i++)
        n += (size_t)sprintf(out + n, "X-%03zu: v\r\n", i);
    if (total > 0) {
        size_t pad = total - n - 7; /* "P: " + pad + CRLF, then the final CRLF */
        n += (size_t)sprintf(out + n, "P: ");
        memset(out + n, 'p', pad);
        n += pad;
        n += (size_t)sprintf(out + n, "\r\n");
    }
    n += (size_t)sprintf(out + n, "\r\n");
    return n;
}

static void test_parse_limit_header_count(void)
{
    char *buf = malloc(64 * 1024);
    size_t n = make_head(buf, 1, HTTP_MAX_HEADERS, 0);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), (int)n);
    CHECK_EQ(whole.n_headers, HTTP_MAX_HEADERS);
    check_splits((const uint8_t *)buf, n, 7);
    n = make_head(buf, 1, HTTP_MAX_HEADERS + 1, 0);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), CF_ELIMIT);
    CHECK(whole.target.len <= HTTP_MAX_TARGET_BYTES); /* 431, not 414 */
    check_splits((const uint8_t *)buf, n, 7);
    free(buf);
}

static void test_parse_limit_head_bytes(void)
{
    char *buf = malloc(64 * 1024);
    size_t n = make_head(buf, 1, 0, HTTP_MAX_HEAD_BYTES);
    CHECK_EQ(n, HTTP_MAX_HEAD_BYTES);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), (int)n);
    check_splits((const uint8_t *)buf, n, 127);
    n = make_head(buf, 1, 0, HTTP_MAX_HEAD_BYTES + 1);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), CF_ELIMIT);
    CHECK(whole.target.len <= HTTP_MAX_TARGET_BYTES);
    check_splits((const uint8_t *)buf, n, 127);
    /* Bytes past the limit are never looked at: a head still open there is too big. */
    memset(buf, 'A', HTTP_MAX_HEAD_BYTES + 10);
    memcpy(buf, "GET / HTTP/1.1\r\nA: ", 19);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, HTTP_MAX_HEAD_BYTES - 1, &whole), CF_EAGAIN);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, HTTP_MAX_HEAD_BYTES, &whole), CF_ELIMIT);
    free(buf);
}

static void test_parse_limit_target_bytes(void)
{
    char *buf = malloc(64 * 1024);
    size_t n = make_head(buf, HTTP_MAX_TARGET_BYTES, 1, 0);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), (int)n);
    CHECK_EQ(whole.target.len, HTTP_MAX_TARGET_BYTES);
    n = make_head(buf, HTTP_MAX_TARGET_BYTES + 1, 1, 0);
    CHECK_EQ(http_parse_request((const uint8_t *)buf, n, &whole), CF_ELIMIT);
    CHECK_EQ(whole.target.len, HTTP_MAX_TARGET_BYTES + 1); /* 414 */
    check_splits((const uint8_t *)buf, n, 31);
    /* Known as soon as the target outgrows the limit, before its line ends. */
    CHECK_EQ(http_parse_request((const uint8_t *)buf, 5 + HTTP_MAX_TARGET_BYTES, &whole),
             CF_ELIMIT);
    free(buf);
}

static int framing_of(const char *head, http_framing_kind *kind, uint64_t *len)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s\r\n", head);
    int rc = http_parse_request((const uint8_t *)buf, strlen(buf), &whole);
    if (!CHECK(rc > 0))
        return -100;
    *kind = (http_framing_kind)99;
    *len = 99;
    return http_body_framing(&whole, kind, len);
}

static void test_body_framing_table(void)
{
    static const struct {
        const char *head;
        int rc;
        http_framing_kind kind;
        uint64_t len;
    } rows[] = {
        {"GET / HTTP/1.1\r\n", 0, HTTP_BODY_NONE, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 0\r\n", 0, HTTP_BODY_LENGTH, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 007\r\n", 0, HTTP_BODY_LENGTH, 7},
        {"PUT / HTTP/1.1\r\ncontent-length: 18446744073709551615\r\n", 0, HTTP_BODY_LENGTH,
         UINT64_MAX},
        {"PUT / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n", 0, HTTP_BODY_LENGTH, 5},
        {"PUT / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 5, 5\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: +5\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: -1\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 0x10\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 1 2\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length:\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n", 0, HTTP_BODY_CHUNKED, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n", 0, HTTP_BODY_CHUNKED, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
         CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: identity\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding:\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n", CF_EINVAL, 0, 0},
        {"PUT / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n", CF_EINVAL, 0, 0},
        /* aws-chunked is a content coding: the framing is the Content-Length. */
        {"PUT / HTTP/1.1\r\nContent-Encoding: aws-chunked\r\nContent-Length: 66824\r\n"
         "x-amz-decoded-content-length: 66560\r\n",
         0, HTTP_BODY_LENGTH, 66824},
    };
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        http_framing_kind kind;
        uint64_t len;
        int rc = framing_of(rows[i].head, &kind, &len);
        if (!CHECK_EQ(rc, rows[i].rc))
            fprintf(stderr, "  row %zu\n", i);
        CHECK_EQ(kind, rc == 0 ? rows[i].kind : HTTP_BODY_NONE);
        CHECK_EQ(len, rc == 0 ? rows[i].len : 0);
    }
}

static void test_list_next_trims_and_skips_empty_elements(void)
{
    cf_slice list = slice_str(" a ,b,, \t,c d\t, "), e;
    const char *want[] = {"a", "b", "c d"};
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ(http_list_next(&list, &e), 1);
        CHECK(slice_is(e, want[i]));
    }
    CHECK_EQ(http_list_next(&list, &e), 0);
    CHECK(e.ptr == NULL);
    cf_slice none = {NULL, 0};
    CHECK_EQ(http_list_next(&none, &e), 0);
}

static const test_case cases[] = {
    TEST(test_parse_table_answers_and_every_split_agrees),
    TEST(test_parse_fields_point_into_the_input),
    TEST(test_parse_query_absent_vs_empty),
    TEST(test_parse_resets_the_request_on_every_call),
    TEST(test_parse_limit_header_count),
    TEST(test_parse_limit_head_bytes),
    TEST(test_parse_limit_target_bytes),
    TEST(test_body_framing_table),
    TEST(test_list_next_trims_and_skips_empty_elements),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
