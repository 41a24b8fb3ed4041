/*
 * http_response_fuzz.c -- libFuzzer target for what the client (client.c)
 * does with a server's bytes: http_parse_response, then the body's framing
 * (http_response_framing) and, for a chunked body, http_chunked_feed over
 * the bytes after the head.
 *
 * Checks, beyond the sanitizers: the status is 100..999; every slice lies
 * inside the head; names are non-empty and values hold no CR, LF or NUL
 * and are trimmed; the head respects the limits; on inputs up to 512 bytes
 * every prefix answers CF_EAGAIN or exactly what the whole input answers
 * (parser.c invariant (1)); the chunked decoder consumes within its input.
 * Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static http_response resp, part;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static bool inside(cf_slice s, const uint8_t *base, size_t len)
{
    return s.len == 0 || (s.ptr >= base && s.ptr + s.len <= base + len);
}

static void check_head(const uint8_t *data, size_t head)
{
    require(head <= HTTP_MAX_HEAD_BYTES && resp.n_headers <= HTTP_MAX_HEADERS);
    require(resp.status >= 100 && resp.status <= 999);
    require(resp.minor_version == 0 || resp.minor_version == 1);
    require(inside(resp.reason, data, head));
    for (size_t i = 0; i < resp.n_headers; i++) {
        cf_slice n = resp.headers[i].name, v = resp.headers[i].value;
        require(n.len > 0 && inside(n, data, head) && inside(v, data, head));
        for (size_t k = 0; k < v.len; k++)
            require(v.ptr[k] != '\r' && v.ptr[k] != '\n' && v.ptr[k] != 0);
        require(v.len == 0 || (v.ptr[0] != ' ' && v.ptr[v.len - 1] != ' '));
    }
}

static void feed_body(const uint8_t *p, size_t n)
{
    http_framing_kind kind;
    uint64_t length;
    int rc = http_response_framing(&resp, &kind, &length);
    require(rc == 0 || rc == CF_EINVAL);
    if (rc || kind != HTTP_BODY_CHUNKED)
        return;
    http_chunked c = {0};
    bool done = false;
    while (n > 0 && !done) {
        const uint8_t *d;
        size_t dl;
        int used = http_chunked_feed(&c, p, n, &d, &dl, &done);
        if (used < 0)
            return;
        require((size_t)used <= n && (dl == 0 || (d >= p && d + dl <= p + used)));
        p += used;
        n -= (size_t)used;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = http_parse_response(data, size, &resp);
    require(rc > 0 || rc == CF_EAGAIN || rc == CF_EINVAL || rc == CF_ELIMIT);
    require(rc <= 0 || (size_t)rc <= size);
    if (rc > 0) {
        check_head(data, (size_t)rc);
        (void)http_response_header(&resp, "connection");
        feed_body(data + rc, size - (size_t)rc);
    }
    if (size <= 512) {
        for (size_t k = 0; k < size; k++) {
            int p = http_parse_response(data, k, &part);
            require(p == CF_EAGAIN || p == rc);
        }
    }
    return 0;
}
