/*
 * range.c -- Range and conditional request headers (range.h).
 */
#include "s3/range.h"

#include <string.h>

#include "http/http.h"

/* parse_u64 -- digits of s[*i..] into *v; false if none or overflow. */
static bool parse_u64(cf_slice s, size_t *i, uint64_t *v)
{
    size_t start = *i;
    uint64_t r = 0;
    while (*i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        uint64_t d = (uint64_t)(s.ptr[*i] - '0');
        if (r > (UINT64_MAX - d) / 10)
            return false;
        r = r * 10 + d;
        (*i)++;
    }
    *v = r;
    return *i > start;
}

int s3_range_parse(cf_slice v, uint64_t size, uint64_t *off, uint64_t *len)
{
    *off = *len = 0;
    if (!v.ptr || v.len < 7 || memcmp(v.ptr, "bytes=", 6) != 0)
        return S3_RANGE_NONE;
    size_t i = 6;
    while (i < v.len && v.ptr[i] == ' ')
        i++;
    uint64_t a = 0, b = 0;
    bool has_a = parse_u64(v, &i, &a);
    if (i >= v.len || v.ptr[i] != '-')
        return S3_RANGE_NONE;
    i++;
    bool has_b = parse_u64(v, &i, &b);
    while (i < v.len && v.ptr[i] == ' ')
        i++;
    if (i != v.len || (!has_a && !has_b) || (has_a && has_b && b < a))
        return S3_RANGE_NONE; /* malformed or several ranges: ignored */
    if (!has_a) { /* suffix: the last b bytes */
        if (b == 0 || size == 0)
            return S3_RANGE_UNSATISFIABLE;
        *len = b < size ? b : size;
        *off = size - *len;
        return S3_RANGE_OK;
    }
    if (a >= size)
        return S3_RANGE_UNSATISFIABLE;
    uint64_t last = has_b && b < size - 1 ? b : size - 1;
    *off = a;
    *len = last - a + 1;
    return S3_RANGE_OK;
}

int s3_copy_range_parse(cf_slice v, uint64_t size, uint64_t *off, uint64_t *len)
{
    *off = *len = 0;
    size_t i = 6;
    uint64_t a = 0, b = 0;
    if (v.len < 9 || memcmp(v.ptr, "bytes=", 6) != 0 || !parse_u64(v, &i, &a) || i >= v.len ||
        v.ptr[i++] != '-' || !parse_u64(v, &i, &b) || i != v.len || b < a)
        return -1;
    if (b >= size)
        return S3_RANGE_UNSATISFIABLE;
    *off = a;
    *len = b - a + 1;
    return S3_RANGE_OK;
}

bool s3_etag_matches(cf_slice list, const char *etag)
{
    size_t elen = strlen(etag), i = 0;
    while (i < list.len) {
        while (i < list.len && (list.ptr[i] == ' ' || list.ptr[i] == ','))
            i++;
        size_t start = i;
        while (i < list.len && list.ptr[i] != ',')
            i++;
        size_t end = i;
        while (end > start && list.ptr[end - 1] == ' ')
            end--;
        cf_slice t = slice_make(list.ptr + start, end - start);
        if (t.len >= 2 && t.ptr[0] == 'W' && t.ptr[1] == '/') { /* weak tags compare weakly */
            t.ptr += 2;
            t.len -= 2;
        }
        if (t.len == 1 && t.ptr[0] == '*')
            return true;
        if (t.len >= 2 && t.ptr[0] == '"' && t.ptr[t.len - 1] == '"') {
            t.ptr++;
            t.len -= 2;
        }
        if (t.len == elen && memcmp(t.ptr, etag, elen) == 0)
            return true;
    }
    return false;
}

int s3_cond_eval(const s3_cond_headers *h, const char *etag, int64_t mtime_s)
{
    int64_t t;
    if (h->if_match.ptr) {
        if (!s3_etag_matches(h->if_match, etag))
            return S3_COND_FAILED;
    } else if (h->if_unmodified_since.ptr &&
               http_date_parse(h->if_unmodified_since, &t) == 0 && mtime_s > t) {
        return S3_COND_FAILED;
    }
    if (h->if_none_match.ptr) {
        if (s3_etag_matches(h->if_none_match, etag))
            return S3_COND_NOT_MODIFIED;
    } else if (h->if_modified_since.ptr && http_date_parse(h->if_modified_since, &t) == 0 &&
               mtime_s <= t) {
        return S3_COND_NOT_MODIFIED;
    }
    return S3_COND_OK;
}

bool s3_if_range_holds(cf_slice v, const char *etag, int64_t mtime_s)
{
    if (!v.ptr)
        return true;
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
        return v.len - 2 == strlen(etag) && memcmp(v.ptr + 1, etag, v.len - 2) == 0;
    int64_t t;
    return http_date_parse(v, &t) == 0 && t == mtime_s; /* a W/ tag parses as neither */
}
