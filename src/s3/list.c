/*
 * list.c -- the listing API family: ListObjects (V1), ListObjectsV2,
 * ListObjectVersions (every object is version "null" until versioning
 * exists; tools and test suites empty buckets with it) and
 * ListMultipartUploads.
 *
 * All four are one store_list() (or store_list_uploads()) call: a range scan from the marker with the
 * delimiter folding common prefixes, so a page costs its own size, not the
 * bucket's. V2's continuation token is the last key or prefix returned,
 * base64-encoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/checksum.h"
#include "s3/s3_int.h"
#include "util/hex.h"

enum list_kind { LIST_V1, LIST_V2, LIST_VERSIONS, LIST_UPLOADS };

typedef struct list_ctx {
    s3_req *r;
    enum list_kind kind;
    bool url;        /* encoding-type=url */
    bool owner;      /* include <Owner> */
    const char *owner_id;
    uint32_t count;  /* entries written */
} list_ctx;

/* put_key_elem -- <name>key</name>, URL-encoded when the client asked. */
static void put_key_elem(list_ctx *c, const char *name, cf_slice key)
{
    if (!c->url) {
        s3_xml_elem(&c->r->xw, name, key);
        return;
    }
    cf_buf enc = {0};
    http_pct_encode(&enc, key, true);
    s3_xml_elem(&c->r->xw, name, buf_slice(&enc));
    buf_free(&enc);
}

static int on_object(void *arg, cf_slice key, const store_meta *m)
{
    list_ctx *c = arg;
    s3_req *r = c->r;
    char when[32], etag[96];
    s3_iso8601(m->mtime_us, when);
    snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    s3_xml_open(&r->xw, c->kind == LIST_VERSIONS ? "Version" : "Contents");
    put_key_elem(c, "Key", key);
    if (c->kind == LIST_VERSIONS) {
        s3_xml_elem_str(&r->xw, "VersionId", "null");
        s3_xml_elem_str(&r->xw, "IsLatest", "true");
    }
    s3_xml_elem_str(&r->xw, "LastModified", when);
    s3_xml_elem_str(&r->xw, "ETag", etag);
    s3_xml_elem_u64(&r->xw, "Size", m->size);
    if (c->owner) {
        s3_doc_user(r, "Owner", c->owner_id);
    }
    s3_xml_elem_str(&r->xw, "StorageClass", "STANDARD");
    s3_xml_close(&r->xw);
    c->count++;
    return 0;
}

static int on_upload(void *arg, cf_slice key, const uint8_t *id, const store_meta *m)
{
    list_ctx *c = arg;
    s3_xml_writer *x = &c->r->xw;
    char when[32], hex[2 * STORE_UPLOAD_ID_BYTES + 1];
    s3_iso8601(m->mtime_us, when);
    hex_encode(id, STORE_UPLOAD_ID_BYTES, hex);
    s3_xml_open(x, "Upload");
    put_key_elem(c, "Key", key);
    s3_xml_elem_str(x, "UploadId", hex);
    s3_doc_user(c->r, "Initiator", c->owner_id);
    s3_doc_user(c->r, "Owner", c->owner_id);
    s3_xml_elem_str(x, "StorageClass", "STANDARD");
    s3_xml_elem_str(x, "Initiated", when);
    bool full;
    int alg = s3_upload_checksum(m, &full);
    if (alg >= 0) {
        s3_xml_elem_str(x, "ChecksumAlgorithm", s3_ck_name((s3_ck_alg)alg));
        s3_xml_elem_str(x, "ChecksumType", full ? "FULL_OBJECT" : "COMPOSITE");
    }
    s3_xml_close(x);
    c->count++;
    return 0;
}

static int on_prefix(void *arg, cf_slice prefix)
{
    list_ctx *c = arg;
    s3_xml_open(&c->r->xw, "CommonPrefixes");
    put_key_elem(c, "Prefix", prefix);
    s3_xml_close(&c->r->xw);
    c->count++;
    return 0;
}

static void list(s3_req *r, enum list_kind kind)
{
    list_ctx c = {r, kind, false, kind != LIST_V2, r->b.owner, 0};
    cf_slice enc = s3_param_get(r, "encoding-type");
    if (enc.ptr && !slice_eq(enc, slice_str("url"))) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Invalid Encoding Method specified in Request");
        return;
    }
    c.url = enc.ptr != NULL;
    store_list_req q = {0};
    if (!s3_param_max(r, kind == LIST_UPLOADS ? "max-uploads" : "max-keys", &q.max_keys)) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Provided max-keys not an integer or within integer range");
        return;
    }
    cf_slice prefix = s3_param_get(r, "prefix"), delim = s3_param_get(r, "delimiter");
    q.prefix = prefix.ptr ? prefix : slice_make("", 0);
    q.delimiter = delim.ptr ? delim : slice_make("", 0);
    uint8_t token[STORE_MAX_KEY_BYTES + 8];
    cf_slice marker = {NULL, 0}, cont = {NULL, 0}, start_after = {NULL, 0};
    if (kind == LIST_V1) {
        marker = s3_param_get(r, "marker");
        q.start_after = marker;
    } else if (kind == LIST_VERSIONS || kind == LIST_UPLOADS) {
        marker = s3_param_get(r, "key-marker");
        q.start_after = marker;
    } else {
        cf_slice lt = s3_param_get(r, "list-type");
        if (!slice_eq(lt, slice_str("2"))) {
            s3_error(r, S3_ERR_INVALID_ARGUMENT, "Invalid list type");
            return;
        }
        c.owner = slice_eq(s3_param_get(r, "fetch-owner"), slice_str("true"));
        cont = s3_param_get(r, "continuation-token");
        start_after = s3_param_get(r, "start-after");
        q.start_after = start_after;
        if (cont.ptr) {
            int n = s3_unbase64(cont, token, sizeof token);
            if (n < 0) {
                s3_error(r, S3_ERR_INVALID_ARGUMENT, "The continuation token provided is incorrect");
                return;
            }
            q.start_after = slice_make(token, (size_t)n);
        }
    }
    if (!q.start_after.ptr)
        q.start_after = slice_make("", 0);

    /* uploads: resume inside key-marker after upload-id-marker, if it names one */
    uint8_t after_id[STORE_UPLOAD_ID_BYTES], next_id[STORE_UPLOAD_ID_BYTES];
    cf_slice id_marker = s3_param_get(r, "upload-id-marker");
    bool has_after_id = kind == LIST_UPLOADS && marker.ptr && marker.len &&
                        s3_upload_id_parse(id_marker, after_id);

    static const char *const roots[] = {"ListBucketResult", "ListBucketResult",
                                        "ListVersionsResult", "ListMultipartUploadsResult"};
    s3_doc_begin(r, roots[kind]);
    s3_xml_elem_str(&r->xw, kind == LIST_UPLOADS ? "Bucket" : "Name", r->b.name);
    if (kind == LIST_UPLOADS) {
        put_key_elem(&c, "KeyMarker", marker.ptr ? marker : slice_make("", 0));
        s3_xml_elem(&r->xw, "UploadIdMarker", id_marker.ptr ? id_marker : slice_make("", 0));
    }
    put_key_elem(&c, "Prefix", q.prefix);
    if (kind == LIST_V1)
        put_key_elem(&c, "Marker", marker.ptr ? marker : slice_make("", 0));
    if (kind == LIST_VERSIONS) {
        put_key_elem(&c, "KeyMarker", marker.ptr ? marker : slice_make("", 0));
        s3_xml_elem_str(&r->xw, "VersionIdMarker", "");
    }
    if (kind == LIST_V2 && cont.ptr)
        s3_xml_elem(&r->xw, "ContinuationToken", cont);
    if (kind == LIST_V2 && start_after.ptr)
        put_key_elem(&c, "StartAfter", start_after);
    s3_xml_elem_u64(&r->xw, kind == LIST_UPLOADS ? "MaxUploads" : "MaxKeys", q.max_keys);
    if (delim.ptr)
        put_key_elem(&c, "Delimiter", delim);
    if (c.url)
        s3_xml_elem_str(&r->xw, "EncodingType", "url");
    /* entries go to a second buffer so IsTruncated, known only after the scan, can precede them */
    cf_buf head = r->out;
    r->out = (cf_buf){0};
    bool truncated = false;
    cf_buf next = {0};
    store_list_cb cb = {.arg = &c, .object = on_object, .prefix = on_prefix, .upload = on_upload};
    int rc = kind == LIST_UPLOADS
                 ? store_list_uploads(r->ctx->st, s3_bucket(r), &q, has_after_id ? after_id : NULL,
                                      &cb, &truncated, &next, next_id)
                 : s3_cdc_view(r) ? s3_cdc_list(r, &q, &cb, &truncated, &next)
                 : store_list(r->ctx->st, s3_bucket(r), &q, &cb, &truncated, &next);
    cf_buf entries = r->out;
    r->out = head;
    if (rc) {
        buf_free(&entries);
        buf_free(&next);
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    s3_xml_elem_str(&r->xw, "IsTruncated", truncated ? "true" : "false");
    cf_slice nx = buf_slice(&next);
    if (kind == LIST_V2)
        s3_xml_elem_u64(&r->xw, "KeyCount", c.count);
    if (truncated && kind == LIST_V1 && delim.ptr)
        put_key_elem(&c, "NextMarker", nx);
    if (truncated && kind == LIST_UPLOADS) {
        char hex[2 * STORE_UPLOAD_ID_BYTES + 1] = "";
        static const uint8_t zero[STORE_UPLOAD_ID_BYTES];
        if (memcmp(next_id, zero, sizeof zero) != 0)
            hex_encode(next_id, sizeof next_id, hex);
        put_key_elem(&c, "NextKeyMarker", nx);
        s3_xml_elem_str(&r->xw, "NextUploadIdMarker", hex);
    }
    if (truncated && kind == LIST_VERSIONS) {
        put_key_elem(&c, "NextKeyMarker", nx);
        s3_xml_elem_str(&r->xw, "NextVersionIdMarker", "null");
    }
    if (truncated && kind == LIST_V2) {
        char *tok = malloc(4 * (next.len / 3 + 1) + 8);
        if (tok) {
            s3_base64(next.data, next.len, tok, 4 * (next.len / 3 + 1) + 8);
            s3_xml_elem_str(&r->xw, "NextContinuationToken", tok);
            free(tok);
        }
    }
    buf_append(&r->out, entries.data, entries.len);
    s3_xml_close(&r->xw);
    buf_free(&entries);
    buf_free(&next);
    s3_respond_xml(r, 200, NULL, 0);
}

/* GET /{bucket} -- ListObjects */
void s3_h_list_objects(s3_req *r)
{
    list(r, LIST_V1);
}

/* GET /{bucket}?list-type=2 -- ListObjectsV2 */
void s3_h_list_objects_v2(s3_req *r)
{
    list(r, LIST_V2);
}

/* GET /{bucket}?uploads -- ListMultipartUploads */
void s3_h_list_uploads(s3_req *r)
{
    list(r, LIST_UPLOADS);
}

/* GET /{bucket}?versions -- ListObjectVersions */
void s3_h_list_versions(s3_req *r)
{
    list(r, LIST_VERSIONS);
}
