/*
 * shadow.c -- the tombstone tracker: decides, entry by entry, what is deleted.
 *
 * Fed one partition at a time in key order (entry.h), so every tombstone that
 * can cover an entry arrives before it: the partition tombstone (sec 0), then
 * the range tombstones (sec 1), then per row its row tombstone (sec 2, sub 0)
 * before its cells (sub 1). Callers: the read path (to hide deleted cells)
 * and eng_compaction_write() (to drop them).
 *
 * Invariants:
 *  (1) an entry is shadowed iff some deletion of the same partition covers
 *      its scope with ts >= the entry's ts (entry.h invariant (2)); for a
 *      tombstone "covers" means its whole scope lies inside the other's.
 *  (2) row_ts is the newest deletion covering the current row (its row
 *      tombstone, the partition tombstone, the range tombstones covering its
 *      clustering key), computed once when the row begins, so a cell costs
 *      one comparison however many range tombstones the partition has.
 *  (3) only tombstones that are not shadowed are remembered: a shadowed one
 *      is covered by a remembered one at least as new, so answers are the
 *      same and memory stays bounded by the partition's live range
 *      tombstones.
 */
#include "engine/shadow.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void eng_shadow_init(eng_shadow *s)
{
    memset(s, 0, sizeof *s);
    s->partition_ts = INT64_MIN;
    s->row_ts = INT64_MIN;
}

void eng_shadow_free(eng_shadow *s)
{
    buf_free(&s->pk);
    buf_free(&s->row_ck);
    buf_free(&s->bytes);
    free(s->ranges);
    eng_shadow_init(s);
}

static cf_slice range_start(const eng_shadow *s, const eng_shadow_range *r)
{
    return slice_make(s->bytes.data + r->off, r->len);
}

static cf_slice range_end(const eng_shadow *s, const eng_shadow_range *r)
{
    return slice_make(s->bytes.data + r->end_off, r->end_len);
}

static bool range_covers_ck(const eng_shadow *s, const eng_shadow_range *r, cf_slice ck)
{
    eng_ikey k = {.sec = ENG_SEC_RANGE, .sub = r->bounds};
    k.ck = range_start(s, r);
    k.col = range_end(s, r);
    return eng_range_covers(&k, ck);
}

/* True if the remembered range a contains the whole range b (invariant (1)). */
static bool range_contains(const eng_shadow *s, const eng_shadow_range *a, const eng_ikey *b)
{
    int c = slice_cmp(range_start(s, a), b->ck);
    if (c > 0 || (c == 0 && (b->sub & ENG_RANGE_START_INCL) && !(a->bounds & ENG_RANGE_START_INCL)))
        return false;
    if (a->bounds & ENG_RANGE_END_OPEN)
        return true;
    if (b->sub & ENG_RANGE_END_OPEN)
        return false;
    c = slice_cmp(range_end(s, a), b->col);
    return c > 0 ||
           (c == 0 && ((a->bounds & ENG_RANGE_END_INCL) || !(b->sub & ENG_RANGE_END_INCL)));
}

static int set_buf(cf_buf *b, cf_slice v)
{
    buf_clear(b);
    return buf_append(b, v.ptr, v.len);
}

static int start_partition(eng_shadow *s, cf_slice pk)
{
    s->have_pk = false; /* until pk is copied whole */
    int rc = set_buf(&s->pk, pk);
    if (rc)
        return rc;
    s->have_pk = true;
    s->partition_ts = INT64_MIN;
    s->have_row = false;
    s->row_ts = INT64_MIN;
    s->n_ranges = 0;
    buf_clear(&s->bytes);
    return 0;
}

static int remember_range(eng_shadow *s, const eng_entry *e)
{
    if (s->n_ranges == s->cap_ranges) {
        size_t cap = s->cap_ranges ? 2 * s->cap_ranges : 8;
        eng_shadow_range *r = realloc(s->ranges, cap * sizeof *r);
        if (!r)
            return CF_ENOMEM;
        s->ranges = r;
        s->cap_ranges = cap;
    }
    eng_shadow_range *r = &s->ranges[s->n_ranges];
    r->off = s->bytes.len;
    r->len = e->key.ck.len;
    r->end_off = r->off + r->len;
    r->end_len = e->key.col.len;
    r->bounds = e->key.sub;
    r->ts = e->ts;
    int rc = buf_append(&s->bytes, e->key.ck.ptr, e->key.ck.len);
    if (!rc)
        rc = buf_append(&s->bytes, e->key.col.ptr, e->key.col.len);
    if (rc) {
        s->bytes.len = r->off;
        return rc;
    }
    s->n_ranges++;
    return 0;
}

static bool range_shadowed(const eng_shadow *s, const eng_entry *e)
{
    if (e->ts <= s->partition_ts)
        return true;
    for (size_t i = 0; i < s->n_ranges; i++) {
        const eng_shadow_range *r = &s->ranges[i];
        if (r->ts >= e->ts && range_contains(s, r, &e->key))
            return true;
    }
    return false;
}

int64_t eng_shadow_deletion_ts(const eng_shadow *s, cf_slice ck)
{
    if (s->have_row && slice_eq(ck, buf_slice(&s->row_ck)))
        return s->row_ts; /* invariant (2) */
    int64_t ts = s->partition_ts;
    for (size_t i = 0; i < s->n_ranges; i++) {
        const eng_shadow_range *r = &s->ranges[i];
        if (r->ts > ts && range_covers_ck(s, r, ck))
            ts = r->ts;
    }
    return ts;
}

static int start_row(eng_shadow *s, cf_slice ck)
{
    s->have_row = false; /* so deletion_ts() below does not use the old row */
    int64_t ts = eng_shadow_deletion_ts(s, ck);
    int rc = set_buf(&s->row_ck, ck);
    if (rc)
        return rc;
    s->have_row = true;
    s->row_ts = ts;
    return 0;
}

int eng_shadow_feed(eng_shadow *s, const eng_entry *e, bool *shadowed)
{
    *shadowed = false;
    int rc = 0;
    if (!s->have_pk || !slice_eq(e->key.pk, buf_slice(&s->pk))) {
        rc = start_partition(s, e->key.pk);
        if (rc)
            return rc;
    }
    switch (e->key.sec) {
    case ENG_SEC_PARTITION:
        if (e->ts <= s->partition_ts)
            *shadowed = true;
        else
            s->partition_ts = e->ts;
        break;
    case ENG_SEC_RANGE:
        *shadowed = range_shadowed(s, e);
        if (!*shadowed)
            rc = remember_range(s, e); /* invariant (3) */
        break;
    default:
        if (!s->have_row || !slice_eq(e->key.ck, buf_slice(&s->row_ck))) {
            rc = start_row(s, e->key.ck);
            if (rc)
                return rc;
        }
        *shadowed = e->ts <= s->row_ts;
        if (!*shadowed && e->key.sub == ENG_SUB_ROW_DEL)
            s->row_ts = e->ts;
        break;
    }
    return rc;
}
