/*
 * cdc_read.c -- the change log's read side: a bucket's windows, a window's
 * bytes, dropping windows past their retention, and the log's check.
 *
 * A window's bytes are its records' lines in (commit time, sequence) order:
 * record k starts where record k - 1 ended. Readers see the durable prefix
 * (cdc.c invariant (3)): the newest window as the log state says (its bytes
 * and records so far), every older one as its cdc_windows row says, which
 * its last record wrote.
 *
 * Invariants:
 *  (1) a reader returns exactly the bytes its window promised, or an
 *      error (CF_ECORRUPT if the records end short), never a short read.
 *  (2) memory is one record at a time, whatever the window's size.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/log.h"

/* window_row -- the window at it (a cdc_windows row): its start into *start, state into *w. */
static int window_row(const eng_iter *it, store_cdc_window *w)
{
    cf_slice ck = eng_iter_ck(it);
    uint64_t start;
    eng_cell_view v;
    if (eng_key_get_u64(&ck, &start) != 0 || eng_iter_find(it, slice_str(STORE_C_WINDOW), &v) != 0)
        return CF_ECORRUPT;
    int rc = store_cdc_window_decode(v.value, w);
    w->start_us = (int64_t)start;
    return rc;
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
        rc = window_row(it, &w);
        if (rc || w.start_us > view.last.start_us)
            break; /* not durable yet: nor is anything after it */
        if (w.start_us == view.last.start_us)
            w = view.last;
        if (n == max) {
            *truncated = true;
            break;
        }
        n++;
        rc = fn(arg, &w);
    }
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
        rc = window_row(it, out);
    eng_iter_close(it);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

struct store_cdc_reader {
    eng_iter *it;
    uint64_t pos;     /* window offset of the current record's first byte */
    uint64_t off, end; /* the range still to give: [off, end) */
    uint64_t records; /* records the window has (the reader stops there) */
    uint64_t seen;
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
    r->records = w->records;
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
        if (!eng_iter_valid(r->it) || r->seen == r->records ||
            eng_iter_find(r->it, slice_str(STORE_C_RECORD), &v) != 0) {
            r->err = eng_iter_status(r->it) ? eng_iter_status(r->it) : CF_ECORRUPT; /* (1) */
            break;
        }
        r->seen++;
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
    }
    store_cdc_window w;
    int rc = window_row(it, &w);
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
    uint64_t records, bytes;
    int64_t last_ts;
    const char *bad; /* what is wrong with the partition so far, or NULL */
} check_arg;

/* check_window -- compares the partition's records with its cdc_windows row. */
static void check_window(check_arg *a)
{
    if (!a->pk.len)
        return;
    cf_slice p = buf_slice(&a->pk);
    cf_buf bucket = {0}, wpk = {0}, ck = {0};
    uint64_t created, start;
    eng_iter *it = NULL;
    store_cdc_window w;
    const char *bad = a->bad;
    if (!bad && (eng_key_get_bytes(&p, &bucket) != 0 || eng_key_get_u64(&p, &created) != 0 ||
                 eng_key_get_u64(&p, &start) != 0 || p.len != 0))
        bad = "bad partition key";
    if (!bad && (store_cdc_windows_pk(&wpk, buf_slice(&bucket), (int64_t)created) != 0 ||
                 eng_key_put_u64(&ck, start) != 0 ||
                 eng_get(a->s->cdc_windows, buf_slice(&wpk), buf_slice(&ck), &it) != 0 ||
                 window_row(it, &w) != 0))
        bad = "no window row";
    if (!bad && (w.records != a->records || w.bytes != a->bytes || w.last_us != a->last_ts))
        bad = "window row disagrees with its records";
    a->st->cdc_windows++;
    if (bad) {
        a->st->bad_cdc_windows++;
        log_error("check: change log of bucket %.*s window %llu: %s",
               (int)bucket.len, (const char *)bucket.data, (unsigned long long)start, bad);
    }
    eng_iter_close(it);
    buf_free(&bucket);
    buf_free(&wpk);
    buf_free(&ck);
}

static int check_row(void *arg, eng_iter *it)
{
    check_arg *a = arg;
    cf_slice pk = eng_iter_pk(it), ck = eng_iter_ck(it);
    if (!slice_eq(pk, buf_slice(&a->pk))) {
        check_window(a);
        buf_clear(&a->pk);
        if (buf_append(&a->pk, pk.ptr, pk.len) != 0)
            return CF_ENOMEM;
        a->records = a->bytes = 0;
        a->last_ts = 0;
        a->bad = NULL;
    }
    uint64_t ts, seq;
    eng_cell_view v;
    a->st->cdc_records++;
    if (eng_key_get_u64(&ck, &ts) != 0 || eng_key_get_u64(&ck, &seq) != 0 || ck.len != 0)
        a->bad = a->bad ? a->bad : "bad record key";
    else if (seq != a->records + 1 || (int64_t)ts <= a->last_ts)
        a->bad = a->bad ? a->bad : "records out of sequence";
    else if (eng_iter_find(it, slice_str(STORE_C_RECORD), &v) != 0 || v.value.len < 3 ||
             v.value.ptr[0] != '{' || v.value.ptr[v.value.len - 1] != '\n' ||
             memchr(v.value.ptr, '\n', v.value.len - 1) != NULL)
        a->bad = a->bad ? a->bad : "a record is not one line of JSON";
    else
        a->bytes += v.value.len;
    a->records = seq;
    a->last_ts = (int64_t)ts;
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
