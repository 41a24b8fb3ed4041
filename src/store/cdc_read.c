/*
 * cdc_read.c -- the change log's read side: a bucket's windows, a window's
 * bytes, dropping windows past their retention, and the log's check.
 *
 * A window's bytes are its records' lines in (commit time, sequence) order:
 * each record starts where the one before it ended. Readers see the durable
 * prefix (cdc.c invariant (3)): the newest window as the log state says (its
 * bytes so far, up to its last durable record), every older one as its
 * cdc_windows row says once it was closed, else as its records add up.
 *
 * Invariants:
 *  (1) a reader returns exactly the bytes its window promised, or an
 *      error (CF_ECORRUPT if the records end short), never a short read.
 *  (2) memory is one record at a time, whatever the window's size.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/log.h"

/* record_key -- a cdc_log row's clustering key: its commit time and sequence. */
static int record_key(cf_slice ck, int64_t *ts, uint64_t *seq)
{
    uint64_t t;
    if (eng_key_get_u64(&ck, &t) != 0 || eng_key_get_u64(&ck, seq) != 0 || ck.len != 0)
        return CF_ECORRUPT;
    *ts = (int64_t)t;
    return 0;
}

/* window_scan -- what the records of window w->start_us add up to, into w. */
static int window_scan(store *s, cf_slice bucket, int64_t created_us, store_cdc_window *w)
{
    cf_buf pk = {0};
    eng_iter *it = NULL;
    w->bytes = w->last_seq = 0;
    w->last_us = 0;
    int rc = store_cdc_log_pk(&pk, bucket, created_us, w->start_us);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){buf_slice(&pk), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        rc = eng_iter_new(s->cdc_log, &q, &it);
    }
    for (; !rc && eng_iter_valid(it); rc = eng_iter_next(it)) {
        eng_cell_view v;
        rc = record_key(eng_iter_ck(it), &w->last_us, &w->last_seq);
        if (!rc && eng_iter_find(it, slice_str(STORE_C_RECORD), &v) != 0)
            rc = CF_ECORRUPT;
        if (!rc)
            w->bytes += v.value.len;
    }
    rc = rc ? rc : eng_iter_status(it);
    eng_iter_close(it);
    buf_free(&pk);
    return rc;
}

/* window_start -- the start of the window at it (a cdc_windows row). */
static int window_start(const eng_iter *it, int64_t *start)
{
    cf_slice ck = eng_iter_ck(it);
    uint64_t v;
    if (eng_key_get_u64(&ck, &v) != 0 || ck.len != 0)
        return CF_ECORRUPT;
    *start = (int64_t)v;
    return 0;
}

int store_cdc_window_row(store *s, cf_slice bucket, int64_t created_us, const eng_iter *it,
                         store_cdc_window *w, bool *open)
{
    eng_cell_view v;
    memset(w, 0, sizeof *w);
    *open = false;
    int rc = window_start(it, &w->start_us);
    if (!rc && eng_iter_find(it, slice_str(STORE_C_WINDOW), &v) != 0)
        rc = CF_ECORRUPT;
    if (rc)
        return rc;
    if (v.value.len == 0) { /* open (cdc.c): its records say */
        *open = true;
        return window_scan(s, bucket, created_us, w);
    }
    if (v.value.len != STORE_CDC_WINDOW_BYTES)
        return CF_ECORRUPT;
    w->bytes = get_u64(v.value.ptr);
    w->last_seq = get_u64(v.value.ptr + 8);
    w->last_us = (int64_t)get_u64(v.value.ptr + 16);
    return 0;
}

int store_cdc_window_close(store *s, cf_slice bucket, int64_t created_us,
                           const store_cdc_window *w)
{
    uint8_t v[STORE_CDC_WINDOW_BYTES];
    put_u64(v, w->bytes);
    put_u64(v + 8, w->last_seq);
    put_u64(v + 16, (uint64_t)w->last_us);
    cf_buf pk = {0}, ck = {0};
    eng_batch *b = NULL;
    int rc = store_cdc_windows_pk(&pk, bucket, created_us);
    if (!rc)
        rc = eng_key_put_u64(&ck, (uint64_t)w->start_us);
    if (!rc)
        rc = eng_batch_new(&b);
    if (!rc) {
        eng_cell cell = {slice_str(STORE_C_WINDOW), slice_make(v, sizeof v)};
        rc = eng_batch_put(b, s->cdc_windows, buf_slice(&pk), buf_slice(&ck), &cell, 1);
    }
    if (!rc) {
        eng_batch_set_wait(b, false); /* lost in a crash: the row stays open, still right */
        rc = eng_db_write(s->db, b);
    }
    eng_batch_free(b);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

/* visible_row -- the window at it as readers see it: the view's newest window from the
 * log state, an older one from its row. 1 if it is newer than the view's (not readable). */
static int visible_row(store *s, cf_slice bucket, const store_cdc_view *view, const eng_iter *it,
                       store_cdc_window *w)
{
    bool open;
    int64_t start;
    int rc = window_start(it, &start);
    if (rc)
        return rc;
    if (start > view->last.start_us)
        return 1;
    if (start == view->last.start_us) {
        *w = view->last;
        return 0;
    }
    return store_cdc_window_row(s, bucket, view->created_us, it, w, &open);
}

int store_cdc_windows(store *s, cf_slice bucket, int64_t after_us, uint32_t max,
                      int (*fn)(void *arg, const store_cdc_window *w), void *arg,
                      bool *truncated)
{
    store_cdc_view view;
    cf_buf pk = {0}, ck = {0};
    eng_iter *it = NULL;
    *truncated = false;
    if (max == 0 || max > 1000)
        return CF_EINVAL;
    int rc = store_cdc_visible(s, bucket, &view);
    if (!rc)
        rc = store_cdc_windows_pk(&pk, bucket, view.created_us);
    if (!rc && after_us >= 0)
        rc = eng_key_put_u64(&ck, (uint64_t)after_us);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){buf_slice(&pk), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        if (after_us >= 0)
            q.ck_start = (eng_bound){buf_slice(&ck), ENG_BOUND_EXCL};
        rc = eng_iter_new(s->cdc_windows, &q, &it);
    }
    uint32_t n = 0;
    for (; !rc && eng_iter_valid(it); rc = eng_iter_next(it)) {
        store_cdc_window w;
        rc = visible_row(s, bucket, &view, it, &w);
        if (rc) /* 1: not durable yet, nor anything after it */
            break;
        if (n == max) {
            *truncated = true;
            break;
        }
        n++;
        rc = fn(arg, &w);
    }
    if (rc == 1)
        rc = 0;
    if (!rc)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

int store_cdc_window_get(store *s, cf_slice bucket, int64_t start_us, store_cdc_window *out)
{
    store_cdc_view view;
    cf_buf pk = {0}, ck = {0};
    eng_iter *it = NULL;
    memset(out, 0, sizeof *out);
    int rc = store_cdc_visible(s, bucket, &view);
    if (!rc && (start_us <= 0 || start_us > view.last.start_us))
        rc = CF_ENOTFOUND;
    if (!rc && start_us == view.last.start_us) {
        *out = view.last;
        return 0;
    }
    if (!rc)
        rc = store_cdc_windows_pk(&pk, bucket, view.created_us);
    if (!rc)
        rc = eng_key_put_u64(&ck, (uint64_t)start_us);
    if (!rc)
        rc = eng_get(s->cdc_windows, buf_slice(&pk), buf_slice(&ck), &it);
    if (!rc)
        rc = visible_row(s, bucket, &view, it, out);
    eng_iter_close(it);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

struct store_cdc_reader {
    eng_iter *it;
    uint64_t pos;     /* window offset of the current record's first byte */
    uint64_t off, end; /* the range still to give: [off, end) */
    uint64_t last_seq; /* the window's last readable record (the reader stops there) */
    bool started;
    int err;
};

int store_cdc_read_open(store *s, cf_slice bucket, const store_cdc_window *w, uint64_t off,
                        uint64_t len, store_cdc_reader **out)
{
    store_cdc_view view;
    cf_buf pk = {0};
    *out = NULL;
    if (off > w->bytes || len > w->bytes - off)
        return CF_EINVAL;
    store_cdc_reader *r = calloc(1, sizeof *r);
    if (!r)
        return CF_ENOMEM;
    r->off = off;
    r->end = off + len;
    r->last_seq = w->last_seq;
    int rc = store_cdc_visible(s, bucket, &view);
    if (!rc)
        rc = store_cdc_log_pk(&pk, bucket, view.created_us, w->start_us);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){buf_slice(&pk), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        rc = eng_iter_new(s->cdc_log, &q, &r->it);
    }
    buf_free(&pk);
    if (rc) {
        store_cdc_read_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int store_cdc_read_next(store_cdc_reader *r, const uint8_t **p, size_t *len)
{
    while (!r->err && r->off < r->end) {
        if (r->started)
            r->err = eng_iter_next(r->it);
        r->started = true;
        if (r->err)
            break;
        eng_cell_view v;
        int64_t ts;
        uint64_t seq = 0;
        if (!eng_iter_valid(r->it) || record_key(eng_iter_ck(r->it), &ts, &seq) != 0 ||
            seq > r->last_seq || eng_iter_find(r->it, slice_str(STORE_C_RECORD), &v) != 0) {
            r->err = eng_iter_status(r->it) ? eng_iter_status(r->it) : CF_ECORRUPT; /* (1) */
            break;
        }
        uint64_t start = r->pos, stop = r->pos + v.value.len;
        r->pos = stop;
        if (stop <= r->off)
            continue;
        uint64_t to = stop < r->end ? stop : r->end;
        *p = v.value.ptr + (r->off - start);
        *len = (size_t)(to - r->off);
        r->off = to;
        return 1;
    }
    return r->err ? r->err : 0;
}

void store_cdc_read_close(store_cdc_reader *r)
{
    if (!r)
        return;
    eng_iter_close(r->it);
    free(r);
}

/* ---- retention ---- */

typedef struct expire_arg {
    store *s;
    int64_t now_us;
    cf_buf pk;         /* the partition (bucket, created_us) being read */
    cf_buf bucket;
    int64_t created_us;
    bool live;         /* the bucket exists with that creation time */
    store_cdc_view view; /* its log as readers see it, when live */
    store_cdc_config cfg;
    int64_t *drop;     /* windows of the partition to drop */
    size_t n, cap;
    uint64_t dropped;
    cf_buf key;        /* scratch */
} expire_arg;

/* flush -- drops a's windows of the partition it read, resetting the bucket's log state if
 * they included its newest window (the next record then opens a new one). */
static int flush(expire_arg *a)
{
    if (a->n == 0)
        return 0;
    store_cdc_bucket *b = NULL;
    store_cdc_view view;
    eng_batch *batch = NULL;
    cf_slice bucket = buf_slice(&a->bucket);
    int rc = a->live ? store_cdc_lock(a->s, bucket, &b, &view) : 0;
    bool mine = b && view.created_us == a->created_us;
    if (!rc)
        rc = eng_batch_new(&batch);
    for (size_t i = 0; !rc && i < a->n; i++) {
        rc = store_cdc_log_pk(&a->key, bucket, a->created_us, a->drop[i]);
        if (!rc)
            rc = eng_batch_delete_partition(batch, a->s->cdc_log, buf_slice(&a->key));
        if (!rc) {
            cf_buf ck = {0};
            rc = eng_key_put_u64(&ck, (uint64_t)a->drop[i]);
            if (!rc)
                rc = eng_batch_delete_row(batch, a->s->cdc_windows, buf_slice(&a->pk),
                                          buf_slice(&ck));
            buf_free(&ck);
        }
    }
    if (!rc)
        rc = eng_db_write(a->s->db, batch);
    if (!rc && mine)
        store_cdc_reset_below(b, a->drop[a->n - 1]);
    if (b)
        store_cdc_unlock(b);
    if (!rc)
        a->dropped += a->n;
    a->n = 0;
    eng_batch_free(batch);
    return rc;
}

static int expire_row(void *arg, eng_iter *it)
{
    expire_arg *a = arg;
    cf_slice pk = eng_iter_pk(it);
    if (!slice_eq(pk, buf_slice(&a->pk))) {
        int rc = flush(a);
        if (rc)
            return rc;
        buf_clear(&a->pk);
        rc = buf_append(&a->pk, pk.ptr, pk.len);
        uint64_t created;
        cf_slice p = pk;
        if (!rc)
            rc = eng_key_get_bytes(&p, &a->bucket);
        if (!rc)
            rc = eng_key_get_u64(&p, &created);
        if (rc)
            return CF_ECORRUPT;
        store_bucket row;
        a->created_us = (int64_t)created;
        rc = store_bucket_get(a->s, buf_slice(&a->bucket), &row);
        if (rc && rc != CF_ENOTFOUND)
            return rc;
        a->live = !rc && row.created_us == a->created_us;
        a->cfg = row.cdc;
        rc = a->live ? store_cdc_visible(a->s, buf_slice(&a->bucket), &a->view) : 0;
        if (rc == CF_ENOTFOUND) /* deleted meanwhile */
            a->live = false;
        else if (rc)
            return rc;
    }
    /* a live log's windows as readers see them (its newest from the log state, not by adding
     * up its records: it is open); a dead log's are dropped whatever they hold */
    store_cdc_window w = {0};
    int rc = a->live ? visible_row(a->s, buf_slice(&a->bucket), &a->view, it, &w)
                     : window_start(it, &w.start_us);
    if (rc == 1) /* newer than the durable prefix: being written */
        return 0;
    if (rc)
        return rc;
    int64_t keep_from = a->now_us - (int64_t)a->cfg.retention_s * 1000000;
    if (a->live && w.last_us >= keep_from)
        return 0;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        int64_t *d = realloc(a->drop, cap * sizeof *d);
        if (!d)
            return CF_ENOMEM;
        a->drop = d;
        a->cap = cap;
    }
    a->drop[a->n++] = w.start_us;
    return a->n == STORE_CDC_DROP_BATCH ? flush(a) : 0;
}

int store_cdc_expire(store *s, int64_t now_us, uint64_t *dropped)
{
    expire_arg a = {0};
    a.s = s;
    a.now_us = now_us;
    int rc = store_scan(s->cdc_windows, expire_row, &a);
    if (!rc)
        rc = flush(&a);
    if (dropped)
        *dropped = a.dropped;
    free(a.drop);
    buf_free(&a.pk);
    buf_free(&a.bucket);
    buf_free(&a.key);
    return rc;
}

/* ---- the check (coffer check) ---- */

typedef struct check_arg {
    store *s;
    store_check_stats *st;
    cf_buf pk;
    store_cdc_window sum; /* what the partition's records add up to so far */
    const char *bad;      /* what is wrong with the partition so far, or NULL */
} check_arg;

/* check_window -- compares the partition's records with its cdc_windows row (if closed). */
static void check_window(check_arg *a)
{
    if (!a->pk.len)
        return;
    cf_slice p = buf_slice(&a->pk);
    cf_buf bucket = {0}, wpk = {0}, ck = {0};
    uint64_t created, start;
    eng_iter *it = NULL;
    store_cdc_window w;
    bool open = false;
    const char *bad = a->bad;
    if (!bad && (eng_key_get_bytes(&p, &bucket) != 0 || eng_key_get_u64(&p, &created) != 0 ||
                 eng_key_get_u64(&p, &start) != 0 || p.len != 0))
        bad = "bad partition key";
    if (!bad && (store_cdc_windows_pk(&wpk, buf_slice(&bucket), (int64_t)created) != 0 ||
                 eng_key_put_u64(&ck, start) != 0 ||
                 eng_get(a->s->cdc_windows, buf_slice(&wpk), buf_slice(&ck), &it) != 0 ||
                 store_cdc_window_row(a->s, buf_slice(&bucket), (int64_t)created, it, &w, &open)))
        bad = "no window row";
    if (!bad && !open &&
        (w.last_seq != a->sum.last_seq || w.bytes != a->sum.bytes || w.last_us != a->sum.last_us))
        bad = "window row disagrees with its records";
    a->st->cdc_windows++;
    if (bad) {
        a->st->bad_cdc_windows++;
        log_error("check: change log of bucket %.*s window %llu: %s", (int)bucket.len,
                  (const char *)bucket.data, (unsigned long long)start, bad);
    }
    eng_iter_close(it);
    buf_free(&bucket);
    buf_free(&wpk);
    buf_free(&ck);
}

static int check_row(void *arg, eng_iter *it)
{
    check_arg *a = arg;
    cf_slice pk = eng_iter_pk(it);
    if (!slice_eq(pk, buf_slice(&a->pk))) {
        check_window(a);
        buf_clear(&a->pk);
        if (buf_append(&a->pk, pk.ptr, pk.len) != 0)
            return CF_ENOMEM;
        memset(&a->sum, 0, sizeof a->sum);
        a->bad = NULL;
    }
    int64_t ts = 0;
    uint64_t seq = 0;
    eng_cell_view v;
    a->st->cdc_records++;
    if (record_key(eng_iter_ck(it), &ts, &seq) != 0)
        a->bad = a->bad ? a->bad : "bad record key";
    else if (seq <= a->sum.last_seq || ts <= a->sum.last_us) /* gaps allowed: cdc.c (3) */
        a->bad = a->bad ? a->bad : "records out of sequence";
    else if (eng_iter_find(it, slice_str(STORE_C_RECORD), &v) != 0 || v.value.len < 3 ||
             v.value.ptr[0] != '{' || v.value.ptr[v.value.len - 1] != '\n' ||
             memchr(v.value.ptr, '\n', v.value.len - 1) != NULL)
        a->bad = a->bad ? a->bad : "a record is not one line of JSON";
    else
        a->sum.bytes += v.value.len;
    a->sum.last_seq = seq;
    a->sum.last_us = ts;
    return 0;
}

int store_check_cdc(store *s, store_check_stats *st)
{
    check_arg a = {0};
    a.s = s;
    a.st = st;
    int rc = store_scan(s->cdc_log, check_row, &a);
    if (!rc)
        check_window(&a);
    buf_free(&a.pk);
    return rc;
}
