/*
 * object.c -- the object API family: PutObject, GetObject, HeadObject,
 * DeleteObject, CopyObject.
 *
 * PUT streams the body into a new blob while computing MD5 (the ETag) and
 * the checksum the client named, verifies Content-MD5 and x-amz-checksum-*
 * (header or trailer) before committing, so a mismatch stores nothing, and
 * commits with the request's conditions (If-None-Match: *, If-Match) atomic
 * in the store. GET/HEAD evaluate the conditional headers, then one Range
 * (unless an If-Range names another version), and stream the blob one
 * verified chunk at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/checksum.h"
#include "s3/range.h"
#include "s3/s3_int.h"

/* PUT /{bucket}/{key} -- PutObject (CopyObject when x-amz-copy-source is present) */
void s3_h_put_object(s3_req *r)
{
    if (s3_header(r, "x-amz-copy-source").ptr) {
        s3_h_copy_object(r);
        return;
    }
    store_writer *w = NULL;
    store_meta *m = s3_write_meta(r);
    if (!m)
        return;
    http_framing_kind kind;
    uint64_t length;
    if (http_body_framing(r->hr, &kind, &length) != 0 || kind == HTTP_BODY_NONE) {
        s3_error(r, S3_ERR_MISSING_CONTENT_LENGTH, NULL);
        goto out;
    }
    s3_put_check chk;
    s3_err_code err = s3_find_check(r, &chk);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    char if_match[96];
    store_cond cond;
    if (s3_write_cond(r, &cond, if_match, sizeof if_match) != 0)
        goto out;
    /* with a condition, fail fast before reading a body that cannot be stored (the
     * commit checks again); without one, no lookup (the 4 KiB PUT profile's eng_get) */
    store_meta cur;
    int rc = cond.if_none_match_any || cond.if_match
                 ? store_head(r->ctx->st, s3_bucket(r), s3_key(r), &cur)
                 : CF_ENOTFOUND;
    if ((cond.if_none_match_any && rc == 0) ||
        (cond.if_match && rc == 0 && strcmp(cur.etag, cond.if_match) != 0)) {
        s3_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        goto out;
    }
    if (cond.if_match && rc == CF_ENOTFOUND) {
        s3_error(r, S3_ERR_NO_SUCH_KEY, NULL);
        goto out;
    }
    rc = store_put_begin(r->ctx->st, s3_bucket(r), s3_key(r), &w);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    s3_received got;
    err = s3_receive(r, w, &chk, -1, S3_MAX_PUT_BYTES, &got);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    char b64[64];
    err = s3_meta_received(m, &got, b64, sizeof b64);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    rc = store_put_commit(w, m, &cond);
    w = NULL;
    if (rc) {
        s3_write_cond_error(r, rc, &cond, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    char etag[96];
    snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    http_header h[2] = {{slice_str("ETag"), slice_str(etag)}};
    size_t nh = 1;
    if (got.alg >= 0)
        h[nh++] = (http_header){slice_str(s3_ck_header((s3_ck_alg)got.alg)), slice_str(b64)};
    s3_respond_empty(r, 200, h, nh);
out:
    store_put_abort(w);
    free(m);
}

/* response_overrides -- response-* query parameters replace these response headers. */
static const char *const overrides[][2] = {
    {"response-content-type", "Content-Type"},
    {"response-content-language", "Content-Language"},
    {"response-expires", "Expires"},
    {"response-cache-control", "Cache-Control"},
    {"response-content-disposition", "Content-Disposition"},
    {"response-content-encoding", "Content-Encoding"},
};

#define MAX_RESP_HEADERS 48

/*
 * Objects share their origin with the console (/_console/, console.c), whose
 * keys live in the tab's sessionStorage. A document type a browser would run
 * script in -- HTML, XHTML, SVG, XML -- is therefore served sandboxed: it
 * still renders and may run its scripts, but in an origin of its own, so an
 * uploaded page cannot read the console's keys or act as the console
 * (doc/console.md, "Security model"). Other types (images, media, PDF,
 * text) are never documents with script, and are served as stored.
 */
#define OBJECT_SANDBOX "sandbox allow-scripts allow-forms allow-popups allow-downloads allow-modals"

static bool active_document(cf_slice ct)
{
    static const char *const types[] = {"text/html", "application/xhtml+xml", "image/svg+xml",
                                        "text/xml", "application/xml", "text/xsl"};
    size_t n = 0;
    while (n < ct.len && ct.ptr[n] != ';' && ct.ptr[n] != ' ')
        n++;
    cf_slice base = slice_make(ct.ptr, n);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (base.len == strlen(types[i]) && s3_starts_with_ci(base, types[i]))
            return true;
    return base.len > 4 && strncasecmp((const char *)base.ptr + base.len - 4, "+xml", 4) == 0;
}

/* object_headers -- the response headers describing m (except length and range);
 * whole: the response carries the whole object (200). */
static size_t object_headers(s3_req *r, const store_meta *m, bool whole, http_header *h,
                             char *etag, char *lastmod, char *tagcount)
{
    size_t n = 0;
    snprintf(etag, 96, "\"%s\"", m->etag);
    http_date(m->mtime_us / 1000000, lastmod);
    h[n++] = (http_header){slice_str("ETag"), slice_str(etag)};
    h[n++] = (http_header){slice_str("Last-Modified"), slice_str(lastmod)};
    h[n++] = (http_header){slice_str("Accept-Ranges"), slice_str("bytes")};
    cf_slice ct = s3_param_get(r, "response-content-type");
    if (!ct.ptr)
        ct = slice_str(m->content_type);
    h[n++] = (http_header){slice_str("Content-Type"), ct};
    if (active_document(ct))
        h[n++] = (http_header){slice_str("Content-Security-Policy"), slice_str(OBJECT_SANDBOX)};
    /* a checksum describes the whole object: never sent with a part of it, or with no body */
    bool checksum_mode = false;
    cf_slice cm = whole ? s3_header(r, "x-amz-checksum-mode") : slice_make(NULL, 0);
    if (cm.ptr && cm.len == 7 && strncasecmp((const char *)cm.ptr, "ENABLED", 7) == 0)
        checksum_mode = true;
    const char *p = m->headers;
    cf_slice name, value;
    while (n < MAX_RESP_HEADERS - 8 && s3_meta_next(&p, &name, &value)) {
        bool overridden = false;
        for (size_t k = 0; k < sizeof overrides / sizeof overrides[0]; k++)
            overridden = overridden || (name.len == strlen(overrides[k][1]) &&
                                        s3_starts_with_ci(name, overrides[k][1]) &&
                                        s3_param_get(r, overrides[k][0]).ptr);
        if (s3_starts_with_ci(name, "x-amz-tagging")) {
            unsigned count = value.len ? 1 : 0;
            for (size_t i = 0; i < value.len; i++)
                count += value.ptr[i] == '&';
            snprintf(tagcount, 16, "%u", count);
            if (count)
                h[n++] = (http_header){slice_str("x-amz-tagging-count"), slice_str(tagcount)};
        } else if (s3_starts_with_ci(name, "x-coffer-")) {
            continue; /* coffer's own: the ACL */
        } else if (s3_starts_with_ci(name, "x-amz-checksum-")) {
            if (checksum_mode)
                h[n++] = (http_header){name, value};
        } else if (!overridden) {
            h[n++] = (http_header){name, value};
        }
    }
    for (size_t k = 1; k < sizeof overrides / sizeof overrides[0]; k++) {
        cf_slice v = s3_param_get(r, overrides[k][0]);
        if (v.ptr)
            h[n++] = (http_header){slice_str(overrides[k][1]), v};
    }
    return n;
}

/* GET|HEAD /{bucket}/{key} -- GetObject, HeadObject */
void s3_h_get_object(s3_req *r)
{
    /* read once per request: authz.c may have read it already */
    int rc = s3_object_load(r);
    const store_meta *m = r->obj;
    store_reader *rd = NULL;
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        goto out;
    }
    r->object_size = (int64_t)m->size; /* the access log's object size */
    http_header h[MAX_RESP_HEADERS];
    char etag[96], lastmod[30], tagcount[16], crange[96];
    size_t n;
    s3_cond_headers ch = {s3_header(r, "if-match"), s3_header(r, "if-none-match"),
                          s3_header(r, "if-modified-since"), s3_header(r, "if-unmodified-since")};
    int cond = s3_cond_eval(&ch, m->etag, m->mtime_us / 1000000);
    if (cond == S3_COND_FAILED) {
        s3_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        goto out;
    }
    if (cond == S3_COND_NOT_MODIFIED) {
        n = object_headers(r, m, false, h, etag, lastmod, tagcount);
        s3_respond_empty(r, 304, h, n);
        goto out;
    }
    uint64_t off = 0, len = m->size;
    int status = 200;
    char parts_count[16];
    cf_slice part = s3_param_get(r, "partNumber");
    if (part.ptr) {
        uint32_t pn = 0;
        store_part pt;
        if (s3_header(r, "range").ptr) {
            s3_error(r, S3_ERR_INVALID_REQUEST,
                     "Cannot specify both Range header and partNumber query parameter");
            goto out;
        }
        if (s3_part_number(r, &pn))
            goto out;
        rc = store_part_find(r->ctx->st, m, pn, &pt);
        if (rc) {
            s3_error_from(r, rc, S3_ERR_INVALID_PART_NUMBER);
            goto out;
        }
        if (m->parts > 0) { /* a single-PUT object is one part: number 1 is all of it */
            status = 206;
            off = pt.offset;
            len = pt.size;
        }
    } else if (s3_if_range_holds(s3_header(r, "if-range"), m->etag, m->mtime_us / 1000000)) {
        uint64_t roff, rlen;
        int rr = s3_range_parse(s3_header(r, "range"), m->size, &roff, &rlen);
        if (rr == S3_RANGE_UNSATISFIABLE) {
            s3_error(r, S3_ERR_INVALID_RANGE, NULL);
            goto out;
        }
        if (rr == S3_RANGE_OK) {
            status = 206;
            off = roff;
            len = rlen;
        }
    }
    n = object_headers(r, m, status == 200, h, etag, lastmod, tagcount);
    if (status == 206 && len > 0) {
        snprintf(crange, sizeof crange, "bytes %llu-%llu/%llu", (unsigned long long)off,
                 (unsigned long long)(off + len - 1), (unsigned long long)m->size);
        h[n++] = (http_header){slice_str("Content-Range"), slice_str(crange)};
    }
    if (part.ptr && m->parts > 0) {
        snprintf(parts_count, sizeof parts_count, "%u", m->parts);
        h[n++] = (http_header){slice_str("x-amz-mp-parts-count"), slice_str(parts_count)};
    }
    h[n++] = (http_header){slice_str("x-amz-request-id"), slice_str(r->request_id)};
    if (s3_respond_head(r, status, h, n, len) != 0 || r->head || len == 0)
        goto out;
    rc = store_read_open(r->ctx->st, m, off, len, &rd);
    store_piece piece;
    /* chunks on disk go to the socket with sendfile: verified, never copied */
    while (rc == 0 && (rc = store_read_piece(rd, &piece)) == 1)
        rc = piece.fd >= 0 ? http_exchange_sendfile(r->ex, piece.fd, piece.file_off, piece.len)
                           : http_exchange_write(r->ex, piece.p, piece.len);
    if (rc < 0) /* headers are out: the only honest signal left is a short body */
        http_exchange_close_after(r->ex);
out:
    store_read_close(rd);
}

/* DELETE /{bucket}/{key} -- DeleteObject */
void s3_h_delete_object(s3_req *r)
{
    char if_match[96];
    store_cond cond;
    if (s3_write_cond(r, &cond, if_match, sizeof if_match) != 0)
        return;
    cond.if_none_match_any = false; /* S3 has no conditional delete on absence */
    int rc = store_delete(r->ctx->st, s3_bucket(r), s3_key(r), &cond);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        return;
    }
    s3_respond_empty(r, 204, NULL, 0);
}
