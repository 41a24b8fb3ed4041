/*
 * sigv4.c -- SigV4 keys and signatures, the request verifier and the
 * streaming (aws-chunked) signature chain (sigv4.h).
 *
 * s3_sigv4_verify runs, in this order: pick the one mechanism (invariant
 * (3)), parse it, find the signed date and check it against the clock and
 * the credential scope, check the region, read the payload hash, look up
 * the secret, then rebuild and compare the signature (invariant (1)). Every
 * step that fails sets out->code and out->message (invariant (5)). Clock
 * checks come before the key lookup so a stale request says so even when
 * the key is wrong, as S3 does.
 *
 * OpenSSL does the hashing: one-shot SHA256() and HMAC() for requests, an
 * EVP_MD_CTX per signed stream (allocated once per request, reset per chunk).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "s3/sigv4.h"
#include "util/err.h"
#include "util/hex.h"

static const struct {
    s3_err_code code;
    const char *message; /* NULL: the row's default */
} auth_rows[] = {
    [S3_AUTH_OK] = {S3_ERR_NONE, NULL},
    [S3_AUTH_MISSING] = {S3_ERR_ACCESS_DENIED, NULL},
    [S3_AUTH_UNSUPPORTED] = {S3_ERR_INVALID_REQUEST,
                             "The authorization mechanism you have provided is not supported. "
                             "Please use AWS4-HMAC-SHA256."},
    [S3_AUTH_MULTIPLE] = {S3_ERR_INVALID_ARGUMENT,
                          "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                          "parameter, Signature query string parameter or the Authorization "
                          "header should be specified"},
    [S3_AUTH_HEADER_MALFORMED] = {S3_ERR_AUTHORIZATION_HEADER_MALFORMED, NULL},
    [S3_AUTH_QUERY_MALFORMED] = {S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR, NULL},
    [S3_AUTH_WRONG_REGION] = {S3_ERR_AUTHORIZATION_HEADER_MALFORMED,
                              "The authorization header is malformed; the region in the "
                              "credential scope is wrong"},
    [S3_AUTH_WRONG_REGION_QUERY] = {S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR,
                                    "Error parsing the X-Amz-Credential parameter; the region "
                                    "is wrong"},
    [S3_AUTH_NO_DATE] = {S3_ERR_ACCESS_DENIED,
                         "AWS authentication requires a valid Date or x-amz-date header"},
    [S3_AUTH_SKEWED] = {S3_ERR_REQUEST_TIME_TOO_SKEWED, NULL},
    [S3_AUTH_EXPIRED] = {S3_ERR_ACCESS_DENIED, "Request has expired"},
    [S3_AUTH_NOT_YET_VALID] = {S3_ERR_ACCESS_DENIED, "Request is not valid yet"},
    [S3_AUTH_TOKEN] = {S3_ERR_INVALID_TOKEN,
                       "The provided token is malformed or otherwise invalid: this server has "
                       "no temporary credentials"},
    [S3_AUTH_BAD_CONTENT_SHA256] = {S3_ERR_INVALID_ARGUMENT,
                                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, "
                                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                                    "STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value."},
    /* S3's words: they name the header to add (curl --aws-sigv4 -T sends none) */
    [S3_AUTH_NO_CONTENT_SHA256] = {S3_ERR_INVALID_REQUEST,
                                   "Missing required header for this request: "
                                   "x-amz-content-sha256"},
    [S3_AUTH_UNKNOWN_KEY] = {S3_ERR_INVALID_ACCESS_KEY_ID, NULL},
    [S3_AUTH_BAD_SIGNATURE] = {S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL},
    [S3_AUTH_V2_MALFORMED] = {S3_ERR_INVALID_ARGUMENT,
                              "AWS authorization header is invalid.  Expected "
                              "AwsAccessKeyId:signature"},
    [S3_AUTH_V2_QUERY_MALFORMED] = {S3_ERR_ACCESS_DENIED,
                                    "Query-string authentication requires the Signature, "
                                    "Expires and AWSAccessKeyId parameters"},
    [S3_AUTH_INTERNAL] = {S3_ERR_INTERNAL_ERROR, NULL},
};

s3_err_code s3_sigv4_err_code(int auth_err, const char **message)
{
    if (auth_err < 0 || (size_t)auth_err >= sizeof auth_rows / sizeof auth_rows[0])
        auth_err = S3_AUTH_INTERNAL;
    s3_err_code code = auth_rows[auth_err].code;
    if (message)
        *message = code == S3_ERR_NONE           ? NULL
                   : auth_rows[auth_err].message ? auth_rows[auth_err].message
                                                 : s3_err_message(code);
    return code;
}

static void hmac(const uint8_t *key, size_t key_len, const void *msg, size_t n, uint8_t out[32])
{
    unsigned int out_len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, msg, n, out, &out_len);
}

void s3_sigv4_hmac(const uint8_t key[32], cf_slice msg, uint8_t mac[32])
{
    hmac(key, 32, msg.ptr, msg.len, mac);
}

/* derive -- the HMAC chain of AWS's signing key: four HMAC-SHA256 calls. */
static void derive(cf_slice secret, const s3_sigv4_auth *a, uint8_t key[32])
{
    uint8_t k0[4 + S3_SIGV4_MAX_SECRET_BYTES], k1[32], k2[32];
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret.ptr, secret.len);
    hmac(k0, 4 + secret.len, a->date, 8, k1);
    hmac(k1, 32, a->region, a->region_len, k2);
    hmac(k2, 32, a->service, a->service_len, k1);
    hmac(k1, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k0, sizeof k0);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
}

/*
 * The signing key depends only on (secret, date, region, service), which a
 * worker sees few of, while deriving it costs four HMACs: about a ninth of
 * the server's CPU on a 4 KiB GET (bench/RESULTS.md, "4 KiB GET profile").
 * Each thread keeps its last KEY_CACHE keys, found by the SHA-256 of those
 * four inputs (so no copy of a secret is kept, and a rotated secret can
 * never find its predecessor's key). Thread-local: no lock, nothing shared.
 */
#define KEY_CACHE 4

typedef struct key_entry {
    uint8_t id[32]; /* SHA-256 of secret, date, region, service (each with its length) */
    uint8_t key[32];
    bool used;
} key_entry;

static _Thread_local struct {
    key_entry e[KEY_CACHE];
    unsigned next; /* the entry the next miss replaces (round robin) */
} keys;

static void key_id(cf_slice secret, const s3_sigv4_auth *a, uint8_t id[32])
{
    uint8_t buf[4 * 2 + S3_SIGV4_MAX_SECRET_BYTES + 8 + sizeof a->region + sizeof a->service];
    size_t n = 0;
    const struct {
        const void *p;
        size_t len;
    } parts[] = {{secret.ptr, secret.len}, {a->date, 8}, {a->region, a->region_len},
                 {a->service, a->service_len}};
    for (size_t i = 0; i < 4; i++) {
        buf[n++] = (uint8_t)(parts[i].len >> 8);
        buf[n++] = (uint8_t)parts[i].len;
        memcpy(buf + n, parts[i].p, parts[i].len);
        n += parts[i].len;
    }
    SHA256(buf, n, id);
    OPENSSL_cleanse(buf, n);
}

int s3_sigv4_signing_key(cf_slice secret, const s3_sigv4_auth *a, uint8_t key[32])
{
    if (secret.len > S3_SIGV4_MAX_SECRET_BYTES || a->region_len > sizeof a->region ||
        a->service_len > sizeof a->service)
        return CF_EINVAL;
    uint8_t id[32];
    key_id(secret, a, id);
    for (size_t i = 0; i < KEY_CACHE; i++) {
        if (keys.e[i].used && memcmp(keys.e[i].id, id, 32) == 0) {
            memcpy(key, keys.e[i].key, 32);
            return 0;
        }
    }
    derive(secret, a, key);
    key_entry *e = &keys.e[keys.next++ % KEY_CACHE];
    memcpy(e->id, id, 32);
    memcpy(e->key, key, 32);
    e->used = true;
    return 0;
}

/* scope_of -- "date/region/service/aws4_request" and a NUL into out; its length. */
static size_t scope_of(const s3_sigv4_auth *a, char out[S3_SIGV4_MAX_SCOPE_BYTES + 1])
{
    int n = snprintf(out, S3_SIGV4_MAX_SCOPE_BYTES + 1, "%s/%s/%s/aws4_request", a->date, a->region,
                     a->service);
    return (size_t)n; /* fits: 8 + 64 + 16 + 15 < S3_SIGV4_MAX_SCOPE_BYTES */
}

int s3_sigv4_string_to_sign(const s3_sigv4_auth *auth, const char *amz_date,
                            s3_sigv4_scratch *scratch)
{
    uint8_t h[32];
    char hex[65], scope[S3_SIGV4_MAX_SCOPE_BYTES + 1];
    SHA256(scratch->canon.data, scratch->canon.len, h);
    hex_encode(h, 32, hex);
    size_t scope_len = scope_of(auth, scope);
    cf_buf *b = &scratch->sts;
    buf_clear(b);
    if (buf_append(b, "AWS4-HMAC-SHA256\n", 17) || buf_append(b, amz_date, S3_SIGV4_AMZ_DATE_LEN) ||
        buf_append(b, "\n", 1) || buf_append(b, scope, scope_len) || buf_append(b, "\n", 1) ||
        buf_append(b, hex, 64))
        return CF_ENOMEM;
    return 0;
}

/* ---- streaming ---- */

int s3_sigv4_stream_init(s3_sigv4_stream *s, const uint8_t key[32], const char *amz_date,
                         cf_slice scope, const uint8_t seed[32])
{
    memset(s, 0, sizeof *s);
    if (scope.len > S3_SIGV4_MAX_SCOPE_BYTES)
        return CF_EINVAL;
    s->md = EVP_MD_CTX_new();
    if (!s->md || !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(s->md);
        s->md = NULL;
        return CF_ENOMEM;
    }
    memcpy(s->key, key, 32);
    memcpy(s->amz_date, amz_date, S3_SIGV4_AMZ_DATE_LEN);
    memcpy(s->scope, scope.ptr, scope.len);
    s->scope_len = scope.len;
    hex_encode(seed, 32, s->prev);
    return 0;
}

int s3_sigv4_stream_update(s3_sigv4_stream *s, const void *p, size_t n)
{
    if (!s->md || !EVP_DigestUpdate(s->md, p, n))
        return S3_AUTH_INTERNAL;
    return S3_AUTH_OK;
}

/* finish -- the running hash as hex, and a fresh hash for what comes next. */
static int finish(s3_sigv4_stream *s, char hex[65])
{
    uint8_t h[32];
    if (!s->md || !EVP_DigestFinal_ex(s->md, h, NULL) ||
        !EVP_DigestInit_ex(s->md, EVP_sha256(), NULL))
        return S3_AUTH_INTERNAL;
    hex_encode(h, 32, hex);
    return S3_AUTH_OK;
}

/* check -- signs "<kind>\n<date>\n<scope>\n<prev>\n<rest>" and compares it with declared. */
static int check(s3_sigv4_stream *s, const char *kind, const char *rest, cf_slice declared)
{
    char sts[512];
    uint8_t mac[32], want[32];
    int n = snprintf(sts, sizeof sts, "%s\n%s\n%.*s\n%s\n%s", kind, s->amz_date, (int)s->scope_len,
                     s->scope, s->prev, rest);
    hmac(s->key, 32, sts, (size_t)n, mac); /* n < sizeof sts: the parts are bounded */
    if (declared.len != 64 || !hex_decode(declared.ptr, 32, want) ||
        CRYPTO_memcmp(mac, want, 32) != 0)
        return S3_AUTH_BAD_SIGNATURE;
    hex_encode(mac, 32, s->prev);
    return S3_AUTH_OK;
}

int s3_sigv4_stream_chunk_end(s3_sigv4_stream *s, cf_slice declared)
{
    char rest[64 + 1 + 65];
    memcpy(rest, S3_SIGV4_EMPTY_SHA256 "\n", 65);
    int rc = finish(s, rest + 65);
    return rc ? rc : check(s, "AWS4-HMAC-SHA256-PAYLOAD", rest, declared);
}

int s3_sigv4_stream_trailer(s3_sigv4_stream *s, const cf_slice *names, const cf_slice *values,
                            size_t n, cf_slice declared)
{
    if (!s->md)
        return S3_AUTH_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        cf_slice name = names[i], v = values[i];
        if (name.len == 23 &&
            strncasecmp((const char *)name.ptr, "x-amz-trailer-signature", 23) == 0)
            continue;
        while (v.len && (v.ptr[0] == ' ' || v.ptr[0] == '\t')) {
            v.ptr++;
            v.len--;
        }
        while (v.len && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
            v.len--;
        for (size_t k = 0; k < name.len; k++) {
            uint8_t c = name.ptr[k];
            c = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
            if (!EVP_DigestUpdate(s->md, &c, 1))
                return S3_AUTH_INTERNAL;
        }
        if (!EVP_DigestUpdate(s->md, ":", 1) || !EVP_DigestUpdate(s->md, v.ptr, v.len) ||
            !EVP_DigestUpdate(s->md, "\n", 1))
            return S3_AUTH_INTERNAL;
    }
    char hex[65];
    int rc = finish(s, hex);
    return rc ? rc : check(s, "AWS4-HMAC-SHA256-TRAILER", hex, declared);
}

void s3_sigv4_stream_free(s3_sigv4_stream *s)
{
    EVP_MD_CTX_free(s->md);
    s->md = NULL;
    OPENSSL_cleanse(s->key, sizeof s->key);
}

void s3_sigv4_result_free(s3_sigv4_result *r)
{
    s3_sigv4_stream_free(&r->stream);
}

/* ---- the verifier ---- */

/* header -- the value of the first header called name; *count how many there are. */
static cf_slice header(const http_request *req, const char *name, size_t *count)
{
    size_t n = strlen(name), c = 0;
    cf_slice v = slice_make(NULL, 0);
    for (size_t i = 0; i < req->n_headers; i++) {
        const http_header *h = &req->headers[i];
        if (h->name.len == n && strncasecmp((const char *)h->name.ptr, name, n) == 0 && !c++)
            v = h->value;
    }
    if (count)
        *count = c;
    return v;
}

int s3_sigv4_payload_mode(cf_slice v, s3_sigv4_result *out)
{
    static const struct {
        const char *value;
        s3_payload_mode mode;
    } modes[] = {
        {"UNSIGNED-PAYLOAD", S3_PAYLOAD_UNSIGNED},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", S3_PAYLOAD_STREAMING},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", S3_PAYLOAD_STREAMING_TRAILER},
        {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
    };
    if (v.len == 64 && hex_decode(v.ptr, 32, out->content_sha256)) {
        out->payload = S3_PAYLOAD_SHA256;
        return S3_AUTH_OK;
    }
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (slice_eq(v, slice_str(modes[i].value))) {
            out->payload = modes[i].mode;
            return S3_AUTH_OK;
        }
    }
    if (v.len >= 32 && memcmp(v.ptr, "STREAMING-AWS4-ECDSA-P256-SHA256", 32) == 0)
        return S3_AUTH_UNSUPPORTED; /* SigV4a streaming */
    return S3_AUTH_BAD_CONTENT_SHA256;
}

/* signed_date -- header auth: the x-amz-date value, or the Date header in that form. */
static int signed_date(const http_request *req, char amz_date[S3_SIGV4_AMZ_DATE_LEN + 1],
                       int64_t *t)
{
    cf_slice v = header(req, "x-amz-date", NULL);
    if (v.ptr) {
        if (s3_sigv4_parse_amz_date(v, t))
            return S3_AUTH_NO_DATE;
        memcpy(amz_date, v.ptr, S3_SIGV4_AMZ_DATE_LEN);
        amz_date[S3_SIGV4_AMZ_DATE_LEN] = '\0';
        return S3_AUTH_OK;
    }
    v = header(req, "date", NULL);
    if (!v.ptr || s3_sigv4_parse_http_date(v, t))
        return S3_AUTH_NO_DATE;
    s3_sigv4_format_amz_date(*t, amz_date);
    return S3_AUTH_OK;
}

/* authenticate -- the body of s3_sigv4_verify; *why may name a more precise message. */
static int authenticate(const http_request *req, const s3_sigv4_config *cfg, int64_t now_s,
                        s3_sigv4_scratch *scratch, s3_sigv4_result *out, s3_sigv4_auth *a,
                        const char **why)
{
    size_t n_auth;
    cf_slice authz = header(req, "authorization", &n_auth);
    int mech = s3_sigv4_query_mechanism(req->query);
    if (n_auth && mech != S3_QUERY_AUTH_NONE)
        return S3_AUTH_MULTIPLE;
    if (header(req, "x-amz-security-token", NULL).ptr)
        return S3_AUTH_TOKEN;
    int rc;
    if (n_auth > 1)
        return S3_AUTH_HEADER_MALFORMED;
    else if (n_auth)
        rc = s3_sigv4_parse_header(authz, a, why);
    else if (mech == S3_QUERY_AUTH_V4)
        rc = s3_sigv4_parse_query(req->query, a, why);
    else
        return mech == S3_QUERY_AUTH_V2 ? S3_AUTH_UNSUPPORTED : S3_AUTH_MISSING;
    if (rc)
        return rc;
    out->presigned = a->presigned;
    memcpy(out->access_key, a->access_key, a->access_key_len + 1);
    out->access_key_len = a->access_key_len;

    char amz_date[S3_SIGV4_AMZ_DATE_LEN + 1];
    int malformed = a->presigned ? S3_AUTH_QUERY_MALFORMED : S3_AUTH_HEADER_MALFORMED;
    if (a->presigned) {
        memcpy(amz_date, a->amz_date, sizeof amz_date);
        s3_sigv4_parse_amz_date(slice_make(amz_date, S3_SIGV4_AMZ_DATE_LEN),
                                &out->request_time_s); /* checked by the parse */
    } else if ((rc = signed_date(req, amz_date, &out->request_time_s))) {
        return rc;
    }
    if (memcmp(amz_date, a->date, 8) != 0) {
        *why = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return malformed;
    }
    if (a->presigned)
        out->expires_at_s = out->request_time_s + a->expires_s;
    rc = a->presigned ? s3_sigv4_check_presigned_time(out->request_time_s, a->expires_s, now_s)
                      : s3_sigv4_check_skew(out->request_time_s, now_s);
    if (rc)
        return rc;
    if (cfg->region.len && !slice_eq(cfg->region, slice_make(a->region, a->region_len))) {
        /* S3's words, which clients (s3cmd) act on: they re-sign for the region in <Region> */
        snprintf(out->detail, sizeof out->detail, "%s; the region '%s' is wrong; expecting '%.*s'",
                 a->presigned ? "Error parsing the X-Amz-Credential parameter"
                              : "The authorization header is malformed",
                 a->region, (int)(cfg->region.len < 64 ? cfg->region.len : 64),
                 (const char *)cfg->region.ptr);
        *why = out->detail;
        return a->presigned ? S3_AUTH_WRONG_REGION_QUERY : S3_AUTH_WRONG_REGION;
    }

    cf_slice hash;
    if (a->presigned) {
        hash = slice_str(a->content_sha256[0] ? a->content_sha256 : "UNSIGNED-PAYLOAD");
        if ((rc = s3_sigv4_payload_mode(hash, out)))
            return rc;
        if (out->payload != S3_PAYLOAD_SHA256 && out->payload != S3_PAYLOAD_UNSIGNED)
            return S3_AUTH_BAD_CONTENT_SHA256; /* a URL cannot stream a signed body */
    } else {
        /* Absent, the payload is taken as empty, as signers for other
         * services hash it; a request that has a body is refused before a
         * byte of it is read, where S3 requires the header of every request
         * (a request with nothing to hash may leave it out). */
        hash = header(req, "x-amz-content-sha256", NULL);
        if (!hash.ptr) {
            http_framing_kind kind;
            uint64_t len;
            if (http_body_framing(req, &kind, &len) == 0 &&
                (kind == HTTP_BODY_CHUNKED || (kind == HTTP_BODY_LENGTH && len > 0)))
                return S3_AUTH_NO_CONTENT_SHA256;
            hash = slice_str(S3_SIGV4_EMPTY_SHA256);
        }
        if ((rc = s3_sigv4_payload_mode(hash, out)))
            return rc;
    }

    cf_slice secret;
    rc = cfg->lookup(cfg->lookup_arg, slice_make(a->access_key, a->access_key_len), &secret);
    if (rc)
        return rc == CF_ENOTFOUND ? S3_AUTH_UNKNOWN_KEY : S3_AUTH_INTERNAL;
    uint8_t key[32], sig[32];
    if (s3_sigv4_signing_key(secret, a, key))
        return S3_AUTH_INTERNAL;
    if (s3_sigv4_canonical_request(req, a, hash, scratch) ||
        s3_sigv4_string_to_sign(a, amz_date, scratch)) {
        rc = S3_AUTH_INTERNAL;
        goto out;
    }
    s3_sigv4_hmac(key, buf_slice(&scratch->sts), sig);
    if (CRYPTO_memcmp(sig, a->signature, 32) != 0) {
        rc = S3_AUTH_BAD_SIGNATURE;
        goto out;
    }
    if (out->payload == S3_PAYLOAD_STREAMING || out->payload == S3_PAYLOAD_STREAMING_TRAILER) {
        char scope[S3_SIGV4_MAX_SCOPE_BYTES + 1];
        size_t scope_len = scope_of(a, scope);
        if (s3_sigv4_stream_init(&out->stream, key, amz_date, slice_make(scope, scope_len), sig))
            rc = S3_AUTH_INTERNAL;
    }
out:
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

int s3_sigv4_verify(const http_request *req, const s3_sigv4_config *cfg, int64_t now_s,
                    s3_sigv4_scratch *scratch, s3_sigv4_result *out)
{
    s3_sigv4_auth a;
    const char *why = NULL;
    memset(out, 0, sizeof *out);
    int rc = authenticate(req, cfg, now_s, scratch, out, &a, &why);
    out->code = s3_sigv4_err_code(rc, &out->message);
    if (rc && why)
        out->message = why;
    if (rc)
        s3_sigv4_stream_free(&out->stream);
    return rc;
}
