/*
 * http_request_fuzz.c -- libFuzzer target for http_parse_request, and for
 * what the s3 layer does next with a parsed head: body framing, header
 * lookup, query iteration and percent-decoding.
 *
 * Checks, beyond the sanitizers: every slice lies inside the input and
 * inside the head; names are non-empty tokens and values hold no CR, LF or
 * NUL and are trimmed; the head length and header count respect the
 * limits; and (invariant (1) of parser.c) on inputs up to 512 bytes every
 * prefix answers CF_EAGAIN or exactly what the whole input answers.
 * Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static http_request req, part;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool inside(cf_slice s, const uint8_t *base, size_t len)
{
    return s.len == 0 || (s.ptr >= base && s.ptr + s.len <= base + len);
}

static bool same_request(const http_request *a, const http_request *b)
{
    if (a->method.ptr != b->method.ptr || a->method.len != b->method.len ||
        a->target.ptr != b->target.ptr || a->target.len != b->target.len ||
        a->query.ptr != b->query.ptr || a->query.len != b->query.len ||
        a->minor_version != b->minor_version || a->n_headers != b->n_headers)
        return false;
    for (size_t i = 0; i < a->n_headers; i++) {
        if (a->headers[i].name.ptr != b->headers[i].name.ptr ||
            a->headers[i].name.len != b->headers[i].name.len ||
            a->headers[i].value.ptr != b->headers[i].value.ptr ||
            a->headers[i].value.len != b->headers[i].value.len)
            return false;
    }
    return true;
}

static void check_request(const uint8_t *data, size_t head)
{
    require(head <= HTTP_MAX_HEAD_BYTES && req.n_headers <= HTTP_MAX_HEADERS);
    require(req.method.len > 0 && inside(req.method, data, head));
    require(req.target.len > 0 && req.target.len <= HTTP_MAX_TARGET_BYTES);
    require(inside(req.target, data, head) && inside(req.path, data, head));
    require(req.query.ptr == NULL || inside(req.query, data, head));
    require(req.minor_version == 0 || req.minor_version == 1);
    for (size_t i = 0; i < req.n_headers; i++) {
        cf_slice n = req.headers[i].name, v = req.headers[i].value;
        require(n.len > 0 && inside(n, data, head) && inside(v, data, head));
        require(memchr(n.ptr, ':', n.len) == NULL);
        for (size_t k = 0; k < v.len; k++)
            require(v.ptr[k] != '\r' && v.ptr[k] != '\n' && v.ptr[k] != 0);
        require(v.len == 0 || (v.ptr[0] != ' ' && v.ptr[v.len - 1] != ' '));
    }
    http_framing_kind kind;
    uint64_t length;
    int rc = http_body_framing(&req, &kind, &length);
    require(rc == 0 || rc == CF_EINVAL);
    require(rc == 0 || (kind == HTTP_BODY_NONE && length == 0));
    (void)http_header_find(&req, "content-length");
    cf_slice q = req.query, name, value;
    cf_buf dec = {0};
    while (http_query_next(&q, &name, &value)) {
        require(inside(name, data, head) && inside(value, data, head));
        if (http_pct_decode(name, &dec, true) == 0)
            require(dec.len <= name.len);
    }
    buf_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = http_parse_request(data, size, &req);
    require(rc > 0 || rc == CF_EAGAIN || rc == CF_EINVAL || rc == CF_ELIMIT);
    require(rc <= 0 || (size_t)rc <= size);
    if (rc == CF_ELIMIT)
        require(size >= HTTP_MAX_HEAD_BYTES || req.n_headers == HTTP_MAX_HEADERS ||
                req.target.len > HTTP_MAX_TARGET_BYTES);
    if (rc > 0)
        check_request(data, (size_t)rc);
    if (size <= 512) {
        for (size_t k = 0; k < size; k++) {
            int p = http_parse_request(data, k, &part);
            require(p == CF_EAGAIN || p == rc);
            require(p <= 0 || same_request(&part, &req));
        }
    }
    return 0;
}
