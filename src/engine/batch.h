/*
 * batch.h -- the batch record: how a write batch travels through the commitlog.
 *
 * Layout (doc/formats.md, "Batch record"):
 *
 *   OFFSET  SIZE  FIELD
 *   0       1     version, ENG_BATCH_VERSION
 *   1       8     ts, i64 LE: the timestamp of every mutation in the batch
 *   9       4     count, u32 LE
 *   13      ...   count times: table id (varint), then an Entry whose own
 *                 ts field is written as 0 and read as the batch's ts
 *
 * ts and count are fixed-width so eng_db_write() stamps them in place just
 * before the append: the batch's buffer is the record, never copied.
 */
#ifndef ENG_BATCH_H
#define ENG_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/commitlog.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/entry.h"
#include "util/buf.h"

#define ENG_BATCH_VERSION 1
#define ENG_BATCH_HEADER_BYTES 13

struct eng_batch {
    cf_buf rec;      /* the record: header (stamped at write) then mutations */
    size_t count;    /* mutations appended */
    int64_t ts;      /* 0: assigned at write */
    bool no_wait;    /* eng_db_write returns before the fdatasync (eng_batch_set_wait) */
    bool logged;     /* logged_at is where its last eng_db_write put it (eng_db_wait) */
    eng_clog_pos logged_at;
    uint64_t tables[ENG_MAX_TABLES / 64]; /* bit per table id the batch touches */
};

/* eng_batch_stamp -- writes version, ts and count into b's record header. */
void eng_batch_stamp(eng_batch *b, int64_t ts);

/*
 * eng_batch_iter -- walks a record: eng_batch_iter_init() then _next() until
 * it returns 0 (end) or < 0 (CF_ECORRUPT). On 1, *table_id and *e are set;
 * e's slices point into the record.
 */
typedef struct eng_batch_iter {
    const uint8_t *p, *end;
    uint64_t left; /* mutations not yet returned */
    int64_t ts;
} eng_batch_iter;

int eng_batch_iter_init(eng_batch_iter *it, const uint8_t *rec, size_t len);
int eng_batch_iter_next(eng_batch_iter *it, uint32_t *table_id, eng_entry *e);

#endif
