/*
 * store.c -- opening and closing the store: its tables, locks, writer cache
 * and counters.
 *
 * The store owns no data of its own: every byte lives in the ten engine
 * tables of store_format.h, opened (created on first use) here. What it
 * holds in memory is coordination: the bucket lock, the key-lock stripes
 * (invariant (3) of store.h), the reader pins (blob.c) and idle writers.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/hash.h"

/* Seed of the key-lock hash; any constant works, it is never stored. */
#define KEY_LOCK_SEED 0x6b65796c6f636b73ULL

int store_open(eng_db *db, store **out)
{
    return store_open_with(db, NULL, out);
}

int store_open_with(eng_db *db, const char *chunks_strategy, store **out)
{
    *out = NULL;
    store *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->db = db;
    int rc = eng_table_open(db, STORE_T_BUCKETS, STORE_STRATEGY, &s->buckets);
    if (!rc)
        rc = eng_table_open(db, STORE_T_USERS, STORE_STRATEGY, &s->users);
    if (!rc)
        rc = eng_table_open(db, STORE_T_OBJECTS, STORE_STRATEGY, &s->objects);
    if (!rc)
        rc = eng_table_open(db, STORE_T_BLOB_REFS, STORE_STRATEGY, &s->refs);
    if (!rc)
        rc = eng_table_open(db, STORE_T_CHUNKS,
                            chunks_strategy ? chunks_strategy : STORE_CHUNKS_STRATEGY, &s->chunks);
    /* ingest and whole-file drops only where the table is OACS (an old or
     * comparison table keeps every chunk in the commitlog and memtable) */
    if (!rc)
        s->oacs = strcmp(eng_table_strategy(s->chunks), "oacs") == 0;
    if (!rc)
        rc = eng_table_open(db, STORE_T_UPLOADS, STORE_STRATEGY, &s->uploads);
    if (!rc)
        rc = eng_table_open(db, STORE_T_PARTS, STORE_STRATEGY, &s->parts);
    if (!rc)
        rc = eng_table_open(db, STORE_T_OBJECT_PARTS, STORE_STRATEGY, &s->oparts);
    if (!rc)
        rc = eng_table_open(db, STORE_T_CDC_LOG, STORE_STRATEGY, &s->cdc_log);
    if (!rc)
        rc = eng_table_open(db, STORE_T_CDC_WINDOWS, STORE_STRATEGY, &s->cdc_windows);
    if (!rc)
        rc = store_cdc_open(s);
    if (rc)
        goto fail;
    /* Writer preference: a bucket create or delete must not starve behind a
     * steady stream of PUTs holding the lock shared. */
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->bucket_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    for (size_t i = 0; i < STORE_KEY_LOCKS; i++)
        pthread_mutex_init(&s->key_locks[i], NULL);
    for (size_t i = 0; i < STORE_PIN_STRIPES; i++)
        pthread_mutex_init(&s->pins[i].mu, NULL);
    pthread_mutex_init(&s->cache_mu, NULL);
    pthread_mutex_init(&s->user_lock, NULL);
    *out = s;
    return 0;
fail:
    store_cdc_close(s);
    free(s);
    return rc;
}

/* store_close -- REQUIRES: no writer or reader of s is open. */
void store_close(store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_cache; i++)
        store_writer_free(s->cache[i]);
    pthread_rwlock_destroy(&s->bucket_lock);
    for (size_t i = 0; i < STORE_KEY_LOCKS; i++)
        pthread_mutex_destroy(&s->key_locks[i]);
    for (size_t i = 0; i < STORE_PIN_STRIPES; i++)
        pthread_mutex_destroy(&s->pins[i].mu);
    pthread_mutex_destroy(&s->cache_mu);
    pthread_mutex_destroy(&s->user_lock);
    store_cdc_close(s);
    free(s);
}

size_t store_key_stripe(cf_slice bucket, cf_slice key)
{
    uint64_t h = hash64(bucket.ptr, bucket.len, KEY_LOCK_SEED);
    return (size_t)(hash64(key.ptr, key.len, h) % STORE_KEY_LOCKS);
}

void store_key_lock(store *s, size_t stripe)
{
    pthread_mutex_lock(&s->key_locks[stripe]);
}

void store_key_unlock(store *s, size_t stripe)
{
    pthread_mutex_unlock(&s->key_locks[stripe]);
}

void store_key_lock2(store *s, size_t a, size_t b)
{
    size_t lo = a < b ? a : b, hi = a < b ? b : a;
    pthread_mutex_lock(&s->key_locks[lo]);
    if (hi != lo)
        pthread_mutex_lock(&s->key_locks[hi]);
}

void store_key_unlock2(store *s, size_t a, size_t b)
{
    pthread_mutex_unlock(&s->key_locks[a]);
    if (b != a)
        pthread_mutex_unlock(&s->key_locks[b]);
}

int store_op_init(store_op *o)
{
    memset(o, 0, sizeof *o);
    return eng_batch_new(&o->b);
}

void store_op_free(store_op *o)
{
    eng_batch_free(o->b);
    buf_free(&o->pk);
    buf_free(&o->ck);
    buf_free(&o->ref);
    buf_free(&o->val);
}

void store_stats_get(store *s, store_stats *out)
{
    out->list_rows = atomic_load_explicit(&s->list_rows, memory_order_relaxed);
    out->list_seeks = atomic_load_explicit(&s->list_seeks, memory_order_relaxed);
    out->chunks_written = atomic_load_explicit(&s->chunks_written, memory_order_relaxed);
    out->chunks_read = atomic_load_explicit(&s->chunks_read, memory_order_relaxed);
    out->blobs_dropped = atomic_load_explicit(&s->blobs_dropped, memory_order_relaxed);
    out->blob_files_dropped = atomic_load_explicit(&s->blob_files_dropped, memory_order_relaxed);
    out->bytes_accepted = atomic_load_explicit(&s->bytes_accepted, memory_order_relaxed);
}

void store_disk_stats_get(store *s, store_disk_stats *out)
{
    memset(out, 0, sizeof *out);
    eng_table_stats_get(s->chunks, &out->chunks);
    eng_table *meta[] = {s->buckets, s->users, s->objects, s->refs, s->uploads, s->parts, s->oparts};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        eng_table_stats t;
        eng_table_stats_get(meta[i], &t);
        out->meta.sstables += t.sstables;
        out->meta.sstable_bytes += t.sstable_bytes;
        out->meta.memtable_bytes += t.memtable_bytes;
        out->meta.user_bytes += t.user_bytes;
        out->meta.flush_bytes += t.flush_bytes;
        out->meta.compaction_bytes += t.compaction_bytes;
        out->meta.ingest_bytes += t.ingest_bytes;
        out->meta.flushes += t.flushes;
        out->meta.compactions += t.compactions;
    }
    eng_db_stats_get(s->db, &out->db);
}

int store_scan(eng_table *t, int (*row)(void *arg, eng_iter *it), void *arg)
{
    eng_query q = {0};
    eng_iter *it = NULL;
    int rc = eng_iter_new(t, &q, &it);
    while (!rc && eng_iter_valid(it)) {
        rc = row(arg, it);
        if (!rc)
            rc = eng_iter_next(it);
    }
    if (!rc)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    return rc;
}
