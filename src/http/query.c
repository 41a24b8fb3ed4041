/*
 * query.c -- percent-decoding (RFC 3986 2.1) and iterating the query string
 * of a request-target.
 *
 * Both work on raw slices of the request head and never look past them. The
 * decoder writes into a caller-owned cf_buf so a handler decoding many
 * names reuses one buffer (see util/buf.h); decoding never grows a string,
 * so one reserve of in.len covers it.
 */
#include <string.h>

#include "http/http.h"
#include "util/hex.h"

int http_pct_encode(cf_buf *out, cf_slice s, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    if (buf_reserve(out, s.len * 3) != 0)
        return CF_ENOMEM;
    uint8_t *w = out->data + out->len;
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            *w++ = c;
        } else {
            *w++ = '%';
            *w++ = (uint8_t)digits[c >> 4];
            *w++ = (uint8_t)digits[c & 15];
        }
    }
    out->len = (size_t)(w - out->data);
    return 0;
}

int http_pct_decode(cf_slice in, cf_buf *out, bool plus_is_space)
{
    buf_clear(out);
    int rc = buf_reserve(out, in.len);
    if (rc)
        return rc;
    size_t w = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%') {
            int hi = i + 2 < in.len ? hex_digit(in.ptr[i + 1]) : -1;
            int lo = hi >= 0 ? hex_digit(in.ptr[i + 2]) : -1;
            if (lo < 0) {
                buf_clear(out);
                return CF_EINVAL;
            }
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        out->data[w++] = c;
    }
    out->len = w;
    return 0;
}

int http_query_next(cf_slice *q, cf_slice *name, cf_slice *value)
{
    *name = slice_make(NULL, 0);
    *value = slice_make(NULL, 0);
    while (q->len > 0) {
        const uint8_t *p = q->ptr;
        const uint8_t *amp = memchr(p, '&', q->len);
        size_t n = amp ? (size_t)(amp - p) : q->len;
        q->ptr += amp ? n + 1 : n;
        q->len -= amp ? n + 1 : n;
        if (n == 0)
            continue;
        const uint8_t *eq = memchr(p, '=', n);
        if (eq) {
            *name = slice_make(p, (size_t)(eq - p));
            *value = slice_make(eq + 1, n - (size_t)(eq + 1 - p));
        } else {
            *name = slice_make(p, n);
        }
        return 1;
    }
    return 0;
}
