/*
 * sigv4.h -- AWS Signature Version 4 for S3: the Authorization header, the
 * presigned URL (query parameters), and signed streaming bodies
 * (aws-chunked chunk and trailer signatures).
 *
 * The router calls s3_sigv4_verify once per request; it answers with an
 * s3_auth_err and, on success, who signed (the access key), how the body is
 * protected (s3_payload_mode) and, for a signed stream, a context seeded
 * with the request's signature that the body reader feeds each chunk to.
 * The parts (parse, canonical request, signing key, time checks) are public
 * so tests and fuzzers can pin each one against the AWS examples.
 *
 * Files: sigv4_parse.c (Authorization header, query parameters, dates),
 * sigv4_canon.c (canonical request), sigv4.c (keys, signatures, verify,
 * streaming), sigv4_sign.c (signing an outgoing request). What coffer accepts is in doc/formats.md ("S3 wire formats").
 *
 * Invariants:
 *  (1) a signature is compared in constant time (CRYPTO_memcmp), decoded to
 *      its 32 bytes, never as text.
 *  (2) the canonical URI and query are rebuilt from the bytes received:
 *      each path segment and each query name and value is percent-decoded,
 *      then encoded the AWS way (A-Z a-z 0-9 - . _ ~ kept, the rest %XX
 *      upper case; '/' kept between path segments only). A client that
 *      encoded once (all SDKs) or not at all gets the same canonical form;
 *      the path is never normalised (no "." or ".." removal, "//" kept).
 *  (3) a request carries one mechanism: Authorization header or presigned
 *      query, never both. s3_sigv4_verify refuses SigV2 and SigV4a by name;
 *      the caller (auth.c) sends a SigV2 request ("AWS AK:sig" header or
 *      AWSAccessKeyId query, s3_sigv2_detect) to s3_sigv2_verify (sigv2.h)
 *      instead, which fills the same s3_sigv4_result.
 *  (4) every parsed field is bounded by the constants below; breaking one
 *      is a malformed-authorization answer, never a truncation.
 *  (5) s3_sigv4_verify sets every field of its result on every path.
 */
#ifndef S3_SIGV4_H
#define S3_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "s3/errors.h"
#include "util/buf.h"
#include "util/slice.h"

#define S3_SIGV4_MAX_SKEW_S 900           /* S3's 15 minutes between client and server clocks */
#define S3_SIGV4_MAX_EXPIRES_S 604800     /* a presigned URL lives at most 7 days */
#define S3_SIGV4_MAX_ACCESS_KEY_BYTES 128 /* AWS access key ids are 16..128 */
#define S3_SIGV4_MAX_SECRET_BYTES 128
#define S3_SIGV4_MAX_REGION_BYTES 64
#define S3_SIGV4_MAX_SERVICE_BYTES 16
#define S3_SIGV4_MAX_SIGNED_HEADERS_BYTES 4096 /* the "a;b;c" list */
#define S3_SIGV4_MAX_SCOPE_BYTES 128           /* "20130524/us-east-1/s3/aws4_request" */
#define S3_SIGV4_AMZ_DATE_LEN 16               /* "20130524T000000Z" */
#define S3_AUTH_DETAIL_BYTES 256               /* a message naming two regions of <= 64 */

/* The hex SHA-256 of no bytes: the payload hash of an empty body. */
#define S3_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Results of authentication; s3_sigv4_err_code maps each to an S3 error row. */
typedef enum s3_auth_err {
    S3_AUTH_OK = 0,
    S3_AUTH_MISSING,            /* no Authorization header, no presigned query: anonymous */
    S3_AUTH_UNSUPPORTED,        /* SigV4a, other schemes; SigV2 if sent here (invariant (3)) */
    S3_AUTH_MULTIPLE,           /* both an Authorization header and presigned parameters */
    S3_AUTH_HEADER_MALFORMED,   /* Authorization header, or its date, unparseable or inconsistent */
    S3_AUTH_QUERY_MALFORMED,    /* presigned parameters missing, repeated or invalid */
    S3_AUTH_WRONG_REGION,       /* the credential scope names another region (header) */
    S3_AUTH_WRONG_REGION_QUERY, /* the same in a presigned X-Amz-Credential */
    S3_AUTH_NO_DATE,            /* header auth without a valid x-amz-date or Date */
    S3_AUTH_SKEWED,             /* request time more than 15 minutes from ours */
    S3_AUTH_EXPIRED,            /* presigned URL past X-Amz-Date + X-Amz-Expires */
    S3_AUTH_NOT_YET_VALID,      /* presigned URL dated more than 15 minutes ahead */
    S3_AUTH_TOKEN,              /* a session token: coffer has no temporary credentials */
    S3_AUTH_BAD_CONTENT_SHA256, /* x-amz-content-sha256 neither a hash nor a known keyword */
    S3_AUTH_NO_CONTENT_SHA256,  /* header auth with a body but no x-amz-content-sha256 */
    S3_AUTH_UNKNOWN_KEY,        /* the access key is not ours */
    S3_AUTH_BAD_SIGNATURE,      /* the signature (request, chunk or trailer) does not match */
    S3_AUTH_V2_MALFORMED,       /* SigV2 "AWS AK:sig" header not of that form */
    S3_AUTH_V2_QUERY_MALFORMED, /* SigV2 query: AWSAccessKeyId, Signature or Expires bad */
    S3_AUTH_INTERNAL,           /* out of memory, or the secret lookup failed */
} s3_auth_err;

/*
 * s3_sigv4_err_code -- the S3 error row for auth_err (S3_ERR_NONE for
 * S3_AUTH_OK) and, through message (may be NULL), its default message.
 */
s3_err_code s3_sigv4_err_code(int auth_err, const char **message);

/* How the request body is protected: the value of x-amz-content-sha256. */
typedef enum s3_payload_mode {
    S3_PAYLOAD_SHA256 = 0,                 /* hex SHA-256 of the body: verify it */
    S3_PAYLOAD_UNSIGNED,                   /* UNSIGNED-PAYLOAD (presigned URLs by default) */
    S3_PAYLOAD_STREAMING,                  /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    S3_PAYLOAD_STREAMING_TRAILER,          /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} s3_payload_mode;

/* A parsed Authorization header or presigned query. Fields are copies (the
 * query's are percent-decoded), NUL-terminated, lengths alongside. */
typedef struct s3_sigv4_auth {
    bool presigned;
    char access_key[S3_SIGV4_MAX_ACCESS_KEY_BYTES + 1];
    size_t access_key_len;
    char date[9]; /* credential scope date, YYYYMMDD */
    char region[S3_SIGV4_MAX_REGION_BYTES + 1];
    size_t region_len;
    char service[S3_SIGV4_MAX_SERVICE_BYTES + 1];
    size_t service_len;
    char signed_headers[S3_SIGV4_MAX_SIGNED_HEADERS_BYTES + 1]; /* as sent: "host;x-amz-date" */
    size_t signed_headers_len;
    uint8_t signature[32];
    /* presigned only: */
    char amz_date[S3_SIGV4_AMZ_DATE_LEN + 1]; /* X-Amz-Date */
    uint32_t expires_s;                       /* X-Amz-Expires, 1 ..= 604800 */
    char content_sha256[65];                  /* X-Amz-Content-Sha256 if given, else "" */
} s3_sigv4_auth;

/*
 * s3_sigv4_parse_header -- parses an Authorization header value
 * "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=<64 hex>" (spaces after commas
 * tolerated, components in any order, each exactly once). Returns S3_AUTH_OK,
 * S3_AUTH_UNSUPPORTED (another scheme), S3_AUTH_HEADER_MALFORMED with *why a
 * constant message. *out is reset on entry.
 */
int s3_sigv4_parse_header(cf_slice value, s3_sigv4_auth *out, const char **why);

/*
 * s3_sigv4_parse_query -- parses the presigned parameters of a raw
 * (percent-encoded) query: X-Amz-Algorithm, -Credential, -Date, -Expires,
 * -SignedHeaders, -Signature, optional -Content-Sha256. Returns S3_AUTH_OK,
 * S3_AUTH_UNSUPPORTED (X-Amz-Algorithm of SigV4a), S3_AUTH_TOKEN
 * (X-Amz-Security-Token), S3_AUTH_QUERY_MALFORMED with *why.
 */
int s3_sigv4_parse_query(cf_slice query, s3_sigv4_auth *out, const char **why);

/* What authentication parameters a raw query carries. */
enum { S3_QUERY_AUTH_NONE = 0, S3_QUERY_AUTH_V4 = 1, S3_QUERY_AUTH_V2 = 2 };

/*
 * s3_sigv4_query_mechanism -- S3_QUERY_AUTH_V4 if the query has
 * X-Amz-Algorithm, X-Amz-Credential or X-Amz-Signature; else
 * S3_QUERY_AUTH_V2 if it has AWSAccessKeyId; else S3_QUERY_AUTH_NONE.
 */
int s3_sigv4_query_mechanism(cf_slice query);

/* s3_sigv4_parse_amz_date -- "20130524T000000Z" to Unix seconds; CF_EINVAL if not that form. */
int s3_sigv4_parse_amz_date(cf_slice s, int64_t *unix_s);

/* s3_sigv4_format_amz_date -- Unix seconds to "YYYYMMDDTHHMMSSZ" and a NUL (years 0..9999). */
void s3_sigv4_format_amz_date(int64_t unix_s, char out[S3_SIGV4_AMZ_DATE_LEN + 1]);

/* s3_sigv4_parse_http_date -- IMF-fixdate "Fri, 24 May 2013 00:00:00 GMT"; CF_EINVAL otherwise. */
int s3_sigv4_parse_http_date(cf_slice s, int64_t *unix_s);

/* s3_sigv4_check_skew -- S3_AUTH_OK if |request - now| <= 15 min, else S3_AUTH_SKEWED. */
int s3_sigv4_check_skew(int64_t request_s, int64_t now_s);

/*
 * s3_sigv4_check_presigned_time -- S3_AUTH_OK while request <= now + 15 min
 * and now <= request + expires; else S3_AUTH_NOT_YET_VALID or S3_AUTH_EXPIRED.
 */
int s3_sigv4_check_presigned_time(int64_t request_s, uint32_t expires_s, int64_t now_s);

/* Reusable memory for canonicalisation; zero-initialise, keep one per worker. */
typedef struct s3_sigv4_scratch {
    cf_buf canon; /* the canonical request last built (kept for error diagnostics) */
    cf_buf sts;   /* its string to sign */
    cf_buf tmp;   /* query parameters while they are sorted */
} s3_sigv4_scratch;

/* s3_sigv4_scratch_free -- releases the buffers; the scratch stays reusable. */
void s3_sigv4_scratch_free(s3_sigv4_scratch *s);

/*
 * s3_sigv4_canonical_request -- builds into scratch->canon (cleared first)
 *   METHOD \n URI \n QUERY \n (name:value \n)* \n SIGNED_HEADERS \n PAYLOAD_HASH
 * for req signed as auth (headers in the order of auth->signed_headers,
 * values trimmed, inner blanks collapsed, repeats joined by ','; a presigned
 * query without X-Amz-Signature). Returns 0 or CF_ENOMEM.
 */
int s3_sigv4_canonical_request(const http_request *req, const s3_sigv4_auth *auth,
                               cf_slice payload_hash, s3_sigv4_scratch *scratch);

/*
 * s3_sigv4_signing_key -- HMAC chain "AWS4"+secret, date, region, service,
 * "aws4_request" into key. CF_EINVAL if secret is over S3_SIGV4_MAX_SECRET_BYTES.
 */
int s3_sigv4_signing_key(cf_slice secret, const s3_sigv4_auth *auth, uint8_t key[32]);

/*
 * s3_sigv4_string_to_sign -- builds into scratch->sts (cleared first)
 * "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of scratch->canon>".
 * Returns 0 or CF_ENOMEM.
 */
int s3_sigv4_string_to_sign(const s3_sigv4_auth *auth, const char *amz_date,
                            s3_sigv4_scratch *scratch);

/* s3_sigv4_hmac -- HMAC-SHA256 of msg under a 32-byte key. */
void s3_sigv4_hmac(const uint8_t key[32], cf_slice msg, uint8_t mac[32]);

/*
 * s3_sigv4_sign -- signs an outgoing request (sigv4_sign.c) with the same
 * canonical request, string to sign and key as verification: every header
 * of req is signed, so req->headers must be in canonical order (lowercase
 * names, sorted, each once) and include host, x-amz-date (= amz_date,
 * "YYYYMMDDTHHMMSSZ") and x-amz-content-sha256 (= payload_hash).
 * authorization (cleared first) gets the Authorization header's value for
 * service s3 in region. 0, CF_EINVAL (a field over its limit), CF_ENOMEM.
 */
int s3_sigv4_sign(const http_request *req, cf_slice access_key, cf_slice secret, cf_slice region,
                  const char *amz_date, cf_slice payload_hash, s3_sigv4_scratch *scratch,
                  cf_buf *authorization);

/*
 * The signature chain of a signed aws-chunked body. Each chunk's signature
 * is HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" date "\n" scope "\n" prev "\n"
 * sha256("") "\n" sha256(chunk)), prev being the seed (the request's
 * signature), then each chunk's; the trailer's uses "AWS4-HMAC-SHA256-
 * TRAILER" and the hash of the trailer lines "name:value\n".
 */
typedef struct s3_sigv4_stream {
    uint8_t key[32]; /* signing key */
    char amz_date[S3_SIGV4_AMZ_DATE_LEN + 1];
    char scope[S3_SIGV4_MAX_SCOPE_BYTES + 1];
    size_t scope_len;
    char prev[65];            /* hex signature of the seed or of the last verified chunk */
    struct evp_md_ctx_st *md; /* OpenSSL's EVP_MD_CTX: running SHA-256 of the chunk; NULL: unused */
} s3_sigv4_stream;

/*
 * s3_sigv4_stream_init -- seeds s (zeroed or freed before) with the signing
 * key, request date, scope and seed signature. Caller frees with
 * s3_sigv4_stream_free(). 0 or CF_ENOMEM.
 */
int s3_sigv4_stream_init(s3_sigv4_stream *s, const uint8_t key[32], const char *amz_date,
                         cf_slice scope, const uint8_t seed[32]);

/* s3_sigv4_stream_update -- feeds n bytes of the current chunk's data. 0 or S3_AUTH_INTERNAL. */
int s3_sigv4_stream_update(s3_sigv4_stream *s, const void *p, size_t n);

/*
 * s3_sigv4_stream_chunk_end -- the current chunk (the bytes fed since the
 * last call; none for the final chunk) ends: compares its signature with
 * declared (hex, as sent after "chunk-signature="), which becomes prev.
 * Returns S3_AUTH_OK, S3_AUTH_BAD_SIGNATURE (then s is spent), S3_AUTH_INTERNAL.
 */
int s3_sigv4_stream_chunk_end(s3_sigv4_stream *s, cf_slice declared);

/*
 * s3_sigv4_stream_trailer -- checks the trailer signature declared (the
 * x-amz-trailer-signature value) over the n trailers as sent, in order;
 * an x-amz-trailer-signature entry among them is skipped. Names are
 * lowercased, values trimmed. S3_AUTH_OK, S3_AUTH_BAD_SIGNATURE, S3_AUTH_INTERNAL.
 */
int s3_sigv4_stream_trailer(s3_sigv4_stream *s, const cf_slice *names, const cf_slice *values,
                            size_t n, cf_slice declared);

/* s3_sigv4_stream_free -- releases the hash context; s may be zeroed or freed already. */
void s3_sigv4_stream_free(s3_sigv4_stream *s);

/*
 * The secret of an access key: 0 and *secret (borrowed, valid until
 * s3_sigv4_verify returns), CF_ENOTFOUND if the key is unknown, another
 * negative code on failure.
 */
typedef int (*s3_secret_lookup_fn)(void *arg, cf_slice access_key, cf_slice *secret);

typedef struct s3_sigv4_config {
    cf_slice region; /* the server's region; empty: any region is accepted */
    s3_secret_lookup_fn lookup;
    void *lookup_arg;
} s3_sigv4_config;

typedef struct s3_sigv4_result {
    s3_err_code code;    /* S3_ERR_NONE, or the row to answer with */
    const char *message; /* the error body's message (a constant or detail); NULL on success */
    char detail[S3_AUTH_DETAIL_BYTES]; /* a message naming values ("the region 'x' is wrong") */
    bool sigv2;                        /* SigV2 (s3:signatureversion "AWS"); else SigV4 */
    bool presigned;
    char access_key[S3_SIGV4_MAX_ACCESS_KEY_BYTES + 1]; /* set once parsed, even on failure */
    size_t access_key_len;
    int64_t request_time_s; /* the signed date, once parsed (for RequestTimeTooSkewed) */
    int64_t expires_at_s;   /* presigned: the moment it expires, once parsed (<Expires>); else 0 */
    s3_payload_mode payload;
    uint8_t content_sha256[32]; /* S3_PAYLOAD_SHA256: the body's declared hash */
    s3_sigv4_stream stream;     /* STREAMING and STREAMING_TRAILER: seeded; else md NULL */
} s3_sigv4_result;

/*
 * s3_sigv4_verify -- authenticates req at time now_s. Returns an
 * s3_auth_err: S3_AUTH_OK when the request is signed by a known key, with
 * out filled; otherwise out->code and out->message say how to answer.
 * scratch->canon and scratch->sts hold the canonical request and string to
 * sign once computed (for SignatureDoesNotMatch diagnostics). Caller frees
 * out with s3_sigv4_result_free() (the stream's hash context).
 * REQUIRES: req from http_parse_request (or built alike); cfg->lookup set.
 */
int s3_sigv4_verify(const http_request *req, const s3_sigv4_config *cfg, int64_t now_s,
                    s3_sigv4_scratch *scratch, s3_sigv4_result *out);

/*
 * s3_sigv4_payload_mode -- reads an x-amz-content-sha256 value into
 * out->payload (and out->content_sha256 for a hash). S3_AUTH_OK,
 * S3_AUTH_UNSUPPORTED (SigV4a streaming), S3_AUTH_BAD_CONTENT_SHA256.
 */
int s3_sigv4_payload_mode(cf_slice value, s3_sigv4_result *out);

/* s3_sigv4_result_free -- releases out->stream; safe on a zeroed or freed result. */
void s3_sigv4_result_free(s3_sigv4_result *r);

#endif
