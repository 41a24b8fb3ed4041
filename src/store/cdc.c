/*
 * cdc.c -- the change log's write side: each bucket's log settings, and the
 * record every change of an object appends in the change's own batch.
 *
 * A record is a row of cdc_log (store_format.h): partition (bucket,
 * created_us, window start), clustering (commit time, sequence in the
 * window), cell "r" the record's line (cdc_record.c). The same batch marks
 * the window's cdc_windows row open (cell "w" empty) until a durable record
 * has marked it; when every record of a
 * window is durable and a newer window has begun, the row gets the window's
 * final size, last sequence and last commit time (cdc_read.c reads both).
 *
 * Invariants:
 *  (1) a record rides in the batch of the change it describes: the log
 *      neither misses nor invents a change, across a crash too.
 *  (2) a bucket's records get their commit time (the engine's clock: the
 *      batch's timestamp) and sequence under its log lock (mu), in one
 *      order, so time and sequence increase together; the batches are then
 *      written outside the lock, in any order.
 *  (3) readers see the durable prefix only: the records in sequence order up
 *      to the first one whose batch is not yet known durable (or failed:
 *      then it never existed, and the prefix goes past it). So bytes a
 *      reader has seen never move: a byte offset is a cursor. A crash can
 *      only lose records past that prefix, which no reader saw (and whose
 *      changes were never acknowledged); the survivors after a gap simply
 *      follow the prefix (sequence numbers may skip).
 *  (4) a window never starts before the one already open (a changed window
 *      length applies from the next window), so windows sort in time order
 *      and a record only ever joins the newest window: once the durable
 *      prefix has reached a newer window, an older one is final.
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
#include "util/log.h"

#define CDC_SLOTS 256u
#define CDC_SEED 0x63646362756b7473ULL

/*
 * A record given its place in a bucket's log and not yet in the durable
 * prefix (invariant (3)). The queue owns it: a writer whose record is durable
 * before an earlier one returns at once, and whoever finds a finished record
 * at the head pops (under mu) every finished record in front.
 *
 * Only a writer whose record is at the head takes mu to pop: it sets done,
 * then reads head; a popper sets head, then reads done (both sequentially
 * consistent), so at least one of the two sees the other's store and the
 * record is popped (twice trying is harmless: pop only what is done).
 */
typedef struct store_cdc_pending {
    struct store_cdc_pending *next; /* under mu */
    int64_t ts_us, window_us;
    uint64_t seq;
    size_t len;          /* its line's bytes; set, with failed, before done */
    bool failed;         /* it never existed */
    atomic_bool done;    /* its batch is durable, or failed */
} store_cdc_pending;

struct store_cdc_bucket {
    store_cdc_bucket *next; /* in its map slot */
    pthread_mutex_t mu;
    bool loaded;
    uint8_t name[64];
    size_t name_len;
    int64_t created_us;
    store_cdc_config cfg;
    int64_t window_us;         /* the open window: new records join it (invariant (4)) */
    uint64_t seq;              /* the last sequence given in it */
    store_cdc_window last;     /* the durable prefix's newest window, as readers see it (3) */
    /* records given a sequence, not yet in the prefix, in order; head is read without mu */
    _Atomic(store_cdc_pending *) head;
    store_cdc_pending *tail;
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
            for (store_cdc_pending *p = atomic_load(&b->head), *pn; p; p = pn) { /* none: REQUIRES no writer */
                pn = p->next;
                free(p);
            }
            pthread_mutex_destroy(&b->mu);
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

/*
 * load -- reads b's settings and its log's windows: an open one that is not
 * the newest was left by a restart (or a failed close) and is closed now;
 * the newest stays open (records may still join it). REQUIRES: b->mu held.
 */
static int load(store *s, store_cdc_bucket *b)
{
    store_bucket row;
    store_cdc_window w, prev = {0};
    bool prev_open = false, open = false;
    cf_buf pk = {0};
    cf_slice name = slice_make(b->name, b->name_len);
    eng_iter *it = NULL;
    int rc = store_bucket_get(s, name, &row);
    if (!rc)
        rc = store_cdc_windows_pk(&pk, name, row.created_us);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){buf_slice(&pk), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        rc = eng_iter_new(s->cdc_windows, &q, &it);
    }
    memset(&w, 0, sizeof w);
    for (; !rc && eng_iter_valid(it); rc = eng_iter_next(it)) {
        if (prev_open)
            rc = store_cdc_window_close(s, name, row.created_us, &prev);
        if (!rc)
            rc = store_cdc_window_row(s, name, row.created_us, it, &w, &open);
        prev = w;
        prev_open = open;
    }
    rc = rc ? rc : eng_iter_status(it);
    eng_iter_close(it);
    buf_free(&pk);
    if (rc)
        return rc;
    b->created_us = row.created_us;
    b->cfg = row.cdc;
    b->window_us = w.start_us;
    b->seq = w.last_seq;
    b->last = w;
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
 * stage -- adds c's record to batch, and its window's open mark unless a
 * durable record of the window already carries one (mark false): every
 * record that can survive a crash without an earlier durable one marks its
 * window, so a window with records always has its row. c's place is set.
 */
static int stage(store *s, eng_batch *batch, store_change *c, int64_t created_us, bool mark)
{
    store_cdc_rec r = {c->event, c->ts_us, c->seq, c->bucket, c->key, c->meta, c->origin};
    int rc = store_cdc_record(&c->line, &r);
    if (!rc)
        rc = store_cdc_log_pk(&c->pk, c->bucket, created_us, c->window_us);
    if (!rc) {
        buf_clear(&c->ck);
        rc = eng_key_put_u64(&c->ck, (uint64_t)c->ts_us);
    }
    if (!rc)
        rc = eng_key_put_u64(&c->ck, c->seq);
    if (!rc) {
        eng_cell cell = {slice_str(STORE_C_RECORD), buf_slice(&c->line)};
        rc = eng_batch_put(batch, s->cdc_log, buf_slice(&c->pk), buf_slice(&c->ck), &cell, 1);
    }
    if (!rc && mark)
        rc = store_cdc_windows_pk(&c->pk, c->bucket, created_us);
    if (!rc && mark) {
        buf_clear(&c->ck);
        rc = eng_key_put_u64(&c->ck, (uint64_t)c->window_us);
    }
    if (!rc && mark) { /* open: until cdc_read.c's close writes the final state over it */
        eng_cell cell = {slice_str(STORE_C_WINDOW), slice_make("", 0)};
        rc = eng_batch_put(batch, s->cdc_windows, buf_slice(&c->pk), buf_slice(&c->ck), &cell, 1);
    }
    return rc;
}

int store_change_write(store *s, eng_batch *batch, store_change *c)
{
    store_cdc_bucket *b = NULL;
    store_cdc_pending *p = NULL;
    c->cb = NULL;
    c->pending = NULL;
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
    if ((p = calloc(1, sizeof *p)) == NULL) {
        pthread_mutex_unlock(&b->mu);
        return CF_ENOMEM;
    }
    /* invariant (2): time and place in the log, under mu; the rest outside it */
    int64_t ts = eng_db_now(s->db), len = (int64_t)b->cfg.window_s * 1000000;
    int64_t window = ts - ts % len;
    if (window < b->window_us) /* invariant (4) */
        window = b->window_us;
    if (window != b->window_us) {
        b->window_us = window;
        b->seq = 0;
    }
    p->ts_us = c->ts_us = ts;
    p->window_us = c->window_us = window;
    p->seq = c->seq = ++b->seq;
    if (b->tail)
        b->tail->next = p;
    else
        atomic_store(&b->head, p);
    b->tail = p;
    c->cb = b;
    c->pending = p;
    int64_t created = b->created_us;
    bool mark = b->last.start_us != window; /* no durable record of it has marked it yet */
    pthread_mutex_unlock(&b->mu);
    rc = stage(s, batch, c, created, mark);
    if (!rc) {
        eng_batch_set_ts(batch, ts);
        rc = eng_db_write(s->db, batch);
        eng_batch_set_ts(batch, 0);
    }
    return rc;
}

int store_change_wait(store *s, eng_batch *batch, store_change *c, int rc)
{
    if (!rc)
        rc = eng_db_wait(s->db, batch);
    store_cdc_bucket *b = c->cb;
    size_t len = c->line.len;
    buf_free(&c->line);
    buf_free(&c->pk);
    buf_free(&c->ck);
    if (!b)
        return rc;
    store_cdc_pending *p = c->pending;
    c->cb = NULL;
    c->pending = NULL;
    p->len = len;
    p->failed = rc != 0;
    atomic_store(&p->done, true); /* p may be popped and freed from here on */
    if (atomic_load(&b->head) != p)
        return rc; /* an earlier record is pending: its writer pops ours too */
    store_cdc_window closed = {0};
    pthread_mutex_lock(&b->mu);
    /* invariant (3): the prefix grows over every record now known durable or failed */
    store_cdc_pending *x;
    while ((x = atomic_load(&b->head)) != NULL && atomic_load(&x->done)) {
        atomic_store(&b->head, x->next);
        if (!x->failed && x->window_us != b->last.start_us) { /* (4): the older is final */
            if (b->last.start_us)
                closed = b->last;
            b->last = (store_cdc_window){x->window_us, 0, 0, 0};
        }
        if (!x->failed) {
            b->last.bytes += x->len;
            b->last.last_seq = x->seq;
            b->last.last_us = x->ts_us;
        }
        if (!x->next)
            b->tail = NULL;
        free(x);
    }
    if (closed.start_us) { /* once a window, cheap; a failure leaves it open, still right */
        int crc = store_cdc_window_close(s, slice_make(b->name, b->name_len), b->created_us, &closed);
        if (crc)
            log_warn("change log of bucket %.*s: closing a window failed: %s", (int)b->name_len,
                     (const char *)b->name, cf_err_str(crc));
    }
    pthread_mutex_unlock(&b->mu);
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
    out->last = (*b)->last;
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
    if (b->last.start_us <= window_us) /* readers see nothing until a record is durable */
        memset(&b->last, 0, sizeof b->last);
    if (b->window_us <= window_us) { /* the next record opens a new window */
        b->window_us = 0;
        b->seq = 0;
    }
}
