/*
 * cdc.c -- the change log's write side: each bucket's log settings, and the
 * record every change of an object appends in the change's own batch.
 *
 * A record is a row of cdc_log (store_format.h): partition (bucket,
 * created_us, window start), clustering (commit time, sequence in the
 * window), cell "r" the record's line (cdc_record.c). With it, the same
 * batch writes the window's row of cdc_windows: its bytes, records and last
 * commit time after this record. The batch's timestamp is the record's
 * commit time, so that row's newest value is its last record's.
 *
 * Invariants:
 *  (1) a record rides in the batch of the change it describes: the log
 *      neither misses nor invents a change, across a crash too.
 *  (2) a bucket's records are numbered, timed and written to the commitlog
 *      under its log lock (mu), in one order; so a record is durable only if
 *      every earlier one is (a sync covers every earlier commitlog record),
 *      and the durable records are always a prefix of the log.
 *  (3) readers see the durable prefix only (d_*: advanced when a writer's
 *      wait returns), so a byte offset a reader reached never moves.
 *  (4) commit times strictly increase within a bucket (the engine's clock),
 *      and a window never starts before the one already open (a changed
 *      window length applies from the next window), so windows and records
 *      sort in time order.
 *  (5) the log state of a bucket is never freed while the store is open;
 *      store_cdc_forget only marks it unloaded (under bucket_lock
 *      exclusively, when no change of the bucket can be in flight).
 *
 * Lock order: bucket_lock -> key stripes -> a bucket's mu -> the map's mu
 * (held only to find or add an entry). set_mu serialises setting changes and
 * is taken before bucket_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/hash.h"

#define CDC_SLOTS 256u
#define CDC_SEED 0x63646362756b7473ULL

struct store_cdc_bucket {
    store_cdc_bucket *next; /* in its map slot */
    pthread_mutex_t mu;
    bool loaded;
    uint8_t name[64];
    size_t name_len;
    int64_t created_us;
    store_cdc_config cfg;
    /* the log's tail as written (invariant (2)) */
    int64_t window_us;
    uint64_t seq, end;
    /* its durable prefix, what readers see (invariant (3)) */
    int64_t d_window_us, d_ts_us;
    uint64_t d_seq, d_end;
    store_change *head, *tail; /* records written, not yet known durable, in order */
    cf_buf line, pk, ck;       /* scratch, under mu */
};

struct store_cdc {
    pthread_mutex_t mu;
    pthread_mutex_t set_mu;
    store_cdc_bucket *slots[CDC_SLOTS];
};

int store_cdc_open(store *s)
{
    s->cdc = calloc(1, sizeof *s->cdc);
    if (!s->cdc)
        return CF_ENOMEM;
    pthread_mutex_init(&s->cdc->mu, NULL);
    pthread_mutex_init(&s->cdc->set_mu, NULL);
    return 0;
}

void store_cdc_close(store *s)
{
    if (!s->cdc)
        return;
    for (size_t i = 0; i < CDC_SLOTS; i++) {
        for (store_cdc_bucket *b = s->cdc->slots[i], *n; b; b = n) {
            n = b->next;
            pthread_mutex_destroy(&b->mu);
            buf_free(&b->line);
            buf_free(&b->pk);
            buf_free(&b->ck);
            free(b);
        }
    }
    pthread_mutex_destroy(&s->cdc->mu);
    pthread_mutex_destroy(&s->cdc->set_mu);
    free(s->cdc);
    s->cdc = NULL;
}

/* ---- settings (bucket cell "cdc", store_format.h) ---- */

static const store_cdc_config defaults = {false, STORE_CDC_DEFAULT_WINDOW_S,
                                          STORE_CDC_DEFAULT_RETENTION_S};

static bool config_valid(const store_cdc_config *c)
{
    return c->window_s >= STORE_CDC_MIN_WINDOW_S && c->window_s <= STORE_CDC_MAX_WINDOW_S &&
           c->retention_s >= c->window_s && c->retention_s <= STORE_CDC_MAX_RETENTION_S;
}

int store_cdc_config_decode(const eng_iter *it, store_cdc_config *out)
{
    eng_cell_view v;
    *out = defaults;
    if (eng_iter_find(it, slice_str(STORE_C_CDC), &v) != 0)
        return 0;
    const uint8_t *p = v.value.ptr;
    if (v.value.len != STORE_CDC_CONFIG_BYTES || p[0] != STORE_CDC_CONFIG_VERSION || p[1] > 1)
        return CF_ECORRUPT;
    out->enabled = p[1] == 1;
    out->window_s = get_u32(p + 2);
    out->retention_s = get_u32(p + 6);
    return config_valid(out) ? 0 : CF_ECORRUPT;
}

/* ---- the map of buckets' log states ---- */

/* find -- the bucket's log state, made (unloaded) if new; NULL when out of memory. */
static store_cdc_bucket *find(store *s, cf_slice bucket)
{
    if (bucket.len >= sizeof ((store_cdc_bucket *)0)->name)
        return NULL;
    store_cdc *c = s->cdc;
    size_t slot = hash64(bucket.ptr, bucket.len, CDC_SEED) % CDC_SLOTS;
    pthread_mutex_lock(&c->mu);
    store_cdc_bucket *b = c->slots[slot];
    while (b && !(b->name_len == bucket.len && memcmp(b->name, bucket.ptr, bucket.len) == 0))
        b = b->next;
    if (!b && (b = calloc(1, sizeof *b)) != NULL) {
        pthread_mutex_init(&b->mu, NULL);
        memcpy(b->name, bucket.ptr, bucket.len);
        b->name_len = bucket.len;
        b->next = c->slots[slot];
        c->slots[slot] = b;
    }
    pthread_mutex_unlock(&c->mu);
    return b;
}

int store_cdc_windows_pk(cf_buf *out, cf_slice bucket, int64_t created_us)
{
    buf_clear(out);
    int rc = eng_key_put_bytes(out, bucket);
    return rc ? rc : eng_key_put_u64(out, (uint64_t)created_us);
}

int store_cdc_log_pk(cf_buf *out, cf_slice bucket, int64_t created_us, int64_t window_us)
{
    int rc = store_cdc_windows_pk(out, bucket, created_us);
    return rc ? rc : eng_key_put_u64(out, (uint64_t)window_us);
}

int store_cdc_window_decode(cf_slice v, store_cdc_window *w)
{
    if (v.len != STORE_CDC_WINDOW_BYTES)
        return CF_ECORRUPT;
    w->bytes = get_u64(v.ptr);
    w->records = get_u64(v.ptr + 8);
    w->last_us = (int64_t)get_u64(v.ptr + 16);
    return 0;
}

/* last_window -- the newest window of the log (bucket, created) into *w; start_us 0 if none. */
static int last_window(store *s, cf_slice pk, store_cdc_window *w)
{
    eng_query q = {0};
    q.pk_start = (eng_bound){pk, ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    eng_iter *it = NULL;
    memset(w, 0, sizeof *w);
    int rc = eng_iter_new(s->cdc_windows, &q, &it);
    for (; !rc && eng_iter_valid(it); rc = eng_iter_next(it)) {
        cf_slice ck = eng_iter_ck(it);
        uint64_t start;
        eng_cell_view v;
        if (eng_key_get_u64(&ck, &start) != 0 ||
            eng_iter_find(it, slice_str(STORE_C_WINDOW), &v) != 0 ||
            store_cdc_window_decode(v.value, w) != 0) {
            rc = CF_ECORRUPT;
            break;
        }
        w->start_us = (int64_t)start;
    }
    rc = rc ? rc : eng_iter_status(it);
    eng_iter_close(it);
    return rc;
}

/* load -- reads b's settings and its log's last window. REQUIRES: b->mu held. */
static int load(store *s, store_cdc_bucket *b)
{
    store_bucket row;
    store_cdc_window w;
    int rc = store_bucket_get(s, slice_make(b->name, b->name_len), &row);
    if (!rc)
        rc = store_cdc_windows_pk(&b->pk, slice_make(b->name, b->name_len), row.created_us);
    if (!rc)
        rc = last_window(s, buf_slice(&b->pk), &w);
    if (rc)
        return rc;
    b->created_us = row.created_us;
    b->cfg = row.cdc;
    b->window_us = b->d_window_us = w.start_us;
    b->seq = b->d_seq = w.records;
    b->end = b->d_end = w.bytes;
    b->d_ts_us = w.last_us;
    b->loaded = true;
    return 0;
}

/* lock -- the bucket's log state, locked and loaded. CF_ENOTFOUND if no such bucket. */
static int lock(store *s, cf_slice bucket, store_cdc_bucket **out)
{
    store_cdc_bucket *b = find(s, bucket);
    *out = NULL;
    if (!b)
        return bucket.len >= sizeof b->name ? CF_ENOTFOUND : CF_ENOMEM;
    pthread_mutex_lock(&b->mu);
    int rc = b->loaded ? 0 : load(s, b);
    if (rc) {
        pthread_mutex_unlock(&b->mu);
        return rc;
    }
    *out = b;
    return 0;
}

void store_cdc_forget(store *s, cf_slice bucket)
{
    store_cdc_bucket *b = find(s, bucket);
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->loaded = false; /* invariant (5): nothing of it is in flight */
    pthread_mutex_unlock(&b->mu);
}

int store_cdc_get(store *s, cf_slice bucket, store_cdc_config *out)
{
    store_bucket row;
    int rc = store_bucket_get(s, bucket, &row);
    *out = rc ? defaults : row.cdc;
    return rc;
}

int store_cdc_set(store *s, cf_slice bucket, const store_cdc_config *c)
{
    if (!config_valid(c))
        return CF_EINVAL;
    uint8_t v[STORE_CDC_CONFIG_BYTES];
    v[0] = STORE_CDC_CONFIG_VERSION;
    v[1] = c->enabled ? 1 : 0;
    put_u32(v + 2, c->window_s);
    put_u32(v + 6, c->retention_s);
    store_attr a = {STORE_C_CDC, slice_make(v, sizeof v)};
    pthread_mutex_lock(&s->cdc->set_mu); /* the row and the state change in one order */
    int rc = store_bucket_set(s, bucket, &a, 1);
    store_cdc_bucket *b = NULL;
    if (!rc)
        rc = lock(s, bucket, &b);
    if (b) {
        b->cfg = *c;
        pthread_mutex_unlock(&b->mu);
    }
    pthread_mutex_unlock(&s->cdc->set_mu);
    return rc;
}

/* ---- the write path ---- */

/*
 * stage -- adds c's record and its window's row to batch: the window is the
 * one the commit time ts falls in, or the open one if that starts later
 * (invariant (4)). REQUIRES: b->mu held, b->cfg.enabled.
 */
static int stage(store *s, store_cdc_bucket *b, eng_batch *batch, store_change *c, int64_t ts)
{
    int64_t len = (int64_t)b->cfg.window_s * 1000000;
    int64_t window = ts - ts % len;
    if (window < b->window_us)
        window = b->window_us;
    bool same = window == b->window_us;
    c->ts_us = ts;
    c->window_us = window;
    c->seq = same ? b->seq + 1 : 1;
    buf_clear(&b->line);
    store_cdc_rec r = {c->event, ts, c->seq, c->bucket, c->key, c->meta, c->origin};
    int rc = store_cdc_record(&b->line, &r);
    c->end = (same ? b->end : 0) + b->line.len;
    uint8_t wv[STORE_CDC_WINDOW_BYTES];
    put_u64(wv, c->end);
    put_u64(wv + 8, c->seq);
    put_u64(wv + 16, (uint64_t)ts);
    if (!rc)
        rc = store_cdc_log_pk(&b->pk, c->bucket, b->created_us, window);
    if (!rc) {
        buf_clear(&b->ck);
        rc = eng_key_put_u64(&b->ck, (uint64_t)ts);
    }
    if (!rc)
        rc = eng_key_put_u64(&b->ck, c->seq);
    if (!rc) {
        eng_cell cell = {slice_str(STORE_C_RECORD), buf_slice(&b->line)};
        rc = eng_batch_put(batch, s->cdc_log, buf_slice(&b->pk), buf_slice(&b->ck), &cell, 1);
    }
    if (!rc)
        rc = store_cdc_windows_pk(&b->pk, c->bucket, b->created_us);
    if (!rc) {
        buf_clear(&b->ck);
        rc = eng_key_put_u64(&b->ck, (uint64_t)window);
    }
    if (!rc) {
        eng_cell cell = {slice_str(STORE_C_WINDOW), slice_make(wv, sizeof wv)};
        rc = eng_batch_put(batch, s->cdc_windows, buf_slice(&b->pk), buf_slice(&b->ck), &cell, 1);
    }
    return rc;
}

int store_change_write(store *s, eng_batch *batch, store_change *c)
{
    store_cdc_bucket *b = NULL;
    c->cb = NULL;
    c->queued = false;
    eng_batch_set_wait(batch, false);
    int rc = lock(s, c->bucket, &b);
    if (rc == CF_ENOTFOUND) /* no bucket row: nothing to log (the caller's checks decide) */
        return eng_db_write(s->db, batch);
    if (rc)
        return rc;
    if (!b->cfg.enabled) {
        pthread_mutex_unlock(&b->mu);
        return eng_db_write(s->db, batch);
    }
    int64_t ts = eng_db_now(s->db); /* invariant (4) */
    rc = stage(s, b, batch, c, ts);
    if (!rc) {
        eng_batch_set_ts(batch, ts);
        rc = eng_db_write(s->db, batch); /* invariant (2): under mu */
        eng_batch_set_ts(batch, 0);
    }
    if (!rc) {
        b->window_us = c->window_us;
        b->seq = c->seq;
        b->end = c->end;
        c->cb = b;
        c->queued = true;
        c->next = NULL;
        if (b->tail)
            b->tail->next = c;
        else
            b->head = c;
        b->tail = c;
    }
    pthread_mutex_unlock(&b->mu);
    return rc;
}

int store_change_wait(store *s, eng_batch *batch, store_change *c, int rc)
{
    if (!rc)
        rc = eng_db_wait(s->db, batch);
    store_cdc_bucket *b = c->cb;
    if (!b)
        return rc;
    pthread_mutex_lock(&b->mu);
    if (c->queued) {
        /* durable: c and, by invariant (2), every record before it; failed:
         * the log is failed, nothing after the durable prefix will be */
        store_change *x = b->head;
        while (x) {
            store_change *n = x->next;
            x->queued = false;
            x->next = NULL;
            bool last = x == c;
            x = n;
            if (last && !rc)
                break;
        }
        b->head = x;
        if (!x)
            b->tail = NULL;
        if (!rc) {
            b->d_window_us = c->window_us;
            b->d_seq = c->seq;
            b->d_end = c->end;
            b->d_ts_us = c->ts_us;
        }
    }
    pthread_mutex_unlock(&b->mu);
    c->cb = NULL;
    return rc;
}

/* ---- what readers see (cdc_read.c) ---- */

int store_cdc_lock(store *s, cf_slice bucket, store_cdc_bucket **b, store_cdc_view *out)
{
    int rc = lock(s, bucket, b);
    if (rc)
        return rc;
    out->created_us = (*b)->created_us;
    out->cfg = (*b)->cfg;
    out->last.start_us = (*b)->d_window_us;
    out->last.bytes = (*b)->d_end;
    out->last.records = (*b)->d_seq;
    out->last.last_us = (*b)->d_ts_us;
    return 0;
}

void store_cdc_unlock(store_cdc_bucket *b)
{
    pthread_mutex_unlock(&b->mu);
}

int store_cdc_visible(store *s, cf_slice bucket, store_cdc_view *out)
{
    store_cdc_bucket *b = NULL;
    int rc = store_cdc_lock(s, bucket, &b, out);
    if (!rc)
        store_cdc_unlock(b);
    return rc;
}

void store_cdc_reset_below(store_cdc_bucket *b, int64_t window_us)
{
    if (b->d_window_us <= window_us) { /* readers see nothing until a record is durable */
        b->d_window_us = b->d_ts_us = 0;
        b->d_seq = b->d_end = 0;
    }
    if (b->window_us <= window_us) { /* the next record opens a new window */
        b->window_us = 0;
        b->seq = b->end = 0;
    }
}
