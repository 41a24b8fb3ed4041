/*
 * cdc_sink_send.c -- one attempt of the change-log sink (cdc_sink.c) to
 * forward a piece of a bucket's log: the target object's name
 * (s3_cdc_sink_object_name), the SigV4-signed PUT (sigv4_sign.c) through the
 * http layer's client, the target's answer turned into an error text, and
 * the attempt's access log line (operation COFFER.CDC.SINK, doc/formats.md
 * "Access log").
 *
 * Invariants:
 *  (1) the request signs every header it sends but Content-Length (which
 *      the client adds): content-type, host, x-amz-content-sha256 (the
 *      body's SHA-256, so the target checks the bytes), x-amz-date.
 *  (2) every attempt writes one access log line, answered or not; the
 *      secret is in none of it (cdc_sink_conf.c invariant (2)).
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "s3/cdc_sink.h"
#include "util/clock.h"
#include "util/hex.h"

void s3_cdc_sink_sender_reset(s3_cdc_sink_sender *s)
{
    http_client_free(s->client);
    s->client = NULL;
}

void s3_cdc_sink_sender_free(s3_cdc_sink_sender *s)
{
    s3_cdc_sink_sender_reset(s);
    buf_free(&s->auth);
    buf_free(&s->path);
    buf_free(&s->key);
    s3_sigv4_scratch_free(&s->scratch);
}

/* error_code -- the <Code> of an S3 error body's first bytes into out ("" if none). */
static void error_code(const http_client_result *res, char *out, size_t cap)
{
    out[0] = '\0';
    const uint8_t *b = res->body_head, *e = b + res->body_head_len;
    const uint8_t *s = memmem(b, res->body_head_len, "<Code>", 6), *t;
    if (!s || !(t = memmem(s + 6, (size_t)(e - s - 6), "</Code>", 7)))
        return;
    size_t n = (size_t)(t - s - 6) < cap - 1 ? (size_t)(t - s - 6) : cap - 1;
    memcpy(out, s + 6, n);
    out[n] = '\0';
}

/* log_attempt -- the access log's line for one forward attempt (invariant (2)). */
static void log_attempt(s3_ctx *ctx, const s3_cdc_sink_sender *s, const s3_cdc_sink_conf *c,
                        cf_slice bucket, cf_slice body, int64_t start_us, int status,
                        const char *code, uint64_t sent)
{
    char host[300];
    snprintf(host, sizeof host, "%s:%u", c->host, c->port);
    s3_access_entry e = {
        .time_s = start_us / 1000000,
        .bucket = bucket,
        .requester = slice_str(c->access_key),
        .operation = "COFFER.CDC.SINK",
        .key = buf_slice(&s->key),
        .method = slice_str("PUT"),
        .target = buf_slice(&s->path),
        .minor_version = 1,
        .status = status,
        .error_code = code && code[0] ? code : NULL,
        .bytes_sent = sent,
        .object_size = (int64_t)body.len,
        .total_ms = (clock_now_us() - start_us) / 1000,
        .sig_version = "SigV4",
        .auth_type = "AuthHeader",
        .host = slice_str(host),
    };
    s3_access_log_write(ctx, &e);
}

int s3_cdc_sink_send(s3_ctx *ctx, s3_cdc_sink_sender *s, const s3_cdc_sink_conf *c,
                     cf_slice bucket, int64_t window_us, uint64_t off, cf_slice body, char *why,
                     size_t cap)
{
    char sha[65], amz_date[S3_SIGV4_AMZ_DATE_LEN + 1], host[300];
    uint8_t h[32];
    buf_clear(&s->path);
    int rc = s3_cdc_sink_object_name(c->prefix, bucket, window_us, off, &s->key);
    rc = rc ? rc : buf_appendf(&s->path, "/%s/", c->bucket);
    rc = rc ? rc : http_pct_encode(&s->path, buf_slice(&s->key), true);
    if (rc) {
        snprintf(why, cap, "cannot name the object: %s", cf_err_str(rc));
        return rc;
    }
    SHA256(body.ptr, body.len, h);
    hex_encode(h, 32, sha);
    int64_t start_us = clock_now_us();
    s3_sigv4_format_amz_date(start_us / 1000000, amz_date);
    snprintf(host, sizeof host, strchr(c->host, ':') ? "[%s]:%u" : "%s:%u", c->host, c->port);
    http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.method = slice_str("PUT");
    hr.path = buf_slice(&s->path);
    hr.target = hr.path;
    hr.minor_version = 1;
    const http_header signed_h[] = { /* invariant (1) */
        {slice_str("content-type"), slice_str("application/x-ndjson")},
        {slice_str("host"), slice_str(host)},
        {slice_str("x-amz-content-sha256"), slice_str(sha)},
        {slice_str("x-amz-date"), slice_str(amz_date)},
    };
    hr.n_headers = 4;
    memcpy(hr.headers, signed_h, sizeof signed_h);
    rc = s3_sigv4_sign(&hr, slice_str(c->access_key), slice_str(c->secret_key),
                       slice_str(c->region), amz_date, slice_str(sha), &s->scratch, &s->auth);
    hr.headers[4] = (http_header){slice_str("authorization"), buf_slice(&s->auth)};
    if (!rc && !s->client)
        rc = http_client_new(c->host, c->port, S3_CDC_SINK_TIMEOUT_MS, &s->client);
    if (rc) {
        snprintf(why, cap, "cannot sign or connect: %s", cf_err_str(rc));
        return rc;
    }
    http_client_result res;
    rc = http_client_request(s->client, "PUT", hr.path, hr.headers, 5, body, &res);
    char code[64] = "";
    if (!rc)
        error_code(&res, code, sizeof code);
    log_attempt(ctx, s, c, bucket, body, start_us, rc ? 0 : res.status, code,
                rc ? 0 : res.sent_bytes);
    if (rc)
        snprintf(why, cap, "%s: %s", host, rc == CF_EIO ? "connection failed or timed out"
                                                         : "malformed response");
    else if (res.status < 200 || res.status > 299)
        snprintf(why, cap, "%s answered %d %s", host, res.status, code[0] ? code : "");
    else
        return 0;
    return rc ? rc : CF_EIO;
}
