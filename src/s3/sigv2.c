/*
 * sigv2.c -- SigV2 for S3 (sigv2.h): parsing the header and the presigned
 * query, the request date, the string to sign, and the verifier.
 *
 * s3_sigv2_verify runs, in this order (as s3_sigv4_verify does): one
 * mechanism and no token (invariant (3)), parse, the clock (skew or
 * expiry, before the key lookup, so a stale request says so even when the
 * key is wrong), the payload mode, the secret, then the string to sign and
 * a constant-time comparison (invariant (1)). Every failing step sets
 * out->code and out->message (invariant (5)).
 *
 * The sub-resources signed are S3's list (the "Signing and Authenticating
 * REST Requests" page: acl ... website, the six response-* overrides,
 * delete) joined with those botocore's HmacV1Auth and s3cmd's
 * sign_request_v2 sign (accelerate, analytics, cors, defaultObjectAcl,
 * inventory, metrics, object-lock, replication, restore, select,
 * select-type, storageClass, tagging): a client signs what its list names,
 * and every name on the lists is a sub-resource S3 itself signs.
 *
 * The string to sign is built in scratch->sts; decoded query bytes go to
 * scratch->tmp, reserved once at the raw query's length (decoding never
 * grows bytes), so pointers into it stay valid while entries are sorted.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

#include "s3/checksum.h"
#include "s3/sigv2.h"
#include "util/err.h"
#include "util/hex.h"

static const char MSG_SPACE[] = "Authorization header is invalid -- one and only one ' ' (space) "
                                "required";
static const char MSG_FORM[] = "AWS authorization header is invalid.  Expected "
                               "AwsAccessKeyId:signature";
static const char MSG_EXPIRES[] = "Invalid date (should be seconds since epoch)";
static const char MSG_TOO_MANY[] = "The request has more x-amz-* headers or sub-resources than "
                                   "can be signed";

static const char *const subresources[] = {
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
};

/* ---- small helpers ---- */

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool prefix_ci(cf_slice s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && strncasecmp((const char *)s.ptr, prefix, n) == 0;
}

static cf_slice trim(cf_slice s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/*
 * decode -- percent-decodes in into dst (at most cap bytes; '+' stays '+',
 * as botocore's unquote leaves it; a '%' without two hex digits is kept);
 * *len the decoded length. false if it did not fit (dst holds the first cap).
 */
static bool decode(cf_slice in, uint8_t *dst, size_t cap, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%' && i + 2 < in.len && hex_digit(in.ptr[i + 1]) >= 0 &&
            hex_digit(in.ptr[i + 2]) >= 0) {
            c = (uint8_t)(hex_digit(in.ptr[i + 1]) << 4 | hex_digit(in.ptr[i + 2]));
            i += 2;
        }
        if (n == cap) {
            *len = n;
            return false;
        }
        dst[n++] = c;
    }
    *len = n;
    return true;
}

static void hmac_sha1(cf_slice key, cf_slice msg, uint8_t mac[S3_SIGV2_SIGNATURE_BYTES])
{
    static const uint8_t none[1];
    unsigned int n = S3_SIGV2_SIGNATURE_BYTES;
    HMAC(EVP_sha1(), key.len ? key.ptr : none, (int)key.len, msg.len ? msg.ptr : none, msg.len, mac,
         &n);
}

void s3_sigv2_sign(cf_slice secret, cf_slice string_to_sign, char out_b64[29])
{
    uint8_t mac[S3_SIGV2_SIGNATURE_BYTES];
    hmac_sha1(secret, string_to_sign, mac);
    s3_base64(mac, sizeof mac, out_b64, S3_SIGV2_SIGNATURE_B64_LEN + 1);
    OPENSSL_cleanse(mac, sizeof mac);
}

/* set_signature -- decodes a base64 signature; false (invariant (1)) unless it is 20 bytes. */
static bool set_signature(cf_slice b64, s3_sigv2_auth *out)
{
    uint8_t tmp[S3_SIGV2_SIGNATURE_BYTES + 2];
    if (b64.len != S3_SIGV2_SIGNATURE_B64_LEN ||
        s3_unbase64(b64, tmp, sizeof tmp) != S3_SIGV2_SIGNATURE_BYTES)
        return false;
    memcpy(out->signature, tmp, S3_SIGV2_SIGNATURE_BYTES);
    return true;
}

/* ---- parsing ---- */

bool s3_sigv2_detect(const http_request *req)
{
    cf_slice authz = http_header_find(req, "authorization");
    if (authz.ptr)
        return authz.len >= 4 && memcmp(authz.ptr, "AWS ", 4) == 0;
    return s3_sigv4_query_mechanism(req->query) == S3_QUERY_AUTH_V2;
}

int s3_sigv2_parse_header(cf_slice v, s3_sigv2_auth *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = MSG_FORM;
    if (v.len < 4 || memcmp(v.ptr, "AWS ", 4) != 0)
        return S3_AUTH_V2_MALFORMED;
    cf_slice rest = slice_make(v.ptr + 4, v.len - 4);
    if (rest.len && (rest.ptr[0] == ' ' || rest.ptr[0] == '\t')) {
        *why = MSG_SPACE;
        return S3_AUTH_V2_MALFORMED;
    }
    size_t colon = rest.len;
    while (colon > 0 && rest.ptr[colon - 1] != ':')
        colon--;
    if (colon < 2 || colon == rest.len || colon - 1 > S3_SIGV4_MAX_ACCESS_KEY_BYTES)
        return S3_AUTH_V2_MALFORMED; /* no ':', empty key or signature, key over the bound */
    memcpy(out->access_key, rest.ptr, colon - 1);
    out->access_key[colon - 1] = '\0';
    out->access_key_len = colon - 1;
    out->signature_valid = set_signature(slice_make(rest.ptr + colon, rest.len - colon), out);
    *why = NULL;
    return S3_AUTH_OK;
}

enum { P_KEY = 1, P_SIGNATURE = 2, P_EXPIRES = 4, P_ALL = 7 };

int s3_sigv2_parse_query(cf_slice query, s3_sigv2_auth *out, const char **why)
{
    memset(out, 0, sizeof *out);
    out->presigned = true;
    *why = NULL;
    unsigned seen = 0;
    cf_slice q = query, name, value;
    while (q.ptr && http_query_next(&q, &name, &value) == 1) {
        uint8_t nbuf[32], vbuf[S3_SIGV4_MAX_ACCESS_KEY_BYTES];
        size_t n, vn;
        if (!decode(name, nbuf, sizeof nbuf, &n))
            continue; /* longer than any name this parser knows */
        cf_slice nm = slice_make(nbuf, n);
        unsigned bit = slice_eq(nm, slice_str("AWSAccessKeyId")) ? P_KEY
                       : slice_eq(nm, slice_str("Signature"))    ? P_SIGNATURE
                       : slice_eq(nm, slice_str("Expires"))      ? P_EXPIRES
                                                                 : 0;
        if (n == 20 && strncasecmp((const char *)nbuf, "x-amz-security-token", 20) == 0)
            return S3_AUTH_TOKEN;
        if (!bit)
            continue;
        if (seen & bit)
            return S3_AUTH_V2_QUERY_MALFORMED; /* given twice */
        seen |= bit;
        bool fits = decode(value, vbuf, sizeof vbuf, &vn);
        if (bit == P_KEY) {
            if (!fits || vn == 0)
                return S3_AUTH_V2_QUERY_MALFORMED;
            memcpy(out->access_key, vbuf, vn);
            out->access_key[vn] = '\0';
            out->access_key_len = vn;
        } else if (bit == P_SIGNATURE) {
            out->signature_valid = fits && set_signature(slice_make(vbuf, vn), out);
        } else {
            *why = MSG_EXPIRES;
            if (!fits || vn == 0 || vn > S3_SIGV2_MAX_EXPIRES_DIGITS)
                return S3_AUTH_V2_QUERY_MALFORMED;
            out->expires_s = 0;
            for (size_t i = 0; i < vn; i++) {
                if (vbuf[i] < '0' || vbuf[i] > '9')
                    return S3_AUTH_V2_QUERY_MALFORMED;
                out->expires_s = out->expires_s * 10 + (vbuf[i] - '0');
            }
            memcpy(out->expires, vbuf, vn);
            out->expires[vn] = '\0';
            *why = NULL;
        }
    }
    return seen == P_ALL ? S3_AUTH_OK : S3_AUTH_V2_QUERY_MALFORMED;
}

int s3_sigv2_parse_date(cf_slice s, int64_t *t)
{
    if (s3_sigv4_parse_amz_date(s, t) == 0 || http_date_parse(s, t) == 0)
        return 0;
    /* "Tue, 27 Mar 2007 19:36:42 +0000": IMF-fixdate with a numeric zone */
    if (s.len != 31 || s.ptr[25] != ' ' || (s.ptr[26] != '+' && s.ptr[26] != '-'))
        return CF_EINVAL;
    const uint8_t *z = s.ptr + 26;
    for (int i = 1; i < 5; i++)
        if (z[i] < '0' || z[i] > '9')
            return CF_EINVAL;
    int hh = (z[1] - '0') * 10 + (z[2] - '0'), mm = (z[3] - '0') * 10 + (z[4] - '0');
    if (hh > 23 || mm > 59)
        return CF_EINVAL;
    char gmt[29];
    memcpy(gmt, s.ptr, 25);
    memcpy(gmt + 25, " GMT", 4);
    if (http_date_parse(slice_make(gmt, sizeof gmt), t))
        return CF_EINVAL;
    int64_t off = (int64_t)(hh * 3600 + mm * 60);
    *t += z[0] == '+' ? -off : off; /* local time minus its offset is UTC */
    return 0;
}

/* ---- the string to sign ---- */

/* A name: value to sign; headers keep their raw name, written lowercased. */
typedef struct entry {
    cf_slice name;
    cf_slice value; /* ptr NULL: a sub-resource without a value */
    uint32_t seq;   /* arrival order: ties keep it (headers first, then query parameters) */
} entry;

static int name_cmp(cf_slice a, cf_slice b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    for (size_t i = 0; i < n; i++) {
        int d = lower(a.ptr[i]) - lower(b.ptr[i]);
        if (d)
            return d;
    }
    return (a.len > b.len) - (a.len < b.len);
}

/* sort -- by name (case-insensitive, so amz names sort as lowercased), stable; n is bounded. */
static void sort(entry *e, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        entry x = e[i];
        size_t k = i;
        while (k > 0 && name_cmp(e[k - 1].name, x.name) > 0) {
            e[k] = e[k - 1];
            k--;
        }
        e[k] = x;
    }
}

static const char *subresource(cf_slice name)
{
    for (size_t i = 0; i < sizeof subresources / sizeof subresources[0]; i++)
        if (slice_eq(name, slice_str(subresources[i])))
            return subresources[i];
    return NULL;
}

/* take -- appends the decoded raw to tmp (room reserved by the caller); its view there. */
static cf_slice take(cf_buf *tmp, cf_slice raw)
{
    uint8_t *w = tmp->data + tmp->len;
    size_t n;
    decode(raw, w, raw.len, &n); /* fits: decoding never grows */
    tmp->len += n;
    return slice_make(w, n);
}

/* collect -- the x-amz-* entries and sub-resources of req. 0 or CF_ELIMIT / CF_ENOMEM. */
static int collect(const http_request *req, bool presigned, cf_buf *tmp, entry *amz, size_t *n_amz,
                   entry *sub, size_t *n_sub)
{
    uint32_t seq = 0;
    *n_amz = *n_sub = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        const http_header *h = &req->headers[i];
        if (!prefix_ci(h->name, "x-amz-"))
            continue;
        if (*n_amz == S3_SIGV2_MAX_AMZ)
            return CF_ELIMIT;
        amz[(*n_amz)++] = (entry){h->name, trim(h->value), seq++};
    }
    buf_clear(tmp);
    if (buf_reserve(tmp, req->query.len + 1))
        return CF_ENOMEM;
    cf_slice q = req->query, name, value;
    while (q.ptr && http_query_next(&q, &name, &value) == 1) {
        uint8_t nbuf[S3_SIGV2_MAX_PARAM_NAME_BYTES];
        size_t n;
        bool fits = decode(name, nbuf, sizeof nbuf, &n);
        cf_slice nm = slice_make(nbuf, n);
        if (presigned && prefix_ci(nm, "x-amz-")) {
            if (!fits || *n_amz == S3_SIGV2_MAX_AMZ)
                return CF_ELIMIT;
            cf_slice kept = take(tmp, name);
            cf_slice v = value.ptr ? trim(take(tmp, value)) : slice_make(kept.ptr, 0);
            amz[(*n_amz)++] = (entry){kept, v, seq++};
            continue;
        }
        const char *known = fits ? subresource(nm) : NULL;
        if (!known)
            continue;
        if (*n_sub == S3_SIGV2_MAX_SUBRESOURCES)
            return CF_ELIMIT;
        cf_slice v = value.ptr && value.len ? take(tmp, value) : slice_make(NULL, 0);
        sub[(*n_sub)++] = (entry){slice_str(known), v, seq++};
    }
    sort(amz, *n_amz);
    sort(sub, *n_sub);
    return 0;
}

static int put(cf_buf *b, cf_slice s)
{
    return s.len ? buf_append(b, s.ptr, s.len) : 0; /* an absent header is (NULL, 0) */
}

static int put_lower(cf_buf *b, cf_slice s)
{
    if (buf_reserve(b, s.len))
        return CF_ENOMEM;
    for (size_t i = 0; i < s.len; i++)
        b->data[b->len++] = lower(s.ptr[i]);
    return 0;
}

/* put_amz -- "name:v1,v2\n" per name, for entries sorted by name. */
static int put_amz(cf_buf *b, const entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool first = i == 0 || name_cmp(e[i - 1].name, e[i].name) != 0;
        bool last = i + 1 == n || name_cmp(e[i].name, e[i + 1].name) != 0;
        if (first && (put_lower(b, e[i].name) || put(b, slice_str(":"))))
            return CF_ENOMEM;
        if ((!first && put(b, slice_str(","))) || put(b, e[i].value) ||
            (last && put(b, slice_str("\n"))))
            return CF_ENOMEM;
    }
    return 0;
}

/* bucket_only -- is path "/bkt": one segment, no '/' after it (path-style, the bucket itself)? */
static bool bucket_only(cf_slice path)
{
    return path.len > 1 && path.ptr[0] == '/' && !memchr(path.ptr + 1, '/', path.len - 1);
}

/* build -- the string to sign; literal: the path exactly as sent, even a bare "/bkt". */
static int build(const http_request *req, const s3_sigv2_auth *a, cf_slice vhost_bucket,
                 bool literal, s3_sigv4_scratch *scratch)
{
    entry amz[S3_SIGV2_MAX_AMZ], sub[S3_SIGV2_MAX_SUBRESOURCES];
    size_t n_amz, n_sub;
    cf_buf *b = &scratch->sts;
    buf_clear(b);
    int rc = collect(req, a->presigned, &scratch->tmp, amz, &n_amz, sub, &n_sub);
    if (rc)
        return rc;
    cf_slice md5 = http_header_find(req, "content-md5");
    cf_slice type = http_header_find(req, "content-type");
    cf_slice date = a->presigned ? slice_str(a->expires)
                    : http_header_find(req, "x-amz-date").ptr
                        ? slice_make(NULL, 0) /* x-amz-date is signed among the amz headers */
                        : http_header_find(req, "date");
    if (put(b, req->method) || put(b, slice_str("\n")) || put(b, md5) || put(b, slice_str("\n")) ||
        put(b, type) || put(b, slice_str("\n")) || put(b, date) || put(b, slice_str("\n")) ||
        put_amz(b, amz, n_amz))
        return CF_ENOMEM;
    if (vhost_bucket.len && (put(b, slice_str("/")) || put(b, vhost_bucket)))
        return CF_ENOMEM;
    if (put(b, req->path.len ? req->path : slice_str("/")))
        return CF_ENOMEM;
    if (!literal && !vhost_bucket.len && bucket_only(req->path) && put(b, slice_str("/")))
        return CF_ENOMEM;
    for (size_t i = 0; i < n_sub; i++) {
        if (put(b, slice_str(i ? "&" : "?")) || put(b, sub[i].name) ||
            (sub[i].value.len && (put(b, slice_str("=")) || put(b, sub[i].value))))
            return CF_ENOMEM;
    }
    return 0;
}

int s3_sigv2_string_to_sign(const http_request *req, const s3_sigv2_auth *a, cf_slice vhost_bucket,
                            s3_sigv4_scratch *scratch)
{
    return build(req, a, vhost_bucket, false, scratch);
}

/* ---- the verifier ---- */

/* matches -- does a's signature sign scratch->sts under secret? In constant time (invariant (1)).
 */
static bool matches(cf_slice secret, const s3_sigv2_auth *a, s3_sigv4_scratch *scratch)
{
    uint8_t mac[S3_SIGV2_SIGNATURE_BYTES];
    hmac_sha1(secret, buf_slice(&scratch->sts), mac);
    bool ok = a->signature_valid && CRYPTO_memcmp(mac, a->signature, sizeof mac) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

/* request_date -- header form: x-amz-date if sent (it decides even when Date is fine), else Date.
 */
static int request_date(const http_request *req, int64_t *t)
{
    cf_slice v = http_header_find(req, "x-amz-date");
    if (!v.ptr)
        v = http_header_find(req, "date");
    if (!v.ptr || s3_sigv2_parse_date(v, t))
        return S3_AUTH_NO_DATE;
    return S3_AUTH_OK;
}

/* payload -- x-amz-content-sha256, if a SigV2 client sent one (signed as an amz header). */
static int payload(const http_request *req, s3_sigv4_result *out)
{
    cf_slice v = http_header_find(req, "x-amz-content-sha256");
    out->payload = S3_PAYLOAD_UNSIGNED;
    if (!v.ptr)
        return S3_AUTH_OK;
    int rc = s3_sigv4_payload_mode(v, out);
    if (rc)
        return rc;
    /* chunk signatures chain from a SigV4 signing key, which a SigV2 request has not */
    if (out->payload == S3_PAYLOAD_STREAMING || out->payload == S3_PAYLOAD_STREAMING_TRAILER)
        return S3_AUTH_BAD_CONTENT_SHA256;
    return S3_AUTH_OK;
}

static int authenticate(const http_request *req, const s3_sigv4_config *cfg, cf_slice vhost_bucket,
                        int64_t now_s, s3_sigv4_scratch *scratch, s3_sigv4_result *out,
                        s3_sigv2_auth *a, const char **why)
{
    size_t n_auth = 0;
    cf_slice authz = slice_make(NULL, 0);
    for (size_t i = 0; i < req->n_headers; i++) {
        const http_header *h = &req->headers[i];
        if (h->name.len == 13 && strncasecmp((const char *)h->name.ptr, "authorization", 13) == 0 &&
            !n_auth++)
            authz = h->value;
    }
    if (n_auth && s3_sigv4_query_mechanism(req->query) != S3_QUERY_AUTH_NONE)
        return S3_AUTH_MULTIPLE; /* invariant (3) */
    if (http_header_find(req, "x-amz-security-token").ptr)
        return S3_AUTH_TOKEN;
    if (n_auth > 1)
        return S3_AUTH_V2_MALFORMED;
    int rc =
        n_auth ? s3_sigv2_parse_header(authz, a, why) : s3_sigv2_parse_query(req->query, a, why);
    if (rc)
        return rc;
    out->presigned = a->presigned;
    memcpy(out->access_key, a->access_key, a->access_key_len + 1);
    out->access_key_len = a->access_key_len;
    if (a->presigned) {
        out->expires_at_s = a->expires_s;
        if (a->expires_s < now_s)
            return S3_AUTH_EXPIRED;
    } else if ((rc = request_date(req, &out->request_time_s)) ||
               (rc = s3_sigv4_check_skew(out->request_time_s, now_s))) {
        return rc;
    }
    if ((rc = payload(req, out)))
        return rc;

    cf_slice secret;
    rc = cfg->lookup(cfg->lookup_arg, slice_make(a->access_key, a->access_key_len), &secret);
    if (rc)
        return rc == CF_ENOTFOUND ? S3_AUTH_UNKNOWN_KEY : S3_AUTH_INTERNAL;
    if (secret.len > S3_SIGV4_MAX_SECRET_BYTES)
        return S3_AUTH_INTERNAL;
    rc = s3_sigv2_string_to_sign(req, a, vhost_bucket, scratch);
    if (rc == CF_ELIMIT) {
        *why = MSG_TOO_MANY;
        return a->presigned ? S3_AUTH_V2_QUERY_MALFORMED : S3_AUTH_V2_MALFORMED;
    }
    if (rc)
        return S3_AUTH_INTERNAL;
    if (matches(secret, a, scratch))
        return S3_AUTH_OK;
    /* a bucket's own path-style request, "/bkt": botocore and s3cmd sign "/bkt/", a client
     * reading "the path as sent" literally "/bkt"; both name the same resource */
    if (vhost_bucket.len || !bucket_only(req->path))
        return S3_AUTH_BAD_SIGNATURE;
    if (build(req, a, vhost_bucket, true, scratch))
        return S3_AUTH_INTERNAL;
    return matches(secret, a, scratch) ? S3_AUTH_OK : S3_AUTH_BAD_SIGNATURE;
}

int s3_sigv2_verify(const http_request *req, const s3_sigv4_config *cfg, cf_slice vhost_bucket,
                    int64_t now_s, s3_sigv4_scratch *scratch, s3_sigv4_result *out)
{
    s3_sigv2_auth a;
    const char *why = NULL;
    memset(out, 0, sizeof *out);
    out->sigv2 = true;
    int rc = authenticate(req, cfg, vhost_bucket, now_s, scratch, out, &a, &why);
    out->code = s3_sigv4_err_code(rc, &out->message);
    if (rc && why)
        out->message = why;
    return rc;
}
