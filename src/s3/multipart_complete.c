/*
 * multipart_complete.c -- CompleteMultipartUpload: the part list judged,
 * the ETag and checksums derived from the parts' digests, and the store
 * asked to turn the upload into the object (no byte is read or copied).
 *
 * Each named part must exist with the ETag the client gives (and the
 * checksum, if given); every part but the last must be at least the
 * server's minimum part size (S3: 5 MiB). The ETag is S3's: the MD5 of the
 * concatenated binary part MD5s, then "-N". An upload created with a
 * checksum algorithm gets the object checksum S3 defines for its type:
 *   COMPOSITE    the algorithm over the concatenated part digests, "-N";
 *   FULL_OBJECT  (CRC32, CRC32C, CRC64NVME) the CRC of the whole object,
 *                computed from the part CRCs and sizes by CRC combination
 *                (util/crc.h), never by reading the bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/s3_int.h"
#include "util/crc.h"
#include "util/hex.h"

typedef struct complete_ctx {
    s3_req *r;
    const s3_complete_req *req;
    uint64_t min_part_bytes;
    int alg;           /* the upload's checksum algorithm, or -1 */
    bool full;         /* FULL_OBJECT, else COMPOSITE */
    s3_hasher etag;    /* MD5 over the part MD5s */
    s3_hasher comp;    /* COMPOSITE: alg over the part digests */
    uint64_t crc;      /* FULL_OBJECT: CRC of the parts so far */
    s3_err_code err;   /* why a part was refused */
    const char *msg;
    char checksum[80]; /* the object's checksum value, base64 (and "-N") */
} complete_ctx;

static cf_slice unquote(cf_slice v)
{
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
        return slice_make(v.ptr + 1, v.len - 2);
    return v;
}

static int refuse(complete_ctx *c, s3_err_code err, const char *msg)
{
    c->err = err;
    c->msg = msg;
    return CF_EINVAL;
}

/* digest_value -- a CRC digest (big-endian, 4 or 8 bytes) as a number. */
static uint64_t digest_value(const uint8_t *d, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | d[i];
    return v;
}

static uint64_t crc_combine(int alg, uint64_t a, uint64_t b, uint64_t len_b)
{
    switch (alg) {
    case S3_CK_CRC32: return crc32_ieee_combine((uint32_t)a, (uint32_t)b, len_b);
    case S3_CK_CRC32C: return crc32c_combine((uint32_t)a, (uint32_t)b, len_b);
    default: return crc64nvme_combine(a, b, len_b);
    }
}

static int judge_part(void *arg, size_t i, const store_part *p, const store_meta *upload)
{
    complete_ctx *c = arg;
    const s3_complete_part *want = &s3_complete_req_parts(c->req)[i];
    static const char *const invalid =
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.";
    if (!p)
        return refuse(c, S3_ERR_INVALID_PART, invalid);
    cf_slice etag = unquote(s3_xml_span_get(&c->req->text, want->etag));
    if (etag.len != strlen(p->etag) || strncasecmp((const char *)etag.ptr, p->etag, etag.len))
        return refuse(c, S3_ERR_INVALID_PART, invalid);
    if (i + 1 < c->req->n_parts && p->size < c->min_part_bytes)
        return refuse(c, S3_ERR_ENTITY_TOO_SMALL,
                      "Your proposed upload is smaller than the minimum allowed size");
    if (strlen(p->etag) != 32)
        return refuse(c, S3_ERR_INVALID_PART, invalid);
    uint8_t md5[16];
    for (size_t k = 0; k < 16; k++)
        md5[k] = (uint8_t)(hex_digit((uint8_t)p->etag[2 * k]) << 4 |
                           hex_digit((uint8_t)p->etag[2 * k + 1]));
    s3_hasher_update(&c->etag, md5, sizeof md5);
    if (c->alg < 0)
        return 0;
    if (p->checksum_len == 0)
        return refuse(c, S3_ERR_INVALID_PART, "A part has no checksum of the upload's algorithm.");
    cf_slice sent = s3_xml_span_get(&c->req->text, want->checksum[c->alg - S3_CK_CRC32]);
    if (sent.ptr && !s3_verify_digest(sent, p->checksum, p->checksum_len))
        return refuse(c, S3_ERR_INVALID_PART, invalid);
    if (!c->full)
        s3_hasher_update(&c->comp, p->checksum, p->checksum_len);
    else
        c->crc = i == 0 ? digest_value(p->checksum, p->checksum_len)
                        : crc_combine(c->alg, c->crc, digest_value(p->checksum, p->checksum_len),
                                      p->size);
    return 0;
}

static bool not_checksum_algorithm(cf_slice name)
{
    return !slice_eq(name, slice_str("x-amz-checksum-algorithm"));
}

static int finish(void *arg, store_meta *m)
{
    complete_ctx *c = arg;
    uint8_t d[S3_CK_MAX_DIGEST];
    s3_hasher_final(&c->etag, S3_CK_MD5, d);
    hex_encode(d, 16, m->etag);
    snprintf(m->etag + 32, sizeof m->etag - 32, "-%u", m->parts);
    if (c->alg < 0)
        return 0;
    size_t n;
    if (c->full) {
        n = c->alg == S3_CK_CRC64NVME ? 8 : 4;
        for (size_t k = 0; k < n; k++)
            d[k] = (uint8_t)(c->crc >> (8 * (n - 1 - k)));
        cf_slice sent = s3_header(c->r, s3_ck_header((s3_ck_alg)c->alg));
        if (sent.ptr && !s3_verify_digest(sent, d, n))
            return refuse(c, S3_ERR_BAD_DIGEST, "The full-object checksum does not match.");
    } else {
        n = s3_hasher_final(&c->comp, (s3_ck_alg)c->alg, d);
    }
    s3_base64(d, n, c->checksum, sizeof c->checksum);
    if (!c->full) {
        size_t len = strlen(c->checksum);
        snprintf(c->checksum + len, sizeof c->checksum - len, "-%u", m->parts);
    }
    /* the object's headers: the upload's, with the checksum's value instead of its algorithm */
    store_meta *tmp = malloc(sizeof *tmp);
    if (!tmp)
        return refuse(c, S3_ERR_INTERNAL_ERROR, NULL);
    memcpy(tmp->headers, m->headers, sizeof m->headers);
    m->headers[0] = '\0';
    bool ok = s3_meta_copy(m, tmp, not_checksum_algorithm) &&
              s3_meta_add(m, slice_str(s3_ck_header((s3_ck_alg)c->alg)), slice_str(c->checksum));
    free(tmp);
    return ok ? 0 : refuse(c, S3_ERR_METADATA_TOO_LARGE, NULL);
}

/* respond -- CompleteMultipartUploadResult for the object m. */
static void respond(s3_req *r, const store_meta *m)
{
    char etag[96], loc[1600];
    snprintf(etag, sizeof etag, "\"%s\"", m->etag);
    cf_slice host = s3_header(r, "host");
    snprintf(loc, sizeof loc, "http://%.*s/%.*s/%.*s", host.ptr ? (int)host.len : 0,
             host.ptr ? (const char *)host.ptr : "", (int)s3_bucket(r).len,
             (const char *)s3_bucket(r).ptr, (int)s3_key(r).len, (const char *)s3_key(r).ptr);
    s3_doc_begin(r, "CompleteMultipartUploadResult");
    s3_xml_elem_str(&r->xw, "Location", loc);
    s3_xml_elem(&r->xw, "Bucket", s3_bucket(r));
    s3_xml_elem(&r->xw, "Key", s3_key(r));
    s3_xml_elem_str(&r->xw, "ETag", etag);
    cf_slice type = s3_meta_find(m, "x-amz-checksum-type");
    http_header h[2];
    size_t nh = 0;
    for (int a = S3_CK_CRC32; a < S3_CK_COUNT && type.ptr; a++) {
        cf_slice v = s3_meta_find(m, s3_ck_header((s3_ck_alg)a));
        if (!v.ptr)
            continue;
        char name[32];
        snprintf(name, sizeof name, "Checksum%s", s3_ck_name((s3_ck_alg)a));
        s3_xml_elem(&r->xw, name, v);
        s3_xml_elem(&r->xw, "ChecksumType", type);
        h[nh++] = (http_header){slice_str(s3_ck_header((s3_ck_alg)a)), v};
        h[nh++] = (http_header){slice_str("x-amz-checksum-type"), type};
        break;
    }
    s3_xml_close(&r->xw);
    s3_respond_xml(r, 200, h, nh);
}

/* POST /{bucket}/{key}?uploadId=U -- CompleteMultipartUpload */
void s3_h_complete_upload(s3_req *r)
{
    complete_ctx c = {.r = r, .min_part_bytes = r->ctx->min_part_bytes, .alg = -1};
    s3_complete_req req = {0};
    cf_buf body = {0};
    uint32_t *numbers = NULL;
    store_meta *up = calloc(1, sizeof *up), *out = calloc(1, sizeof *out);
    bool etag_live = false, comp_live = false;
    if (!up || !out) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto done;
    }
    uint8_t id[STORE_UPLOAD_ID_BYTES];
    char if_match[96];
    store_cond cond;
    if (s3_write_cond(r, &cond, if_match, sizeof if_match) != 0)
        goto done;
    bool id_ok = s3_upload_id_parse(s3_param_get(r, "uploadId"), id);
    s3_err_code err = s3_read_small_body(r, S3_XML_COMPLETE_MAX_BODY_BYTES, &body);
    if (err == S3_ERR_NONE)
        err = s3_xml_parse_complete(body.data, body.len, &req);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, req.message);
        goto done;
    }
    c.req = &req;
    numbers = malloc(req.n_parts * sizeof *numbers);
    if (!numbers || s3_hasher_init(&c.etag, 1u << S3_CK_MD5) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        goto done;
    }
    etag_live = true;
    for (size_t i = 0; i < req.n_parts; i++)
        numbers[i] = s3_complete_req_parts(&req)[i].part_number;
    int rc = CF_ENOTFOUND;
    if (id_ok) {
        /* no upload may mean a retry of a finished completion: the store answers that */
        if (store_upload_get(r->ctx->st, s3_bucket(r), s3_key(r), id, up) == 0)
            c.alg = s3_upload_checksum(up, &c.full);
        if (s3_hasher_init(&c.comp, c.alg >= 0 && !c.full ? 1u << c.alg : 0) != 0) {
            s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
            goto done;
        }
        comp_live = true;
        store_complete sc = {numbers, req.n_parts, &cond, &c, judge_part, finish};
        rc = store_upload_complete(r->ctx->st, s3_bucket(r), s3_key(r), id, &sc, out);
    }
    if (rc && c.err != S3_ERR_NONE) {
        s3_error(r, c.err, c.msg);
        goto done;
    }
    if (rc == CF_ENOTFOUND && cond.if_match && id_ok &&
        store_upload_get(r->ctx->st, s3_bucket(r), s3_key(r), id, up) == 0) {
        s3_error(r, S3_ERR_NO_SUCH_KEY, NULL); /* If-Match on a key that does not exist */
        goto done;
    }
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_UPLOAD);
        goto done;
    }
    respond(r, out);
done:
    if (etag_live)
        s3_hasher_free(&c.etag);
    if (comp_live)
        s3_hasher_free(&c.comp);
    s3_complete_req_free(&req);
    buf_free(&body);
    free(numbers);
    free(up);
    free(out);
}
