/*
 * request.c -- per-request state: addressing, query parameters, headers, and
 * the helpers every handler answers with (errors, XML bodies, dates).
 *
 * Addressing: with a configured domain, a Host of "<bucket>.<domain>[:port]"
 * names the bucket and the whole path is the key; otherwise the first path
 * segment is the bucket and the rest (after one '/') is the key. Bucket and
 * key are percent-decoded once; query parameters are decoded into one buffer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3/s3_int.h"
#include "s3/xml.h"

cf_slice s3_param_get(const s3_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_params; i++) {
        const s3_param *p = &r->params[i];
        if (p->name_len == n && memcmp(r->pbuf.data + p->name_off, name, n) == 0)
            return p->has_value ? slice_make(r->pbuf.data + p->value_off, p->value_len)
                                : slice_make(r->pbuf.data + p->value_off, 0);
    }
    return slice_make(NULL, 0);
}

bool s3_param_max(const s3_req *r, const char *name, uint32_t *out)
{
    cf_slice v = s3_param_get(r, name);
    *out = 1000;
    if (!v.ptr)
        return true;
    uint64_t n;
    if (v.len > 10 || !slice_to_u64(v, &n))
        return false;
    *out = n < 1000 ? (uint32_t)n : 1000;
    return true;
}

/* The query parameters that carry authentication, never a request header. */
static const char *const auth_params[] = {
    "x-amz-algorithm", "x-amz-credential",     "x-amz-date",           "x-amz-expires",
    "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token", "x-amz-content-sha256",
};

bool s3_param_is_header(const s3_req *r, size_t i)
{
    cf_slice n = slice_make(r->pbuf.data + r->params[i].name_off, r->params[i].name_len);
    if (!s3_starts_with_ci(n, "x-amz-"))
        return false;
    for (size_t k = 0; k < sizeof auth_params / sizeof auth_params[0]; k++)
        if (n.len == strlen(auth_params[k]) && s3_starts_with_ci(n, auth_params[k]))
            return false;
    return true;
}

/* is_checksum_value -- does name carry a checksum value (x-amz-checksum-crc32, ...)? */
static bool is_checksum_value(const char *name)
{
    for (int a = S3_CK_CRC32; a < S3_CK_COUNT; a++)
        if (strcasecmp(name, s3_ck_header((s3_ck_alg)a)) == 0)
            return true;
    return false;
}

cf_slice s3_header(const s3_req *r, const char *name)
{
    cf_slice v = http_header_find(r->hr, name);
    if (v.ptr || !r->auth.presigned || strncasecmp(name, "x-amz-", 6) != 0)
        return v;
    /* a presigned URL carries the x-amz-* headers it signed as query parameters
     * (botocore moves x-amz-acl there): S3 applies them as headers -- except a checksum
     * value, which S3 signs there but does not apply (its presigned URLs do not support
     * checksums). The AWS SDK for JavaScript v3 signs the CRC32 of an empty body into every
     * presigned PutObject and UploadPart, whatever is uploaded later. The same value sent
     * as a header is verified. */
    if (is_checksum_value(name))
        return v;
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_params; i++) {
        const s3_param *p = &r->params[i];
        if (p->name_len == n && s3_param_is_header(r, i) &&
            strncasecmp((const char *)r->pbuf.data + p->name_off, name, n) == 0)
            return slice_make(r->pbuf.data + p->value_off, p->value_len);
    }
    return v;
}

/* s3_req_parse_query -- decodes every query parameter; CF_EINVAL or CF_ELIMIT. */
int s3_req_parse_query(s3_req *r)
{
    cf_slice q = r->hr->query, name, value;
    cf_buf tmp = {0};
    int rc = 0;
    buf_clear(&r->pbuf);
    /* one spare byte so an empty value still has a non-NULL pointer */
    rc = buf_reserve(&r->pbuf, q.len + 1);
    while (rc == 0 && q.ptr && http_query_next(&q, &name, &value) == 1) {
        if (r->n_params == S3_MAX_PARAMS) {
            rc = CF_ELIMIT;
            break;
        }
        s3_param *p = &r->params[r->n_params];
        rc = http_pct_decode(name, &tmp, true);
        p->name_off = r->pbuf.len;
        p->name_len = tmp.len;
        if (!rc)
            rc = buf_append(&r->pbuf, tmp.data, tmp.len);
        p->has_value = value.ptr != NULL;
        if (!rc && value.ptr)
            rc = http_pct_decode(value, &tmp, true);
        else
            buf_clear(&tmp);
        p->value_off = r->pbuf.len;
        p->value_len = tmp.len;
        if (!rc)
            rc = buf_append(&r->pbuf, tmp.data, tmp.len);
        if (!rc)
            r->n_params++;
    }
    if (!rc)
        rc = buf_append(&r->pbuf, "", 1);
    buf_free(&tmp);
    return rc;
}

/* s3_req_address -- finds bucket and key (path-style or virtual-host). CF_EINVAL if undecodable. */
int s3_req_address(s3_req *r)
{
    cf_slice path = r->hr->path;
    cf_slice host = http_header_find(r->hr, "host");
    size_t dlen = strlen(r->ctx->domain);
    int rc = 0;
    buf_clear(&r->bucket);
    buf_clear(&r->key);
    r->vhost = false;
    if (path.len == 0 || path.ptr[0] != '/')
        return CF_EINVAL;
    /* virtual-host: Host "<bucket>.<domain>" with an optional port */
    size_t hlen = host.len;
    for (size_t i = 0; i < host.len; i++)
        if (host.ptr[i] == ':')
            hlen = i;
    if (dlen && hlen > dlen + 1 && host.ptr[hlen - dlen - 1] == '.' &&
        strncasecmp((const char *)host.ptr + hlen - dlen, r->ctx->domain, dlen) == 0) {
        r->vhost = true;
        rc = buf_append(&r->bucket, host.ptr, hlen - dlen - 1);
        cf_slice k = slice_make(path.ptr + 1, path.len - 1);
        if (!rc)
            rc = http_pct_decode(k, &r->key, false);
    } else {
        size_t i = 1;
        while (i < path.len && path.ptr[i] != '/')
            i++;
        rc = http_pct_decode(slice_make(path.ptr + 1, i - 1), &r->bucket, false);
        if (!rc && i < path.len)
            rc = http_pct_decode(slice_make(path.ptr + i + 1, path.len - i - 1), &r->key, false);
    }
    if (!rc)
        rc = buf_append(&r->bucket, "", 1);
    if (!rc)
        rc = buf_append(&r->key, "", 1);
    r->addressed = rc == 0;
    return rc;
}

static void respond(s3_req *r, int status, const http_header *extra, size_t n_extra,
                    const char *content_type, cf_slice body)
{
    http_header h[40];
    size_t n = 0;
    h[n++] = (http_header){slice_str("x-amz-request-id"), slice_str(r->request_id)};
    if (content_type)
        h[n++] = (http_header){slice_str("Content-Type"), slice_str(content_type)};
    for (size_t i = 0; i < n_extra && n < 40; i++)
        h[n++] = extra[i];
    if (s3_respond_head(r, status, h, n, body.len) == 0 && body.len && !r->head)
        http_exchange_write(r->ex, body.ptr, body.len);
}

int s3_respond_head(s3_req *r, int status, const http_header *h, size_t n, uint64_t len)
{
    enum { MAX = 64 };
    http_header all[MAX + S3_CORS_MAX_HEADERS];
    r->responded = true;
    s3_cors_prepare(r);
    if (r->n_cors == 0 || n > MAX)
        return http_exchange_respond(r->ex, status, h, n, len);
    memcpy(all, h, n * sizeof *h);
    memcpy(all + n, r->cors_h, r->n_cors * sizeof *h);
    return http_exchange_respond(r->ex, status, all, n + r->n_cors, len);
}

void s3_error(s3_req *r, s3_err_code code, const char *msg)
{
    s3_error_with(r, code, msg, NULL, 0);
}

/* bodyless -- the request declares no body (no Transfer-Encoding; Content-Length absent or
 * 0): an error answer leaves nothing unread on the connection. */
static bool bodyless(s3_req *r)
{
    cf_slice len = s3_header(r, "content-length");
    uint64_t n = 0;
    return s3_header(r, "transfer-encoding").ptr == NULL &&
           (len.ptr == NULL || (slice_to_u64(len, &n) && n == 0));
}

void s3_error_with(s3_req *r, s3_err_code code, const char *msg, const s3_err_field *fields,
                   size_t n)
{
    if (r->responded)
        return;
    r->err = code; /* the access log's error code */
    buf_clear(&r->out);
    bool json = s3_admin_path(r); /* the admin API speaks JSON, its errors too */
    if (json)
        s3_err_render_json(&r->out, code, msg, slice_str(r->request_id));
    else
        s3_err_render(&r->out, code, msg, r->hr->path, slice_str(r->request_id), fields, n);
    /* a request whose body was not read cannot be followed on this connection; one without a
     * body can: Hadoop's S3A probes every path it creates, renames or opens with a HEAD that
     * is a 404 for a new name, and a close there costs each probe a new connection */
    if (!bodyless(r))
        http_exchange_close_after(r->ex);
    respond(r, s3_err_status(code), NULL, 0, json ? "application/json" : "application/xml",
            buf_slice(&r->out));
}

s3_err_code s3_err_of(int cf_code, s3_err_code notfound)
{
    switch (cf_code) {
    case CF_ENOTFOUND: return notfound;
    case CF_EINVAL: return S3_ERR_INVALID_ARGUMENT;
    case CF_ELIMIT: return S3_ERR_ENTITY_TOO_LARGE;
    case CF_ENOSPC: return S3_ERR_INSUFFICIENT_STORAGE;
    case CF_EEXIST:
    case CF_ECONFLICT: return S3_ERR_PRECONDITION_FAILED;
    case CF_ENOTEMPTY: return S3_ERR_BUCKET_NOT_EMPTY;
    default: return S3_ERR_INTERNAL_ERROR;
    }
}

void s3_error_from(s3_req *r, int cf_code, s3_err_code notfound)
{
    s3_error(r, s3_err_of(cf_code, notfound), NULL);
}

void s3_respond_xml(s3_req *r, int status, const http_header *extra, size_t n_extra)
{
    respond(r, status, extra, n_extra, "application/xml", buf_slice(&r->out));
}

void s3_respond_json(s3_req *r, int status, cf_slice body)
{
    respond(r, status, NULL, 0, "application/json", body);
}

void s3_respond_empty(s3_req *r, int status, const http_header *extra, size_t n_extra)
{
    respond(r, status, extra, n_extra, NULL, slice_make(NULL, 0));
}

void s3_doc_begin(s3_req *r, const char *root)
{
    buf_clear(&r->out);
    s3_xml_writer_init(&r->xw, &r->out);
    s3_xml_decl(&r->xw);
    s3_xml_open_ns(&r->xw, root, S3_XML_NS);
}

void s3_doc_user(s3_req *r, const char *element, const char *id)
{
    s3_xml_open(&r->xw, element);
    s3_xml_elem_str(&r->xw, "ID", id);
    s3_xml_elem_str(&r->xw, "DisplayName", id);
    s3_xml_close(&r->xw);
}

void s3_iso8601(int64_t us, char *out)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)((us / 1000) % 1000));
}
