/*
 * cdc_sink.c -- the change-log forwarder (doc/cdc_sink.md): one thread that,
 * for every bucket with a sink (the cdcsink attribute, cdc_sink_conf.c),
 * reads the bucket's log from its cursor and PUTs the new bytes into the
 * target S3 store as objects
 *
 *   <prefix><bucket>/YYYY/MM/DD/HH-MM-SS.<offset, 12 digits>.ndjson
 *
 * (the window's UTC start, then the byte offset in the window of the
 * object's first record: listing order is log order), each at most
 * S3_CDC_SINK_MAX_OBJECT_BYTES of whole records, each PUT by
 * cdc_sink_send.c (signed with SigV4, sent by the http layer's client).
 *
 * A sink's cursor moves like this (step() makes every move):
 *
 *   NONE --the log's oldest window appears--> (w, 0)
 *   (w, off) --PUT of [off, off+n) answered 2xx, cursor stored--> (w, off+n)
 *   (w, end) --a later window w2 exists--> (w2, 0)
 *   (w, off) --w dropped by retention--> (oldest window after w, 0), a loss
 *            unless the cursor had reached w's end
 *   (w, off) --PUT failed--> (w, off), retried after a backoff
 *
 * Invariants:
 *  (1) at least once, in order: the cursor (cdcsinkpos) is stored only
 *      after the target answered 2xx for every byte before it, and bytes
 *      are sent in log order, one object at a time; after a restart of
 *      either side the same object (same name, same bytes) may be sent
 *      again, never a later one first.
 *  (2) an object holds whole records: the log's readable bytes are whole
 *      lines (store.h), and a piece cut at the size cap ends at its last
 *      '\n'.
 *  (3) a window older than the cursor's is never sent again: the cursor
 *      only moves forward (windows sort in time order, store.h).
 *  (4) a failure backs off exponentially, S3_CDC_SINK_BACKOFF_MIN_MS to
 *      S3_CDC_SINK_BACKOFF_MAX_MS; success resets it.
 *  (5) the list of sinks and their counters change under mu, and only in
 *      the thread; the stats read them under mu. The secret is used to
 *      sign only (cdc_sink_conf.c invariant (2)).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3/cdc_sink.h"
#include "util/civil.h"
#include "util/clock.h"
#include "util/log.h"

typedef struct sink {
    struct sink *next;
    char bucket[64];
    s3_cdc_sink_conf conf;
    s3_cdc_sink_sender tx; /* its connection to conf's target and scratch (cdc_sink_send.c) */
    bool have_pos;       /* pos is set (else the log had no window yet) */
    s3_cdc_sink_pos pos;
    bool at_end;         /* the cursor was at its window's end at the last look */
    bool seen;           /* found by the last scan */
    int64_t next_try_us; /* monotonic: no attempt before (backoff) */
    int64_t backoff_ms;  /* the next failure's wait; 0 after a success */
    /* counters, under mu (invariant (5)) */
    uint64_t objects, bytes, errors, lost_windows;
    int64_t pending_us; /* commit time of the oldest record not yet forwarded; 0: none */
    char last_error[256];
} sink;

struct s3_cdc_sinks {
    s3_ctx *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, rescan; /* under mu */
    sink *head;        /* invariant (5) */
    cf_buf data, text; /* scratch of the thread: a piece of the log, an attribute */
};

static void set_error(s3_cdc_sinks *S, sink *k, const char *msg)
{
    pthread_mutex_lock(&S->mu);
    k->errors++;
    snprintf(k->last_error, sizeof k->last_error, "%s", msg);
    pthread_mutex_unlock(&S->mu);
}

static void sink_free(sink *k)
{
    if (k)
        s3_cdc_sink_sender_free(&k->tx);
    free(k);
}

/* ---- finding the sinks ---- */

typedef struct names {
    char (*v)[64];
    size_t n, cap;
} names;

static int collect(void *arg, const store_bucket *b)
{
    names *ns = arg;
    if (!b->has_cdc_sink)
        return 0;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        void *v = realloc(ns->v, cap * sizeof *ns->v);
        if (!v)
            return CF_ENOMEM;
        ns->v = v;
        ns->cap = cap;
    }
    memcpy(ns->v[ns->n++], b->name, 64);
    return 0;
}

static sink *find(s3_cdc_sinks *S, const char *bucket)
{
    for (sink *k = S->head; k; k = k->next)
        if (strcmp(k->bucket, bucket) == 0)
            return k;
    return NULL;
}

/* adopt -- the sink of bucket as stored now: a new one, or k updated (a new target: a new cursor). */
static void adopt(s3_cdc_sinks *S, const char *bucket, const s3_cdc_sink_conf *c)
{
    sink *k = find(S, bucket);
    if (k && k->conf.target_us == c->target_us && strcmp(k->conf.access_key, c->access_key) == 0 &&
        strcmp(k->conf.secret_key, c->secret_key) == 0 && strcmp(k->conf.region, c->region) == 0) {
        k->seen = true;
        return;
    }
    if (!k) {
        k = calloc(1, sizeof *k);
        if (!k)
            return;
        snprintf(k->bucket, sizeof k->bucket, "%s", bucket);
        pthread_mutex_lock(&S->mu);
        k->next = S->head;
        S->head = k;
        pthread_mutex_unlock(&S->mu);
    }
    pthread_mutex_lock(&S->mu);
    if (k->conf.target_us != c->target_us)
        k->have_pos = false; /* read from cdcsinkpos again, which names its target */
    k->conf = *c;
    k->seen = true;
    k->next_try_us = 0;
    k->backoff_ms = 0;
    s3_cdc_sink_sender_reset(&k->tx);
    pthread_mutex_unlock(&S->mu);
}

/* scan -- the sinks as the bucket rows say now. */
static void scan(s3_cdc_sinks *S)
{
    names ns = {0};
    store *st = S->ctx->st;
    for (sink *k = S->head; k; k = k->next)
        k->seen = false;
    if (store_bucket_list(st, collect, &ns) != 0) {
        for (sink *k = S->head; k; k = k->next)
            k->seen = true; /* keep what runs; the next scan tries again */
        free(ns.v);
        return;
    }
    for (size_t i = 0; i < ns.n; i++) {
        s3_cdc_sink_conf c;
        if (store_bucket_attr(st, slice_str(ns.v[i]), STORE_BUCKET_CDC_SINK, &S->text) != 0)
            continue;
        if (s3_cdc_sink_decode(buf_slice(&S->text), &c) != 0) {
            log_warn("s3: cdc sink of bucket %s does not decode: not forwarded", ns.v[i]);
            continue;
        }
        adopt(S, ns.v[i], &c);
    }
    free(ns.v);
    pthread_mutex_lock(&S->mu);
    for (sink **p = &S->head; *p;) {
        sink *k = *p;
        if (k->seen) {
            p = &k->next;
            continue;
        }
        *p = k->next;
        sink_free(k);
    }
    pthread_mutex_unlock(&S->mu);
}

/* ---- moving the cursor ---- */

static int first_window(void *arg, const store_cdc_window *w)
{
    *(store_cdc_window *)arg = *w;
    return 1;
}

/* window_after -- the bucket's first window starting after after_us (-1: the oldest). CF_ENOTFOUND. */
static int window_after(store *st, const char *bucket, int64_t after_us, store_cdc_window *out)
{
    bool truncated;
    out->start_us = -1;
    int rc = store_cdc_windows(st, slice_str(bucket), after_us, 1, first_window, out, &truncated);
    if (rc == 1)
        rc = 0;
    return rc ? rc : out->start_us < 0 ? CF_ENOTFOUND : 0;
}

/* set_pos -- moves k's cursor in memory (under mu: the stats read it, invariant (5)). */
static void set_pos(s3_cdc_sinks *S, sink *k, int64_t window_us, uint64_t off)
{
    pthread_mutex_lock(&S->mu);
    k->pos = (s3_cdc_sink_pos){k->conf.target_us, window_us, off};
    k->have_pos = true;
    pthread_mutex_unlock(&S->mu);
}

/* save_pos -- stores k's cursor (invariant (1): called after the target's 2xx). */
static int save_pos(s3_cdc_sinks *S, sink *k)
{
    int rc = s3_cdc_sink_pos_encode(&k->pos, &S->text);
    store_attr a = {STORE_BUCKET_CDC_SINK_POS, buf_slice(&S->text)};
    if (!rc)
        rc = store_bucket_set(S->ctx->st, slice_str(k->bucket), &a, 1);
    return rc;
}

/* load_pos -- k's cursor: the stored one if it belongs to k's target, else the oldest window. */
static int load_pos(s3_cdc_sinks *S, sink *k)
{
    s3_cdc_sink_pos p;
    store_cdc_window w;
    if (store_bucket_attr(S->ctx->st, slice_str(k->bucket), STORE_BUCKET_CDC_SINK_POS, &S->text) ==
            0 &&
        s3_cdc_sink_pos_decode(buf_slice(&S->text), &p) == 0 && p.target_us == k->conf.target_us) {
        set_pos(S, k, p.window_us, p.off);
        return 0;
    }
    int rc = window_after(S->ctx->st, k->bucket, -1, &w);
    if (rc)
        return rc;
    set_pos(S, k, w.start_us, 0);
    return 0;
}

/* record_time -- the commit time of the record at p (its "time" member), or now if unreadable. */
static int64_t record_time(const uint8_t *p, size_t n)
{
    static const char tag[] = "\"time\":\"";
    const uint8_t *t = memmem(p, n < 256 ? n : 256, tag, sizeof tag - 1);
    int y, mo, d, h, mi, s, us;
    char when[32];
    size_t left = t ? n - (size_t)(t - p) - (sizeof tag - 1) : 0;
    if (left < 27)
        return clock_now_us();
    memcpy(when, t + sizeof tag - 1, 27);
    when[27] = '\0';
    if (sscanf(when, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &y, &mo, &d, &h, &mi, &s, &us) != 7)
        return clock_now_us();
    return (civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000LL + us;
}

/* read_piece -- S->data = whole records of w from k's offset, at most the object cap (invariant (2)). */
static int read_piece(s3_cdc_sinks *S, sink *k, const store_cdc_window *w)
{
    uint64_t len = w->bytes - k->pos.off;
    if (len > S3_CDC_SINK_MAX_OBJECT_BYTES)
        len = S3_CDC_SINK_MAX_OBJECT_BYTES;
    buf_clear(&S->data);
    store_cdc_reader *rd = NULL;
    const uint8_t *p;
    size_t n;
    int rc = store_cdc_read_open(S->ctx->st, slice_str(k->bucket), w, k->pos.off, len, &rd);
    while (!rc && (rc = store_cdc_read_next(rd, &p, &n)) == 1)
        rc = buf_append(&S->data, p, n);
    store_cdc_read_close(rd);
    if (rc)
        return rc;
    while (S->data.len && S->data.data[S->data.len - 1] != '\n')
        S->data.len--;
    return S->data.len ? 0 : CF_ECORRUPT; /* a record over the cap: the log has none */
}

/* backoff -- the next attempt of k after a failure (invariant (4)). */
static void backoff(sink *k)
{
    k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : S3_CDC_SINK_BACKOFF_MIN_MS;
    if (k->backoff_ms > S3_CDC_SINK_BACKOFF_MAX_MS)
        k->backoff_ms = S3_CDC_SINK_BACKOFF_MAX_MS;
    k->next_try_us = clock_mono_us() + k->backoff_ms * 1000;
}

/* lost -- the cursor's window was dropped by retention before it was all forwarded. */
static void lost(s3_cdc_sinks *S, sink *k, int64_t next_us)
{
    char msg[256];
    snprintf(msg, sizeof msg,
             "records lost: window %lld dropped by retention before it was forwarded past byte "
             "%llu; skipped to window %lld",
             (long long)k->pos.window_us, (unsigned long long)k->pos.off, (long long)next_us);
    log_error("s3: cdc sink of bucket %s: %s", k->bucket, msg);
    set_error(S, k, msg);
    pthread_mutex_lock(&S->mu);
    k->lost_windows++;
    pthread_mutex_unlock(&S->mu);
}

/*
 * step -- one move of k's cursor (the drawing at the top). Returns true if
 * it moved (there may be more to do at once), false if idle or failing.
 */
static bool step(s3_cdc_sinks *S, sink *k)
{
    store *st = S->ctx->st;
    store_cdc_window w, next;
    char why[256];
    if (!k->have_pos && load_pos(S, k) != 0)
        return false; /* no window yet */
    int rc = store_cdc_window_get(st, slice_str(k->bucket), k->pos.window_us, &w);
    if (rc == CF_ENOTFOUND || (!rc && w.bytes < k->pos.off)) {
        /* dropped by retention (or the log of a bucket created again) */
        if (window_after(st, k->bucket, k->pos.window_us, &next) != 0)
            return false;
        if (!k->at_end || (!rc && w.bytes < k->pos.off))
            lost(S, k, next.start_us);
        set_pos(S, k, next.start_us, 0);
        k->at_end = false;
        save_pos(S, k);
        return true;
    }
    if (rc)
        return false;
    if (w.bytes == k->pos.off) {
        if (window_after(st, k->bucket, k->pos.window_us, &next) != 0) {
            k->at_end = true; /* caught up */
            pthread_mutex_lock(&S->mu);
            k->pending_us = 0;
            pthread_mutex_unlock(&S->mu);
            return false;
        }
        set_pos(S, k, next.start_us, 0);
        k->at_end = false;
        save_pos(S, k); /* so a restart does not find the old window gone and count a loss */
        return true;
    }
    k->at_end = false;
    rc = read_piece(S, k, &w);
    if (rc) {
        snprintf(why, sizeof why, "reading the log failed: %s", cf_err_str(rc));
        set_error(S, k, why);
        backoff(k);
        return false;
    }
    pthread_mutex_lock(&S->mu);
    k->pending_us = record_time(S->data.data, S->data.len);
    pthread_mutex_unlock(&S->mu);
    if (s3_cdc_sink_send(S->ctx, &k->tx, &k->conf, slice_str(k->bucket), k->pos.window_us,
                         k->pos.off, buf_slice(&S->data), why, sizeof why) != 0) {
        set_error(S, k, why);
        backoff(k);
        return false;
    }
    k->backoff_ms = 0;
    pthread_mutex_lock(&S->mu);
    k->pos.off += S->data.len; /* invariant (1): stored after the 2xx */
    k->objects++;
    k->bytes += S->data.len;
    pthread_mutex_unlock(&S->mu);
    rc = save_pos(S, k);
    if (rc) {
        snprintf(why, sizeof why, "storing the cursor failed: %s", cf_err_str(rc));
        set_error(S, k, why);
    }
    return true;
}

/* ---- the thread ---- */

static void *sinks_main(void *arg)
{
    s3_cdc_sinks *S = arg;
    int64_t next_scan_us = 0;
    pthread_mutex_lock(&S->mu);
    while (!S->stop) {
        bool rescan = S->rescan;
        S->rescan = false;
        pthread_mutex_unlock(&S->mu);
        int64_t now = clock_mono_us();
        if (rescan || now >= next_scan_us) {
            scan(S);
            next_scan_us = now + S3_CDC_SINK_SCAN_MS * 1000;
        }
        bool moved = false;
        for (sink *k = S->head; k; k = k->next)
            if (clock_mono_us() >= k->next_try_us)
                moved |= step(S, k);
        pthread_mutex_lock(&S->mu);
        if (moved || S->stop || S->rescan)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += S3_CDC_SINK_POLL_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&S->cv, &S->mu, &ts);
    }
    pthread_mutex_unlock(&S->mu);
    return NULL;
}

int s3_cdc_sinks_start(s3_ctx *ctx, s3_cdc_sinks **out)
{
    *out = NULL;
    s3_cdc_sinks *S = calloc(1, sizeof *S);
    if (!S)
        return CF_ENOMEM;
    S->ctx = ctx;
    S->rescan = true;
    pthread_mutex_init(&S->mu, NULL);
    pthread_cond_init(&S->cv, NULL);
    if (pthread_create(&S->thread, NULL, sinks_main, S) != 0) {
        pthread_mutex_destroy(&S->mu);
        pthread_cond_destroy(&S->cv);
        free(S);
        return CF_EIO;
    }
    *out = S;
    return 0;
}

void s3_cdc_sinks_stop(s3_cdc_sinks *S)
{
    if (!S)
        return;
    pthread_mutex_lock(&S->mu);
    S->stop = true;
    pthread_cond_signal(&S->cv);
    pthread_mutex_unlock(&S->mu);
    pthread_join(S->thread, NULL);
    while (S->head) {
        sink *k = S->head;
        S->head = k->next;
        sink_free(k);
    }
    buf_free(&S->data);
    buf_free(&S->text);
    pthread_mutex_destroy(&S->mu);
    pthread_cond_destroy(&S->cv);
    free(S);
}

void s3_cdc_sinks_wake(s3_cdc_sinks *S)
{
    if (!S)
        return;
    pthread_mutex_lock(&S->mu);
    S->rescan = true;
    pthread_cond_signal(&S->cv);
    pthread_mutex_unlock(&S->mu);
}

static void add_u64(json_object *o, const char *name, uint64_t v)
{
    json_object_object_add(o, name, json_object_new_int64((int64_t)v));
}

json_object *s3_cdc_sinks_json(s3_cdc_sinks *S)
{
    json_object *a = json_object_new_array();
    if (!S)
        return a;
    int64_t now = clock_now_us();
    char target[1200], window[48];
    pthread_mutex_lock(&S->mu);
    for (sink *k = S->head; k; k = k->next) {
        json_object *o = json_object_new_object(), *cur = json_object_new_object();
        snprintf(target, sizeof target, "%s/%s/%s", k->conf.endpoint, k->conf.bucket,
                 k->conf.prefix);
        json_object_object_add(o, "bucket", json_object_new_string(k->bucket));
        json_object_object_add(o, "target", json_object_new_string(target));
        if (k->have_pos) {
            int64_t s = k->pos.window_us / 1000000, y;
            int m, d, sod = (int)(s % 86400);
            civil_from_days(s / 86400, &y, &m, &d);
            snprintf(window, sizeof window, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y % 10000, m, d,
                     sod / 3600, sod / 60 % 60, sod % 60);
            json_object_object_add(cur, "window", json_object_new_string(window));
            add_u64(cur, "offset", k->pos.off);
        }
        json_object_object_add(o, "cursor", k->have_pos ? cur : NULL);
        if (!k->have_pos)
            json_object_put(cur);
        add_u64(o, "forwarded_objects", k->objects);
        add_u64(o, "forwarded_bytes", k->bytes);
        add_u64(o, "errors", k->errors);
        add_u64(o, "lost_windows", k->lost_windows);
        json_object_object_add(o, "last_error", k->last_error[0]
                                                    ? json_object_new_string(k->last_error)
                                                    : NULL);
        double lag = k->pending_us && now > k->pending_us ? (double)(now - k->pending_us) / 1e6
                                                           : 0.0;
        json_object_object_add(o, "lag_seconds", json_object_new_double(lag));
        json_object_array_add(a, o);
    }
    pthread_mutex_unlock(&S->mu);
    return a;
}
