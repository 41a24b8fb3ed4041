/*
 * entry.h -- the engine's internal key and entry: the unit every source sorts.
 *
 * The wide-column model (partitions of rows of cells, with tombstones at four
 * levels) is flattened into one sorted sequence of entries, so memtables,
 * SSTables, merges and compaction all deal with one kind of thing. An
 * internal key is the tuple
 *
 *     (pk, sec, ck, sub, col)      compared field by field, bytes in memcmp order
 *
 * and within one partition the sections come in this order:
 *
 *   sec 0 ENG_SEC_PARTITION  the partition tombstone        ck, col empty, sub 0
 *   sec 1 ENG_SEC_RANGE      range tombstones, by start     ck = start bound,
 *                                                           sub = ENG_RANGE_* bits,
 *                                                           col = end bound
 *   sec 2 ENG_SEC_ROW        rows in clustering order; in a row:
 *                              sub 0 ENG_SUB_ROW_DEL the row tombstone (col empty)
 *                              sub 1 ENG_SUB_CELL    cells by column name; the
 *                                    column "" is the row marker that makes a
 *                                    row exist with no other cell
 *
 * so a reader meets every tombstone that can shadow a row before the row.
 *
 * Invariants:
 *  (1) a source (memtable, SSTable) holds at most one entry per internal key;
 *      when two sources hold the same key, eng_entry_newer() picks the winner:
 *      higher ts wins; on equal ts a tombstone beats a live cell; between two
 *      live cells the larger value wins. The result is the same whatever order
 *      the sources are merged in.
 *  (2) a tombstone with timestamp T shadows every entry of its scope whose
 *      ts <= T (deletion wins ties), in every source.
 *
 * The serialized forms are in doc/formats.md ("Entry" and "Batch record").
 */
#ifndef ENG_ENTRY_H
#define ENG_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/slice.h"

enum eng_sec { ENG_SEC_PARTITION = 0, ENG_SEC_RANGE = 1, ENG_SEC_ROW = 2 };
enum eng_sub { ENG_SUB_ROW_DEL = 0, ENG_SUB_CELL = 1 };

/* Bits of ikey.sub for a range tombstone (sec == ENG_SEC_RANGE). */
enum {
    ENG_RANGE_START_INCL = 1, /* the start bound is inclusive */
    ENG_RANGE_END_INCL = 2,   /* the end bound is inclusive */
    ENG_RANGE_END_OPEN = 4,   /* no end bound: to the end of the partition */
};

/* Bits of eng_entry.flags. */
enum {
    ENG_F_TOMBSTONE = 1, /* a deletion; always set for sections 0, 1 and row deletes */
};

typedef struct eng_ikey {
    cf_slice pk;  /* partition key */
    uint8_t sec;  /* enum eng_sec */
    cf_slice ck;  /* clustering key; for ENG_SEC_RANGE the start bound */
    uint8_t sub;  /* enum eng_sub, or ENG_RANGE_* bits */
    cf_slice col; /* column name; for ENG_SEC_RANGE the end bound */
} eng_ikey;

typedef struct eng_entry {
    eng_ikey key;
    int64_t ts;     /* write timestamp, microseconds since the epoch */
    uint8_t flags;  /* ENG_F_* */
    cf_slice value; /* cell value; empty for tombstones */
} eng_entry;

/* eng_ikey_cmp -- total order of internal keys. Returns <0, 0, >0. */
int eng_ikey_cmp(const eng_ikey *a, const eng_ikey *b);

/* eng_entry_newer -- true if a beats b for the same key (invariant (1)). */
bool eng_entry_newer(const eng_entry *a, const eng_entry *b);

static inline bool eng_entry_is_tombstone(const eng_entry *e)
{
    return (e->flags & ENG_F_TOMBSTONE) != 0;
}

/*
 * eng_range_covers -- true if the range tombstone r (sec == ENG_SEC_RANGE)
 * covers clustering key ck.
 */
bool eng_range_covers(const eng_ikey *r, cf_slice ck);

/*
 * eng_entry_encode -- appends e to out in the "Entry" format of
 * doc/formats.md: the self-contained form used in batch records.
 */
int eng_entry_encode(cf_buf *out, const eng_entry *e);

/*
 * eng_entry_decode -- decodes one entry from [p, end). Returns the bytes
 * consumed (> 0), or CF_ECORRUPT. e's slices point into [p, end).
 */
int eng_entry_decode(const uint8_t *p, const uint8_t *end, eng_entry *e);

/* eng_entry_size -- an upper bound of the memory an entry's bytes take. */
static inline size_t eng_entry_size(const eng_entry *e)
{
    return e->key.pk.len + e->key.ck.len + e->key.col.len + e->value.len + 32;
}

#endif
