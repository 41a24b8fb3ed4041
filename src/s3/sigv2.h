/*
 * sigv2.h -- AWS Signature Version 2 for S3: the "Authorization: AWS
 * AK:sig" header and the presigned query (AWSAccessKeyId, Expires,
 * Signature), as the AWS CLI v1 (`s3 presign`), boto3's default presigned
 * URLs, `s3cmd signurl` and clients configured for "s3" signatures send.
 *
 * auth.c asks s3_sigv2_detect first and sends such a request to
 * s3_sigv2_verify instead of s3_sigv4_verify; the verifier fills the same
 * s3_sigv4_result (with sigv2 set), so nothing after authentication knows
 * which version signed. The parts (parse, date, string to sign, sign) are
 * public so tests and fuzzers can pin each one against AWS's examples.
 * POST Object (browser forms) signs its policy with s3_sigv2_sign.
 *
 * What coffer accepts is in doc/formats.md ("S3 wire formats", SigV2).
 *
 * Invariants:
 *  (1) a signature is compared in constant time (CRYPTO_memcmp), decoded
 *      from base64 to its 20 bytes, never as text; one that does not decode
 *      to 20 bytes never matches.
 *  (2) the string to sign is rebuilt from the bytes received: the path as
 *      sent (never decoded or normalised; only a path-style "/bkt" naming a
 *      bucket gets the "/" clients sign after it), sub-resource and x-amz-*
 *      query values decoded once; nothing else a client did not send is added.
 *  (3) a request carries one mechanism (header or query), never both, and
 *      no session token (coffer has no temporary credentials).
 *  (4) every parsed field is bounded by the constants below; breaking one
 *      is a malformed-authorization answer, never a truncation.
 *  (5) s3_sigv2_verify sets every field of its result on every path.
 */
#ifndef S3_SIGV2_H
#define S3_SIGV2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "s3/sigv4.h"
#include "util/slice.h"

#define S3_SIGV2_SIGNATURE_BYTES 20    /* HMAC-SHA1 */
#define S3_SIGV2_SIGNATURE_B64_LEN 28  /* its base64, padding included */
#define S3_SIGV2_MAX_EXPIRES_DIGITS 12 /* Expires in Unix seconds: up to the year 33658 */
#define S3_SIGV2_MAX_AMZ 128           /* x-amz-* headers (and presigned x-amz-* params) signed */
#define S3_SIGV2_MAX_SUBRESOURCES 32   /* sub-resource parameters signed */
#define S3_SIGV2_MAX_PARAM_NAME_BYTES 128 /* a query parameter name that can be signed */

/* A parsed SigV2 header or presigned query. Fields are copies, NUL-terminated. */
typedef struct s3_sigv2_auth {
    bool presigned;
    char access_key[S3_SIGV4_MAX_ACCESS_KEY_BYTES + 1];
    size_t access_key_len;
    uint8_t signature[S3_SIGV2_SIGNATURE_BYTES];
    bool signature_valid; /* false: what was sent is not base64 of 20 bytes (invariant (1)) */
    /* presigned only: */
    char expires[S3_SIGV2_MAX_EXPIRES_DIGITS + 1]; /* Expires as sent (decoded): it is signed */
    int64_t expires_s;
} s3_sigv2_auth;

/*
 * s3_sigv2_detect -- does req use SigV2: an Authorization header starting
 * "AWS ", or no Authorization header and a query with AWSAccessKeyId (and
 * none of the SigV4 parameters)? A request with no authentication at all is
 * not SigV2 (s3_sigv4_verify answers S3_AUTH_MISSING for it).
 */
bool s3_sigv2_detect(const http_request *req);

/*
 * s3_sigv2_parse_header -- parses "AWS " access-key ":" signature (exactly
 * one space; the signature after the last ':'). Returns S3_AUTH_OK,
 * S3_AUTH_V2_MALFORMED with *why a constant message. *out is reset on entry.
 */
int s3_sigv2_parse_header(cf_slice value, s3_sigv2_auth *out, const char **why);

/*
 * s3_sigv2_parse_query -- parses the presigned parameters of a raw query:
 * AWSAccessKeyId, Signature and Expires (decimal Unix seconds), each exactly
 * once. Returns S3_AUTH_OK, S3_AUTH_TOKEN (an x-amz-security-token
 * parameter), S3_AUTH_V2_QUERY_MALFORMED with *why. *out is reset on entry.
 */
int s3_sigv2_parse_query(cf_slice query, s3_sigv2_auth *out, const char **why);

/*
 * s3_sigv2_parse_date -- a Date or x-amz-date value: IMF-fixdate ("Tue, 27
 * Mar 2007 19:36:42 GMT"), the same with a numeric zone ("+0000", what s3cmd
 * and AWS's examples send; any +-HHMM), RFC 850, asctime, or
 * "20070327T193642Z". 0 and *unix_s, or CF_EINVAL (*unix_s 0).
 */
int s3_sigv2_parse_date(cf_slice s, int64_t *unix_s);

/*
 * s3_sigv2_string_to_sign -- builds into scratch->sts (cleared first)
 *   METHOD \n Content-MD5 \n Content-Type \n DATE \n AMZ-HEADERS RESOURCE
 * where DATE is Expires (presigned), empty when x-amz-date is sent, else
 * the Date header as sent; AMZ-HEADERS is "name:v1,v2\n" for each x-amz-*
 * header (presigned: and x-amz-* query parameter, decoded), names lowercased
 * and sorted, values trimmed, repeats joined by ','; RESOURCE is "/" +
 * vhost_bucket (when the bucket came from Host; empty for path-style) + the
 * path as sent (a path-style "/bkt" naming only a bucket as "/bkt/", which
 * is what botocore and s3cmd sign; s3_sigv2_verify also accepts "/bkt") +
 * "?" and the signed sub-resources, sorted by name, values decoded, "name"
 * alone when the value is empty. Uses scratch->tmp.
 * Returns 0, CF_ELIMIT (over S3_SIGV2_MAX_AMZ or S3_SIGV2_MAX_SUBRESOURCES),
 * CF_ENOMEM.
 */
int s3_sigv2_string_to_sign(const http_request *req, const s3_sigv2_auth *auth,
                            cf_slice vhost_bucket, s3_sigv4_scratch *scratch);

/*
 * s3_sigv2_sign -- base64(HMAC-SHA1(secret, string_to_sign)) and a NUL into
 * out_b64: a SigV2 signature (and the signature of a POST policy).
 */
void s3_sigv2_sign(cf_slice secret, cf_slice string_to_sign, char out_b64[29]);

/*
 * s3_sigv2_verify -- authenticates a SigV2 req at time now_s, as
 * s3_sigv4_verify does a SigV4 one (same config, scratch and result; the
 * config's region is not used: SigV2 names none). vhost_bucket is the
 * bucket the Host header named (virtual-host addressing), empty otherwise.
 * Header form: x-amz-date (else Date) within 15 minutes of now_s, else
 * S3_AUTH_SKEWED; presigned: S3_AUTH_EXPIRED once Expires < now_s. The
 * payload is S3_PAYLOAD_UNSIGNED (SigV2 signs no body) unless the client
 * sent x-amz-content-sha256: a hash is then verified, an unsigned-trailer
 * stream decoded, a signed stream refused (S3_AUTH_BAD_CONTENT_SHA256).
 * scratch->sts holds the string to sign once built. out->sigv2 is set.
 * Caller frees out with s3_sigv4_result_free().
 * REQUIRES: req from http_parse_request (or built alike); cfg->lookup set.
 */
int s3_sigv2_verify(const http_request *req, const s3_sigv4_config *cfg, cf_slice vhost_bucket,
                    int64_t now_s, s3_sigv4_scratch *scratch, s3_sigv4_result *out);

#endif
