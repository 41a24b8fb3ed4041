/*
 * s3_sigv4_fuzz.c -- libFuzzer target for SigV4: the Authorization header
 * and presigned query parsers, the canonical request, the date parsers, the
 * whole verifier, and the chunk/trailer signature chain, on a request built
 * from the fuzz bytes.
 *
 * Input: lines split on '\n'; line 0 is the method, line 1 the request
 * target (split at the first '?' into path and query, as http_parse_request
 * does), every further line "name:value" a header (up to HTTP_MAX_HEADERS).
 * The bytes after a line "--" are a streamed body, fed as chunks whose
 * sizes come from the body's own bytes.
 *
 * Checks beyond "no crash, no leak, no UB": the verifier's result is
 * consistent (a code exactly when it failed, a message exactly then), and
 * a canonical request is never empty.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/util/[a-z]*.c src/s3/sigv4*.c src/s3/errors.c src/s3/xml_write.c src/http/field.c
 * FUZZ_LIBS: -ljson-c -lcrypto -lisal -lpthread
 */
#include <stdlib.h>
#include <string.h>

#include "s3/sigv4.h"
#include "util/err.h"

#define T0 1369353600 /* 2013-05-24T00:00:00Z */

static int lookup(void *arg, cf_slice ak, cf_slice *secret)
{
    *secret = slice_str("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    return ak.len && ak.ptr[0] == 'X' ? CF_ENOTFOUND : 0;
}

static cf_slice next_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    cf_slice s = slice_make(*p, nl ? (size_t)(nl - *p) : (size_t)(end - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

static void check(int ok)
{
    if (!ok)
        abort();
}

static void stream_body(const uint8_t *p, const uint8_t *end, const http_request *req)
{
    uint8_t key[32] = {1}, seed[32] = {2};
    s3_sigv4_stream s;
    if (s3_sigv4_stream_init(&s, key, "20130524T000000Z",
                             slice_str("20130524/us-east-1/s3/aws4_request"), seed))
        return;
    while (p < end) {
        size_t n = *p++ % 64;
        if (n > (size_t)(end - p))
            n = (size_t)(end - p);
        s3_sigv4_stream_update(&s, p, n);
        p += n;
        if (n % 3 == 0)
            check(s3_sigv4_stream_chunk_end(&s, slice_make(p, (size_t)(end - p) < 64 ? 0 : 64)) !=
                  S3_AUTH_INTERNAL);
    }
    cf_slice names[HTTP_MAX_HEADERS], values[HTTP_MAX_HEADERS];
    for (size_t i = 0; i < req->n_headers; i++) {
        names[i] = req->headers[i].name;
        values[i] = req->headers[i].value;
    }
    check(s3_sigv4_stream_trailer(&s, names, values, req->n_headers, slice_str("00")) ==
          S3_AUTH_BAD_SIGNATURE);
    s3_sigv4_stream_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static s3_sigv4_scratch scratch;
    const uint8_t *p = data, *end = data + size;
    http_request req;
    memset(&req, 0, sizeof req);
    req.minor_version = 1;
    req.method = next_line(&p, end);
    req.target = next_line(&p, end);
    const uint8_t *q = req.target.len ? memchr(req.target.ptr, '?', req.target.len) : NULL;
    req.path = slice_make(req.target.ptr, q ? (size_t)(q - req.target.ptr) : req.target.len);
    if (q)
        req.query = slice_make(q + 1, req.target.len - req.path.len - 1);
    const uint8_t *body = NULL;
    while (p < end && req.n_headers < HTTP_MAX_HEADERS) {
        cf_slice line = next_line(&p, end);
        if (line.len == 2 && memcmp(line.ptr, "--", 2) == 0) {
            body = p;
            break;
        }
        const uint8_t *colon = line.len ? memchr(line.ptr, ':', line.len) : NULL;
        if (!colon)
            continue;
        http_header *h = &req.headers[req.n_headers++];
        h->name = slice_make(line.ptr, (size_t)(colon - line.ptr));
        h->value = slice_make(colon + 1, line.len - h->name.len - 1);
    }

    s3_sigv4_auth a;
    const char *why;
    int64_t t, now = T0;
    for (size_t i = 0; i < req.n_headers; i++) {
        cf_slice v = req.headers[i].value;
        if (s3_sigv4_parse_header(v, &a, &why) == S3_AUTH_OK) {
            check(a.signed_headers_len > 0 && a.access_key_len > 0);
            check(s3_sigv4_canonical_request(&req, &a, v, &scratch) == 0 && scratch.canon.len);
        }
        if (s3_sigv4_parse_amz_date(v, &t) == 0) {
            char s[S3_SIGV4_AMZ_DATE_LEN + 1];
            int64_t back;
            s3_sigv4_format_amz_date(t, s);
            check(s3_sigv4_parse_amz_date(slice_str(s), &back) == 0 && back == t);
            now = t; /* so the verifier gets past the clock */
        }
        s3_sigv4_parse_http_date(v, &t);
    }
    s3_sigv4_query_mechanism(req.query);
    if (s3_sigv4_parse_query(req.query, &a, &why) == S3_AUTH_OK) {
        check(a.presigned && a.expires_s >= 1 && a.expires_s <= S3_SIGV4_MAX_EXPIRES_S);
        check(s3_sigv4_canonical_request(&req, &a, slice_str("UNSIGNED-PAYLOAD"), &scratch) == 0);
        check(s3_sigv4_string_to_sign(&a, a.amz_date, &scratch) == 0);
        s3_sigv4_parse_amz_date(slice_str(a.amz_date), &now);
    }

    s3_sigv4_config cfg = {slice_make(NULL, 0), lookup, NULL};
    s3_sigv4_result res;
    int rc = s3_sigv4_verify(&req, &cfg, now, &scratch, &res);
    check((rc == S3_AUTH_OK) == (res.code == S3_ERR_NONE));
    check((rc == S3_AUTH_OK) == (res.message == NULL));
    check(rc == S3_AUTH_OK || res.stream.md == NULL);
    s3_sigv4_result_free(&res);

    if (body)
        stream_body(body, end, &req);
    return 0;
}
