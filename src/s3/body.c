/*
 * body.c -- reading a request body the way its signature says.
 *
 * x-amz-content-sha256 decides: a hex hash is checked against the body's
 * SHA-256 at its end (XAmzContentSHA256Mismatch); UNSIGNED-PAYLOAD is read as
 * is; the three STREAMING-* modes are aws-chunked bodies, decoded here, with
 * each chunk's signature chained from the request's (signed modes) and the
 * trailing headers collected (and their signature checked in the signed
 * trailer mode). Nothing read is trusted until s3_body_read returns 0: the
 * caller commits only then.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/checksum.h"
#include "s3/s3_int.h"

#define BODY_IN_BYTES (64u * 1024)

struct s3_body {
    s3_req *r;
    bool chunked;        /* aws-chunked framing */
    bool signed_chunks;  /* chunk signatures to verify */
    bool done;
    http_aws_chunked dec;
    EVP_MD_CTX *sha;     /* S3_PAYLOAD_SHA256: the running hash to compare */
    uint64_t declared;   /* decoded length the client declared, HTTP_NO_LENGTH if none */
    size_t in_off, in_len;
    uint8_t in[BODY_IN_BYTES];
};

static uint64_t header_u64(s3_req *r, const char *name)
{
    cf_slice v = s3_header(r, name);
    uint64_t n;
    return v.len <= 19 && slice_to_u64(v, &n) ? n : HTTP_NO_LENGTH;
}

int s3_body_open(s3_req *r, s3_body **out)
{
    *out = NULL;
    s3_body *b = calloc(1, sizeof *b);
    if (!b)
        return CF_ENOMEM;
    b->r = r;
    s3_payload_mode mode = r->auth.payload;
    b->chunked = mode == S3_PAYLOAD_STREAMING || mode == S3_PAYLOAD_STREAMING_TRAILER ||
                 mode == S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER;
    b->signed_chunks = mode == S3_PAYLOAD_STREAMING || mode == S3_PAYLOAD_STREAMING_TRAILER;
    b->declared = header_u64(r, b->chunked ? "x-amz-decoded-content-length" : "content-length");
    b->dec.want_trailers = s3_header(r, "x-amz-trailer").ptr != NULL;
    if (mode == S3_PAYLOAD_SHA256) {
        b->sha = EVP_MD_CTX_new();
        if (!b->sha || EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL) != 1) {
            s3_body_close(b);
            return CF_ENOMEM;
        }
    }
    *out = b;
    return 0;
}

/* finish -- the body ended: the checks that need all of it. */
static ssize_t finish(s3_body *b, s3_err_code *err)
{
    if (b->chunked && !b->done) {
        *err = S3_ERR_INCOMPLETE_BODY;
        return -1;
    }
    if (b->sha) {
        uint8_t got[32];
        unsigned n = 0;
        EVP_DigestFinal_ex(b->sha, got, &n);
        if (n != 32 || memcmp(got, b->r->auth.content_sha256, 32) != 0) {
            *err = S3_ERR_X_AMZ_CONTENT_SHA256_MISMATCH;
            return -1;
        }
    }
    b->done = true;
    return 0;
}

/* on_done -- the final chunk and its trailers are in: verify the trailer signature. */
static int on_done(s3_body *b, s3_err_code *err)
{
    b->done = true;
    if (b->r->auth.payload != S3_PAYLOAD_STREAMING_TRAILER)
        return 0;
    cf_slice names[HTTP_AWS_MAX_TRAILERS], values[HTTP_AWS_MAX_TRAILERS], declared = {NULL, 0};
    size_t n = 0;
    for (size_t i = 0; i < b->dec.n_trailers; i++) {
        cf_slice name = slice_str(b->dec.trailer_name[i]);
        cf_slice value = slice_str(b->dec.trailer_value[i]);
        if (name.len == 23 && strncasecmp((const char *)name.ptr, "x-amz-trailer-signature", 23) == 0)
            declared = value;
        names[n] = name;
        values[n++] = value;
    }
    if (!declared.ptr || s3_sigv4_stream_trailer(&b->r->auth.stream, names, values, n, declared) !=
                             S3_AUTH_OK) {
        *err = S3_ERR_SIGNATURE_DOES_NOT_MATCH;
        return -1;
    }
    return 0;
}

/* refill -- reads more raw body bytes into b->in. 1 read, 0 end of body, -1 error (*err). */
static int refill(s3_body *b, s3_err_code *err)
{
    ssize_t n = http_exchange_read_body(b->r->ex, b->in, sizeof b->in);
    if (n < 0) {
        *err = n == CF_EAGAIN ? S3_ERR_REQUEST_TIMEOUT : S3_ERR_INCOMPLETE_BODY;
        return -1;
    }
    b->in_off = 0;
    b->in_len = (size_t)n;
    return n > 0;
}

/* read_plain -- a body sent as is. */
static ssize_t read_plain(s3_body *b, void *buf, size_t cap, s3_err_code *err)
{
    if (b->in_off == b->in_len) {
        int got = refill(b, err);
        if (got <= 0)
            return got < 0 ? -1 : finish(b, err);
    }
    size_t avail = b->in_len - b->in_off, n = avail < cap ? avail : cap;
    memcpy(buf, b->in + b->in_off, n);
    b->in_off += n;
    if (b->sha)
        EVP_DigestUpdate(b->sha, buf, n);
    return (ssize_t)n;
}

/*
 * read_chunked -- an aws-chunked body. The decoder reports one event per
 * call and may report one from no input at all (the final chunk's end), so
 * it is fed whatever is buffered, even nothing, until it neither consumes
 * nor reports; only then is more read from the connection.
 */
static ssize_t read_chunked(s3_body *b, void *buf, size_t cap, s3_err_code *err)
{
    for (;;) {
        if (b->done)
            return b->in_off == b->in_len ? finish(b, err) : (*err = S3_ERR_INVALID_REQUEST, -1);
        size_t avail = b->in_len - b->in_off;
        const uint8_t *data;
        size_t dlen;
        int ev;
        /* at most cap input bytes, so the payload among them fits buf */
        int used = http_aws_chunked_feed(&b->dec, b->in + b->in_off, avail < cap ? avail : cap,
                                         &data, &dlen, &ev);
        if (used < 0) {
            *err = S3_ERR_INCOMPLETE_BODY;
            return -1;
        }
        b->in_off += (size_t)used;
        if (dlen) {
            memmove(buf, data, dlen);
            if (b->signed_chunks && s3_sigv4_stream_update(&b->r->auth.stream, buf, dlen) != 0) {
                *err = S3_ERR_INTERNAL_ERROR;
                return -1;
            }
        }
        if (ev == HTTP_AWS_EV_CHUNK_END && b->signed_chunks &&
            s3_sigv4_stream_chunk_end(&b->r->auth.stream, slice_str(b->dec.sig)) != S3_AUTH_OK) {
            *err = S3_ERR_SIGNATURE_DOES_NOT_MATCH;
            return -1;
        }
        if (ev == HTTP_AWS_EV_DONE && on_done(b, err) != 0)
            return -1;
        if (dlen)
            return (ssize_t)dlen;
        if (used == 0 && ev == HTTP_AWS_EV_NONE && b->in_off == b->in_len) {
            int got = refill(b, err);
            if (got < 0)
                return -1;
            if (got == 0)
                return finish(b, err); /* the body ended before the final chunk */
        }
    }
}

ssize_t s3_body_read(s3_body *b, void *buf, size_t cap, s3_err_code *err)
{
    *err = S3_ERR_NONE;
    return b->chunked ? read_chunked(b, buf, cap, err) : read_plain(b, buf, cap, err);
}

cf_slice s3_body_trailer(const s3_body *b, const char *name)
{
    for (size_t i = 0; b && i < b->dec.n_trailers; i++)
        if (strcasecmp(b->dec.trailer_name[i], name) == 0)
            return slice_str(b->dec.trailer_value[i]);
    return slice_make(NULL, 0);
}

uint64_t s3_body_decoded_length(const s3_body *b)
{
    return b->declared;
}

void s3_body_close(s3_body *b)
{
    if (!b)
        return;
    EVP_MD_CTX_free(b->sha);
    free(b);
}

s3_err_code s3_read_small_body(s3_req *r, size_t max, cf_buf *out)
{
    s3_body *b;
    s3_err_code err = S3_ERR_NONE;
    buf_clear(out);
    if (s3_body_open(r, &b) != 0)
        return S3_ERR_INTERNAL_ERROR;
    uint8_t tmp[8192];
    for (;;) {
        ssize_t n = s3_body_read(b, tmp, sizeof tmp, &err);
        if (n <= 0)
            break;
        if (out->len + (size_t)n > max) {
            err = S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED;
            break;
        }
        if (buf_append(out, tmp, (size_t)n) != 0) {
            err = S3_ERR_INTERNAL_ERROR;
            break;
        }
    }
    s3_body_close(b);
    cf_slice md5 = s3_header(r, "content-md5");
    if (err == S3_ERR_NONE && md5.ptr) {
        uint8_t want[16], got[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        if (s3_unbase64(md5, want, sizeof want) != 16)
            return S3_ERR_INVALID_DIGEST;
        EVP_Digest(out->data, out->len, got, &n, EVP_md5(), NULL);
        if (memcmp(want, got, 16) != 0)
            return S3_ERR_BAD_DIGEST;
    }
    return err;
}
