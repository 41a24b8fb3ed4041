/*
 * multipart.c -- the multipart upload API family, but completion
 * (multipart_complete.c) and the uploads listing (list.c):
 * CreateMultipartUpload, UploadPart, UploadPartCopy, AbortMultipartUpload,
 * ListParts.
 *
 * An upload id on the wire is the store's 16-byte id in 32 lowercase hex
 * digits; anything else names no upload (NoSuchUpload). The checksum an
 * upload asks for (x-amz-checksum-algorithm, -type at creation) is kept in
 * the upload's headers and computed by coffer on every part, whether or not
 * the client sends it, so completion always has every part's checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/range.h"
#include "s3/s3_int.h"
#include "util/hex.h"

#define MAX_PART_BYTES (5ull << 30)

bool s3_upload_id_parse(cf_slice v, uint8_t *id)
{
    if (v.len != 2 * STORE_UPLOAD_ID_BYTES)
        return false;
    for (size_t i = 0; i < STORE_UPLOAD_ID_BYTES; i++) {
        int hi = hex_digit(v.ptr[2 * i]), lo = hex_digit(v.ptr[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        id[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

int s3_upload_checksum(const store_meta *up, bool *full_object)
{
    cf_slice alg = s3_meta_find(up, "x-amz-checksum-algorithm");
    cf_slice type = s3_meta_find(up, "x-amz-checksum-type");
    *full_object = type.ptr && slice_eq(type, slice_str("FULL_OBJECT"));
    return alg.ptr ? s3_ck_from_name(alg) : -1;
}

/* upload_doc_begin -- a response document naming the upload: <root><Bucket/><Key/><UploadId/>. */
static void upload_doc_begin(s3_req *r, const char *root, const uint8_t *id)
{
    char hex[2 * STORE_UPLOAD_ID_BYTES + 1];
    hex_encode(id, STORE_UPLOAD_ID_BYTES, hex);
    s3_doc_begin(r, root);
    s3_xml_elem(&r->xw, "Bucket", s3_bucket(r));
    s3_xml_elem(&r->xw, "Key", s3_key(r));
    s3_xml_elem_str(&r->xw, "UploadId", hex);
}

/* upload_of_request -- the upload ?uploadId names for this bucket/key, or answers NoSuchUpload. */
static int upload_of_request(s3_req *r, uint8_t *id, store_meta *up)
{
    int rc = CF_ENOTFOUND;
    if (s3_upload_id_parse(s3_param_get(r, "uploadId"), id))
        rc = store_upload_get(r->ctx->st, s3_bucket(r), s3_key(r), id, up);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        return -1;
    }
    return 0;
}

/* POST /{bucket}/{key}?uploads -- CreateMultipartUpload */
void s3_h_create_upload(s3_req *r)
{
    store_meta *m = s3_write_meta(r);
    if (!m)
        return;
    /* the checksum the object will carry: algorithm and type */
    cf_slice alg_h = s3_header(r, "x-amz-checksum-algorithm");
    cf_slice type_h = s3_header(r, "x-amz-checksum-type");
    int alg = alg_h.ptr ? s3_ck_from_name(alg_h) : -1;
    bool crc = alg == S3_CK_CRC32 || alg == S3_CK_CRC32C || alg == S3_CK_CRC64NVME;
    bool full = alg == S3_CK_CRC64NVME; /* S3's default type per algorithm */
    if (type_h.ptr && s3_starts_with_ci(type_h, "FULL_OBJECT") && type_h.len == 11)
        full = true;
    else if (type_h.ptr && s3_starts_with_ci(type_h, "COMPOSITE") && type_h.len == 9)
        full = false;
    else if (type_h.ptr)
        alg = -2;
    if ((alg_h.ptr && (alg < 0 || alg == S3_CK_MD5)) || (type_h.ptr && !alg_h.ptr) ||
        (full && !crc) || (alg == S3_CK_CRC64NVME && !full)) {
        s3_error(r, S3_ERR_INVALID_REQUEST,
                 "The checksum algorithm or type is not valid for a multipart upload.");
        goto out;
    }
    const char *type = full ? "FULL_OBJECT" : "COMPOSITE";
    if (alg >= 0 && (!s3_meta_add(m, slice_str("x-amz-checksum-algorithm"),
                                  slice_str(s3_ck_name((s3_ck_alg)alg))) ||
                     !s3_meta_add(m, slice_str("x-amz-checksum-type"), slice_str(type)))) {
        s3_error(r, S3_ERR_METADATA_TOO_LARGE, NULL);
        goto out;
    }
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    int rc = store_upload_create(r->ctx->st, s3_bucket(r), s3_key(r), m, id);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    upload_doc_begin(r, "InitiateMultipartUploadResult", id);
    s3_xml_close(&r->xw);
    http_header h[2];
    size_t nh = 0;
    if (alg >= 0) {
        h[nh++] = (http_header){slice_str("x-amz-checksum-algorithm"),
                                slice_str(s3_ck_name((s3_ck_alg)alg))};
        h[nh++] = (http_header){slice_str("x-amz-checksum-type"), slice_str(type)};
    }
    s3_respond_xml(r, 200, h, nh);
out:
    free(m);
}

int s3_part_number(s3_req *r, uint32_t *out)
{
    uint64_t n = 0;
    cf_slice v = s3_param_get(r, "partNumber");
    if (!v.ptr || v.len > 5 || !slice_to_u64(v, &n) || n < 1 || n > STORE_MAX_PARTS) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT,
                 "Part number must be an integer between 1 and 10000, inclusive");
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

/* respond_part -- the answer to UploadPart: its ETag and the checksum received. */
static void respond_part(s3_req *r, const store_part *p, const s3_received *got)
{
    char etag[48], b64[64];
    snprintf(etag, sizeof etag, "\"%s\"", p->etag);
    http_header h[2] = {{slice_str("ETag"), slice_str(etag)}};
    size_t nh = 1;
    if (got->alg >= 0) {
        s3_base64(got->digest, got->digest_len, b64, sizeof b64);
        h[nh++] = (http_header){slice_str(s3_ck_header((s3_ck_alg)got->alg)), slice_str(b64)};
    }
    s3_respond_empty(r, 200, h, nh);
}

/* PUT /{bucket}/{key}?partNumber=N&uploadId=U -- UploadPart (UploadPartCopy with x-amz-copy-source) */
void s3_h_upload_part(s3_req *r)
{
    if (s3_header(r, "x-amz-copy-source").ptr) {
        s3_h_upload_part_copy(r);
        return;
    }
    store_meta *up = calloc(1, sizeof *up);
    store_writer *w = NULL;
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    uint32_t number;
    if (!up) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    if (s3_part_number(r, &number) || upload_of_request(r, id, up))
        goto out;
    http_framing_kind kind;
    uint64_t length;
    if (http_body_framing(r->hr, &kind, &length) != 0 || kind == HTTP_BODY_NONE) {
        s3_error(r, S3_ERR_MISSING_CONTENT_LENGTH, NULL);
        goto out;
    }
    bool full;
    int alg = s3_upload_checksum(up, &full);
    s3_put_check chk;
    s3_err_code err = s3_find_check(r, &chk);
    if (err == S3_ERR_NONE && alg >= 0 && chk.alg >= 0 && chk.alg != alg)
        err = S3_ERR_INVALID_REQUEST; /* a part's checksum is the upload's algorithm */
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    int rc = store_put_begin(r->ctx->st, s3_bucket(r), s3_key(r), &w);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    s3_received got;
    err = s3_receive(r, w, &chk, alg, MAX_PART_BYTES, &got);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, NULL);
        goto out;
    }
    store_part p = {.number = number, .size = got.size};
    hex_encode(got.md5, sizeof got.md5, p.etag);
    if (alg >= 0) {
        memcpy(p.checksum, got.digest, got.digest_len);
        p.checksum_len = (uint8_t)got.digest_len;
    }
    rc = store_part_commit(w, id, &p);
    w = NULL;
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        goto out;
    }
    respond_part(r, &p, &got);
out:
    store_put_abort(w);
    free(up);
}

/* copy_range -- x-amz-copy-source-range within size into *off, *len; answers errors. */
static int copy_range(s3_req *r, uint64_t size, uint64_t *off, uint64_t *len)
{
    cf_slice v = s3_header(r, "x-amz-copy-source-range");
    *off = 0;
    *len = size;
    int rr = v.ptr ? s3_copy_range_parse(v, size, off, len) : S3_RANGE_OK;
    if (rr < 0)
        s3_error(r, S3_ERR_INVALID_ARGUMENT,
                 "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                 "first and last are the zero-based offsets of the first and last bytes to copy");
    else if (rr == S3_RANGE_UNSATISFIABLE)
        s3_error(r, S3_ERR_INVALID_RANGE, "The requested range is not satisfiable");
    return rr == S3_RANGE_OK ? 0 : -1;
}

/*
 * copy_bytes -- part p of the upload from [off, off + len) of src, read and
 * written through (MD5 and the upload's checksum alg computed on the way).
 */
static int copy_bytes(s3_req *r, const store_meta *src, uint64_t off, uint64_t len, int alg,
                      const uint8_t *id, store_part *p)
{
    store_reader *rd = NULL;
    store_writer *w = NULL;
    s3_hasher h;
    if (s3_hasher_init(&h, 1u << S3_CK_MD5 | (alg >= 0 ? 1u << alg : 0)) != 0)
        return CF_ENOMEM;
    int rc = store_read_open(r->ctx->st, src, off, len, &rd);
    if (!rc)
        rc = store_put_begin(r->ctx->st, s3_bucket(r), s3_key(r), &w);
    const uint8_t *b;
    size_t n;
    while (!rc && (rc = store_read_next(rd, &b, &n)) == 1) {
        s3_hasher_update(&h, b, n);
        rc = store_put_write(w, b, n);
    }
    if (!rc) {
        uint8_t md5[S3_CK_MAX_DIGEST];
        s3_hasher_final(&h, S3_CK_MD5, md5);
        hex_encode(md5, 16, p->etag);
        if (alg >= 0)
            p->checksum_len = (uint8_t)s3_hasher_final(&h, (s3_ck_alg)alg, p->checksum);
        p->size = len;
        rc = store_part_commit(w, id, p);
        w = NULL;
    }
    store_put_abort(w);
    store_read_close(rd);
    s3_hasher_free(&h);
    return rc;
}

/*
 * share_digest -- whether the whole single-blob src can become the part
 * without a byte copied: its ETag is its MD5 and, if the upload wants a
 * checksum, src carries that algorithm's full-object value (copied to p).
 */
static bool share_digest(const store_meta *src, int alg, store_part *p)
{
    if (src->parts != 0 || strlen(src->etag) != 32)
        return false;
    if (alg >= 0) {
        cf_slice v = s3_meta_find(src, s3_ck_header((s3_ck_alg)alg));
        int n = v.ptr ? s3_unbase64(v, p->checksum, sizeof p->checksum) : -1;
        if (n <= 0)
            return false;
        p->checksum_len = (uint8_t)n;
    }
    snprintf(p->etag, sizeof p->etag, "%.32s", src->etag);
    p->size = src->size;
    return true;
}

/* PUT /{bucket}/{key}?partNumber=N&uploadId=U with x-amz-copy-source -- UploadPartCopy */
void s3_h_upload_part_copy(s3_req *r)
{
    store_meta *up = calloc(1, sizeof *up), *src = calloc(1, sizeof *src);
    cf_buf sbucket = {0}, skey = {0};
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    uint32_t number;
    if (!up || !src) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto out;
    }
    if (s3_part_number(r, &number) || upload_of_request(r, id, up) ||
        s3_copy_source(r, &sbucket, &skey, src))
        goto out;
    uint64_t off, len;
    if (copy_range(r, src->size, &off, &len))
        goto out;
    if (len > MAX_PART_BYTES) {
        s3_error(r, S3_ERR_ENTITY_TOO_LARGE, NULL);
        goto out;
    }
    bool full;
    int alg = s3_upload_checksum(up, &full);
    store_part p = {.number = number};
    int rc;
    if (!s3_header(r, "x-amz-copy-source-range").ptr && share_digest(src, alg, &p))
        rc = store_part_share(r->ctx->st, s3_bucket(r), s3_key(r), id,
                              buf_slice(&sbucket),
                              buf_slice(&skey), &p);
    else
        rc = copy_bytes(r, src, off, len, alg, id, &p);
    if (rc == CF_EINVAL) /* the source changed under the share: copy its bytes instead */
        rc = copy_bytes(r, src, off, len, alg, id, &p);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        goto out;
    }
    char when[32], etag[48], b64[64];
    s3_iso8601(p.mtime_us, when);
    snprintf(etag, sizeof etag, "\"%s\"", p.etag);
    s3_doc_begin(r, "CopyPartResult");
    s3_xml_elem_str(&r->xw, "LastModified", when);
    s3_xml_elem_str(&r->xw, "ETag", etag);
    if (alg >= 0 && p.checksum_len) {
        char name[32];
        s3_base64(p.checksum, p.checksum_len, b64, sizeof b64);
        snprintf(name, sizeof name, "Checksum%s", s3_ck_name((s3_ck_alg)alg));
        s3_xml_elem_str(&r->xw, name, b64);
    }
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
out:
    buf_free(&sbucket);
    buf_free(&skey);
    free(up);
    free(src);
}

/* DELETE /{bucket}/{key}?uploadId=U -- AbortMultipartUpload */
void s3_h_abort_upload(s3_req *r)
{
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    int rc = CF_ENOTFOUND;
    if (s3_upload_id_parse(s3_param_get(r, "uploadId"), id))
        rc = store_upload_abort(r->ctx->st, s3_bucket(r), s3_key(r), id);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        return;
    }
    s3_respond_empty(r, 204, NULL, 0);
}

typedef struct parts_ctx {
    s3_req *r;
    int alg;
    uint32_t last;
} parts_ctx;

static int on_part(void *arg, const store_part *p)
{
    parts_ctx *c = arg;
    s3_xml_writer *x = &c->r->xw;
    char when[32], etag[48], b64[64], name[32];
    s3_iso8601(p->mtime_us, when);
    snprintf(etag, sizeof etag, "\"%s\"", p->etag);
    s3_xml_open(x, "Part");
    s3_xml_elem_u64(x, "PartNumber", p->number);
    s3_xml_elem_str(x, "LastModified", when);
    s3_xml_elem_str(x, "ETag", etag);
    s3_xml_elem_u64(x, "Size", p->size);
    if (c->alg >= 0 && p->checksum_len) {
        s3_base64(p->checksum, p->checksum_len, b64, sizeof b64);
        snprintf(name, sizeof name, "Checksum%s", s3_ck_name((s3_ck_alg)c->alg));
        s3_xml_elem_str(x, name, b64);
    }
    s3_xml_close(x);
    c->last = p->number;
    return 0;
}

/* GET /{bucket}/{key}?uploadId=U -- ListParts */
void s3_h_list_parts(s3_req *r)
{
    store_meta *up = calloc(1, sizeof *up);
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    if (!up) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return;
    }
    if (upload_of_request(r, id, up))
        goto out;
    uint32_t max;
    uint64_t marker = 0;
    cf_slice pv = s3_param_get(r, "part-number-marker");
    if (!s3_param_max(r, "max-parts", &max) ||
        (pv.ptr && pv.len > 0 && (pv.len > 10 || !slice_to_u64(pv, &marker)))) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "max-parts and part-number-marker must be integers");
        goto out;
    }
    marker = marker > STORE_MAX_PARTS ? STORE_MAX_PARTS : marker;
    bool full;
    parts_ctx c = {r, s3_upload_checksum(up, &full), (uint32_t)marker};
    upload_doc_begin(r, "ListPartsResult", id);
    s3_xml_elem_u64(&r->xw, "PartNumberMarker", marker);
    /* parts go to a second buffer so the page's facts can precede them */
    cf_buf head = r->out;
    r->out = (cf_buf){0};
    bool truncated = false;
    int rc = store_parts_list(r->ctx->st, id, (uint32_t)marker, max, on_part, &c,
                              &truncated);
    cf_buf parts = r->out;
    r->out = head;
    if (rc) {
        buf_free(&parts);
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        goto out;
    }
    s3_xml_elem_u64(&r->xw, "NextPartNumberMarker", c.last);
    s3_xml_elem_u64(&r->xw, "MaxParts", max);
    s3_xml_elem_str(&r->xw, "IsTruncated", truncated ? "true" : "false");
    s3_doc_user(r, "Initiator", r->access_key);
    s3_doc_user(r, "Owner", r->access_key);
    s3_xml_elem_str(&r->xw, "StorageClass", "STANDARD");
    if (c.alg >= 0) {
        s3_xml_elem_str(&r->xw, "ChecksumAlgorithm", s3_ck_name((s3_ck_alg)c.alg));
        s3_xml_elem_str(&r->xw, "ChecksumType", full ? "FULL_OBJECT" : "COMPOSITE");
    }
    buf_append(&r->out, parts.data, parts.len);
    buf_free(&parts);
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, NULL, 0);
out:
    free(up);
}
