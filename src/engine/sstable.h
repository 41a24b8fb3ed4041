/*
 * sstable.h -- immutable sorted files: the writer and the reader.
 *
 * An SSTable holds entries (entry.h) in eng_ikey_cmp order, in one file
 * <dir>/<gen:016x>.sst with these sections (layout in sstable_format.h and
 * doc/formats.md, "SSTable"):
 *
 *   data blocks   entries, each block followed by its CRC32C
 *   index         one entry per data block: its last key, offset and length
 *   bloom filter  over partition keys
 *   statistics    key range, timestamp range, counts of entries/tombstones
 *   footer (TOC)  where each section is, its CRC32C, magic and version;
 *                 written last
 *
 * Writer state machine (eng_sst_writer):
 *
 *     OPEN --add()*--> OPEN --finish()--> DONE (file renamed, durable)
 *       |                |
 *       +----------------+-- abort() or any error --> ABORTED (temp unlinked)
 *
 * Invariants:
 *  (1) a file is written as <gen>.sst.tmp, fsynced, renamed to <gen>.sst and
 *      the directory fsynced; a <gen>.sst name exists only for a whole file.
 *  (2) entries are added in strictly increasing key order, else CF_EINVAL.
 *  (3) every byte read back is checked: the footer and each section against
 *      their CRC32C at open, each data block against its CRC32C when read; a
 *      mismatch or a truncated file is CF_ECORRUPT and a log line naming the
 *      file and offset, never wrong data.
 *  (4) an eng_sst is reference counted; an obsolete one is unlinked when its
 *      last reference goes, so readers holding it never lose the file.
 */
#ifndef ENG_SSTABLE_H
#define ENG_SSTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/entry.h"
#include "engine/iter.h"

typedef struct eng_sst eng_sst;
typedef struct eng_sst_writer eng_sst_writer;

typedef struct eng_sst_writer_opts {
    uint32_t block_bytes;        /* target data block size; a block ends after the entry that reaches it */
    uint32_t bloom_bits_per_key; /* bloom filter bits per partition key; 10 gives ~1% false positives */
} eng_sst_writer_opts;

typedef struct eng_sst_stats {
    uint64_t gen;          /* generation: the number in the file name */
    uint64_t file_bytes;   /* whole file */
    uint64_t data_bytes;   /* data blocks including their checksums */
    uint64_t entries;      /* all entries */
    uint64_t partitions;   /* distinct partition keys */
    uint64_t partition_tombstones;
    uint64_t range_tombstones;
    uint64_t row_tombstones;
    uint64_t cell_tombstones;
    int64_t min_ts;        /* smallest entry timestamp */
    int64_t max_ts;        /* largest entry timestamp */
    cf_slice min_pk;       /* smallest partition key; valid while a reference is held */
    cf_slice max_pk;       /* largest partition key; same lifetime */
} eng_sst_stats;

/* eng_sst_path -- formats "<dir>/<gen:016x>.sst" into out (PATH_MAX bytes). */
void eng_sst_path(char *out, size_t cap, const char *dir, uint64_t gen);

/*
 * eng_sst_writer_open -- starts <dir>/<gen>.sst.tmp. Caller ends it with
 * eng_sst_writer_finish() or eng_sst_writer_abort().
 */
int eng_sst_writer_open(const char *dir, uint64_t gen, const eng_sst_writer_opts *o,
                        eng_sst_writer **out);

/* eng_sst_writer_add -- appends e (invariant (2)). On error the writer is ABORTED-to-be. */
int eng_sst_writer_add(eng_sst_writer *w, const eng_entry *e);

/* eng_sst_writer_bytes -- bytes written to the file so far. */
uint64_t eng_sst_writer_bytes(const eng_sst_writer *w);

/* eng_sst_writer_entries -- entries added so far. */
uint64_t eng_sst_writer_entries(const eng_sst_writer *w);

/*
 * eng_sst_writer_finish -- writes index, filter, stats and footer, makes the
 * file durable under its final name (invariant (1)) and frees w. If out is
 * not NULL the file is opened and returned (caller unrefs). On error the
 * temp file is unlinked and w is freed all the same.
 */
int eng_sst_writer_finish(eng_sst_writer *w, eng_sst **out);

/* eng_sst_writer_abort -- unlinks the temp file and frees w. NULL is a no-op. */
void eng_sst_writer_abort(eng_sst_writer *w);

/* eng_sst_open flags */
#define ENG_SST_OPEN_NO_MAP 1u /* never map the file: read with pread, as when mmap fails */

/*
 * eng_sst_open -- opens <dir>/<gen>.sst, verifying footer, index, filter and
 * statistics (invariant (3)), and maps it read-only unless flags has
 * ENG_SST_OPEN_NO_MAP (or the mapping fails): iterators then read blocks in
 * place. Refcount 1; caller unrefs.
 */
int eng_sst_open(const char *dir, uint64_t gen, unsigned flags, eng_sst **out);

void eng_sst_ref(eng_sst *s);
/* eng_sst_unref -- the last unref closes the file (and unlinks it if obsolete). NULL is a no-op. */
void eng_sst_unref(eng_sst *s);

/* eng_sst_mark_obsolete -- the file is unlinked when the last reference goes (invariant (4)). */
void eng_sst_mark_obsolete(eng_sst *s);

/*
 * eng_sst_unlink -- unlinks the file now: its name is gone at once, while
 * holders of s go on reading it through its fd and mapping; the last unref
 * only closes. That close is what frees the file's pages and extents (a
 * third of a second for 1 GiB on ext4), so a caller on a request path hands
 * its reference to a background thread (db.h eng_db_reap).
 * REQUIRES: the file is no longer in any version (a durable manifest edit
 * removed it).
 */
void eng_sst_unlink(eng_sst *s);

/* eng_sst_may_contain -- false only if the bloom filter proves pk is absent. */
bool eng_sst_may_contain(const eng_sst *s, cf_slice pk);

const eng_sst_stats *eng_sst_get_stats(const eng_sst *s);

/*
 * eng_sst_iter_new -- an iterator over the file (iter.h contract). Reads one
 * block at a time, in place through the file's mapping or, without one, into
 * a buffer the iterator owns; holds a reference on s.
 */
int eng_sst_iter_new(eng_sst *s, eng_iiter **out);

/*
 * eng_sst_iter_lazy_values -- from now on a block holding a single entry
 * whose value is at least min_bytes is read only up to the value: the entry
 * has value.ptr NULL (value.len set) and value_file() says where its bytes
 * are. Such a block's checksum is not verified: the caller checks the value
 * (the store's chunks carry their own CRC32C), and the entry's key is still
 * checked against the index. REQUIRES: it from eng_sst_iter_new.
 */
void eng_sst_iter_lazy_values(eng_iiter *it, uint32_t min_bytes);

#endif
