/*
 * sigv4_parse.c -- parsing of what a SigV4 client sends: the Authorization
 * header, the presigned query parameters, and the dates (sigv4.h).
 *
 * Everything parsed is copied into the fixed arrays of s3_sigv4_auth: the
 * query's values must be percent-decoded anyway, and fixed copies leave no
 * lifetime to track (STYLE 13's exception, stated here). Each field has a
 * bound (invariant (4) of sigv4.h); a field over it is malformed.
 */
#include <string.h>
#include <strings.h>

#include "s3/sigv4.h"
#include "util/err.h"
#include "util/hex.h"
#include "util/civil.h"

static const char MSG_HDR_PARTS[] =
    "The authorization header is malformed; it needs Credential, SignedHeaders and Signature, "
    "each once.";
static const char MSG_HDR_CREDENTIAL[] =
    "The authorization header is malformed; the Credential is mal-formed; expecting "
    "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
static const char MSG_HDR_SERVICE[] =
    "The authorization header is malformed; incorrect service; this endpoint belongs to \"s3\".";
static const char MSG_HDR_SIGNED[] =
    "The authorization header is malformed; SignedHeaders must be a ';'-separated list of "
    "header names that includes host.";
static const char MSG_HDR_SIGNATURE[] =
    "The authorization header is malformed; the Signature must be 64 hexadecimal digits.";
static const char MSG_Q_REQUIRED[] =
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters, each once.";
static const char MSG_Q_ALGORITHM[] = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"";
static const char MSG_Q_CREDENTIAL[] = "Error parsing the X-Amz-Credential parameter; expecting "
                                       "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
static const char MSG_Q_SERVICE[] =
    "Error parsing the X-Amz-Credential parameter; incorrect service; this endpoint belongs to "
    "\"s3\".";
static const char MSG_Q_DATE[] =
    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"";
static const char MSG_Q_EXPIRES[] =
    "X-Amz-Expires must be a number of seconds from 1 to 604800 (one week)";
static const char MSG_Q_SIGNED[] =
    "X-Amz-SignedHeaders must be a ';'-separated list of header names that includes host.";
static const char MSG_Q_SIGNATURE[] = "X-Amz-Signature must be 64 hexadecimal digits.";
static const char MSG_Q_CONTENT[] = "X-Amz-Content-Sha256 is too long.";

static bool is_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

static bool copy_field(char *dst, size_t cap, size_t *len, cf_slice s)
{
    if (s.len == 0 || s.len > cap)
        return false;
    memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    if (len)
        *len = s.len;
    return true;
}

/* parse_credential -- "AK/YYYYMMDD/region/service/aws4_request"; 1 bad form, 2 not "s3". */
static int parse_credential(cf_slice c, s3_sigv4_auth *out)
{
    cf_slice part[5];
    size_t n = 0, start = 0;
    if (c.len == 0)
        return 1;
    for (size_t i = 0; i <= c.len; i++) {
        if (i < c.len && c.ptr[i] != '/')
            continue;
        if (n == 5)
            return 1;
        part[n++] = slice_make(c.ptr + start, i - start);
        start = i + 1;
    }
    if (n != 5 || part[1].len != 8 || !is_digits(part[1].ptr, 8) ||
        !slice_eq(part[4], slice_str("aws4_request")))
        return 1;
    if (!copy_field(out->access_key, S3_SIGV4_MAX_ACCESS_KEY_BYTES, &out->access_key_len,
                    part[0]) ||
        !copy_field(out->region, S3_SIGV4_MAX_REGION_BYTES, &out->region_len, part[2]) ||
        !copy_field(out->service, S3_SIGV4_MAX_SERVICE_BYTES, &out->service_len, part[3]))
        return 1;
    memcpy(out->date, part[1].ptr, 8);
    out->date[8] = '\0';
    return slice_eq(part[3], slice_str("s3")) ? 0 : 2;
}

/* tchar -- a character of an HTTP header name (RFC 9110 token). */
static bool tchar(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* set_signed_headers -- copies a ';'-list of header names that includes host. */
static bool set_signed_headers(cf_slice s, s3_sigv4_auth *out)
{
    bool host = false;
    size_t start = 0;
    if (!copy_field(out->signed_headers, S3_SIGV4_MAX_SIGNED_HEADERS_BYTES,
                    &out->signed_headers_len, s))
        return false;
    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != ';') {
            if (!tchar(s.ptr[i]))
                return false;
            continue;
        }
        if (i == start)
            return false; /* an empty name */
        host |= i - start == 4 && strncasecmp((const char *)s.ptr + start, "host", 4) == 0;
        start = i + 1;
    }
    return host;
}

static bool blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static cf_slice trim(cf_slice s)
{
    while (s.len && blank(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && blank(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

int s3_sigv4_parse_header(cf_slice v, s3_sigv4_auth *out, const char **why)
{
    static const char alg[] = "AWS4-HMAC-SHA256";
    const size_t alg_len = sizeof alg - 1;
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (v.len < alg_len || memcmp(v.ptr, alg, alg_len) != 0 ||
        (v.len > alg_len && !blank(v.ptr[alg_len])))
        return S3_AUTH_UNSUPPORTED; /* "AWS AK:sig" (SigV2), AWS4-ECDSA-P256-SHA256, Bearer... */
    cf_slice rest = slice_make(v.ptr + alg_len, v.len - alg_len);
    bool have_cred = false, have_signed = false, have_sig = false;
    *why = MSG_HDR_PARTS;
    while (rest.len) {
        const uint8_t *comma = memchr(rest.ptr, ',', rest.len);
        size_t n = comma ? (size_t)(comma - rest.ptr) : rest.len;
        cf_slice item = trim(slice_make(rest.ptr, n));
        rest = comma ? slice_make(comma + 1, rest.len - n - 1) : slice_make(NULL, 0);
        const uint8_t *eq = item.len ? memchr(item.ptr, '=', item.len) : NULL;
        if (!eq || (comma && rest.len == 0))
            return S3_AUTH_HEADER_MALFORMED; /* an empty or valueless component */
        cf_slice key = slice_make(item.ptr, (size_t)(eq - item.ptr));
        cf_slice val = slice_make(eq + 1, item.len - key.len - 1);
        if (slice_eq(key, slice_str("Credential")) && !have_cred) {
            int rc = parse_credential(val, out);
            if (rc) {
                *why = rc == 2 ? MSG_HDR_SERVICE : MSG_HDR_CREDENTIAL;
                return S3_AUTH_HEADER_MALFORMED;
            }
            have_cred = true;
        } else if (slice_eq(key, slice_str("SignedHeaders")) && !have_signed) {
            if (!set_signed_headers(val, out)) {
                *why = MSG_HDR_SIGNED;
                return S3_AUTH_HEADER_MALFORMED;
            }
            have_signed = true;
        } else if (slice_eq(key, slice_str("Signature")) && !have_sig) {
            if (val.len != 64 || !hex_decode(val.ptr, 32, out->signature)) {
                *why = MSG_HDR_SIGNATURE;
                return S3_AUTH_HEADER_MALFORMED;
            }
            have_sig = true;
        } else {
            return S3_AUTH_HEADER_MALFORMED; /* unknown or repeated component */
        }
    }
    if (!have_cred || !have_signed || !have_sig)
        return S3_AUTH_HEADER_MALFORMED;
    *why = NULL;
    return S3_AUTH_OK;
}

/* next_param -- splits the next non-empty "name[=value]" off *q; false at the end. */
static bool next_param(cf_slice *q, cf_slice *name, cf_slice *value)
{
    while (q->len) {
        const uint8_t *amp = memchr(q->ptr, '&', q->len);
        size_t n = amp ? (size_t)(amp - q->ptr) : q->len;
        cf_slice item = slice_make(q->ptr, n);
        *q = amp ? slice_make(amp + 1, q->len - n - 1) : slice_make(NULL, 0);
        if (n == 0)
            continue;
        const uint8_t *eq = memchr(item.ptr, '=', n);
        *name = slice_make(item.ptr, eq ? (size_t)(eq - item.ptr) : n);
        *value = eq ? slice_make(eq + 1, n - name->len - 1) : slice_make(NULL, 0);
        return true;
    }
    return false;
}

/* pct_decode -- query-decodes in into dst[0..cap) plus a NUL; false on a bad escape or overflow. */
static bool pct_decode(cf_slice in, char *dst, size_t cap, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%') {
            if (i + 2 >= in.len)
                return false;
            int hi = hex_digit(in.ptr[i + 1]), lo = hex_digit(in.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (n == cap)
            return false;
        dst[n++] = (char)c;
    }
    dst[n] = '\0';
    *len = n;
    return true;
}

enum {
    Q_ALGORITHM = 1 << 0,
    Q_CREDENTIAL = 1 << 1,
    Q_DATE = 1 << 2,
    Q_EXPIRES = 1 << 3,
    Q_SIGNED = 1 << 4,
    Q_SIGNATURE = 1 << 5,
    Q_CONTENT = 1 << 6,
    Q_TOKEN = 1 << 7,
    Q_V2 = 1 << 8, /* AWSAccessKeyId: a SigV2 presigned URL */
    Q_REQUIRED = Q_ALGORITHM | Q_CREDENTIAL | Q_DATE | Q_EXPIRES | Q_SIGNED | Q_SIGNATURE,
};

static const struct {
    const char *name;
    unsigned bit;
} q_names[] = {
    {"X-Amz-Algorithm", Q_ALGORITHM},
    {"X-Amz-Credential", Q_CREDENTIAL},
    {"X-Amz-Date", Q_DATE},
    {"X-Amz-Expires", Q_EXPIRES},
    {"X-Amz-SignedHeaders", Q_SIGNED},
    {"X-Amz-Signature", Q_SIGNATURE},
    {"X-Amz-Content-Sha256", Q_CONTENT},
    {"X-Amz-Security-Token", Q_TOKEN},
    {"AWSAccessKeyId", Q_V2},
};

/* param_bit -- which authentication parameter name is, or 0. */
static unsigned param_bit(cf_slice name)
{
    char buf[32];
    size_t n;
    if (!pct_decode(name, buf, sizeof buf - 1, &n))
        return 0;
    for (size_t i = 0; i < sizeof q_names / sizeof q_names[0]; i++)
        if (strcmp(buf, q_names[i].name) == 0)
            return q_names[i].bit;
    return 0;
}

int s3_sigv4_query_mechanism(cf_slice query)
{
    cf_slice name, value;
    unsigned seen = 0;
    while (next_param(&query, &name, &value))
        seen |= param_bit(name);
    if (seen & (Q_ALGORITHM | Q_CREDENTIAL | Q_SIGNATURE))
        return S3_QUERY_AUTH_V4;
    return seen & Q_V2 ? S3_QUERY_AUTH_V2 : S3_QUERY_AUTH_NONE;
}

/* query_value -- one presigned parameter into out; S3_AUTH_OK or an error with *why. */
static int query_value(unsigned bit, cf_slice raw, s3_sigv4_auth *out, const char **why)
{
    char buf[S3_SIGV4_MAX_ACCESS_KEY_BYTES + 128];
    size_t n = 0;
    switch (bit) {
    case Q_ALGORITHM:
        *why = MSG_Q_ALGORITHM;
        if (!pct_decode(raw, buf, sizeof buf - 1, &n))
            return S3_AUTH_QUERY_MALFORMED;
        if (strcmp(buf, "AWS4-HMAC-SHA256") == 0)
            return S3_AUTH_OK;
        return strcmp(buf, "AWS4-ECDSA-P256-SHA256") == 0 ? S3_AUTH_UNSUPPORTED
                                                          : S3_AUTH_QUERY_MALFORMED;
    case Q_CREDENTIAL: {
        *why = MSG_Q_CREDENTIAL;
        if (!pct_decode(raw, buf, sizeof buf - 1, &n))
            return S3_AUTH_QUERY_MALFORMED;
        int rc = parse_credential(slice_make(buf, n), out);
        if (rc == 2)
            *why = MSG_Q_SERVICE;
        return rc ? S3_AUTH_QUERY_MALFORMED : S3_AUTH_OK;
    }
    case Q_DATE: {
        int64_t t;
        *why = MSG_Q_DATE;
        if (!pct_decode(raw, out->amz_date, S3_SIGV4_AMZ_DATE_LEN, &n) ||
            s3_sigv4_parse_amz_date(slice_make(out->amz_date, n), &t))
            return S3_AUTH_QUERY_MALFORMED;
        return S3_AUTH_OK;
    }
    case Q_EXPIRES:
        *why = MSG_Q_EXPIRES;
        if (!pct_decode(raw, buf, 7, &n) || n == 0 || !is_digits((const uint8_t *)buf, n))
            return S3_AUTH_QUERY_MALFORMED;
        out->expires_s = 0;
        for (size_t i = 0; i < n; i++)
            out->expires_s = out->expires_s * 10 + (uint32_t)(buf[i] - '0');
        if (out->expires_s < 1 || out->expires_s > S3_SIGV4_MAX_EXPIRES_S)
            return S3_AUTH_QUERY_MALFORMED;
        return S3_AUTH_OK;
    case Q_SIGNED:
        *why = MSG_Q_SIGNED;
        if (!pct_decode(raw, out->signed_headers, S3_SIGV4_MAX_SIGNED_HEADERS_BYTES, &n) ||
            !set_signed_headers(slice_make(out->signed_headers, n), out))
            return S3_AUTH_QUERY_MALFORMED;
        return S3_AUTH_OK;
    case Q_SIGNATURE:
        *why = MSG_Q_SIGNATURE;
        if (!pct_decode(raw, buf, sizeof buf - 1, &n) || n != 64 ||
            !hex_decode((const uint8_t *)buf, 32, out->signature))
            return S3_AUTH_QUERY_MALFORMED;
        return S3_AUTH_OK;
    case Q_CONTENT:
        *why = MSG_Q_CONTENT;
        if (!pct_decode(raw, out->content_sha256, sizeof out->content_sha256 - 1, &n))
            return S3_AUTH_QUERY_MALFORMED;
        return S3_AUTH_OK;
    default: /* Q_TOKEN; Q_V2 beside SigV4 parameters */
        *why = NULL;
        return bit == Q_TOKEN ? S3_AUTH_TOKEN : S3_AUTH_UNSUPPORTED;
    }
}

int s3_sigv4_parse_query(cf_slice query, s3_sigv4_auth *out, const char **why)
{
    memset(out, 0, sizeof *out);
    out->presigned = true;
    *why = NULL;
    cf_slice name, value;
    unsigned seen = 0;
    while (next_param(&query, &name, &value)) {
        unsigned bit = param_bit(name);
        if (!bit)
            continue;
        if (seen & bit) {
            *why = MSG_Q_REQUIRED;
            return S3_AUTH_QUERY_MALFORMED;
        }
        seen |= bit;
        int rc = query_value(bit, value, out, why);
        if (rc)
            return rc;
    }
    *why = NULL;
    if ((seen & Q_REQUIRED) == Q_REQUIRED)
        return S3_AUTH_OK;
    *why = MSG_Q_REQUIRED;
    return S3_AUTH_QUERY_MALFORMED;
}

/* ---- dates ---- */

static int num(const uint8_t *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* make_time -- Unix seconds of a validated broken-down UTC time; CF_EINVAL when out of range. */
static int make_time(int y, int mo, int d, int h, int mi, int s, int64_t *t)
{
    if (mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return CF_EINVAL;
    *t = civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int s3_sigv4_parse_amz_date(cf_slice s, int64_t *t)
{
    *t = 0;
    const uint8_t *p = s.ptr;
    if (s.len != S3_SIGV4_AMZ_DATE_LEN || !is_digits(p, 8) || p[8] != 'T' || !is_digits(p + 9, 6) ||
        p[15] != 'Z')
        return CF_EINVAL;
    return make_time(num(p, 4), num(p + 4, 2), num(p + 6, 2), num(p + 9, 2), num(p + 11, 2),
                     num(p + 13, 2), t);
}

void s3_sigv4_format_amz_date(int64_t t, char out[S3_SIGV4_AMZ_DATE_LEN + 1])
{
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t secs = t - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0)
        y = 0; /* clamped to what four digits can say */
    else if (y > 9999)
        y = 9999;
    int v[6] = {(int)y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60)};
    static const int width[6] = {4, 2, 2, 2, 2, 2};
    char *w = out;
    for (int i = 0; i < 6; i++) {
        for (int k = width[i] - 1, x = v[i]; k >= 0; k--, x /= 10)
            w[k] = (char)('0' + x % 10);
        w += width[i];
        if (i == 2)
            *w++ = 'T';
    }
    *w++ = 'Z';
    *w = '\0';
}

int s3_sigv4_parse_http_date(cf_slice s, int64_t *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    static const char days[] = "MonTueWedThuFriSatSun";
    *t = 0;
    const uint8_t *p = s.ptr;
    /* "Fri, 24 May 2013 00:00:00 GMT" */
    if (s.len != 29 || p[3] != ',' || p[4] != ' ' || p[7] != ' ' || p[11] != ' ' || p[16] != ' ' ||
        p[19] != ':' || p[22] != ':' || memcmp(p + 25, " GMT", 4) != 0 || !is_digits(p + 5, 2) ||
        !is_digits(p + 12, 4) || !is_digits(p + 17, 2) || !is_digits(p + 20, 2) ||
        !is_digits(p + 23, 2))
        return CF_EINVAL;
    int wd = -1, mo = -1;
    for (int i = 0; i < 7; i++)
        if (memcmp(p, days + 3 * i, 3) == 0)
            wd = i;
    for (int i = 0; i < 12; i++)
        if (memcmp(p + 8, months + 3 * i, 3) == 0)
            mo = i + 1;
    if (wd < 0 || mo < 0)
        return CF_EINVAL;
    return make_time(num(p + 12, 4), mo, num(p + 5, 2), num(p + 17, 2), num(p + 20, 2),
                     num(p + 23, 2), t);
}

int s3_sigv4_check_skew(int64_t request_s, int64_t now_s)
{
    int64_t d = request_s - now_s;
    return d > S3_SIGV4_MAX_SKEW_S || d < -S3_SIGV4_MAX_SKEW_S ? S3_AUTH_SKEWED : S3_AUTH_OK;
}

int s3_sigv4_check_presigned_time(int64_t request_s, uint32_t expires_s, int64_t now_s)
{
    if (request_s - now_s > S3_SIGV4_MAX_SKEW_S)
        return S3_AUTH_NOT_YET_VALID;
    return now_s > request_s + (int64_t)expires_s ? S3_AUTH_EXPIRED : S3_AUTH_OK;
}
