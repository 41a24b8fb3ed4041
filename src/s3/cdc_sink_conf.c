/*
 * cdc_sink_conf.c -- the change-log sink's settings (doc/cdc_sink.md): the
 * "sink" member of PUT /BUCKET?cdc checked, its stored form (the bucket
 * attribute cdcsink, JSON), its public form (GET /BUCKET?cdc: no secret),
 * the cursor's stored form (cdcsinkpos), and the target objects' names. Formats: doc/formats.md,
 * "Store rows".
 *
 * Invariants:
 *  (1) a stored sink passed s3_cdc_sink_parse: http:// only (https:// is
 *      refused by name, not accepted and then failed), host:port with a
 *      port, a valid bucket name, a prefix of at most 512 bytes without
 *      control characters, non-empty keys.
 *  (2) the secret leaves the store only to sign (cdc_sink.c): never in an
 *      answer, a log line or the stats.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/admin.h"
#include "s3/cdc_sink.h"

/* printable -- s has 1..max bytes (0..max with allow_empty), no control character. */
static bool printable(const char *s, size_t max, bool allow_empty)
{
    size_t n = strlen(s);
    if ((n == 0 && !allow_empty) || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* parse_endpoint -- "http://HOST:PORT[/]" into c->host, c->port (invariant (1)). */
static bool parse_endpoint(const char *e, s3_cdc_sink_conf *c, const char **why)
{
    if (strncmp(e, "https://", 8) == 0) {
        *why = "The sink endpoint is https://: coffer's sink speaks http:// only (no TLS yet).";
        return false;
    }
    *why = "The sink endpoint must be http://HOST:PORT.";
    if (strncmp(e, "http://", 7) != 0)
        return false;
    const char *h = e + 7, *end = h + strlen(h);
    if (end > h && end[-1] == '/')
        end--;
    const char *colon = NULL, *hs = h, *he;
    if (*h == '[') { /* [IPv6]:port */
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb || rb[1] != ':')
            return false;
        hs = h + 1;
        he = rb;
        colon = rb + 1;
    } else {
        for (const char *p = h; p < end; p++)
            if (*p == ':')
                colon = p;
        he = colon;
    }
    if (!colon || he <= hs || (size_t)(he - hs) >= sizeof c->host)
        return false;
    for (const char *p = hs; p < he; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '.' || ch == '-' || (ch == ':' && *h == '[');
        if (!ok)
            return false;
    }
    unsigned long port = 0;
    const char *p = colon + 1;
    if (p == end || end - p > 5)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port == 0 || port > 65535)
        return false;
    memcpy(c->host, hs, (size_t)(he - hs));
    c->host[he - hs] = '\0';
    c->port = (uint16_t)port;
    return true;
}

/* member -- the string member name of v into dst[cap]; *why when absent (unless optional) or too long. */
static bool member(json_object *v, const char *name, bool optional, char *dst, size_t cap,
                   const char **why, const char *msg)
{
    json_object *m;
    if (!json_object_object_get_ex(v, name, &m)) {
        *why = optional ? NULL : msg;
        return optional;
    }
    const char *s = json_object_get_string(m);
    if (!json_object_is_type(m, json_type_string) || (size_t)json_object_get_string_len(m) >= cap ||
        strlen(s) != (size_t)json_object_get_string_len(m)) {
        *why = msg;
        return false;
    }
    memcpy(dst, s, (size_t)json_object_get_string_len(m) + 1);
    return true;
}

bool s3_cdc_sink_parse(json_object *v, s3_cdc_sink_conf *out, const char **why)
{
    static const char *const names[] = {"endpoint", "region", "bucket", "prefix",
                                        "access_key", "secret_key", NULL};
    memset(out, 0, sizeof *out);
    *why = "The sink must be a JSON object (or null to remove it).";
    if (!json_object_is_type(v, json_type_object))
        return false;
    json_object_object_foreach(v, name, value)
    {
        (void)value;
        size_t i = 0;
        while (names[i] && strcmp(names[i], name) != 0)
            i++;
        if (!names[i]) {
            *why = "The sink has an unknown member (it takes endpoint, region, bucket, prefix, "
                   "access_key, secret_key).";
            return false;
        }
    }
    snprintf(out->region, sizeof out->region, "us-east-1");
    if (!member(v, "endpoint", false, out->endpoint, sizeof out->endpoint, why,
                "The sink endpoint must be http://HOST:PORT.") ||
        !parse_endpoint(out->endpoint, out, why))
        return false;
    if (!member(v, "region", true, out->region, sizeof out->region, why,
                "The sink region must be a string of 1 to 64 bytes.") ||
        !printable(out->region, 64, false)) {
        *why = "The sink region must be a string of 1 to 64 bytes.";
        return false;
    }
    if (!member(v, "bucket", false, out->bucket, sizeof out->bucket, why,
                "The sink bucket must be a valid bucket name.") ||
        !store_bucket_name_valid(slice_str(out->bucket))) {
        *why = "The sink bucket must be a valid bucket name.";
        return false;
    }
    if (!member(v, "prefix", true, out->prefix, sizeof out->prefix, why,
                "The sink prefix must be a string of at most 512 bytes.") ||
        !printable(out->prefix, S3_CDC_SINK_MAX_PREFIX_BYTES, true)) {
        *why = "The sink prefix must be a string of at most 512 bytes, no control characters.";
        return false;
    }
    static const char keys_msg[] = "The sink access_key and secret_key must be non-empty "
                                   "strings of at most 128 bytes.";
    if (!member(v, "access_key", false, out->access_key, sizeof out->access_key, why, keys_msg) ||
        !member(v, "secret_key", false, out->secret_key, sizeof out->secret_key, why, keys_msg) ||
        !printable(out->access_key, S3_CDC_SINK_MAX_KEY_BYTES, false) ||
        !printable(out->secret_key, S3_CDC_SINK_MAX_KEY_BYTES, false)) {
        *why = keys_msg;
        return false;
    }
    *why = NULL;
    return true;
}

/* to_json -- c as a JSON object, the secret only if with_secret (invariant (2)). */
static json_object *to_json(const s3_cdc_sink_conf *c, bool with_secret)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "endpoint", json_object_new_string(c->endpoint));
    json_object_object_add(o, "region", json_object_new_string(c->region));
    json_object_object_add(o, "bucket", json_object_new_string(c->bucket));
    json_object_object_add(o, "prefix", json_object_new_string(c->prefix));
    json_object_object_add(o, "access_key", json_object_new_string(c->access_key));
    if (with_secret) {
        json_object_object_add(o, "secret_key", json_object_new_string(c->secret_key));
        json_object_object_add(o, "target_us", json_object_new_int64(c->target_us));
    }
    return o;
}

int s3_cdc_sink_encode(const s3_cdc_sink_conf *c, cf_buf *out)
{
    buf_clear(out);
    json_object *o = to_json(c, true);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    int rc = s ? buf_append(out, s, strlen(s)) : CF_ENOMEM;
    json_object_put(o);
    return rc;
}

int s3_cdc_sink_decode(cf_slice text, s3_cdc_sink_conf *out)
{
    json_object *o = s3_admin_json(text), *t;
    const char *why;
    int rc = CF_ECORRUPT;
    if (o && json_object_object_get_ex(o, "target_us", &t) &&
        json_object_is_type(t, json_type_int)) {
        int64_t target_us = json_object_get_int64(t);
        json_object_object_del(o, "target_us");
        if (s3_cdc_sink_parse(o, out, &why)) { /* invariant (1), for a row written by an older coffer too */
            out->target_us = target_us;
            rc = 0;
        }
    }
    json_object_put(o);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

json_object *s3_cdc_sink_json(const s3_cdc_sink_conf *c)
{
    return to_json(c, false);
}

bool s3_cdc_sink_same_target(const s3_cdc_sink_conf *a, const s3_cdc_sink_conf *b)
{
    return strcmp(a->host, b->host) == 0 && a->port == b->port &&
           strcmp(a->bucket, b->bucket) == 0 && strcmp(a->prefix, b->prefix) == 0;
}

int s3_cdc_sink_object_name(const char *prefix, cf_slice bucket, int64_t window_us, uint64_t off,
                            cf_buf *out)
{
    char name[128];
    size_t n = s3_cdc_window_name(bucket, window_us, name, sizeof name);
    buf_clear(out);
    if (n < sizeof ".ndjson") /* 0: it did not fit (a bucket name is at most 63 bytes) */
        return CF_EINVAL;
    n -= sizeof ".ndjson" - 1; /* the offset goes before it */
    return buf_appendf(out, "%s%.*s.%012llu.ndjson", prefix, (int)n, name,
                       (unsigned long long)off);
}

int s3_cdc_sink_pos_encode(const s3_cdc_sink_pos *p, cf_buf *out)
{
    buf_clear(out);
    return buf_appendf(out, "%" PRId64 " %" PRId64 " %" PRIu64, p->target_us, p->window_us, p->off);
}

int s3_cdc_sink_pos_decode(cf_slice text, s3_cdc_sink_pos *out)
{
    char s[STORE_MAX_CDC_SINK_POS_BYTES + 1];
    memset(out, 0, sizeof *out);
    if (text.len > STORE_MAX_CDC_SINK_POS_BYTES)
        return CF_ECORRUPT;
    memcpy(s, text.ptr, text.len);
    s[text.len] = '\0';
    int end = 0;
    if (sscanf(s, "%" SCNd64 " %" SCNd64 " %" SCNu64 "%n", &out->target_us, &out->window_us,
               &out->off, &end) != 3 ||
        (size_t)end != text.len || out->window_us < 0) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    return 0;
}
