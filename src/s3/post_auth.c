/*
 * post_auth.c -- who signed a browser upload's form, and does the form
 * satisfy its policy (S3 POST Object; post_object.c reads the form).
 *
 * Which mechanism is decided by the fields present: any of x-amz-algorithm,
 * x-amz-credential, x-amz-date, x-amz-signature is SigV4 (the signature is
 * the hex HMAC-SHA256 of the policy's base64 text, as sent, under the SigV4
 * signing key of the credential's scope); else AWSAccessKeyId or signature
 * is SigV2 (the base64 HMAC-SHA1 of the same text under the secret); else
 * the form is anonymous. A SigV4 credential must name this server's region
 * and the service s3. x-amz-security-token is refused: coffer has no
 * temporary credentials. Messages are S3's (doc/formats.md, "POST Object:
 * the form and its policy").
 *
 * Invariants:
 *  (1) signatures are compared in constant time (CRYPTO_memcmp);
 *  (2) the policy is parsed and checked only after its signature matched
 *      (S3's order: a truncated policy is SignatureDoesNotMatch, not
 *      InvalidPolicyDocument);
 *  (3) r->access_key, r->admin and r->user name the signer only once the
 *      signature and the policy passed (empty for an anonymous form).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "s3/post_form.h"
#include "s3/sigv2.h"
#include "util/hex.h"

#define MSG_MISSING                                                                                \
    "Bucket POST must contain a field named '%s'.  If it is specified, please "                    \
    "check the order of the fields."

/* The contracts of the two answers below: post_form.h. */
void s3_post_missing(s3_req *r, const char *name)
{
    char msg[160];
    snprintf(msg, sizeof msg, MSG_MISSING, name);
    s3_err_field extra[2] = {{"ArgumentName", slice_str(name)}, {"ArgumentValue", slice_str("")}};
    s3_error_with(r, S3_ERR_INVALID_ARGUMENT, msg, extra, 2);
}

void s3_post_bad_argument(s3_req *r, const char *msg, const char *name, cf_slice value)
{
    s3_err_field extra[2] = {{"ArgumentName", slice_str(name)}, {"ArgumentValue", value}};
    s3_error_with(r, S3_ERR_INVALID_ARGUMENT, msg, extra, 2);
}

/* lookup -- the signer's user into r->user; answers InvalidAccessKeyId itself. */
static int lookup(s3_req *r, cf_slice access_key)
{
    int rc = access_key.len <= S3_SIGV4_MAX_ACCESS_KEY_BYTES
                 ? s3_user_load(r, access_key)
                 : CF_ENOTFOUND;
    if (rc) {
        s3_err_field extra = {"AWSAccessKeyId", access_key};
        s3_error_with(r, rc == CF_ENOTFOUND ? S3_ERR_INVALID_ACCESS_KEY_ID : s3_err_of(rc, 0),
                        NULL, &extra, rc == CF_ENOTFOUND);
        return -1;
    }
    return 0;
}

/* credential -- "AK/YYYYMMDD/region/s3/aws4_request" into a; answers InvalidArgument itself. */
static int credential(s3_req *r, cf_slice c, s3_sigv4_auth *a)
{
    cf_slice part[5];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= c.len && n < 5; i++) {
        if (i == c.len || c.ptr[i] == '/') {
            part[n++] = slice_make(c.ptr + start, i - start);
            start = i + 1;
        }
    }
    bool digits = n == 5 && part[1].len == 8;
    for (size_t i = 0; digits && i < 8; i++)
        digits = part[1].ptr[i] >= '0' && part[1].ptr[i] <= '9';
    if (start <= c.len || !digits || part[2].len == 0 || part[2].len > S3_SIGV4_MAX_REGION_BYTES ||
        part[3].len > S3_SIGV4_MAX_SERVICE_BYTES || !slice_eq(part[4], slice_str("aws4_request"))) {
        s3_post_bad_argument(r,
                             "the Credential is mal-formed; expecting "
                             "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                             "X-Amz-Credential", c);
        return -1;
    }
    char msg[256];
    if (part[0].len == 0) {
        s3_post_bad_argument(r, "a non-empty Access Key (AKID) must be provided in the credential.",
                             "X-Amz-Credential", c);
        return -1;
    }
    if (!slice_eq(part[3], slice_str("s3"))) {
        snprintf(msg, sizeof msg, "incorrect service \"%.*s\". This endpoint belongs to \"s3\".",
                 (int)part[3].len, (const char *)part[3].ptr);
        s3_post_bad_argument(r, msg, "X-Amz-Credential", c);
        return -1;
    }
    if (!slice_eq(part[2], slice_str(r->ctx->region))) {
        snprintf(msg, sizeof msg, "the region '%.*s' is wrong; expecting '%s'", (int)part[2].len,
                 (const char *)part[2].ptr, r->ctx->region);
        s3_err_field extra[3] = {{"ArgumentName", slice_str("X-Amz-Credential")},
                                 {"ArgumentValue", c},
                                 {"Region", slice_str(r->ctx->region)}};
        s3_error_with(r, S3_ERR_INVALID_ARGUMENT, msg, extra, 3);
        return -1;
    }
    memcpy(a->date, part[1].ptr, 8);
    memcpy(a->region, part[2].ptr, part[2].len);
    a->region_len = part[2].len;
    memcpy(a->service, "s3", 3);
    a->service_len = 2;
    return lookup(r, part[0]);
}

/* sigv4 -- the SigV4 fields: 0 when the signature over the policy is the signer's. */
static int sigv4(s3_post_form *pf)
{
    static const char *const required[][2] = {{"x-amz-algorithm", "X-Amz-Algorithm"},
                                              {"x-amz-credential", "X-Amz-Credential"},
                                              {"x-amz-date", "X-Amz-Date"},
                                              {"x-amz-signature", "X-Amz-Signature"},
                                              {"policy", "Policy"}};
    s3_req *r = pf->r;
    for (size_t i = 0; i < 5; i++) {
        if (!s3_post_form_get(pf, required[i][0]).ptr) {
            s3_post_missing(r, required[i][1]);
            return -1;
        }
    }
    cf_slice alg = s3_post_form_get(pf, "x-amz-algorithm");
    if (!slice_eq(alg, slice_str("AWS4-HMAC-SHA256"))) {
        s3_post_bad_argument(r, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
                             "X-Amz-Algorithm", alg);
        return -1;
    }
    int64_t t;
    cf_slice date = s3_post_form_get(pf, "x-amz-date");
    if (s3_sigv4_parse_amz_date(date, &t) != 0) {
        s3_post_bad_argument(r, "X-Amz-Date must be formated via ISO8601 Long format", "X-Amz-Date",
                             date);
        return -1;
    }
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    if (credential(r, s3_post_form_get(pf, "x-amz-credential"), &a) != 0)
        return -1;
    uint8_t key[32], mac[32], want[32];
    cf_slice sig = s3_post_form_get(pf, "x-amz-signature");
    bool ok = sig.len == 64 && hex_decode(sig.ptr, 32, want) &&
              s3_sigv4_signing_key(slice_str(r->user.secret_key), &a, key) == 0;
    if (ok) {
        s3_sigv4_hmac(key, s3_post_form_get(pf, "policy"), mac);
        ok = CRYPTO_memcmp(mac, want, 32) == 0;
    }
    OPENSSL_cleanse(key, sizeof key);
    if (!ok) {
        s3_error(r, S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL);
        return -1;
    }
    return 0;
}

/* sigv2 -- the SigV2 fields: 0 when the signature over the policy is the signer's. */
static int sigv2(s3_post_form *pf)
{
    static const char *const required[][2] = {
        {"awsaccesskeyid", "AWSAccessKeyId"}, {"signature", "Signature"}, {"policy", "Policy"}};
    s3_req *r = pf->r;
    for (size_t i = 0; i < 3; i++) {
        if (!s3_post_form_get(pf, required[i][0]).ptr) {
            s3_post_missing(r, required[i][1]);
            return -1;
        }
    }
    if (lookup(r, s3_post_form_get(pf, "awsaccesskeyid")) != 0)
        return -1;
    char want[29];
    cf_slice sig = s3_post_form_get(pf, "signature");
    s3_sigv2_sign(slice_str(r->user.secret_key), s3_post_form_get(pf, "policy"), want);
    if (sig.len != 28 || CRYPTO_memcmp(sig.ptr, want, 28) != 0) {
        s3_error(r, S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL);
        return -1;
    }
    return 0;
}

/* the contract: post_form.h */
int s3_post_authenticate(s3_post_form *pf, uint64_t *min_len, uint64_t *max_len)
{
    s3_req *r = pf->r;
    *min_len = 0;
    *max_len = UINT64_MAX;
    if (s3_post_form_get(pf, "x-amz-security-token").ptr) {
        s3_error(r, S3_ERR_INVALID_TOKEN,
                 "The provided token is malformed or otherwise invalid: this server has no "
                 "temporary credentials");
        return -1;
    }
    bool v4 = s3_post_form_get(pf, "x-amz-algorithm").ptr ||
              s3_post_form_get(pf, "x-amz-credential").ptr ||
              s3_post_form_get(pf, "x-amz-date").ptr || s3_post_form_get(pf, "x-amz-signature").ptr;
    bool v2 = !v4 &&
              (s3_post_form_get(pf, "awsaccesskeyid").ptr || s3_post_form_get(pf, "signature").ptr);
    r->access_key[0] = '\0';
    r->admin = false;
    r->post_form = true; /* s3:authType POST */
    r->auth.sigv2 = v2;
    r->anonymous = !v4 && !v2;
    if (r->anonymous)
        return 0; /* s3_authorize decides what anyone may post */
    if (v4 ? sigv4(pf) : sigv2(pf))
        return -1;
    snprintf(r->access_key, sizeof r->access_key, "%s", r->user.access_key);
    r->admin = r->user.admin;
    char msg[S3_POST_POLICY_MESSAGE_BYTES];
    s3_err_code err =
        s3_post_policy_parse(s3_post_form_get(pf, "policy"), &pf->policy, msg, sizeof msg);
    if (err == S3_ERR_NONE)
        err = s3_post_policy_check(&pf->policy, (int64_t)time(NULL), s3_bucket(r), pf->view,
                                   pf->n_view, v2, min_len, max_len, msg, sizeof msg);
    if (err != S3_ERR_NONE) {
        s3_error(r, err, msg);
        return -1;
    }
    return 0;
}
