/*
 * receive.c -- what the writes of objects share (PutObject, UploadPart,
 * CompleteMultipartUpload): receiving a body into a blob writer, read once
 * and hashed once (MD5 for the ETag, plus the checksum the client sent or
 * the upload requires), verified before anything commits; and the write
 * conditions If-None-Match: * and If-Match.
 *
 * Invariant: s3_receive returns S3_ERR_NONE only if every byte the client
 * declared arrived, Content-MD5 (if sent) matches, and the x-amz-checksum-*
 * value (header or trailer, if sent) matches; otherwise the caller aborts
 * the writer and nothing becomes visible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/s3_int.h"
#include "util/clock.h"
#include "util/hex.h"

#define IO_BYTES (256u * 1024)

s3_err_code s3_find_check_in(cf_slice (*get)(void *arg, const char *name), void *arg,
                             s3_put_check *c)
{
    memset(c, 0, sizeof *c);
    c->alg = -1;
    for (int a = S3_CK_CRC32; a < S3_CK_COUNT; a++) {
        cf_slice v = get(arg, s3_ck_header((s3_ck_alg)a));
        if (!v.ptr)
            continue;
        if (c->alg >= 0)
            return S3_ERR_INVALID_REQUEST; /* one checksum per object */
        c->alg = a;
        c->value = v;
    }
    cf_slice tr = get(arg, "x-amz-trailer");
    if (tr.ptr) {
        for (int a = S3_CK_CRC32; a < S3_CK_COUNT; a++) {
            if (tr.len == strlen(s3_ck_header((s3_ck_alg)a)) &&
                strncasecmp((const char *)tr.ptr, s3_ck_header((s3_ck_alg)a), tr.len) == 0) {
                if (c->alg >= 0 && c->alg != a)
                    return S3_ERR_INVALID_REQUEST;
                c->alg = a;
                snprintf(c->trailer, sizeof c->trailer, "%s", s3_ck_header((s3_ck_alg)a));
            }
        }
        if (c->alg < 0)
            return S3_ERR_INVALID_REQUEST;
    }
    return S3_ERR_NONE;
}

static cf_slice header_of(void *arg, const char *name)
{
    return s3_header(arg, name);
}

s3_err_code s3_find_check(s3_req *r, s3_put_check *c)
{
    return s3_find_check_in(header_of, r, c);
}

bool s3_verify_digest(cf_slice b64, const uint8_t *digest, size_t n)
{
    uint8_t want[S3_CK_MAX_DIGEST];
    int got = s3_unbase64(b64, want, sizeof want);
    return got == (int)n && memcmp(want, digest, n) == 0;
}

s3_err_code s3_receive_from(const s3_source *src, store_writer *w, const s3_put_check *chk,
                            int also, uint64_t max, s3_received *out)
{
    memset(out, 0, sizeof *out);
    out->alg = chk->alg >= 0 ? chk->alg : also;
    s3_hasher h;
    unsigned algs = 1u << S3_CK_MD5;
    if (out->alg >= 0)
        algs |= 1u << out->alg;
    uint8_t *buf = malloc(IO_BYTES);
    if (!buf || s3_hasher_init(&h, algs) != 0) {
        free(buf);
        return S3_ERR_INTERNAL_ERROR;
    }
    s3_err_code err = S3_ERR_NONE;
    for (;;) {
        ssize_t n = src->read(src->arg, buf, IO_BYTES, &err);
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        s3_hasher_update(&h, buf, (size_t)n);
        if (store_put_size(w) + (uint64_t)n > max) {
            err = S3_ERR_ENTITY_TOO_LARGE;
            goto out;
        }
        int rc = store_put_write(w, buf, (size_t)n);
        if (rc != 0) {
            err = s3_err_of(rc, S3_ERR_INTERNAL_ERROR); /* a full disk: InsufficientStorage */
            goto out;
        }
    }
    if (src->declared != HTTP_NO_LENGTH && src->declared != store_put_size(w)) {
        err = S3_ERR_INCOMPLETE_BODY;
        goto out;
    }
    s3_hasher_final(&h, S3_CK_MD5, out->md5);
    cf_slice content_md5 = src->content_md5;
    if (content_md5.ptr && !s3_verify_digest(content_md5, out->md5, sizeof out->md5)) {
        uint8_t tmp[S3_CK_MAX_DIGEST];
        err = s3_unbase64(content_md5, tmp, sizeof tmp) != 16 ? S3_ERR_INVALID_DIGEST
                                                              : S3_ERR_BAD_DIGEST;
        goto out;
    }
    if (out->alg >= 0)
        out->digest_len = s3_hasher_final(&h, (s3_ck_alg)out->alg, out->digest);
    if (chk->alg >= 0) {
        cf_slice want = chk->value.ptr ? chk->value
                        : src->trailer ? src->trailer(src->arg, chk->trailer)
                                       : slice_make(NULL, 0);
        if (!want.ptr || !s3_verify_digest(want, out->digest, out->digest_len))
            err = S3_ERR_BAD_DIGEST;
    }
    out->size = store_put_size(w);
out:
    s3_hasher_free(&h);
    free(buf);
    return err;
}

/* The request body as an s3_source. */
static ssize_t body_read(void *arg, void *buf, size_t cap, s3_err_code *err)
{
    return s3_body_read(arg, buf, cap, err);
}

static cf_slice body_trailer(void *arg, const char *name)
{
    return s3_body_trailer(arg, name);
}

s3_err_code s3_receive(s3_req *r, store_writer *w, const s3_put_check *chk, int also,
                       uint64_t max, s3_received *out)
{
    s3_body *body = NULL;
    if (s3_body_open(r, &body) != 0) {
        memset(out, 0, sizeof *out);
        return S3_ERR_INTERNAL_ERROR;
    }
    s3_source src = {body_read, body_trailer, body, s3_body_decoded_length(body),
                     s3_header(r, "content-md5")};
    s3_err_code err = s3_receive_from(&src, w, chk, also, max, out);
    r->object_size = (int64_t)store_put_size(w); /* the access log's bytes received */
    s3_body_close(body);
    return err;
}

s3_err_code s3_meta_received(store_meta *m, const s3_received *got, char *b64, size_t cap)
{
    hex_encode(got->md5, sizeof got->md5, m->etag);
    b64[0] = '\0';
    if (got->alg >= 0) {
        s3_base64(got->digest, got->digest_len, b64, cap);
        if (!s3_meta_add(m, slice_str(s3_ck_header((s3_ck_alg)got->alg)), slice_str(b64)))
            return S3_ERR_METADATA_TOO_LARGE;
    }
    m->size = got->size;
    m->mtime_us = clock_now_us();
    return S3_ERR_NONE;
}

const store_origin *s3_origin(s3_req *r)
{
    r->origin.op = s3_op_name(s3_req_op(r));
    r->origin.access_key = r->access_key;
    r->origin.request_id = r->request_id;
    return &r->origin;
}

int s3_write_cond(s3_req *r, store_cond *cond, char *if_match, size_t cap)
{
    memset(cond, 0, sizeof *cond);
    cond->origin = s3_origin(r);
    cf_slice inm = s3_header(r, "if-none-match");
    if (inm.ptr) {
        if (!(inm.len == 1 && inm.ptr[0] == '*')) {
            s3_error(r, S3_ERR_NOT_IMPLEMENTED, "If-None-Match on a write supports only '*'.");
            return -1;
        }
        cond->if_none_match_any = true;
    }
    cf_slice t = s3_header(r, "if-match");
    if (t.ptr) {
        if (t.len >= 2 && t.ptr[0] == '"' && t.ptr[t.len - 1] == '"') {
            t.ptr++;
            t.len -= 2;
        }
        snprintf(if_match, cap, "%.*s", (int)t.len, (const char *)t.ptr);
        cond->if_match = if_match;
    }
    return 0;
}

void s3_write_cond_error(s3_req *r, int rc, const store_cond *cond, s3_err_code notfound)
{
    s3_error_from(r, rc, rc == CF_ENOTFOUND && cond->if_match ? S3_ERR_NO_SUCH_KEY : notfound);
}

store_meta *s3_write_meta(s3_req *r)
{
    store_meta *m = calloc(1, sizeof *m);
    s3_err_code err = m ? S3_ERR_NONE : S3_ERR_INTERNAL_ERROR;
    if (err == S3_ERR_NONE && s3_key(r).len > STORE_MAX_KEY_BYTES)
        err = S3_ERR_KEY_TOO_LONG;
    if (err == S3_ERR_NONE)
        err = s3_meta_from_request(r, m);
    if (err != S3_ERR_NONE)
        s3_error(r, err, NULL);
    if (err != S3_ERR_NONE || s3_acl_for_write(r, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}
