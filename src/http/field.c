/*
 * field.c -- reading header fields of a parsed request or response:
 * case-insensitive lookup, comma-separated lists, and the body framing they
 * decide (RFC 9112 section 6.3).
 *
 * Framing is where request smuggling lives, so it is strict: one answer or
 * CF_EINVAL, never a guess. Content-Length is digits only (no sign, no
 * list, no whitespace: the parser already trimmed the value), repeated
 * Content-Length fields must agree, and Transfer-Encoding must be exactly one
 * "chunked" coding in an HTTP/1.1 request with no Content-Length.
 */
#include <string.h>
#include <strings.h>

#include "http/http.h"

static bool slice_eq_ci(cf_slice a, const char *b, size_t blen)
{
    return a.len == blen && strncasecmp((const char *)a.ptr, b, blen) == 0;
}

static cf_slice find(const http_header *h, size_t count, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < count; i++) {
        if (slice_eq_ci(h[i].name, name, n))
            return h[i].value;
    }
    return slice_make(NULL, 0);
}

cf_slice http_header_find(const http_request *req, const char *name)
{
    return find(req->headers, req->n_headers, name);
}

cf_slice http_response_header(const http_response *resp, const char *name)
{
    return find(resp->headers, resp->n_headers, name);
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

int http_list_next(cf_slice *list, cf_slice *elem)
{
    *elem = slice_make(NULL, 0);
    while (list->len > 0) {
        const uint8_t *p = list->ptr;
        const uint8_t *comma = memchr(p, ',', list->len);
        size_t n = comma ? (size_t)(comma - p) : list->len;
        list->ptr += comma ? n + 1 : n;
        list->len -= comma ? n + 1 : n;
        while (n > 0 && is_ows(p[0])) {
            p++;
            n--;
        }
        while (n > 0 && is_ows(p[n - 1]))
            n--;
        if (n > 0) {
            *elem = slice_make(p, n);
            return 1;
        }
    }
    return 0;
}

/* parse_length -- a Content-Length value: 1*DIGIT without overflow. */
static int parse_length(cf_slice v, uint64_t *out)
{
    uint64_t n = 0;
    if (v.len == 0)
        return CF_EINVAL;
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c < '0' || c > '9')
            return CF_EINVAL;
        if (n > (UINT64_MAX - (c - '0')) / 10)
            return CF_EINVAL;
        n = n * 10 + (c - '0');
    }
    *out = n;
    return 0;
}

/* framing -- http_body_framing over the fields h[0..n) of a message of HTTP/1.minor. */
static int framing(const http_header *fields, size_t n, int minor, http_framing_kind *kind,
                   uint64_t *length)
{
    *kind = HTTP_BODY_NONE;
    *length = 0;
    bool have_length = false, have_te = false;
    uint64_t len = 0;
    size_t codings = 0;
    for (size_t i = 0; i < n; i++) {
        const http_header *h = &fields[i];
        if (slice_eq_ci(h->name, "content-length", 14)) {
            uint64_t v;
            if (parse_length(h->value, &v) != 0)
                return CF_EINVAL;
            if (have_length && v != len)
                return CF_EINVAL;
            have_length = true;
            len = v;
        } else if (slice_eq_ci(h->name, "transfer-encoding", 17)) {
            have_te = true;
            cf_slice list = h->value, coding;
            while (http_list_next(&list, &coding)) {
                if (!slice_eq_ci(coding, "chunked", 7))
                    return CF_EINVAL;
                codings++;
            }
        }
    }
    if (have_te) {
        /* chunked applied twice, an empty Transfer-Encoding, TE with
         * Content-Length, or TE in HTTP/1.0: the framing cannot be trusted. */
        if (codings != 1 || have_length || minor == 0)
            return CF_EINVAL;
        *kind = HTTP_BODY_CHUNKED;
        return 0;
    }
    if (have_length) {
        *kind = HTTP_BODY_LENGTH;
        *length = len;
    }
    return 0;
}

int http_body_framing(const http_request *req, http_framing_kind *kind, uint64_t *length)
{
    return framing(req->headers, req->n_headers, req->minor_version, kind, length);
}

/* A response's framing (RFC 9112 6.3): the same fields, but no framing header
 * means the body runs to the connection's close, except for the statuses
 * that never have one (the client only sends PUTs, so HEAD does not arise). */
int http_response_framing(const http_response *resp, http_framing_kind *kind, uint64_t *length)
{
    int rc = framing(resp->headers, resp->n_headers, resp->minor_version, kind, length);
    if (resp->status < 200 || resp->status == 204 || resp->status == 304) {
        *kind = HTTP_BODY_NONE;
        *length = 0;
    } else if (!rc && *kind == HTTP_BODY_NONE) {
        *kind = HTTP_BODY_CLOSE;
    }
    return rc;
}
