/*
 * list.c -- the listing API family: ListObjects (V1), ListObjectsV2 and
 * ListObjectVersions (every object is version "null" until versioning
 * exists; tools and test suites empty buckets with it).
 *
 * All three are one store_list() call: a range scan from the marker with the
 * delimiter folding common prefixes, so a page costs its own size, not the
 * bucket's. V2's continuation token is the last key or prefix returned,
 * base64-encoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/checksum.h"
#include "s3/s3_int.h"

enum list_kind { LIST_V1, LIST_V2, LIST_VERSIONS };

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
    s3_xml_elem(&c->r->xw, name, slice_make(enc.data, enc.len));
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
        s3_xml_open(&r->xw, "Owner");
        s3_xml_elem_str(&r->xw, "ID", c->owner_id);
        s3_xml_elem_str(&r->xw, "DisplayName", c->owner_id);
        s3_xml_close(&r->xw);
    }
    s3_xml_elem_str(&r->xw, "StorageClass", "STANDARD");
    s3_xml_close(&r->xw);
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

/* parse_max_keys -- max-keys: default 1000, capped at 1000; false if not a number. */
static bool parse_max_keys(s3_req *r, uint32_t *out)
{
    cf_slice v = s3_param_get(r, "max-keys");
    *out = 1000;
    if (!v.ptr)
        return true;
    uint64_t n;
    if (v.len > 10 || !slice_to_u64(v, &n))
        return false;
    *out = n < 1000 ? (uint32_t)n : 1000;
    return true;
}

static void list(s3_req *r, enum list_kind kind)
{
    store_bucket b;
    if (s3_bucket_access(r, &b))
        return;
    list_ctx c = {r, kind, false, kind != LIST_V2, b.owner, 0};
    cf_slice enc = s3_param_get(r, "encoding-type");
    if (enc.ptr && !slice_eq(enc, slice_str("url"))) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "Invalid Encoding Method specified in Request");
        return;
    }
    c.url = enc.ptr != NULL;
    store_list_req q = {0};
    if (!parse_max_keys(r, &q.max_keys)) {
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
    } else if (kind == LIST_VERSIONS) {
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

    static const char *const roots[] = {"ListBucketResult", "ListBucketResult", "ListVersionsResult"};
    s3_doc_begin(r, roots[kind]);
    s3_xml_elem_str(&r->xw, "Name", b.name);
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
    s3_xml_elem_u64(&r->xw, "MaxKeys", q.max_keys);
    if (delim.ptr)
        put_key_elem(&c, "Delimiter", delim);
    if (c.url)
        s3_xml_elem_str(&r->xw, "EncodingType", "url");
    /* entries go to a second buffer so IsTruncated, known only after the scan, can precede them */
    cf_buf head = r->out;
    r->out = (cf_buf){0};
    bool truncated = false;
    cf_buf next = {0};
    store_list_cb cb = {.arg = &c, .object = on_object, .prefix = on_prefix};
    int rc = store_list(r->ctx->st, s3_bucket(r), &q, &cb, &truncated, &next);
    cf_buf entries = r->out;
    r->out = head;
    if (rc) {
        buf_free(&entries);
        buf_free(&next);
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return;
    }
    s3_xml_elem_str(&r->xw, "IsTruncated", truncated ? "true" : "false");
    cf_slice nx = slice_make(next.data, next.len);
    if (kind == LIST_V2)
        s3_xml_elem_u64(&r->xw, "KeyCount", c.count);
    if (truncated && kind == LIST_V1 && delim.ptr)
        put_key_elem(&c, "NextMarker", nx);
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

/* GET /{bucket}?versions -- ListObjectVersions */
void s3_h_list_versions(s3_req *r)
{
    list(r, LIST_VERSIONS);
}
