/*
 * copy.c -- CopyObject: a new object row sharing the source's blob.
 *
 * No byte is copied (store invariant (2)): a 1 KiB and a 1 TiB copy cost the
 * same. The metadata directive picks the source's headers (COPY) or the
 * request's (REPLACE); the checksum always follows the bytes, so it is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/range.h"
#include "s3/s3_int.h"
#include "util/clock.h"

/* parse_source -- "/bucket/key" or "bucket/key" (percent-encoded, maybe ?versionId=). */
static int parse_source(cf_slice v, cf_buf *bucket, cf_buf *key)
{
    cf_buf dec = {0};
    size_t end = v.len;
    for (size_t i = 0; i < v.len; i++)
        if (v.ptr[i] == '?') {
            end = i;
            break;
        }
    int rc = http_pct_decode(slice_make(v.ptr, end), &dec, false);
    size_t i = 0;
    if (!rc && dec.len && dec.data[0] == '/')
        i = 1;
    size_t slash = i;
    while (!rc && slash < dec.len && dec.data[slash] != '/')
        slash++;
    if (!rc && (slash >= dec.len || slash == i || slash + 1 == dec.len))
        rc = CF_EINVAL;
    buf_clear(bucket);
    buf_clear(key);
    if (!rc)
        rc = buf_append(bucket, dec.data + i, slash - i);
    if (!rc)
        rc = buf_append(key, dec.data + slash + 1, dec.len - slash - 1);
    buf_free(&dec);
    return rc;
}

static bool is_checksum(cf_slice name)
{
    return s3_starts_with_ci(name, "x-amz-checksum-");
}

static bool is_directive(cf_slice v, const char *word)
{
    return v.len == strlen(word) && strncasecmp((const char *)v.ptr, word, v.len) == 0;
}

int s3_copy_source(s3_req *r, cf_buf *sbucket, cf_buf *skey, store_meta *src)
{
    store_bucket sb;
    if (parse_source(s3_header(r, "x-amz-copy-source"), sbucket, skey) != 0) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.");
        return -1;
    }
    cf_slice sbn = buf_slice(sbucket), skn = buf_slice(skey);
    int rc = store_bucket_get(r->ctx->st, sbn, &sb);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return -1;
    }
    rc = store_head(r->ctx->st, sbn, skn, src);
    if (!s3_expected_owner_ok(r, &sb, "x-amz-source-expected-bucket-owner") ||
        !s3_authorize_other(r, S3_ACT_GET_OBJECT, &sb, skn, rc ? NULL : src)) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return -1;
    }
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        return -1;
    }
    s3_cond_headers ch = {s3_header(r, "x-amz-copy-source-if-match"),
                          s3_header(r, "x-amz-copy-source-if-none-match"),
                          s3_header(r, "x-amz-copy-source-if-modified-since"),
                          s3_header(r, "x-amz-copy-source-if-unmodified-since")};
    if (s3_cond_eval(&ch, src->etag, src->mtime_us / 1000000) != S3_COND_OK) {
        s3_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        return -1;
    }
    return 0;
}

/* PUT /{bucket}/{key} with x-amz-copy-source -- CopyObject */
void s3_h_copy_object(s3_req *r)
{
    cf_buf sbucket = {0}, skey = {0};
    store_meta *src = calloc(1, sizeof *src), *m = calloc(1, sizeof *m), *out = calloc(1, sizeof *out);
    if (!src || !m || !out) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto done;
    }
    if (s3_copy_source(r, &sbucket, &skey, src) != 0)
        goto done;
    cf_slice sbn = buf_slice(&sbucket), skn = buf_slice(&skey);
    cf_slice md = s3_header(r, "x-amz-metadata-directive");
    cf_slice td = s3_header(r, "x-amz-tagging-directive");
    bool replace = md.ptr && is_directive(md, "REPLACE");
    bool replace_tags = td.ptr && is_directive(td, "REPLACE");
    if ((md.ptr && !replace && !is_directive(md, "COPY")) ||
        (td.ptr && !replace_tags && !is_directive(td, "COPY"))) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Unknown metadata or tagging directive.");
        goto done;
    }
    if (!replace && !replace_tags && slice_eq(sbn, s3_bucket(r)) && slice_eq(skn, s3_key(r))) {
        s3_error(r, S3_ERR_INVALID_REQUEST,
                 "This copy request is illegal because it is trying to copy an object to itself "
                 "without changing the object's metadata, storage class, website redirect "
                 "location or encryption attributes.");
        goto done;
    }
    if (replace) {
        s3_err_code err = s3_meta_from_request(r, m);
        if (err != S3_ERR_NONE) {
            s3_error(r, err, NULL);
            goto done;
        }
    } else {
        *m = *src;
        m->headers[0] = '\0';
        /* every source header but the tags, which follow the tagging directive, and the
         * ACL: a copy gets the ACL of its own request, as S3 */
        s3_meta_copy(m, src, s3_meta_not_tagging_or_acl);
    }
    /* the checksum belongs to the bytes: it always comes along */
    if (replace)
        s3_meta_copy(m, src, is_checksum);
    cf_slice tags = replace_tags ? s3_header(r, "x-amz-tagging") : s3_meta_find(src, "x-amz-tagging");
    if (tags.ptr && tags.len && !s3_meta_add(m, slice_str("x-amz-tagging"), tags)) {
        s3_error(r, S3_ERR_METADATA_TOO_LARGE, NULL);
        goto done;
    }
    if (s3_acl_for_write(r, m) != 0)
        goto done;
    snprintf(m->etag, sizeof m->etag, "%s", src->etag);
    m->size = src->size;
    m->mtime_us = clock_now_us();
    store_cond cond = {.origin = s3_origin(r)};
    int rc = store_copy(r->ctx->st, sbn, skn, s3_bucket(r), s3_key(r), m, &cond, out);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        goto done;
    }
    char when[32], etag[96];
    s3_iso8601(out->mtime_us, when);
    snprintf(etag, sizeof etag, "\"%s\"", out->etag);
    s3_doc_begin(r, "CopyObjectResult");
    s3_xml_elem_str(&r->xw, "LastModified", when);
    s3_xml_elem_str(&r->xw, "ETag", etag);
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
done:
    buf_free(&sbucket);
    buf_free(&skey);
    free(src);
    free(m);
    free(out);
}
