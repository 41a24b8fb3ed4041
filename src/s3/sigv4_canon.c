/*
 * sigv4_canon.c -- the SigV4 canonical request, rebuilt from the bytes of
 * an http_request (sigv4.h, invariant (2)).
 *
 * Percent-decoding and AWS re-encoding happen in one pass per component,
 * writing straight into the output (an escape decodes to one byte that
 * re-encodes to at most three, so 3 * input bytes is always room enough).
 * A '%' not followed by two hex digits is taken as a literal '%': the
 * result is then a canonical form the client cannot have signed, which
 * fails as SignatureDoesNotMatch rather than as a separate error.
 *
 * The query is sorted without allocating per parameter: scratch->tmp holds
 * an index of (offset, name length, value length) records first, sized by
 * a counting pass, then the encoded bytes they point to.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/sigv4.h"
#include "util/err.h"
#include "util/hex.h"

static bool unreserved(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/*
 * reencode -- appends raw, decoded and AWS-encoded. In a path a literal '/'
 * stays a separator (a decoded %2F is encoded again) and '+' is itself; in
 * a query '+' is a space and every '/' is encoded.
 */
static int reencode(cf_buf *out, cf_slice raw, bool path)
{
    static const char hex[] = "0123456789ABCDEF";
    if (raw.len == 0)
        return 0;
    if (buf_reserve(out, raw.len * 3))
        return CF_ENOMEM;
    uint8_t *w = out->data + out->len;
    for (size_t i = 0; i < raw.len; i++) {
        uint8_t c = raw.ptr[i];
        if (path && c == '/') {
            *w++ = '/';
            continue;
        }
        if (c == '%' && i + 2 < raw.len && hex_digit(raw.ptr[i + 1]) >= 0 &&
            hex_digit(raw.ptr[i + 2]) >= 0) {
            c = (uint8_t)(hex_digit(raw.ptr[i + 1]) << 4 | hex_digit(raw.ptr[i + 2]));
            i += 2;
        } else if (!path && c == '+') {
            c = ' ';
        }
        if (unreserved(c)) {
            *w++ = c;
        } else {
            *w++ = '%';
            *w++ = (uint8_t)hex[c >> 4];
            *w++ = (uint8_t)hex[c & 15];
        }
    }
    out->len = (size_t)(w - out->data);
    return 0;
}

static int put(cf_buf *b, const void *p, size_t n)
{
    return buf_append(b, p, n);
}

static int canonical_uri(cf_buf *out, cf_slice path)
{
    if (path.len == 0 || path.ptr[0] != '/') {
        int rc = put(out, "/", 1);
        if (rc)
            return rc;
    }
    return reencode(out, path, true);
}

typedef struct qent {
    uint32_t off; /* of the encoded name in tmp; the value follows it */
    uint32_t name_len;
    uint32_t value_len;
} qent;

static int qent_cmp(const void *pa, const void *pb, void *base)
{
    const qent *a = pa, *b = pb;
    const uint8_t *d = base;
    cf_slice an = slice_make(d + a->off, a->name_len), bn = slice_make(d + b->off, b->name_len);
    int c = slice_cmp(an, bn);
    if (c)
        return c;
    return slice_cmp(slice_make(d + a->off + a->name_len, a->value_len),
                     slice_make(d + b->off + b->name_len, b->value_len));
}

/* next_item -- the next non-empty '&'-separated item of *q; false at the end. */
static bool next_item(cf_slice *q, cf_slice *item)
{
    while (q->len) {
        const uint8_t *amp = memchr(q->ptr, '&', q->len);
        size_t n = amp ? (size_t)(amp - q->ptr) : q->len;
        *item = slice_make(q->ptr, n);
        *q = amp ? slice_make(amp + 1, q->len - n - 1) : slice_make(NULL, 0);
        if (n)
            return true;
    }
    return false;
}

static int canonical_query(cf_buf *out, cf_buf *tmp, cf_slice query, bool presigned)
{
    cf_slice q = query, item;
    size_t n = 0;
    while (next_item(&q, &item))
        n++;
    if (n == 0)
        return 0;
    buf_clear(tmp);
    if (buf_reserve(tmp, n * sizeof(qent)))
        return CF_ENOMEM;
    tmp->len = n * sizeof(qent);
    size_t k = 0;
    q = query;
    while (next_item(&q, &item)) {
        const uint8_t *eq = memchr(item.ptr, '=', item.len);
        size_t name_len = eq ? (size_t)(eq - item.ptr) : item.len;
        cf_slice value = eq ? slice_make(eq + 1, item.len - name_len - 1) : slice_make(NULL, 0);
        qent e = {(uint32_t)tmp->len, 0, 0};
        if (reencode(tmp, slice_make(item.ptr, name_len), false))
            return CF_ENOMEM;
        e.name_len = (uint32_t)(tmp->len - e.off);
        if (reencode(tmp, value, false))
            return CF_ENOMEM;
        e.value_len = (uint32_t)(tmp->len - e.off - e.name_len);
        if (presigned &&
            slice_eq(slice_make(tmp->data + e.off, e.name_len), slice_str("X-Amz-Signature"))) {
            tmp->len = e.off; /* the signature cannot sign itself */
            continue;
        }
        memcpy(tmp->data + k++ * sizeof e, &e, sizeof e);
    }
    if (k > 1)
        qsort_r(tmp->data, k, sizeof(qent), qent_cmp, tmp->data);
    for (size_t i = 0; i < k; i++) {
        qent e;
        memcpy(&e, tmp->data + i * sizeof e, sizeof e);
        if ((i && put(out, "&", 1)) || put(out, tmp->data + e.off, e.name_len) ||
            put(out, "=", 1) || put(out, tmp->data + e.off + e.name_len, e.value_len))
            return CF_ENOMEM;
    }
    return 0;
}

/* put_value -- appends v trimmed, each run of blanks inside it made one space. */
static int put_value(cf_buf *out, cf_slice v)
{
    if (v.len == 0)
        return 0;
    if (buf_reserve(out, v.len))
        return CF_ENOMEM;
    uint8_t *w = out->data + out->len;
    bool gap = false, started = false;
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c == ' ' || c == '\t') {
            gap = started;
            continue;
        }
        if (gap)
            *w++ = ' ';
        *w++ = c;
        gap = false;
        started = true;
    }
    out->len = (size_t)(w - out->data);
    return 0;
}

/* put_header -- "name:v1,v2\n": name lowercased, every header called name, in request order. */
static int put_header(cf_buf *out, const http_request *req, cf_slice name)
{
    if (buf_reserve(out, name.len + 1))
        return CF_ENOMEM;
    for (size_t i = 0; i < name.len; i++) {
        uint8_t c = name.ptr[i];
        out->data[out->len++] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
    }
    out->data[out->len++] = ':';
    bool first = true;
    for (size_t i = 0; i < req->n_headers; i++) {
        const http_header *h = &req->headers[i];
        if (h->name.len != name.len ||
            strncasecmp((const char *)h->name.ptr, (const char *)name.ptr, name.len) != 0)
            continue;
        if ((!first && put(out, ",", 1)) || put_value(out, h->value))
            return CF_ENOMEM;
        first = false;
    }
    return put(out, "\n", 1);
}

int s3_sigv4_canonical_request(const http_request *req, const s3_sigv4_auth *auth,
                               cf_slice payload_hash, s3_sigv4_scratch *scratch)
{
    cf_buf *c = &scratch->canon;
    buf_clear(c);
    if (put(c, req->method.ptr, req->method.len) || put(c, "\n", 1) ||
        canonical_uri(c, req->path) || put(c, "\n", 1) ||
        canonical_query(c, &scratch->tmp, req->query, auth->presigned) || put(c, "\n", 1))
        return CF_ENOMEM;
    cf_slice list = slice_make(auth->signed_headers, auth->signed_headers_len);
    size_t start = 0;
    for (size_t i = 0; i <= list.len; i++) {
        if (i < list.len && list.ptr[i] != ';')
            continue;
        if (i > start && put_header(c, req, slice_make(list.ptr + start, i - start)))
            return CF_ENOMEM;
        start = i + 1;
    }
    if (put(c, "\n", 1) || put(c, list.ptr, list.len) || put(c, "\n", 1) ||
        put(c, payload_hash.ptr, payload_hash.len))
        return CF_ENOMEM;
    return 0;
}

void s3_sigv4_scratch_free(s3_sigv4_scratch *s)
{
    buf_free(&s->canon);
    buf_free(&s->sts);
    buf_free(&s->tmp);
}
