/*
 * meta.c -- what a PUT keeps of its request headers, and reading it back.
 *
 * store_meta.headers holds the kept headers verbatim as "name: value\n"
 * lines with lowercase names (format: doc/formats.md, "Store rows"): user
 * metadata x-amz-meta-* (at most 2 KiB of names and values, as S3), the
 * Content-* headers S3 returns (Content-Encoding less aws-chunked, the
 * body's framing), the object's checksum, its tags, and its
 * ACL when it is not the default (x-coffer-acl, acl.h: never sent back as
 * a header).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/s3_int.h"

#define USER_META_MAX_BYTES 2048

/* Headers kept verbatim with the object (besides x-amz-meta-*). */
static const char *const kept_headers[] = {"content-encoding", "content-disposition",
                                           "cache-control", "content-language", "expires",
                                           "x-amz-tagging"};

bool s3_starts_with_ci(cf_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && strncasecmp((const char *)s.ptr, prefix, n) == 0;
}

/* meta_add -- appends "name: value\n" (name lowercased) to m->headers; false if it does not fit. */
bool s3_meta_add(store_meta *m, cf_slice name, cf_slice value)
{
    size_t used = strlen(m->headers);
    if (used + name.len + value.len + 3 >= sizeof m->headers)
        return false;
    char *p = m->headers + used;
    /* a NUL (a form field may hold one) would end the text early and glue the next line
     * to this one; a CR or LF would start a line: each becomes a space */
    for (size_t i = 0; i < name.len; i++) {
        char c = (char)name.ptr[i];
        *p++ = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c == '\0' ? ' ' : c;
    }
    *p++ = ':';
    *p++ = ' ';
    for (size_t i = 0; i < value.len; i++) {
        char c = (char)value.ptr[i];
        *p++ = (c == '\n' || c == '\r' || c == '\0') ? ' ' : c;
    }
    *p++ = '\n';
    *p = '\0';
    return true;
}

void s3_meta_set_type(store_meta *m, cf_slice ct)
{
    snprintf(m->content_type, sizeof m->content_type, "%.*s", ct.ptr ? (int)ct.len : 24,
             ct.ptr ? (const char *)ct.ptr : "binary/octet-stream");
}

/*
 * without_aws_chunked -- *value (a Content-Encoding) less its aws-chunked coding, written to
 * out: aws-chunked is the framing the body travelled in (body.c), not a coding of the object,
 * and S3 does not keep it ("aws-chunked,gzip" keeps "gzip"). False if no coding remains.
 * A value longer than cap is left whole (it cannot fit the kept headers either).
 */
static bool without_aws_chunked(cf_slice *value, char *out, size_t cap)
{
    if (value->len > cap)
        return true;
    size_t n = 0, i = 0;
    while (i < value->len) {
        size_t start = i, end;
        while (i < value->len && value->ptr[i] != ',')
            i++;
        end = i++;
        while (start < end && (value->ptr[start] == ' ' || value->ptr[start] == '\t'))
            start++;
        while (end > start && (value->ptr[end - 1] == ' ' || value->ptr[end - 1] == '\t'))
            end--;
        cf_slice token = slice_make(value->ptr + start, end - start);
        if (!token.len || (token.len == 11 && s3_starts_with_ci(token, "aws-chunked")))
            continue;
        if (n)
            out[n++] = ',';
        memcpy(out + n, token.ptr, token.len);
        n += token.len;
    }
    *value = slice_make(out, n);
    return n > 0;
}

s3_err_code s3_meta_field(store_meta *m, cf_slice name, cf_slice value, size_t *user_bytes)
{
    char coding[sizeof m->headers];
    bool keep = s3_starts_with_ci(name, "x-amz-meta-");
    if (keep)
        *user_bytes += name.len - 11 + value.len;
    for (size_t k = 0; !keep && k < sizeof kept_headers / sizeof kept_headers[0]; k++)
        keep = name.len == strlen(kept_headers[k]) && s3_starts_with_ci(name, kept_headers[k]);
    if (keep && name.len == 16 && s3_starts_with_ci(name, "content-encoding"))
        keep = without_aws_chunked(&value, coding, sizeof coding);
    if (keep && !s3_meta_add(m, name, value))
        return S3_ERR_METADATA_TOO_LARGE;
    return *user_bytes > USER_META_MAX_BYTES ? S3_ERR_METADATA_TOO_LARGE : S3_ERR_NONE;
}

/*
 * meta_from_request -- content type and kept headers of the request into m.
 * Returns S3_ERR_NONE or the error to answer (MetadataTooLarge).
 */
s3_err_code s3_meta_from_request(s3_req *r, store_meta *m)
{
    s3_meta_set_type(m, s3_header(r, "content-type"));
    size_t user_bytes = 0;
    for (size_t i = 0; i < r->hr->n_headers; i++) {
        const http_header *h = &r->hr->headers[i];
        s3_err_code err = s3_meta_field(m, h->name, h->value, &user_bytes);
        if (err != S3_ERR_NONE)
            return err;
    }
    return S3_ERR_NONE;
}

bool s3_meta_next(const char **p, cf_slice *name, cf_slice *value)
{
    const char *eol = strchr(*p, '\n'), *colon = strchr(*p, ':');
    if (!eol || !colon || colon > eol || eol - colon < 2)
        return false;
    *name = slice_make(*p, (size_t)(colon - *p));
    *value = slice_make(colon + 2, (size_t)(eol - colon - 2));
    *p = eol + 1;
    return true;
}

cf_slice s3_meta_find(const store_meta *m, const char *name)
{
    const char *p = m->headers;
    cf_slice n, v;
    while (s3_meta_next(&p, &n, &v))
        if (slice_eq(n, slice_str(name)))
            return v;
    return slice_make(NULL, 0);
}

bool s3_meta_copy(store_meta *dst, const store_meta *src, bool (*keep)(cf_slice name))
{
    const char *p = src->headers;
    cf_slice n, v;
    bool ok = true;
    while (s3_meta_next(&p, &n, &v))
        if (keep(n))
            ok = s3_meta_add(dst, n, v) && ok;
    return ok;
}

bool s3_meta_not_tagging(cf_slice name)
{
    return !slice_eq(name, slice_str("x-amz-tagging"));
}

bool s3_meta_not_acl(cf_slice name)
{
    return !slice_eq(name, slice_str("x-coffer-acl"));
}

bool s3_meta_not_tagging_or_acl(cf_slice name)
{
    return s3_meta_not_tagging(name) && s3_meta_not_acl(name);
}
