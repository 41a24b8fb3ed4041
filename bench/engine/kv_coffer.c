/*
 * kv_coffer.c -- the benchmark's kv face (kv.h) over coffer's engine.
 *
 * One table "bench" (STCS); a key splits into partition key (first
 * KV_PK_BYTES) and clustering key (the rest); the value is the one cell "v".
 * Everything else is eng_db_opts_default(): the engine as a user gets it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "kv.h"

struct kv {
    eng_db *db;
    eng_table *t;
};

struct kv_thread {
    kv *k;
    eng_batch *b;
    eng_iter *it;              /* the last get's row; values point into it */
    uint8_t key[KV_KEY_BYTES]; /* the scan's current key, pk || ck */
};

static const char COL[] = "v";

static int c_open(const char *dir, int sync, uint64_t memtable_bytes, kv **out)
{
    eng_db_opts o;
    kv *k = calloc(1, sizeof *k);
    int rc = CF_ENOMEM;
    *out = NULL;
    if (!k)
        goto fail;
    eng_db_opts_default(&o, dir);
    o.sync = sync;
    o.background = 1;
    o.memtable_bytes = memtable_bytes;
    rc = eng_db_open(&o, &k->db);
    if (rc != 0)
        goto fail;
    rc = eng_table_open(k->db, "bench", "stcs", &k->t);
    if (rc != 0)
        goto fail_db;
    *out = k;
    return 0;
fail_db:
    eng_db_close(k->db);
fail:
    free(k);
    return rc;
}

static void c_close(kv *k)
{
    if (!k)
        return;
    eng_db_close(k->db);
    free(k);
}

static kv_thread *c_thread_new(kv *k)
{
    kv_thread *t = calloc(1, sizeof *t);
    if (t && eng_batch_new(&t->b) != 0) {
        free(t);
        return NULL;
    }
    if (t)
        t->k = k;
    return t;
}

static void c_thread_free(kv_thread *t)
{
    if (!t)
        return;
    eng_iter_close(t->it);
    eng_batch_free(t->b);
    free(t);
}

static int c_put(kv_thread *t, const kv_pair *pairs, size_t n)
{
    eng_batch_clear(t->b);
    for (size_t i = 0; i < n; i++) {
        cf_slice pk = slice_make(pairs[i].key.ptr, KV_PK_BYTES);
        cf_slice ck = slice_make(pairs[i].key.ptr + KV_PK_BYTES, pairs[i].key.len - KV_PK_BYTES);
        eng_cell cell = {slice_make(COL, 1), pairs[i].value};
        int rc = eng_batch_put(t->b, t->k->t, pk, ck, &cell, 1);
        if (rc != 0)
            return rc;
    }
    return eng_db_write(t->k->db, t->b);
}

static int c_get(kv_thread *t, cf_slice key, cf_slice *value)
{
    eng_cell_view cv;
    *value = slice_make(NULL, 0);
    eng_iter_close(t->it);
    t->it = NULL;
    int rc = eng_get(t->k->t, slice_make(key.ptr, KV_PK_BYTES),
                     slice_make(key.ptr + KV_PK_BYTES, key.len - KV_PK_BYTES), &t->it);
    if (rc == 0)
        rc = eng_iter_find(t->it, slice_make(COL, 1), &cv);
    if (rc == 0)
        *value = cv.value;
    return rc;
}

static int c_scan(kv_thread *t, cf_slice start, size_t max_rows, kv_row_fn fn, void *arg)
{
    eng_query q;
    eng_iter *it = NULL;
    memset(&q, 0, sizeof q);
    if (start.len) {
        q.pk_start = q.pk_end = (eng_bound){slice_make(start.ptr, KV_PK_BYTES), ENG_BOUND_INCL};
        q.ck_start = (eng_bound){slice_make(start.ptr + KV_PK_BYTES, start.len - KV_PK_BYTES),
                                 ENG_BOUND_INCL};
    }
    int rc = eng_iter_new(t->k->t, &q, &it);
    for (size_t n = 0; rc == 0 && eng_iter_valid(it) && (!max_rows || n < max_rows); n++) {
        cf_slice pk = eng_iter_pk(it), ck = eng_iter_ck(it);
        eng_cell_view cv;
        if (pk.len + ck.len != KV_KEY_BYTES) {
            rc = CF_ECORRUPT;
            break;
        }
        memcpy(t->key, pk.ptr, pk.len);
        memcpy(t->key + pk.len, ck.ptr, ck.len);
        rc = eng_iter_find(it, slice_make(COL, 1), &cv);
        if (rc == 0)
            rc = fn(arg, slice_make(t->key, KV_KEY_BYTES), cv.value);
        if (rc == 0)
            rc = eng_iter_next(it);
    }
    if (rc == 0 && it)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    return rc;
}

static int c_flush(kv *k)
{
    return eng_table_flush(k->t);
}

static void c_notes(kv *k, char *buf, size_t len)
{
    eng_db_stats ds;
    eng_table_stats ts;
    eng_db_stats_get(k->db, &ds);
    eng_table_stats_get(k->t, &ts);
    double w = ds.writes ? (double)ds.writes : 1;
    snprintf(buf, len,
             "%.2f writes/fdatasync, %.0f log B/write, %llu sst, %llu flush, %llu compact",
             ds.commitlog_syncs ? (double)ds.writes / (double)ds.commitlog_syncs : 0,
             (double)ds.commitlog_bytes / w, (unsigned long long)ts.sstables,
             (unsigned long long)ts.flushes, (unsigned long long)ts.compactions);
}

const kv_ops kv_coffer_ops = {
    .name = "coffer",
    .open = c_open,
    .close = c_close,
    .thread_new = c_thread_new,
    .thread_free = c_thread_free,
    .put = c_put,
    .get = c_get,
    .scan = c_scan,
    .flush = c_flush,
    .notes = c_notes,
};
