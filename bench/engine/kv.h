/*
 * kv.h -- the key-value face both engines show the engine benchmark.
 *
 * bench_engine.c drives coffer (kv_coffer.c) and RocksDB (kv_rocksdb.c)
 * through this one table of functions, so every workload runs the same code
 * with the same keys, values and durability on both. A key is KV_KEY_BYTES
 * bytes: the first KV_PK_BYTES are the partition (coffer's partition key),
 * the rest the clustering key; RocksDB stores the concatenation, which sorts
 * the same way because both parts are fixed-width big-endian.
 *
 * Invariants:
 *  (1) put() returns 0 only when the batch is durable if the database was
 *      opened with sync = 1 (coffer: fdatasync'd commitlog with group
 *      commit; RocksDB: WriteOptions.sync, its own group commit).
 *  (2) a kv_thread is used by one thread at a time; views it hands out stay
 *      valid until the next call on it.
 */
#ifndef BENCH_KV_H
#define BENCH_KV_H

#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

#define KV_PK_BYTES 4
#define KV_KEY_BYTES 12

typedef struct kv kv;
typedef struct kv_thread kv_thread;

typedef struct kv_pair {
    cf_slice key, value;
} kv_pair;

/* kv_row_fn -- called for each row a scan reads; nonzero stops the scan with that code. */
typedef int (*kv_row_fn)(void *arg, cf_slice key, cf_slice value);

typedef struct kv_ops {
    const char *name;
    /* open -- a fresh database in dir (sync: invariant 1). Caller frees with close(). */
    int (*open)(const char *dir, int sync, uint64_t memtable_bytes, kv **out);
    void (*close)(kv *k);
    /* thread_new -- per-thread state; NULL on ENOMEM. Caller frees with thread_free(). */
    kv_thread *(*thread_new)(kv *k);
    void (*thread_free)(kv_thread *t);
    /* put -- writes pairs[0..n) as one atomic batch; invariant (1). */
    int (*put)(kv_thread *t, const kv_pair *pairs, size_t n);
    /* get -- 0 and *value (view valid until the next call on t), or CF_ENOTFOUND. */
    int (*get)(kv_thread *t, cf_slice key, cf_slice *value);
    /*
     * scan -- calls fn for each row in key order: with an empty start, every
     * row of the database; otherwise the rows of start's partition from start
     * (included) on. At most max_rows (0: no bound). Returns 0 or the first
     * error.
     */
    int (*scan)(kv_thread *t, cf_slice start, size_t max_rows, kv_row_fn fn, void *arg);
    /* flush -- writes the memtable to an SSTable and waits for it. */
    int (*flush)(kv *k);
    /* notes -- a short text about the run so far (syncs per write and the like). */
    void (*notes)(kv *k, char *buf, size_t len);
} kv_ops;

extern const kv_ops kv_coffer_ops;
extern const kv_ops kv_rocksdb_ops;

#endif
