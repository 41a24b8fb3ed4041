/*
 * kv_rocksdb.c -- the benchmark's kv face (kv.h) over RocksDB's C API.
 *
 * RocksDB is the reference: its defaults, except what must match coffer
 * for the comparison to mean anything: the memtable size, no compression
 * (coffer has none; the values are random anyway), a 10-bit bloom filter
 * (coffer's default) and WriteOptions.sync for durability (fdatasync of the
 * WAL, RocksDB's own group commit across concurrent writers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rocksdb/c.h>

#include "kv.h"
#include "util/err.h"

struct kv {
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *table_opts;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
};

struct kv_thread {
    kv *k;
    rocksdb_writebatch_t *wb;
    rocksdb_pinnableslice_t *pinned; /* the last get's value */
};

/* failed -- maps a RocksDB error string to CF_EIO, printing and freeing it. */
static int failed(char *err)
{
    if (!err)
        return 0;
    fprintf(stderr, "rocksdb: %s\n", err);
    rocksdb_free(err);
    return CF_EIO;
}

static void r_close(kv *k)
{
    if (!k)
        return;
    if (k->db)
        rocksdb_close(k->db);
    if (k->wo)
        rocksdb_writeoptions_destroy(k->wo);
    if (k->ro)
        rocksdb_readoptions_destroy(k->ro);
    if (k->opts)
        rocksdb_options_destroy(k->opts);
    if (k->table_opts)
        rocksdb_block_based_options_destroy(k->table_opts);
    free(k);
}

static int r_open(const char *dir, int sync, uint64_t memtable_bytes, kv **out)
{
    char *err = NULL;
    kv *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return CF_ENOMEM;
    k->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(k->opts, 1);
    rocksdb_options_set_compression(k->opts, rocksdb_no_compression);
    rocksdb_options_set_write_buffer_size(k->opts, memtable_bytes);
    k->table_opts = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_filter_policy(k->table_opts,
                                                  rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(k->opts, k->table_opts);
    k->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(k->wo, (unsigned char)sync);
    k->ro = rocksdb_readoptions_create();
    k->db = rocksdb_open(k->opts, dir, &err);
    int rc = failed(err);
    if (rc != 0) {
        r_close(k);
        return rc;
    }
    *out = k;
    return 0;
}

static kv_thread *r_thread_new(kv *k)
{
    kv_thread *t = calloc(1, sizeof *t);
    if (t) {
        t->k = k;
        t->wb = rocksdb_writebatch_create();
    }
    return t;
}

static void r_thread_free(kv_thread *t)
{
    if (!t)
        return;
    if (t->pinned)
        rocksdb_pinnableslice_destroy(t->pinned);
    rocksdb_writebatch_destroy(t->wb);
    free(t);
}

static int r_put(kv_thread *t, const kv_pair *pairs, size_t n)
{
    char *err = NULL;
    if (n == 1) { /* the path a single-key writer takes */
        rocksdb_put(t->k->db, t->k->wo, (const char *)pairs[0].key.ptr, pairs[0].key.len,
                    (const char *)pairs[0].value.ptr, pairs[0].value.len, &err);
        return failed(err);
    }
    rocksdb_writebatch_clear(t->wb);
    for (size_t i = 0; i < n; i++)
        rocksdb_writebatch_put(t->wb, (const char *)pairs[i].key.ptr, pairs[i].key.len,
                               (const char *)pairs[i].value.ptr, pairs[i].value.len);
    rocksdb_write(t->k->db, t->k->wo, t->wb, &err);
    return failed(err);
}

static int r_get(kv_thread *t, cf_slice key, cf_slice *value)
{
    char *err = NULL;
    size_t len = 0;
    *value = slice_make(NULL, 0);
    if (t->pinned)
        rocksdb_pinnableslice_destroy(t->pinned);
    t->pinned = rocksdb_get_pinned(t->k->db, t->k->ro, (const char *)key.ptr, key.len, &err);
    int rc = failed(err);
    if (rc != 0)
        return rc;
    if (!t->pinned)
        return CF_ENOTFOUND;
    const char *v = rocksdb_pinnableslice_value(t->pinned, &len);
    *value = slice_make(v, len);
    return 0;
}

static int r_scan(kv_thread *t, cf_slice start, size_t max_rows, kv_row_fn fn, void *arg)
{
    char *err = NULL;
    int rc = 0;
    rocksdb_iterator_t *it = rocksdb_create_iterator(t->k->db, t->k->ro);
    if (start.len)
        rocksdb_iter_seek(it, (const char *)start.ptr, start.len);
    else
        rocksdb_iter_seek_to_first(it);
    for (size_t n = 0; rc == 0 && rocksdb_iter_valid(it) && (!max_rows || n < max_rows); n++) {
        size_t klen, vlen;
        const char *key = rocksdb_iter_key(it, &klen);
        const char *val = rocksdb_iter_value(it, &vlen);
        if (start.len && (klen < KV_PK_BYTES || memcmp(key, start.ptr, KV_PK_BYTES) != 0))
            break; /* left start's partition */
        rc = fn(arg, slice_make(key, klen), slice_make(val, vlen));
        rocksdb_iter_next(it);
    }
    rocksdb_iter_get_error(it, &err);
    if (rc == 0)
        rc = failed(err);
    else
        rocksdb_free(err);
    rocksdb_iter_destroy(it);
    return rc;
}

static int r_flush(kv *k)
{
    char *err = NULL;
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(k->db, fo, &err);
    rocksdb_flushoptions_destroy(fo);
    return failed(err);
}

/* r_notes -- the "Cumulative WAL" line of rocksdb.stats: writes, syncs, writes per sync. */
static void r_notes(kv *k, char *buf, size_t len)
{
    char *stats = rocksdb_property_value(k->db, "rocksdb.stats");
    const char *wal = stats ? strstr(stats, "Cumulative WAL: ") : NULL;
    buf[0] = 0;
    if (wal) {
        wal += strlen("Cumulative WAL: ");
        size_t n = strcspn(wal, "\n");
        snprintf(buf, len, "WAL: %.*s", (int)n, wal);
    }
    rocksdb_free(stats);
}

const kv_ops kv_rocksdb_ops = {
    .name = "rocksdb",
    .open = r_open,
    .close = r_close,
    .thread_new = r_thread_new,
    .thread_free = r_thread_free,
    .put = r_put,
    .get = r_get,
    .scan = r_scan,
    .flush = r_flush,
    .notes = r_notes,
};
