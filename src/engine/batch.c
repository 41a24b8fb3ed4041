/*
 * batch.c -- building write batches and walking batch records (batch.h).
 *
 * A batch's buffer is laid out as the commitlog record from the start, with
 * a header stamped at write time, so a write copies its bytes once: into the
 * log's buffer.
 */
#include "engine/batch.h"

#include <stdlib.h>

#include "engine/engine.h"
#include "engine/db.h"
#include "util/coding.h"

int eng_batch_new(eng_batch **out)
{
    *out = NULL;
    eng_batch *b = calloc(1, sizeof *b);
    if (!b)
        return CF_ENOMEM;
    if (buf_reserve(&b->rec, 256) != 0) {
        free(b);
        return CF_ENOMEM;
    }
    b->rec.len = ENG_BATCH_HEADER_BYTES;
    *out = b;
    return 0;
}

void eng_batch_free(eng_batch *b)
{
    if (!b)
        return;
    buf_free(&b->rec);
    free(b);
}

void eng_batch_clear(eng_batch *b)
{
    b->rec.len = ENG_BATCH_HEADER_BYTES;
    b->count = 0;
    b->ts = 0;
    memset(b->tables, 0, sizeof b->tables);
}

size_t eng_batch_count(const eng_batch *b)
{
    return b->count;
}

void eng_batch_set_ts(eng_batch *b, int64_t ts)
{
    b->ts = ts;
}

void eng_batch_set_wait(eng_batch *b, bool wait)
{
    b->no_wait = !wait;
}

void eng_batch_stamp(eng_batch *b, int64_t ts)
{
    b->rec.data[0] = ENG_BATCH_VERSION;
    put_u64(b->rec.data + 1, (uint64_t)ts);
    put_u32(b->rec.data + 9, (uint32_t)b->count);
}

/* add -- appends one mutation; on failure the batch is unchanged. */
static int add(eng_batch *b, eng_table *t, const eng_entry *e)
{
    if (e->key.pk.len > ENG_MAX_KEY_BYTES || e->key.ck.len > ENG_MAX_KEY_BYTES ||
        e->key.col.len > ENG_MAX_KEY_BYTES)
        return CF_ELIMIT;
    if (b->count == UINT32_MAX)
        return CF_ELIMIT;
    size_t mark = b->rec.len;
    int rc = buf_append_varint(&b->rec, eng_table_id(t));
    if (rc == 0)
        rc = eng_entry_encode(&b->rec, e);
    if (rc) {
        b->rec.len = mark;
        return rc;
    }
    b->count++;
    b->tables[eng_table_id(t) / 64] |= 1ull << (eng_table_id(t) % 64);
    return 0;
}

static eng_entry make(cf_slice pk, uint8_t sec, cf_slice ck, uint8_t sub, cf_slice col,
                      uint8_t flags, cf_slice value)
{
    eng_entry e = {{pk, sec, ck, sub, col}, 0, flags, value};
    return e;
}

int eng_batch_put(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck, const eng_cell *cells,
                  size_t n)
{
    size_t mark = b->rec.len, count = b->count;
    cf_slice none = {NULL, 0};
    eng_entry marker = make(pk, ENG_SEC_ROW, ck, ENG_SUB_CELL, none, 0, none);
    int rc = add(b, t, &marker);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (cells[i].col.len == 0 || cells[i].col.len > ENG_MAX_COLUMN_BYTES) {
            rc = CF_EINVAL;
            break;
        }
        eng_entry e = make(pk, ENG_SEC_ROW, ck, ENG_SUB_CELL, cells[i].col, 0, cells[i].value);
        rc = add(b, t, &e);
    }
    if (rc) {
        b->rec.len = mark;
        b->count = count;
    }
    return rc;
}

int eng_batch_delete_cell(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck, cf_slice col)
{
    if (col.len == 0 || col.len > ENG_MAX_COLUMN_BYTES)
        return CF_EINVAL;
    cf_slice none = {NULL, 0};
    eng_entry e = make(pk, ENG_SEC_ROW, ck, ENG_SUB_CELL, col, ENG_F_TOMBSTONE, none);
    return add(b, t, &e);
}

int eng_batch_delete_row(eng_batch *b, eng_table *t, cf_slice pk, cf_slice ck)
{
    cf_slice none = {NULL, 0};
    eng_entry e = make(pk, ENG_SEC_ROW, ck, ENG_SUB_ROW_DEL, none, ENG_F_TOMBSTONE, none);
    return add(b, t, &e);
}

int eng_batch_delete_range(eng_batch *b, eng_table *t, cf_slice pk, eng_bound start,
                           eng_bound end)
{
    cf_slice none = {NULL, 0};
    uint8_t sub = 0;
    cf_slice s = none, f = none;
    if (start.kind == ENG_BOUND_NONE)
        sub |= ENG_RANGE_START_INCL; /* from the empty key, which every key is >= */
    else {
        s = start.key;
        if (start.kind == ENG_BOUND_INCL)
            sub |= ENG_RANGE_START_INCL;
    }
    if (end.kind == ENG_BOUND_NONE)
        sub |= ENG_RANGE_END_OPEN;
    else {
        f = end.key;
        if (end.kind == ENG_BOUND_INCL)
            sub |= ENG_RANGE_END_INCL;
    }
    eng_entry e = make(pk, ENG_SEC_RANGE, s, sub, f, ENG_F_TOMBSTONE, none);
    return add(b, t, &e);
}

int eng_batch_delete_partition(eng_batch *b, eng_table *t, cf_slice pk)
{
    cf_slice none = {NULL, 0};
    eng_entry e = make(pk, ENG_SEC_PARTITION, none, 0, none, ENG_F_TOMBSTONE, none);
    return add(b, t, &e);
}

int eng_batch_iter_init(eng_batch_iter *it, const uint8_t *rec, size_t len)
{
    memset(it, 0, sizeof *it);
    if (len < ENG_BATCH_HEADER_BYTES || rec[0] != ENG_BATCH_VERSION)
        return CF_ECORRUPT;
    it->ts = (int64_t)get_u64(rec + 1);
    it->left = get_u32(rec + 9);
    it->p = rec + ENG_BATCH_HEADER_BYTES;
    it->end = rec + len;
    return 0;
}

int eng_batch_iter_next(eng_batch_iter *it, uint32_t *table_id, eng_entry *e)
{
    *table_id = 0;
    memset(e, 0, sizeof *e);
    if (it->left == 0)
        return it->p == it->end ? 0 : CF_ECORRUPT;
    uint64_t id;
    const uint8_t *p = get_varint(it->p, it->end, &id);
    if (!p || id > UINT32_MAX)
        return CF_ECORRUPT;
    int n = eng_entry_decode(p, it->end, e);
    if (n < 0)
        return n;
    e->ts = it->ts;
    it->p = p + n;
    it->left--;
    *table_id = (uint32_t)id;
    return 1;
}
