/*
 * sigv4_sign.c -- SigV4 header signing of an outgoing request (the
 * change-log sink's PUTs, cdc_sink.c), through the same code that verifies
 * incoming ones: the canonical request of sigv4_canon.c, the string to sign,
 * the signing key and HMAC of sigv4.c. Signing is verifying's first half, so
 * a request coffer signs is one coffer's own verifier accepts (the unit test
 * checks exactly that, and the AWS example signature).
 *
 * Invariant:
 *  (1) every header of the request is signed, in the order given, which
 *      must be the canonical one (lowercase names, sorted, no repeats):
 *      what is sent is what is signed.
 */
#include <string.h>

#include "s3/sigv4.h"
#include "util/hex.h"

int s3_sigv4_sign(const http_request *req, cf_slice access_key, cf_slice secret, cf_slice region,
                  const char *amz_date, cf_slice payload_hash, s3_sigv4_scratch *scratch,
                  cf_buf *authorization)
{
    buf_clear(authorization);
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    if (access_key.len > S3_SIGV4_MAX_ACCESS_KEY_BYTES || region.len > S3_SIGV4_MAX_REGION_BYTES ||
        strlen(amz_date) != S3_SIGV4_AMZ_DATE_LEN)
        return CF_EINVAL;
    memcpy(a.date, amz_date, 8);
    memcpy(a.region, region.ptr, region.len);
    a.region_len = region.len;
    memcpy(a.service, "s3", 2);
    a.service_len = 2;
    for (size_t i = 0; i < req->n_headers; i++) { /* invariant (1) */
        cf_slice n = req->headers[i].name;
        if (a.signed_headers_len + n.len + 1 > S3_SIGV4_MAX_SIGNED_HEADERS_BYTES)
            return CF_EINVAL;
        if (i)
            a.signed_headers[a.signed_headers_len++] = ';';
        memcpy(a.signed_headers + a.signed_headers_len, n.ptr, n.len);
        a.signed_headers_len += n.len;
    }
    uint8_t key[32], sig[32];
    char hex[65];
    int rc = s3_sigv4_canonical_request(req, &a, payload_hash, scratch);
    if (!rc)
        rc = s3_sigv4_string_to_sign(&a, amz_date, scratch);
    if (!rc)
        rc = s3_sigv4_signing_key(secret, &a, key);
    if (rc)
        return rc;
    s3_sigv4_hmac(key, buf_slice(&scratch->sts), sig);
    hex_encode(sig, 32, hex);
    return buf_appendf(authorization,
                       "AWS4-HMAC-SHA256 Credential=%.*s/%s/%s/s3/aws4_request, "
                       "SignedHeaders=%s, Signature=%s",
                       (int)access_key.len, (const char *)access_key.ptr, a.date, a.region,
                       a.signed_headers, hex);
}
