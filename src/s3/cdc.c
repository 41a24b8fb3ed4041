/*
 * cdc.c -- the change log through S3 (doc/cdc.md): its settings as a bucket
 * subresource, and the read-only view bucket "coffer-cdc" in which each
 * window of a bucket's log is an object of newline-delimited JSON:
 *
 *   GET|PUT /BUCKET?cdc                     the settings, as JSON: the bucket's
 *                                           owner or an admin
 *   GET /coffer-cdc?list-type=2&prefix=...  windows, listed in time order
 *   GET|HEAD /coffer-cdc/BUCKET/YYYY/MM/DD/HH-MM-SS.ndjson
 *                                           one window (UTC start), ranged
 *
 * Invariants:
 *  (1) the view is authorized like the bucket it shows: reading a bucket's
 *      log (listing or getting a window) needs s3:ListBucket on that bucket,
 *      since the log holds what a listing shows, and more; a bucket the
 *      caller may not list is absent from the view's listings.
 *  (2) nothing writes through the view: every write answers AccessDenied,
 *      and an API it does not serve NotImplemented.
 *  (3) a window shows its durable records only (store.h), each a whole
 *      line, so a consumer's byte offset stays valid; a window's ETag names
 *      its start and size, so it changes exactly when the window grows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/admin.h"
#include "s3/cdc_sink.h"
#include "s3/range.h"
#include "util/clock.h"

bool s3_cdc_view(const s3_req *r)
{
    return slice_eq(s3_bucket(r), slice_str(S3_CDC_BUCKET));
}

/* ---- settings: GET|PUT /BUCKET?cdc ---- */

/* settings_bucket -- the addressed bucket, if the caller is its owner or an admin. */
static bool settings_bucket(s3_req *r, store_bucket *b)
{
    int rc = store_bucket_get(r->ctx->st, s3_bucket(r), b);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        return false;
    }
    if (!r->admin && (r->anonymous || strcmp(b->owner, r->access_key) != 0)) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return false;
    }
    return true;
}

/* sink_json -- the bucket's sink as GET shows it (no secret), or NULL if it has none. */
static json_object *sink_json(s3_req *r, const store_bucket *b)
{
    cf_buf text = {0};
    s3_cdc_sink_conf sc;
    json_object *o = NULL;
    if (store_bucket_attr(r->ctx->st, slice_str(b->name), STORE_BUCKET_CDC_SINK, &text) == 0 &&
        s3_cdc_sink_decode(buf_slice(&text), &sc) == 0)
        o = s3_cdc_sink_json(&sc);
    buf_free(&text);
    return o;
}

json_object *s3_cdc_settings_json(const store_bucket *b, const store_cdc_config *c)
{
    char view[128];
    snprintf(view, sizeof view, "s3://%s/%s/", S3_CDC_BUCKET, b->name);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "enabled", json_object_new_boolean(c->enabled));
    json_object_object_add(o, "window_seconds", json_object_new_int64(c->window_s));
    json_object_object_add(o, "retention_seconds", json_object_new_int64(c->retention_s));
    json_object_object_add(o, "view", json_object_new_string(view));
    return o;
}

static void reply_settings(s3_req *r, const store_bucket *b, const store_cdc_config *c)
{
    json_object *o = s3_cdc_settings_json(b, c), *sink = sink_json(r, b);
    if (sink) /* no member when there is none: the settings of a bucket without one are unchanged */
        json_object_object_add(o, "sink", sink);
    s3_admin_reply(r, 200, o);
}

void s3_h_get_cdc(s3_req *r)
{
    store_bucket b;
    if (settings_bucket(r, &b))
        reply_settings(r, &b, &b.cdc);
}

/* member_u32 -- doc[name] into *out if present: false (answered) if out of range. */
static bool member_u32(s3_req *r, json_object *doc, const char *name, uint32_t lo, uint32_t hi,
                       uint32_t *out)
{
    json_object *v;
    if (!json_object_object_get_ex(doc, name, &v))
        return true;
    int64_t n = json_object_get_int64(v);
    if (n < lo || n > hi) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s must be %u to %u.", name, lo, hi);
        s3_error(r, S3_ERR_INVALID_ARGUMENT, msg);
        return false;
    }
    *out = (uint32_t)n;
    return true;
}

/*
 * sink_attr -- the "sink" member of doc as the attribute to write (value ptr
 * NULL: remove), into *a and text; *given false if the member is absent (the
 * sink is then left as it is). false (answered) if it is invalid. A sink
 * keeps its target_us, and so its cursor, while it writes to the same place
 * (a new key pair, say); a new target starts from the log's oldest window.
 */
static bool sink_attr(s3_req *r, json_object *doc, store_attr *a, cf_buf *text, bool *given)
{
    json_object *v;
    *given = json_object_object_get_ex(doc, "sink", &v);
    *a = (store_attr){STORE_BUCKET_CDC_SINK, slice_make(NULL, 0)};
    if (!*given || v == NULL)
        return true;
    s3_cdc_sink_conf sc, cur;
    const char *why;
    if (!s3_cdc_sink_parse(v, &sc, &why)) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, why);
        return false;
    }
    sc.target_us = clock_now_us();
    if (store_bucket_attr(r->ctx->st, s3_bucket(r), STORE_BUCKET_CDC_SINK, text) == 0 &&
        s3_cdc_sink_decode(buf_slice(text), &cur) == 0 && s3_cdc_sink_same_target(&sc, &cur))
        sc.target_us = cur.target_us;
    if (s3_cdc_sink_encode(&sc, text) != 0) {
        s3_error(r, S3_ERR_INTERNAL_ERROR, NULL);
        return false;
    }
    a->value = buf_slice(text);
    return true;
}

void s3_h_put_cdc(s3_req *r)
{
    static const char *const allowed[] = {"enabled", "window_seconds", "retention_seconds", "sink",
                                          NULL};
    static const json_type types[] = {json_type_boolean, json_type_int, json_type_int,
                                      json_type_object};
    store_attr sink;
    cf_buf sink_text = {0};
    bool sink_given = false;
    store_bucket b;
    if (!settings_bucket(r, &b))
        return;
    json_object *doc = s3_admin_body(r, allowed, types), *v;
    if (!doc)
        return;
    store_cdc_config c = {false, STORE_CDC_DEFAULT_WINDOW_S, STORE_CDC_DEFAULT_RETENTION_S};
    if (!json_object_object_get_ex(doc, "enabled", &v)) {
        s3_error(r, S3_ERR_MALFORMED_JSON, "The member enabled (true or false) is required.");
        goto out;
    }
    c.enabled = json_object_get_boolean(v);
    if (!member_u32(r, doc, "window_seconds", STORE_CDC_MIN_WINDOW_S, STORE_CDC_MAX_WINDOW_S,
                    &c.window_s) ||
        !member_u32(r, doc, "retention_seconds", c.window_s, STORE_CDC_MAX_RETENTION_S,
                    &c.retention_s))
        goto out;
    if (c.retention_s < c.window_s) {
        s3_error(r, S3_ERR_INVALID_ARGUMENT, "retention_seconds must be at least window_seconds.");
        goto out;
    }
    if (!sink_attr(r, doc, &sink, &sink_text, &sink_given))
        goto out;
    int rc = store_cdc_set(r->ctx->st, s3_bucket(r), &c);
    if (!rc && sink_given)
        rc = store_bucket_set(r->ctx->st, s3_bucket(r), &sink, 1);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_BUCKET);
        goto out;
    }
    s3_cdc_sinks_wake(r->ctx->sinks);
    reply_settings(r, &b, &c);
out:
    buf_free(&sink_text);
    json_object_put(doc);
}

/* window_meta -- w as the object metadata a listing or a GET shows (invariant (3)). */
static void window_meta(const store_cdc_window *w, store_meta *m)
{
    memset(m, 0, sizeof *m);
    m->size = w->bytes;
    m->mtime_us = w->last_us;
    snprintf(m->etag, sizeof m->etag, "%016llx%016llx-1", (unsigned long long)w->start_us,
             (unsigned long long)w->bytes);
    snprintf(m->content_type, sizeof m->content_type, "application/x-ndjson");
}

/* readable -- may the caller read bucket b's log (invariant (1))? */
static bool readable(s3_req *r, const store_bucket *b)
{
    return s3_authorize_other(r, S3_ACT_LIST_BUCKET, b, slice_make(NULL, 0), NULL);
}

/* ---- listing the view ---- */

typedef struct view_list {
    s3_req *r;
    const store_list_req *q;
    const store_list_cb *cb;
    cf_buf *next;
    uint32_t count;
    bool truncated;
    cf_buf folded;     /* the last common prefix returned */
    cf_slice bucket;   /* the bucket whose windows are being listed */
    int64_t last_us;   /* the last window seen */
} view_list;

static bool starts_with(cf_slice s, cf_slice p)
{
    return s.len >= p.len && (p.len == 0 || memcmp(s.ptr, p.ptr, p.len) == 0);
}

/*
 * entry -- one key of the view, as store_list would give it: skipped unless
 * after start_after and under the prefix, folded at the delimiter, counted
 * toward max_keys. Returns 1 to stop (the page is full), else 0 or an error.
 */
static int entry(view_list *v, cf_slice key, const store_meta *m)
{
    const store_list_req *q = v->q;
    if (slice_cmp(key, q->start_after) <= 0 || !starts_with(key, q->prefix))
        return 0;
    cf_slice rest = slice_make(key.ptr + q->prefix.len, key.len - q->prefix.len);
    const uint8_t *d = NULL;
    if (q->delimiter.len)
        for (size_t i = 0; !d && i + q->delimiter.len <= rest.len; i++)
            if (memcmp(rest.ptr + i, q->delimiter.ptr, q->delimiter.len) == 0)
                d = rest.ptr + i;
    cf_slice shown = d ? slice_make(key.ptr, (size_t)(d - key.ptr) + q->delimiter.len) : key;
    if (d && slice_eq(shown, buf_slice(&v->folded)))
        return 0;
    if (d && slice_cmp(shown, q->start_after) <= 0)
        return 0; /* a page ended on this prefix: resume past it */
    if (v->count == q->max_keys) {
        v->truncated = true;
        return 1;
    }
    v->count++;
    buf_clear(v->next);
    int rc = buf_append(v->next, shown.ptr, shown.len);
    if (d) {
        buf_clear(&v->folded);
        rc = rc ? rc : buf_append(&v->folded, shown.ptr, shown.len);
        return rc ? rc : v->cb->prefix(v->cb->arg, shown);
    }
    return rc ? rc : v->cb->object(v->cb->arg, key, m);
}

static int on_window(void *arg, const store_cdc_window *w)
{
    view_list *v = arg;
    char name[160];
    store_meta m;
    v->last_us = w->start_us;
    size_t n = s3_cdc_window_name(v->bucket, w->start_us, name, sizeof name);
    window_meta(w, &m);
    return entry(v, slice_make(name, n), &m);
}

/* list_bucket -- the windows of b (readable, under the prefix) until the page fills. */
static int list_bucket(view_list *v, const store_bucket *b)
{
    cf_slice name = slice_str(b->name);
    char top[80];
    int n = snprintf(top, sizeof top, "%s/", b->name);
    cf_slice tops = slice_make(top, (size_t)n);
    const store_list_req *q = v->q;
    /* the bucket's keys all start with "name/": skip it unless the prefix allows some */
    if (!starts_with(tops, q->prefix) && !starts_with(q->prefix, tops))
        return 0;
    if (slice_cmp(tops, q->start_after) < 0 && !starts_with(q->start_after, tops))
        return 0; /* every key of it sorts before start_after */
    if (!readable(v->r, b))
        return 0;
    v->bucket = name;
    int64_t after = -1;
    cf_slice sb;
    if (s3_cdc_window_parse(q->start_after, &sb, &after) && !slice_eq(sb, name))
        after = -1;
    for (;;) { /* pages of windows until the view's page is full (on_window returns 1) */
        bool more = false;
        v->last_us = after;
        int rc = store_cdc_windows(v->r->ctx->st, name, after, 1000, on_window, v, &more);
        if (rc == CF_ENOTFOUND) /* deleted meanwhile */
            return 0;
        if (rc || !more)
            return rc;
        after = v->last_us;
    }
}

static int list_one(void *arg, const store_bucket *b)
{
    return list_bucket(arg, b);
}

int s3_cdc_list(s3_req *r, const store_list_req *q, const store_list_cb *cb, bool *truncated,
                cf_buf *next)
{
    view_list v = {.r = r, .q = q, .cb = cb, .next = next};
    buf_clear(next);
    int rc = store_bucket_list(r->ctx->st, list_one, &v);
    *truncated = v.truncated;
    buf_free(&v.folded);
    return rc == 1 ? 0 : rc; /* 1: the page filled */
}

/* ---- GET|HEAD a window ---- */

static void get_window(s3_req *r)
{
    cf_slice bucket;
    int64_t start;
    store_bucket b;
    store_cdc_window w;
    store_meta m;
    store_cdc_reader *rd = NULL;
    int rc = 0;
    if (!s3_cdc_window_parse(s3_key(r), &bucket, &start) || bucket.len >= sizeof b.name) {
        s3_error(r, S3_ERR_NO_SUCH_KEY, NULL);
        return;
    }
    rc = store_bucket_get(r->ctx->st, bucket, &b);
    if (!rc && !readable(r, &b)) {
        s3_error(r, S3_ERR_ACCESS_DENIED, NULL);
        return;
    }
    if (!rc)
        rc = store_cdc_window_get(r->ctx->st, bucket, start, &w);
    if (rc) {
        s3_error_from(r, rc, S3_ERR_NO_SUCH_KEY);
        return;
    }
    window_meta(&w, &m);
    r->object_size = (int64_t)m.size;
    char etag[96], lastmod[30], crange[96];
    snprintf(etag, sizeof etag, "\"%s\"", m.etag);
    http_date(m.mtime_us / 1000000, lastmod);
    http_header h[8];
    size_t n = 0;
    h[n++] = (http_header){slice_str("ETag"), slice_str(etag)};
    h[n++] = (http_header){slice_str("Last-Modified"), slice_str(lastmod)};
    h[n++] = (http_header){slice_str("Accept-Ranges"), slice_str("bytes")};
    h[n++] = (http_header){slice_str("Content-Type"), slice_str(m.content_type)};
    h[n++] = (http_header){slice_str("x-amz-request-id"), slice_str(r->request_id)};
    s3_cond_headers ch = {s3_header(r, "if-match"), s3_header(r, "if-none-match"),
                          s3_header(r, "if-modified-since"), s3_header(r, "if-unmodified-since")};
    int cond = s3_cond_eval(&ch, m.etag, m.mtime_us / 1000000);
    if (cond == S3_COND_FAILED) {
        s3_error(r, S3_ERR_PRECONDITION_FAILED, NULL);
        return;
    }
    if (cond == S3_COND_NOT_MODIFIED) {
        s3_respond_empty(r, 304, h, n);
        return;
    }
    uint64_t off = 0, len = m.size;
    int status = 200;
    if (s3_if_range_holds(s3_header(r, "if-range"), m.etag, m.mtime_us / 1000000)) {
        int rr = s3_range_parse(s3_header(r, "range"), m.size, &off, &len);
        if (rr == S3_RANGE_UNSATISFIABLE) { /* a consumer at the end: nothing new yet */
            s3_error(r, S3_ERR_INVALID_RANGE, NULL);
            return;
        }
        if (rr == S3_RANGE_OK) {
            status = 206;
            snprintf(crange, sizeof crange, "bytes %llu-%llu/%llu", (unsigned long long)off,
                     (unsigned long long)(off + len - 1), (unsigned long long)m.size);
            h[n++] = (http_header){slice_str("Content-Range"), slice_str(crange)};
        } else {
            off = 0;
            len = m.size;
        }
    }
    if (s3_respond_head(r, status, h, n, len) != 0 || r->head || len == 0)
        return;
    rc = store_cdc_read_open(r->ctx->st, bucket, &w, off, len, &rd);
    const uint8_t *p;
    size_t got;
    while (rc == 0 && (rc = store_cdc_read_next(rd, &p, &got)) == 1)
        rc = http_exchange_write(r->ex, p, got);
    if (rc < 0) /* headers are out: the only honest signal left is a short body */
        http_exchange_close_after(r->ex);
    store_cdc_read_close(rd);
}

/* ---- the view's dispatcher ---- */

void s3_h_cdc_view(s3_req *r)
{
    cf_slice method = r->hr->method, sub = s3_req_subresource(r);
    bool read = slice_eq(method, slice_str("GET")) || r->head;
    bool at_object = s3_key(r).len > 0;
    memset(&r->b, 0, sizeof r->b);
    snprintf(r->b.name, sizeof r->b.name, "%s", S3_CDC_BUCKET);
    if (!at_object && !sub.ptr && slice_eq(method, slice_str("PUT"))) {
        s3_error(r, S3_ERR_BUCKET_ALREADY_EXISTS, NULL); /* the name is the view's */
    } else if (!read) {
        s3_error(r, S3_ERR_ACCESS_DENIED, "The change log view is read-only.");
    } else if (at_object && !sub.ptr) {
        get_window(r);
    } else if (at_object) {
        s3_error(r, S3_ERR_NOT_IMPLEMENTED, "The change log view serves GET and HEAD of windows.");
    } else if (r->head) {
        s3_respond_empty(r, 200, NULL, 0);
    } else if (!sub.ptr) {
        s3_h_list_objects(r);
    } else if (slice_eq(sub, slice_str("list-type"))) {
        s3_h_list_objects_v2(r);
    } else if (slice_eq(sub, slice_str("location"))) {
        s3_h_bucket_location(r);
    } else if (slice_eq(sub, slice_str("versioning"))) {
        s3_h_bucket_versioning(r);
    } else {
        s3_error(r, S3_ERR_NOT_IMPLEMENTED, "The change log view serves listings and windows.");
    }
}
