/*
 * s3_sigv2_fuzz.c -- libFuzzer target for SigV2: the header and presigned
 * query parsers, the date parser, the string to sign and the whole
 * verifier, on a request built from the fuzz bytes.
 *
 * Input: lines split on '\n'; line 0 is the method, line 1 the request
 * target (split at the first '?' into path and query, as http_parse_request
 * does), every further line "name:value" a header (up to HTTP_MAX_HEADERS;
 * the value starts right after the ':', so "Authorization:AWS AK:sig").
 * A line "--" ends the headers; the line after it, if any, is the
 * virtual-host bucket.
 *
 * Checks beyond "no crash, no leak, no UB": the verifier's result is
 * consistent (a code exactly when it failed, a message exactly then, sigv2
 * always set); a parsed date prints and parses back to itself; a string to
 * sign starts with the method; and a header-signed request whose signature
 * is replaced by s3_sigv2_sign of its own string to sign is never refused
 * as SignatureDoesNotMatch (what the server computes, a client can sign).
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/util/[a-z]*.c src/s3/sigv2.c src/s3/sigv4*.c src/s3/errors.c src/s3/xml_write.c src/s3/checksum.c src/http/date.c src/http/field.c src/http/query.c
 * FUZZ_LIBS: -ljson-c -lcrypto -lisal -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/sigv2.h"
#include "util/err.h"

#define T0 1175024202 /* Tue, 27 Mar 2007 19:36:42 GMT */

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

static void check_result(int rc, const s3_sigv4_result *res)
{
    check((rc == S3_AUTH_OK) == (res->code == S3_ERR_NONE));
    check((rc == S3_AUTH_OK) == (res->message == NULL));
    check(res->sigv2 && res->stream.md == NULL);
    check(rc != S3_AUTH_OK || res->access_key_len > 0);
}

/* resign -- req's Authorization header i replaced by a correct signature: never BAD_SIGNATURE. */
static void resign(http_request *req, size_t i, const s3_sigv2_auth *a, cf_slice bucket,
                   s3_sigv4_scratch *scratch, int64_t now)
{
    static char value[4 + S3_SIGV4_MAX_ACCESS_KEY_BYTES + 1 + S3_SIGV2_SIGNATURE_B64_LEN + 1];
    char sig[S3_SIGV2_SIGNATURE_B64_LEN + 1];
    s3_sigv2_sign(slice_str("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), buf_slice(&scratch->sts),
                  sig);
    int n = snprintf(value, sizeof value, "AWS %s:%s", a->access_key, sig);
    cf_slice old = req->headers[i].value;
    req->headers[i].value = slice_make(value, (size_t)n);
    s3_sigv4_config cfg = {slice_make(NULL, 0), lookup, NULL};
    s3_sigv4_result res;
    int rc = s3_sigv2_verify(req, &cfg, bucket, now, scratch, &res);
    check_result(rc, &res);
    check(rc != S3_AUTH_BAD_SIGNATURE);
    req->headers[i].value = old;
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
    cf_slice bucket = slice_make(NULL, 0);
    while (p < end && req.n_headers < HTTP_MAX_HEADERS) {
        cf_slice line = next_line(&p, end);
        if (line.len == 2 && memcmp(line.ptr, "--", 2) == 0) {
            bucket = next_line(&p, end);
            break;
        }
        const uint8_t *colon = line.len ? memchr(line.ptr, ':', line.len) : NULL;
        if (!colon)
            continue;
        http_header *h = &req.headers[req.n_headers++];
        h->name = slice_make(line.ptr, (size_t)(colon - line.ptr));
        h->value = slice_make(colon + 1, line.len - h->name.len - 1);
    }

    int64_t now = T0, t;
    for (size_t i = 0; i < req.n_headers; i++) {
        if (s3_sigv2_parse_date(req.headers[i].value, &t) == 0) {
            char s[30];
            int64_t back;
            if (t >= 0 && t < 253402300800) { /* what http_date can print: 1970 ..= 9999 */
                http_date(t, s);
                check(s3_sigv2_parse_date(slice_str(s), &back) == 0 && back == t);
            }
            now = t; /* so the verifier gets past the clock */
        }
    }

    s3_sigv2_auth a;
    const char *why;
    s3_sigv2_detect(&req);
    if (s3_sigv2_parse_query(req.query, &a, &why) == S3_AUTH_OK) {
        check(a.presigned && a.access_key_len > 0 && strlen(a.expires) > 0);
        if (s3_sigv2_string_to_sign(&req, &a, bucket, &scratch) == 0)
            check(scratch.sts.len > req.method.len &&
                  (req.method.len == 0 || memcmp(scratch.sts.data, req.method.ptr,
                                                 req.method.len) == 0));
    }
    size_t auth_at = HTTP_MAX_HEADERS;
    for (size_t i = 0; i < req.n_headers; i++) {
        if (s3_sigv2_parse_header(req.headers[i].value, &a, &why) != S3_AUTH_OK)
            continue;
        check(!a.presigned && a.access_key_len > 0 &&
              a.access_key_len <= S3_SIGV4_MAX_ACCESS_KEY_BYTES);
        if (req.headers[i].name.len == 13 &&
            memcmp(req.headers[i].name.ptr, "Authorization", 13) == 0)
            auth_at = i;
    }

    s3_sigv4_config cfg = {slice_make(NULL, 0), lookup, NULL};
    s3_sigv4_result res;
    int rc = s3_sigv2_verify(&req, &cfg, bucket, now, &scratch, &res);
    check_result(rc, &res);
    s3_sigv4_result_free(&res);

    if (auth_at < HTTP_MAX_HEADERS &&
        s3_sigv2_parse_header(req.headers[auth_at].value, &a, &why) == S3_AUTH_OK &&
        s3_sigv2_string_to_sign(&req, &a, bucket, &scratch) == 0)
        resign(&req, auth_at, &a, bucket, &scratch, now);
    return 0;
}
