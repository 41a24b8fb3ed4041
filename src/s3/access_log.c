/*
 * access_log.c -- the access log: one line per request, in the layout of
 * S3's server access log, appended to a file (or stderr). The line format,
 * every field and a worked example are in doc/formats.md ("Access log").
 *
 * Who calls what: s3_new opens the log (s3_access_log_open), s3_handle
 * calls s3_access_log_request once at its end, after the handler answered
 * (requests refused before routing included), main.c calls
 * s3_access_log_reopen on SIGHUP, s3_free closes it. The line is built by
 * s3_access_log_format from an s3_access_entry of plain values, so the unit
 * test builds lines byte for byte from fixed inputs.
 *
 * Invariants:
 *  (1) one line is one write(2) on an O_APPEND descriptor: lines of
 *      concurrent workers never interleave in a file (the kernel appends
 *      each write whole), and a request waits on at most that one write
 *      (no fsync, no lock of ours);
 *  (2) no byte a client chose reaches the file unescaped: a field never
 *      holds a space (but the quoted ones), a '"', a '\', a control byte or
 *      a byte >= 0x7f; these are written as \xHH (nginx's escaping), the
 *      key is percent-encoded as S3 logs it, so one request is one line and
 *      the fields split on spaces and quotes;
 *  (3) no secret is written: the request line's X-Amz-Signature, Signature
 *      and X-Amz-Security-Token query values (the parameter name compared
 *      after percent-decoding, case-insensitively) become "REDACTED", and
 *      no header but Host, Referer and User-Agent is logged (doc/security.md);
 *  (4) a reopen swaps the file behind the same descriptor number with
 *      dup3(), atomically for a concurrent write: each line goes whole to
 *      the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "s3/s3_int.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- the line ---- */

static const char hex_digits[] = "0123456789ABCDEF";

/* put_escaped -- appends s; bytes outside 0x21..0x7e (0x20..0x7e when
 * quoted), '"' and '\' as \xHH (invariant (2)). Runs of plain bytes go in
 * one append. */
static int put_escaped(cf_buf *b, cf_slice s, bool quoted)
{
    uint8_t lo = quoted ? 0x20 : 0x21;
    size_t run = 0;
    int rc = 0;
    for (size_t i = 0; i < s.len && !rc; i++) {
        uint8_t c = s.ptr[i];
        if (c >= lo && c < 0x7f && c != '"' && c != '\\')
            continue;
        char esc[4] = {'\\', 'x', hex_digits[c >> 4], hex_digits[c & 15]};
        rc = buf_append(b, s.ptr + run, i - run);
        rc = rc ? rc : buf_append(b, esc, 4);
        run = i + 1;
    }
    return rc ? rc : buf_append(b, s.ptr + run, s.len - run);
}

static int put_str(cf_buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

/* put_field -- " " and s escaped, or "-" when s is empty. */
static int put_field(cf_buf *b, cf_slice s)
{
    int rc = buf_append(b, " ", 1);
    if (rc)
        return rc;
    return s.len ? put_escaped(b, s, false) : buf_append(b, "-", 1);
}

/* put_quoted -- ' "s"' escaped, or ' "-"' when s is empty. */
static int put_quoted(cf_buf *b, cf_slice s)
{
    int rc = buf_append(b, " \"", 2);
    rc = rc ? rc : s.len ? put_escaped(b, s, true) : buf_append(b, "-", 1);
    return rc ? rc : buf_append(b, "\"", 1);
}

/* put_num -- " n", or " -" when n is negative (unknown) or, with
 * dash_zero, 0 (S3 logs bytes sent as "-" if zero). */
static int put_num(cf_buf *b, int64_t n, bool dash_zero)
{
    char t[24];
    if (n < 0 || (dash_zero && n == 0))
        return buf_append(b, " -", 2);
    int len = snprintf(t, sizeof t, " %lld", (long long)n);
    return buf_append(b, t, (size_t)len);
}

/* hex_value -- the value of hex digit c, or -1. */
static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* is_secret_param -- a query parameter whose value is a credential: its raw
 * (percent-encoded) name decodes to one of them, any case (invariant (3)).
 * Decoded as the SigV4 parser decodes names, so "X-Amz-Signatur%65" is
 * caught too. */
static bool is_secret_param(cf_slice raw)
{
    static const char *const secret[] = {"x-amz-signature", "signature", "x-amz-security-token"};
    char name[24];
    size_t n = 0;
    for (size_t i = 0; i < raw.len; i++) {
        uint8_t c = raw.ptr[i];
        if (c == '%' && i + 2 < raw.len && hex_value(raw.ptr[i + 1]) >= 0 &&
            hex_value(raw.ptr[i + 2]) >= 0) {
            c = (uint8_t)(hex_value(raw.ptr[i + 1]) << 4 | hex_value(raw.ptr[i + 2]));
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (n == sizeof name - 1)
            return false; /* longer than any of them */
        name[n++] = (char)c;
    }
    name[n] = '\0';
    for (size_t k = 0; k < sizeof secret / sizeof secret[0]; k++) {
        if (n == strlen(secret[k]) && strncasecmp(name, secret[k], n) == 0)
            return true;
    }
    return false;
}

/* put_target -- the request-target, escaped, with secret query values
 * replaced by REDACTED (invariant (3)); every other byte as sent. */
static int put_target(cf_buf *b, cf_slice t)
{
    const uint8_t *q = memchr(t.ptr, '?', t.len);
    if (!q)
        return put_escaped(b, t, true);
    size_t at = (size_t)(q - t.ptr) + 1;
    int rc = put_escaped(b, slice_make(t.ptr, at), true);
    while (!rc && at <= t.len) {
        const uint8_t *amp = memchr(t.ptr + at, '&', t.len - at);
        size_t end = amp ? (size_t)(amp - t.ptr) : t.len;
        cf_slice elem = slice_make(t.ptr + at, end - at);
        const uint8_t *eq = memchr(elem.ptr, '=', elem.len);
        if (eq && is_secret_param(slice_make(elem.ptr, (size_t)(eq - elem.ptr)))) {
            rc = put_escaped(b, slice_make(elem.ptr, (size_t)(eq - elem.ptr) + 1), true);
            rc = rc ? rc : put_str(b, "REDACTED");
        } else {
            rc = put_escaped(b, elem, true);
        }
        if (!rc && amp)
            rc = buf_append(b, "&", 1);
        at = end + 1;
    }
    return rc;
}

/* put_time -- " [06/Feb/2019:00:00:38 +0000]" for unix_s, in UTC: the
 * fields of http_date's fixed-width "Wed, 06 Feb 2019 00:00:38 GMT"
 * rearranged (no gmtime_r: glibc's takes a process-wide lock). */
static int put_time(cf_buf *b, int64_t unix_s)
{
    char d[30], s[32];
    http_date(unix_s, d);
    int n = snprintf(s, sizeof s, " [%.2s/%.3s/%.4s:%.8s +0000]", d + 5, d + 8, d + 12, d + 17);
    return buf_append(b, s, (size_t)n);
}

int s3_access_log_format(cf_buf *out, const s3_access_entry *e)
{
    char version[16];
    snprintf(version, sizeof version, " HTTP/1.%d", e->minor_version == 0 ? 0 : 1);
    int rc = buf_append(out, "-", 1); /* bucket owner: not known here */
    rc = rc ? rc : put_field(out, e->bucket);
    rc = rc ? rc : put_time(out, e->time_s);
    rc = rc ? rc : put_field(out, e->remote);
    rc = rc ? rc : put_field(out, e->requester);
    rc = rc ? rc : put_field(out, e->request_id);
    rc = rc ? rc : put_field(out, slice_str(e->operation));
    rc = rc ? rc : buf_append(out, " ", 1);
    if (!rc && e->key.len)
        rc = http_pct_encode(out, e->key, true); /* as S3 logs it; invariant (2) */
    else if (!rc)
        rc = buf_append(out, "-", 1);
    rc = rc ? rc : buf_append(out, " \"", 2);
    rc = rc ? rc : put_escaped(out, e->method, true);
    rc = rc ? rc : buf_append(out, " ", 1);
    rc = rc ? rc : put_target(out, e->target);
    rc = rc ? rc : put_str(out, version);
    rc = rc ? rc : buf_append(out, "\"", 1);
    rc = rc ? rc : put_num(out, e->status > 0 ? e->status : -1, false);
    rc = rc ? rc : put_field(out, slice_str(e->error_code ? e->error_code : ""));
    rc = rc ? rc : put_num(out, (int64_t)e->bytes_sent, true);
    rc = rc ? rc : put_num(out, e->object_size, false);
    rc = rc ? rc : put_num(out, e->total_ms, false);
    rc = rc ? rc : put_str(out, " -"); /* turn-around time: not measured */
    rc = rc ? rc : put_quoted(out, e->referer);
    rc = rc ? rc : put_quoted(out, e->user_agent);
    rc = rc ? rc : put_str(out, " - -"); /* version id, host id */
    rc = rc ? rc : put_field(out, slice_str(e->sig_version ? e->sig_version : ""));
    rc = rc ? rc : put_str(out, " -"); /* cipher suite: no TLS */
    rc = rc ? rc : put_field(out, slice_str(e->auth_type ? e->auth_type : ""));
    rc = rc ? rc : put_field(out, e->host);
    rc = rc ? rc : put_str(out, " -\n"); /* TLS version */
    return rc;
}

/* ---- the operation ---- */

/* S3's resource type for a subresource (by method and what it addresses). */
typedef struct op_row {
    const char *sub;
    const char *method; /* NULL: any */
    int at;             /* S3_AT_*, or -1: any */
    const char *type;
} op_row;

static const op_row op_rows[] = {
    {"acl", NULL, -1, "ACL"},
    {"location", NULL, -1, "LOCATION"},
    {"versioning", NULL, -1, "VERSIONING"},
    {"versions", NULL, -1, "BUCKETVERSIONS"},
    {"list-type", NULL, -1, "BUCKET"},
    {"delete", NULL, -1, "MULTI_OBJECT_DELETE"},
    {"uploads", NULL, -1, "UPLOADS"},
    {"uploadId", "PUT", -1, "PART"},
    {"uploadId", NULL, -1, "UPLOAD"},
    {"tagging", NULL, S3_AT_OBJECT, "OBJECT_TAGGING"},
    {"tagging", NULL, -1, "TAGGING"},
    {"policy", NULL, -1, "BUCKETPOLICY"},
    {"logging", NULL, -1, "LOGGING_STATUS"},
    {"publicAccessBlock", NULL, -1, "PUBLIC_ACCESS_BLOCK"},
    {"ownershipControls", NULL, -1, "OWNERSHIP_CONTROLS"},
    {"object-lock", NULL, -1, "OBJECT_LOCK_CONFIGURATION"},
};

void s3_access_operation(cf_slice method, int at, cf_slice sub, bool copy, char *out, size_t cap)
{
    static const char *const plain[] = {"SERVICE", "BUCKET", "OBJECT", "ADMIN"};
    char type[40];
    snprintf(type, sizeof type, "%s", plain[at >= 0 && at <= S3_AT_ADMIN ? at : S3_AT_OBJECT]);
    if (sub.len && at != S3_AT_ADMIN) {
        const op_row *row = NULL;
        for (size_t i = 0; i < sizeof op_rows / sizeof op_rows[0] && !row; i++) {
            const op_row *o = &op_rows[i];
            if (slice_eq(sub, slice_str(o->sub)) && (o->at < 0 || o->at == at) &&
                (!o->method || slice_eq(method, slice_str(o->method))))
                row = o;
        }
        if (row) {
            snprintf(type, sizeof type, "%s", row->type);
        } else { /* another subresource: its name upper-cased, '-' as '_' (CORS, LIFECYCLE) */
            size_t n = sub.len < sizeof type - 1 ? sub.len : sizeof type - 1;
            for (size_t i = 0; i < n; i++) {
                char c = (char)sub.ptr[i];
                type[i] = c == '-' ? '_' : c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
            }
            type[n] = '\0';
        }
    }
    /* CopyObject and UploadPartCopy: S3 names the method COPY */
    bool copying = copy && slice_eq(method, slice_str("PUT")) &&
                   (!strcmp(type, "OBJECT") || !strcmp(type, "PART"));
    int mlen = method.len > 16 ? 16 : (int)method.len;
    if (copying)
        snprintf(out, cap, "REST.COPY.%s", type);
    else
        snprintf(out, cap, "REST.%.*s.%s", mlen, (const char *)method.ptr, type);
}

/* ---- the file ---- */

int s3_access_log_open(s3_ctx *c, const char *path)
{
    c->access_log_fd = -1;
    c->access_log_path[0] = '\0';
    if (!path || !*path)
        return 0;
    if (strcmp(path, "-") == 0) {
        c->access_log_fd = STDERR_FILENO;
        return 0;
    }
    if (strlen(path) >= sizeof c->access_log_path)
        return CF_EINVAL;
    /* 0600: the log names users, addresses and keys (doc/security.md) */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("s3: cannot open the access log %s: %s", path, strerror(errno));
        return CF_EIO;
    }
    snprintf(c->access_log_path, sizeof c->access_log_path, "%s", path);
    c->access_log_fd = fd;
    return 0;
}

int s3_access_log_reopen(s3_ctx *c)
{
    if (c->access_log_fd < 0 || !c->access_log_path[0])
        return 0; /* off, or stderr */
    int fd = open(c->access_log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("s3: cannot reopen the access log %s: %s (still writing to the old file)",
                  c->access_log_path, strerror(errno));
        return CF_EIO;
    }
    int rc = dup3(fd, c->access_log_fd, O_CLOEXEC) < 0 ? CF_EIO : 0; /* invariant (4) */
    close(fd);
    return rc;
}

void s3_access_log_close(s3_ctx *c)
{
    if (c->access_log_fd >= 0 && c->access_log_path[0])
        close(c->access_log_fd);
    c->access_log_fd = -1;
}

/* write_line -- one write(2) (invariant (1)). A failed or short write is
 * reported once when the log starts failing and once when it recovers, not
 * once per request. */
static void write_line(s3_ctx *c, cf_slice line)
{
    ssize_t n = write(c->access_log_fd, line.ptr, line.len);
    bool ok = n == (ssize_t)line.len;
    int err = errno;
    if (!ok && !atomic_exchange(&c->access_log_failing, true))
        log_warn("s3: writing the access log failed (%s); lines are lost until it works",
                 n < 0 ? strerror(err) : "short write");
    else if (ok && atomic_load_explicit(&c->access_log_failing, memory_order_relaxed) &&
             atomic_exchange(&c->access_log_failing, false))
        log_warn("s3: the access log is written again");
}

void s3_access_log_write(s3_ctx *c, const s3_access_entry *e)
{
    if (c->access_log_fd < 0)
        return;
    cf_buf line = {0};
    if (s3_access_log_format(&line, e) == 0)
        write_line(c, buf_slice(&line));
    buf_free(&line);
}

void s3_access_log_begin(s3_req *r)
{
    r->start_mono_us = clock_mono_us(); /* the metrics time every request */
    if (r->ctx->access_log_fd >= 0)
        r->start_us = clock_now_us();
}

void s3_access_log_request(s3_req *r)
{
    s3_ctx *c = r->ctx;
    if (c->access_log_fd < 0)
        return;
    http_exchange_counts hc;
    http_exchange_stats(r->ex, &hc);
    /* an undecodable URI has neither: it is logged as addressing the service */
    cf_slice bucket = r->addressed ? s3_bucket(r) : slice_make(NULL, 0);
    cf_slice key = r->addressed ? s3_key(r) : slice_make(NULL, 0);
    int at = S3_AT_OBJECT;
    if (!bucket.len)
        at = S3_AT_SERVICE;
    else if (s3_admin_path(r))
        at = S3_AT_ADMIN;
    else if (!key.len)
        at = S3_AT_BUCKET;
    char op[64];
    s3_access_operation(r->hr->method, at, s3_req_subresource(r),
                        s3_header(r, "x-amz-copy-source").ptr != NULL, op, sizeof op);
    bool authed = r->access_key[0] != '\0';
    s3_access_entry e = {
        .time_s = r->start_us / 1000000,
        .bucket = bucket,
        .remote = http_exchange_peer(r->ex),
        .requester = slice_str(r->access_key),
        .request_id = slice_str(r->request_id),
        .operation = op,
        .key = key,
        .method = r->hr->method,
        .target = r->hr->target,
        .minor_version = r->hr->minor_version,
        .status = hc.status,
        .error_code = r->err != S3_ERR_NONE ? s3_err_name(r->err) : NULL,
        .bytes_sent = hc.body_sent_bytes,
        .object_size = r->object_size >= 0 ? r->object_size
                       : hc.body_read_bytes ? (int64_t)hc.body_read_bytes
                                            : -1,
        .total_ms = r->total_us / 1000, /* s3_handle measured it once, for the metrics too */
        .referer = s3_header(r, "referer"),
        .user_agent = s3_header(r, "user-agent"),
        .sig_version = !authed ? NULL : r->auth.sigv2 ? "SigV2" : "SigV4",
        .auth_type = !authed ? NULL : r->auth.presigned ? "QueryString" : "AuthHeader",
        .host = s3_header(r, "host"),
    };
    s3_access_log_write(c, &e);
}
