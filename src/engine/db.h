/*
 * db.h -- the engine's internal state: a database, its tables, SSTable versions.
 *
 * Shared by db.c (open, write path, clock), lsm.c (memtable switch, flush,
 * compaction, background threads) and read.c (row iterators). Nothing outside
 * src/engine includes it.
 *
 * Locks, in the order they may be taken:
 *   db->switch_lock (rwlock)  writers hold it shared from commitlog append to
 *                             memtable apply; a memtable switch holds it
 *                             exclusive, so every record before the switch
 *                             position is in the frozen memtable (invariant 2)
 *   t->flush_mu               one flush of a table at a time, oldest first
 *   t->mu                     the table's memtable list, version, stats
 *   db->bg_mu                 background thread wake-ups
 *
 * Invariants:
 *  (1) a batch is acknowledged only after eng_commitlog_sync_wait() covered
 *      its record (commitlog.h invariant (1)), unless its writer asked not to
 *      wait (eng_batch_set_wait): then only a later waited-for write
 *      acknowledges it. It may be visible to readers a little before that:
 *      it is applied to the memtable first.
 *  (2) frozen[i] holds every record of the table before frozen_end[i] that
 *      is not in an SSTable; active holds the rest.
 *  (3) a table's SSTable set changes only through a durable manifest edit
 *      followed by a version swap under t->mu; readers hold a version
 *      reference, so files they read are never unlinked under them.
 *  (4) the commitlog is released only up to the smallest flushed position of
 *      the tables that still hold unflushed data.
 */
#ifndef ENG_DB_H
#define ENG_DB_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "engine/commitlog.h"
#include "engine/compaction.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/manifest.h"
#include "engine/memtable.h"
#include "engine/sstable.h"

#define ENG_MAX_FROZEN 8

/*
 * A table's SSTable set at one moment, oldest generation first. With an
 * object prefix (OACS), the files whose keys all share one object's prefix
 * are also listed by_object, sorted by smallest key, so a read of one
 * partition finds that object's files by binary search and consults only
 * them and the shared files (wide[]), never the other objects' files.
 */
typedef struct eng_version {
    atomic_int refs;
    size_t n;
    eng_sst **ssts; /* each holds a reference */
    size_t prefix;  /* object prefix bytes, 0: no index */
    eng_sst **by_object, **wide; /* views into ssts' references (not held twice) */
    size_t n_by_object, n_wide;
} eng_version;

struct eng_table {
    eng_db *db;
    uint32_t id;
    char name[65];
    char dir[PATH_MAX];
    eng_strategy *strategy;

    pthread_mutex_t flush_mu;
    pthread_mutex_t mu;    /* guards the fields below */
    pthread_cond_t changed; /* broadcast when a flush or compaction finishes */
    eng_memtable *active;  /* replaced only with switch_lock held exclusive */
    eng_memtable *frozen[ENG_MAX_FROZEN];
    eng_clog_pos frozen_end[ENG_MAX_FROZEN];  /* switch position (invariant (2)) */
    eng_clog_pos frozen_last[ENG_MAX_FROZEN]; /* last record applied to frozen[i] */
    size_t n_frozen;
    atomic_uint_fast64_t active_last; /* last record applied to active, packed by eng_pos_pack() */
    eng_version *version;
    eng_clog_pos flushed;  /* manifest.h invariant (2) */
    uint64_t *compacting;  /* generations an ongoing compaction reads */
    size_t n_compacting, cap_compacting;
    int flush_err;         /* the last flush's result: 0, or its error (lsm.c bg_outcome) */
    int compact_err;       /* the same for the last compaction that ran */

    atomic_uint_fast64_t user_bytes;
    atomic_uint_fast64_t flush_bytes;
    atomic_uint_fast64_t compaction_bytes;
    atomic_uint_fast64_t ingest_bytes;
    atomic_uint_fast64_t sst_consulted;
    atomic_uint_fast64_t flushes;
    atomic_uint_fast64_t compactions;
    atomic_uint_fast64_t ingests;
};

struct eng_db {
    eng_db_opts opts;
    char dir[PATH_MAX];
    int lock_fd; /* <dir>/LOCK, flock'ed exclusively: one process per directory */
    eng_commitlog *clog;
    eng_manifest *manifest;
    pthread_rwlock_t switch_lock;

    pthread_mutex_t tables_mu; /* guards tables[] growth */
    eng_table *tables[ENG_MAX_TABLES];
    atomic_size_t n_tables;

    atomic_int_fast64_t clock;    /* last timestamp handed out */
    atomic_uint_fast64_t next_gen; /* next SSTable generation */
    atomic_uint_fast64_t writes;

    pthread_mutex_t bg_mu;
    pthread_cond_t bg_cond;
    atomic_bool bg_stop;
    uint64_t bg_gen;               /* bumped by every wake-up */
    pthread_t bg_flush, bg_compact;
    bool bg_started;
    eng_sst **reap;                /* under bg_mu: references eng_db_reap() handed over */
    size_t n_reap, cap_reap;
};

/* ---- versions (lsm.c) ---- */
eng_version *eng_version_new(eng_sst *const *ssts, size_t n, size_t prefix);
void eng_version_ref(eng_version *v);
void eng_version_unref(eng_version *v);

/* ---- lsm.c ---- */

/*
 * eng_table_freeze -- moves a non-empty active memtable to the frozen list
 * with end position `end`. REQUIRES: switch_lock held exclusive. When
 * ENG_MAX_FROZEN are already waiting it does nothing (the active memtable
 * keeps growing until a flush makes room). CF_ENOMEM if a new memtable
 * cannot be made.
 */
int eng_table_freeze(eng_table *t, eng_clog_pos end);

/*
 * eng_table_flush_oldest -- flushes the oldest frozen memtable, if any, into
 * SSTables and installs them (manifest edit, version swap, log release).
 */
int eng_table_flush_oldest(eng_table *t);

/* eng_table_add_ssts -- makes finished files part of t: one durable manifest edit, then visible. */
int eng_table_add_ssts(eng_table *t, eng_sst *const *ssts, size_t n);

/*
 * eng_table_remove_ssts -- removes from t, in one durable manifest edit, the
 * files of ssts[0..n) that are still live and not being compacted (*removed
 * counts them); they are unlinked when their last reader lets go.
 */
int eng_table_remove_ssts(eng_table *t, eng_sst *const *ssts, size_t n, uint64_t *removed);

/*
 * eng_table_compact_once -- runs one compaction the strategy picks; *did is
 * set when one ran.
 */
int eng_table_compact_once(eng_table *t, bool *did);

/* eng_db_release_log -- frees commitlog segments nobody needs (invariant (4)). */
void eng_db_release_log(eng_db *db);

/* eng_db_bg_start / eng_db_bg_stop -- the flush and compaction threads. */
int eng_db_bg_start(eng_db *db);
void eng_db_bg_stop(eng_db *db);
/* eng_db_bg_wake -- tells the background threads there may be work. */
void eng_db_bg_wake(eng_db *db);

/*
 * eng_db_reap -- takes ownership of one reference to each of ssts[0..n) and
 * releases them on a background thread, the flush or the compaction one,
 * whichever wakes first (at once when there is none, or when memory for the
 * list is short): for unlinked files (eng_sst_unlink), whose last release
 * is the slow close, off a request's path.
 */
void eng_db_reap(eng_db *db, eng_sst *const *ssts, size_t n);

/*
 * eng_db_reap_all -- releases every reference eng_db_reap() holds: the
 * background threads at each wake-up, eng_db_close() once they stopped.
 */
void eng_db_reap_all(eng_db *db);

/* Positions packed in 64 bits for atomic max tracking: seg < 2^24, off < 2^40. */
static inline uint64_t eng_pos_pack(eng_clog_pos p)
{
    return (p.seg << 40) | p.off;
}

static inline eng_clog_pos eng_pos_unpack(uint64_t v)
{
    eng_clog_pos p = {v >> 40, v & ((1ull << 40) - 1)};
    return p;
}

/* ---- db.c ---- */
static inline uint32_t eng_table_id(const eng_table *t)
{
    return t->id;
}

/* eng_db_table_by_id -- the table with id, or NULL. */
eng_table *eng_db_table_by_id(eng_db *db, uint32_t id);

/* eng_db_now_ts -- a timestamp greater than every one handed out before. */
int64_t eng_db_now_ts(eng_db *db);

#endif
