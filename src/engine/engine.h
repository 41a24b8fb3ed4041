/*
 * engine.h -- coffer's embedded wide-column LSM engine: the public interface.
 *
 * A database (eng_db) lives in one directory and holds named tables. A table
 * holds partitions addressed by a partition key; a partition holds rows in
 * clustering-key order; a row holds cells (column name -> value), each with a
 * write timestamp. Keys, column names and values are byte strings compared
 * in memcmp order; eng_key_* encode composite keys so that order holds.
 *
 * Writes are batches: a batch is atomic (one commitlog record) and, when
 * eng_db_write() returns 0, durable (fdatasync'd, with group commit). Reads
 * merge the memtables and SSTables of a table, newest timestamp wins, and see
 * a consistent set of files while flushes and compactions replace them.
 *
 * Deletes are tombstones at four levels: cell, row, clustering range, whole
 * partition. A deletion at timestamp T hides every cell of its scope written
 * at a timestamp <= T. Compaction drops a tombstone only when nothing it
 * could hide can remain (see compaction.h).
 *
 * Nothing here is S3-shaped: this is the seam where a CQL backend plugs in.
 * Every function is thread-safe unless it says otherwise.
 */
#ifndef ENG_ENGINE_H
#define ENG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/slice.h"

typedef struct eng_db eng_db;
typedef struct eng_table eng_table;
typedef struct eng_batch eng_batch;
typedef struct eng_iter eng_iter;

typedef struct eng_db_opts {
    const char *dir;                  /* data directory, created if missing */
    uint64_t memtable_bytes;          /* per table: a memtable this big is flushed */
    uint32_t max_frozen_memtables;    /* per table: writers wait while more are unflushed */
    uint64_t commitlog_segment_bytes; /* size of one commitlog segment */
    uint32_t block_bytes;             /* SSTable data block target size */
    uint32_t bloom_bits_per_key;      /* bloom filter bits per partition key */
    uint64_t max_sstable_bytes;       /* compaction splits outputs at this size */
    int64_t gc_grace_us;              /* a tombstone younger than this is never purged */
    int sync;                         /* 1: acknowledged means fdatasync'd; 0: no fsync (benchmarks of the rest only) */
    int background;                   /* 1: flush and compact in background threads; 0: only when asked */
} eng_db_opts;

/* eng_db_opts_default -- fills o with the defaults of engine/config.h for dir. */
void eng_db_opts_default(eng_db_opts *o, const char *dir);

/*
 * eng_db_open -- opens or creates the database in o->dir: reads the
 * manifest, opens every SSTable (verifying them), replays the commitlog and
 * removes files left by an interrupted flush or compaction. Caller frees with
 * eng_db_close(). CF_ECORRUPT (with a log line naming the file) if a file
 * fails its checks; CF_EEXIST if another process has the directory open
 * (an flock on <dir>/LOCK, released when the process ends, even by a crash).
 */
int eng_db_open(const eng_db_opts *o, eng_db **out);

/*
 * eng_db_close -- stops background work, flushes every memtable, closes the
 * log and frees db. NULL is a no-op. Table handles become invalid.
 */
void eng_db_close(eng_db *db);

/*
 * eng_table_open -- the table called name (1..64 of [a-z0-9_]), created with
 * compaction strategy strategy ("stcs") if it does not exist; an existing
 * table keeps the strategy it was created with. The handle is owned by db
 * and valid until eng_db_close().
 */
int eng_table_open(eng_db *db, const char *name, const char *strategy, eng_table **out);

/* eng_table_strategy -- the name of t's compaction strategy: "stcs", "oacs". */
const char *eng_table_strategy(const eng_table *t);

/* ---- writes ---- */

typedef struct eng_cell {
    cf_slice col;   /* column name, 1..255 bytes */
    cf_slice value; /* value bytes */
} eng_cell;

/* Bounds of a clustering range: a key and whether it is included, or none. */
typedef struct eng_bound {
    cf_slice key;
    uint8_t kind; /* ENG_BOUND_* */
} eng_bound;

enum { ENG_BOUND_NONE = 0, ENG_BOUND_INCL = 1, ENG_BOUND_EXCL = 2 };

/* eng_batch_new -- an empty batch. Caller frees with eng_batch_free(). */
int eng_batch_new(eng_batch **out);
void eng_batch_free(eng_batch *b);
/* eng_batch_clear -- empties b for reuse, keeping its memory. */
void eng_batch_clear(eng_batch *b);
/* eng_batch_count -- mutations in b. */
size_t eng_batch_count(const eng_batch *b);

/*
 * eng_batch_set_ts -- every mutation of b gets timestamp ts (microseconds).
 * By default (ts 0) eng_db_write() assigns one from a clock that never goes
 * back and never repeats within the database.
 */
void eng_batch_set_ts(eng_batch *b, int64_t ts);

/*
 * eng_batch_set_wait -- with wait false, eng_db_write() returns once b is
 * logged and visible, without waiting for its fdatasync. It becomes durable
 * with the next waited-for write of any batch logged after it (a sync covers
 * every earlier record: commitlog invariant (1)), so a writer streams many
 * batches and waits once, on the last. Default: wait. Kept by clear.
 */
void eng_batch_set_wait(eng_batch *b, bool wait);

/*
 * eng_batch_put -- writes row (pk, ck) with cells[0..n): the row exists
 * (even with n == 0) and each named cell takes its value. Other cells of the
 * row are untouched. All slices are copied into b.
 */
int eng_batch_put(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck, const eng_cell *cells,
                  size_t n);

/* eng_batch_delete_cell -- deletes one cell of row (pk, ck). */
int eng_batch_delete_cell(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck, cf_slice col);

/* eng_batch_delete_row -- deletes row (pk, ck) and all its cells. */
int eng_batch_delete_row(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck);

/* eng_batch_delete_range -- deletes the rows of pk with start <= ck <= end (by the bounds' kinds). */
int eng_batch_delete_range(eng_batch *b, eng_table *t, cf_slice pk, eng_bound start,
                           eng_bound end);

/* eng_batch_delete_partition -- deletes every row of pk. */
int eng_batch_delete_partition(eng_batch *b, eng_table *t, cf_slice pk);

/*
 * eng_db_write -- applies b atomically. Returns 0 only once b is durable
 * (opts.sync) and visible to readers. After a log failure, the error that
 * failed the log, sticky until the database is reopened: CF_ENOSPC if the
 * disk was full, else CF_EIO (a batch whose own record failed may stay
 * readable until then). CF_ENOSPC also, with nothing written, when a table
 * b touches has its memtables at the limit and its last flush failed for
 * space. CF_ELIMIT if b is too large for one record. b is left as it was.
 */
int eng_db_write(eng_db *db, eng_batch *b);

/*
 * eng_db_wait -- waits until b's last eng_db_write (made with wait false) is
 * durable: a writer can write under a lock without waiting, release the
 * lock, then wait, so writers serialised by the lock still share one
 * group commit. 0 at once if b was never written. The log's failure as eng_db_write.
 */
int eng_db_wait(eng_db *db, const eng_batch *b);

/* ---- reads ---- */

/*
 * A query selects rows: partitions with pk in [pk_start, pk_end] and, in each,
 * rows with ck in [ck_start, ck_end] (bounds of kind ENG_BOUND_NONE are open).
 * A single-partition query sets pk_start == pk_end, both INCL. If has_after is
 * set, rows up to and including (after_pk, after_ck) are skipped: a page
 * resumes from the last row of the previous one.
 */
typedef struct eng_query {
    eng_bound pk_start, pk_end;
    eng_bound ck_start, ck_end;
    bool has_after;
    cf_slice after_pk, after_ck;
    /* values of at least this many bytes (0: none) that lie in an SSTable
     * are not copied: their view has ptr NULL and eng_iter_cell_file() says
     * where they are, so they can be sent without passing through memory */
    uint32_t by_ref_min_bytes;
} eng_query;

/* A cell as read: slices valid until the iterator moves or closes. */
typedef struct eng_cell_view {
    cf_slice col;
    cf_slice value;
    int64_t ts;
} eng_cell_view;

/*
 * eng_iter_new -- a streaming iterator over the live rows q selects, in
 * (pk, ck) order, positioned at the first one. Memory is bounded by a block
 * per source and the largest row, whatever the number of rows. The
 * iterator reads a snapshot of the table's files taken now. Caller frees with
 * eng_iter_close().
 */
int eng_iter_new(eng_table *t, const eng_query *q, eng_iter **out);

bool eng_iter_valid(const eng_iter *it);
/* eng_iter_next -- moves to the next live row. 0, or an error (then !valid). */
int eng_iter_next(eng_iter *it);
/* eng_iter_status -- 0, or the error that ended the iteration early. */
int eng_iter_status(const eng_iter *it);
/* REQUIRES: eng_iter_valid(it). Views valid until the next move. */
cf_slice eng_iter_pk(const eng_iter *it);
cf_slice eng_iter_ck(const eng_iter *it);
/* eng_iter_cell_count -- live cells of the row, not counting the row marker. */
size_t eng_iter_cell_count(const eng_iter *it);
eng_cell_view eng_iter_cell(const eng_iter *it, size_t i);
/*
 * eng_iter_cell_file -- where cell i's value lies when the query took it by
 * reference (eng_query.by_ref_min_bytes): 0 and *fd, *off (its len bytes
 * are at off; the fd stays open until the iterator closes, and the bytes
 * are immutable) and *mapped, the same bytes in a read-only mapping of the
 * file valid as long (NULL if the file could not be mapped), or
 * CF_ENOTFOUND when the value was copied into memory. The bytes are as
 * stored: the caller checks them (the engine's block checksum was not read
 * for a value taken by reference).
 */
int eng_iter_cell_file(const eng_iter *it, size_t i, int *fd, uint64_t *off,
                       const uint8_t **mapped);

/*
 * eng_iter_cell_file_done -- the caller has read cell i's value through the
 * mapping eng_iter_cell_file gave and will not soon again: its pages, and
 * those up to ENG_FAULT_AROUND_BYTES before it in the file (which the kernel
 * maps back in around later faults nearby), leave the process's resident
 * set -- a few MiB at a time (ENG_DROP_BATCH_BYTES), and when the iterator
 * closes. They stay in the page cache, where a sendfile of them reads them;
 * a later read through the mapping faults them back in.
 * Without it, every page of the large values a reader streams stays counted
 * in the process's memory (RssFile) as long as their file is open.
 */
void eng_iter_cell_file_done(eng_iter *it, size_t i);

/* eng_iter_find -- the cell named col of the current row; CF_ENOTFOUND if absent. */
int eng_iter_find(const eng_iter *it, cf_slice col, eng_cell_view *out);
/* eng_iter_close -- NULL is a no-op. */
void eng_iter_close(eng_iter *it);

/*
 * eng_get -- reads row (pk, ck): 0 and an iterator positioned on it, or
 * CF_ENOTFOUND (and *out NULL). Caller closes the iterator.
 */
int eng_get(eng_table *t, cf_slice pk, cf_slice ck, eng_iter **out);

/* ---- ingest: rows straight into SSTables (ingest.c) ---- */

/*
 * An ingest writes rows of one table, in strictly ascending (pk, ck) order,
 * directly into new SSTables: no commitlog, no memtable, each byte written
 * once. eng_ingest_finish makes the files durable and then, in one manifest
 * edit, visible; until then nothing of the ingest exists (not even after a
 * crash). Every row gets one timestamp, taken at begin. For writers of large
 * values (OACS: a blob's chunks) whose commit point is a later eng_db_write.
 * A failed ingest (CF_ENOSPC: the disk is full) leaves no file and breaks
 * nothing: the next one may succeed as soon as there is space. Once the
 * commitlog has failed, begin returns its error (nothing could commit).
 */
typedef struct eng_ingest eng_ingest;
int eng_ingest_begin(eng_table *t, eng_ingest **out);
/* eng_ingest_put -- one row (a row marker plus cells, as eng_batch_put); CF_EINVAL out of order. Sticky. */
int eng_ingest_put(eng_ingest *in, cf_slice pk, cf_slice ck, const eng_cell *cells, size_t n);
/* eng_ingest_finish -- durable, then visible; frees in in every case (files unlinked on error). */
int eng_ingest_finish(eng_ingest *in);
/* eng_ingest_abort -- unlinks what was written and frees in. NULL is a no-op. */
void eng_ingest_abort(eng_ingest *in);

/*
 * eng_table_drop_prefix -- unlinks, whole and unread, every SSTable of t
 * whose keys all start with prefix (its smallest and largest partition key
 * do) and whose newest entry is older than before_ts; *dropped counts them.
 * REQUIRES: a durable delete of every partition with that prefix, newer
 * than before_ts (so no live row is lost and none can come back).
 */
int eng_table_drop_prefix(eng_table *t, cf_slice prefix, int64_t before_ts, uint64_t *dropped);

/* eng_db_now -- a timestamp greater than every one the database handed out so far. */
int64_t eng_db_now(eng_db *db);

/* ---- maintenance and stats ---- */

/* eng_table_flush -- freezes the table's memtable and waits until it is an SSTable. */
int eng_table_flush(eng_table *t);

/* eng_table_compact -- runs the strategy's compactions until it picks nothing. */
int eng_table_compact(eng_table *t);

typedef struct eng_table_stats {
    uint64_t sstables;         /* live SSTable files */
    uint64_t sstable_bytes;    /* their total size */
    uint64_t memtable_bytes;   /* active + frozen memtables */
    uint64_t user_bytes;       /* key and value bytes written by clients */
    uint64_t flush_bytes;      /* bytes written by flushes */
    uint64_t compaction_bytes; /* bytes written by compactions */
    uint64_t ingest_bytes;     /* bytes written by ingests (eng_ingest_*) */
    uint64_t sst_consulted;    /* SSTables read iterators considered (key range, bloom filter) */
    uint64_t flushes;
    uint64_t compactions;
    uint64_t ingests;          /* ingests finished (eng_ingest_finish returned 0) */
} eng_table_stats;

void eng_table_stats_get(eng_table *t, eng_table_stats *out);

typedef struct eng_db_stats {
    uint64_t commitlog_bytes;    /* bytes written to the commitlog */
    uint64_t commitlog_syncs;    /* fdatasync calls (group commits) */
    uint64_t commitlog_segments; /* segments on disk */
    uint64_t writes;             /* batches acknowledged */
} eng_db_stats;

void eng_db_stats_get(eng_db *db, eng_db_stats *out);

typedef struct eng_verify_stats {
    uint64_t tables;        /* open tables checked */
    uint64_t files;         /* SSTables read */
    uint64_t entries;       /* entries read */
    uint64_t bytes;         /* their encoded size */
    uint64_t corrupt_files; /* SSTables that failed a check (each logged) */
} eng_verify_stats;

/*
 * eng_db_verify -- the engine's consistency check: reads every entry of
 * every SSTable of every open table, verifying block checksums, entry
 * encoding, key order and each file's recorded stats (verify.c). 0 if all
 * hold; CF_ECORRUPT if a file failed (each failure logged, the others still
 * checked); CF_EIO or CF_ENOMEM. Safe while the database is in use.
 */
int eng_db_verify(eng_db *db, eng_verify_stats *out);

/* ---- composite keys ---- */

/*
 * Composite keys: a tuple of components encoded so that memcmp order of the
 * encodings equals the tuple order (component by component). A byte-string
 * component is escaped (0x00 -> 0x00 0xFF) and ended with 0x00 0x01; a u64
 * component is 8 bytes big-endian. Decoding is the inverse. See
 * doc/formats.md ("Composite keys").
 */
int eng_key_put_bytes(cf_buf *out, cf_slice component);
int eng_key_put_u64(cf_buf *out, uint64_t v);
/* eng_key_get_bytes -- decodes a bytes component at *p into out (cleared first); advances *p. */
int eng_key_get_bytes(cf_slice *p, cf_buf *out);
int eng_key_get_u64(cf_slice *p, uint64_t *v);

#endif
