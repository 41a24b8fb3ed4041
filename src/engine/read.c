/*
 * read.c -- the row iterator: from merged entries to live rows (engine.h reads).
 *
 * An eng_iter snapshots the table (memtables and the current SSTable
 * version) when it is made, merges one internal iterator per source, and
 * turns the entry stream into rows: tombstones feed the shadow tracker,
 * shadowed and deleted cells are dropped, and a row is yielded when it has a
 * live cell or row marker. Sources are chosen by the query: a single
 * partition reads only the SSTables whose bloom filter may hold it; a range
 * reads those whose key range overlaps.
 *
 * Invariants:
 *  (1) every entering of a partition is a seek to its first key (section 0),
 *      so the shadow tracker sees its partition and range tombstones before
 *      any row; seeks inside a partition only move forward between rows.
 *  (2) memory is a copy of the current row plus one block buffer per
 *      SSTable source that is not mapped (mapped ones are read in place,
 *      sstable_read.c): the row's cells are copied because the merged
 *      entries move on while the row is gathered, except values taken by
 *      reference (by_ref_min_bytes), which stay in their SSTable file.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/db.h"
#include "engine/shadow.h"

typedef struct cell_ref {
    size_t col_off, col_len, val_off, val_len;
    int64_t ts;
    int fd;           /* >= 0: the value is not copied; it is at file_off in fd */
    uint64_t file_off;
    const uint8_t *mapped; /* that file mapped read-only, or NULL */
} cell_ref;

struct eng_iter {
    eng_query q;        /* bounds point into qbuf */
    cf_buf qbuf;        /* copies of the query keys */
    eng_iiter *merged;
    eng_shadow shadow;
    cf_buf seek;        /* scratch for seek targets */
    bool valid;
    int status;
    cf_buf pk, ck;      /* the current row's keys */
    cf_buf cells;       /* the current row's column names and values */
    cell_ref *refs;
    size_t n_refs, cap_refs;
    /* values read through a mapping and done with (eng_iter_cell_file_done), not yet
     * dropped from the resident set: [drop_lo, drop_hi) of the file mapped at drop_map */
    const uint8_t *drop_map;
    uint64_t drop_lo, drop_hi;
};

/* copy_query -- keeps the caller's query keys in it->qbuf (the caller's may go). */
static int copy_query(eng_iter *it, const eng_query *q)
{
    cf_slice src[6] = {q->pk_start.key, q->pk_end.key, q->ck_start.key,
                       q->ck_end.key,   q->after_pk,   q->after_ck};
    size_t offs[6], total = 0;
    for (int i = 0; i < 6; i++)
        total += src[i].len;
    int rc = buf_reserve(&it->qbuf, total + 1);
    if (rc)
        return rc;
    for (int i = 0; i < 6; i++) { /* reserved above: the appends cannot fail */
        offs[i] = it->qbuf.len;
        buf_append(&it->qbuf, src[i].ptr, src[i].len);
    }
    it->q = *q;
    cf_slice *dst[6] = {&it->q.pk_start.key, &it->q.pk_end.key, &it->q.ck_start.key,
                        &it->q.ck_end.key,   &it->q.after_pk,   &it->q.after_ck};
    for (int i = 0; i < 6; i++)
        *dst[i] = slice_make(it->qbuf.data + offs[i], src[i].len);
    return 0;
}

static bool single_partition(const eng_query *q)
{
    return q->pk_start.kind == ENG_BOUND_INCL && q->pk_end.kind == ENG_BOUND_INCL &&
           slice_eq(q->pk_start.key, q->pk_end.key);
}

/* below_end / above_start -- key k against an end or start bound. */
static bool past_end(eng_bound end, cf_slice k)
{
    if (end.kind == ENG_BOUND_NONE)
        return false;
    int c = slice_cmp(k, end.key);
    return c > 0 || (c == 0 && end.kind == ENG_BOUND_EXCL);
}

static bool before_start(eng_bound start, cf_slice k)
{
    if (start.kind == ENG_BOUND_NONE)
        return false;
    int c = slice_cmp(k, start.key);
    return c < 0 || (c == 0 && start.kind == ENG_BOUND_EXCL);
}

/* sst_wanted -- may sst hold rows the query selects? */
static bool sst_wanted(eng_sst *s, const eng_query *q)
{
    if (single_partition(q))
        return eng_sst_may_contain(s, q->pk_start.key);
    const eng_sst_stats *st = eng_sst_get_stats(s);
    if (st->entries == 0)
        return false;
    return !past_end(q->pk_end, st->min_pk) && !before_start(q->pk_start, st->max_pk);
}

/*
 * candidates -- the files a query may need, as two runs of v's arrays: for
 * one partition of an indexed version, that object's files (found by binary
 * search over by_object) and the wide ones; otherwise all of them (and an
 * empty second run). No copy: the runs point into v.
 */
static void candidates(const eng_version *v, const eng_query *q, eng_sst *const *run[2],
                       size_t n[2])
{
    cf_slice pk = q->pk_start.key;
    if (!v->prefix || !single_partition(q) || pk.len < v->prefix) {
        run[0] = v->ssts, n[0] = v->n;
        run[1] = NULL, n[1] = 0;
        return;
    }
    size_t lo = 0, hi = v->n_by_object; /* first file whose smallest key's prefix >= pk's */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        cf_slice m = eng_sst_get_stats(v->by_object[mid])->min_pk;
        if (memcmp(m.ptr, pk.ptr, v->prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < v->n_by_object &&
           memcmp(eng_sst_get_stats(v->by_object[end])->min_pk.ptr, pk.ptr, v->prefix) == 0)
        end++;
    run[0] = v->by_object + lo, n[0] = end - lo;
    run[1] = v->wide, n[1] = v->n_wide;
}

/* open_sources -- one internal iterator per memtable and wanted SSTable, merged. */
static int open_sources(eng_iter *it, eng_table *t)
{
    eng_memtable *mts[ENG_MAX_FROZEN + 1];
    size_t n_mts = 0;
    pthread_mutex_lock(&t->mu);
    mts[n_mts++] = t->active;
    for (size_t i = 0; i < t->n_frozen; i++)
        mts[n_mts++] = t->frozen[i];
    for (size_t i = 0; i < n_mts; i++)
        eng_memtable_ref(mts[i]);
    eng_version *v = t->version;
    eng_version_ref(v);
    pthread_mutex_unlock(&t->mu);

    int rc = 0;
    size_t n = 0;
    eng_iiter **children = calloc(n_mts + v->n, sizeof *children);
    if (!children)
        rc = CF_ENOMEM;
    eng_sst *const *run[2];
    size_t n_run[2];
    candidates(v, &it->q, run, n_run);
    atomic_fetch_add(&t->sst_consulted, n_run[0] + n_run[1]);
    for (size_t i = 0; rc == 0 && i < n_mts; i++)
        if (eng_memtable_count(mts[i]) > 0)
            rc = eng_memtable_iter_new(mts[i], &children[n++]);
    for (size_t r = 0; r < 2; r++) {
        for (size_t i = 0; rc == 0 && i < n_run[r]; i++) {
            if (!sst_wanted(run[r][i], &it->q))
                continue;
            rc = eng_sst_iter_new(run[r][i], &children[n++]);
            if (rc == 0 && it->q.by_ref_min_bytes) /* large values stay in the file */
                eng_sst_iter_lazy_values(children[n - 1], it->q.by_ref_min_bytes);
        }
    }
    if (rc == 0) {
        rc = eng_merge_iter_new(children, n, &it->merged);
    } else {
        for (size_t i = 0; children && i < n; i++)
            eng_iiter_close(children[i]);
    }
    free(children);
    for (size_t i = 0; i < n_mts; i++)
        eng_memtable_unref(mts[i]);
    eng_version_unref(v);
    return rc;
}

/*
 * seek_to -- positions the merge at (pk [+ 0x00 if after_pk], sec, ck, sub).
 * With after_pk the target is the first key of the next partition.
 */
static void seek_to(eng_iter *it, cf_slice pk, bool after_pk, uint8_t sec, cf_slice ck,
                    uint8_t sub)
{
    buf_clear(&it->seek);
    buf_append(&it->seek, pk.ptr, pk.len);
    if (after_pk)
        buf_append(&it->seek, "", 1);
    size_t pk_len = it->seek.len;
    buf_append(&it->seek, ck.ptr, ck.len);
    eng_ikey k = {slice_make(it->seek.data, pk_len), sec,
                  slice_make(it->seek.data + pk_len, ck.len), sub, slice_make(NULL, 0)};
    eng_iiter_seek(it->merged, &k);
}

static int add_cell(eng_iter *it, const eng_entry *e)
{
    if (it->n_refs == it->cap_refs) {
        size_t cap = it->cap_refs ? it->cap_refs * 2 : 16;
        cell_ref *r = realloc(it->refs, cap * sizeof *r);
        if (!r)
            return CF_ENOMEM;
        it->refs = r;
        it->cap_refs = cap;
    }
    cell_ref *r = &it->refs[it->n_refs];
    r->col_off = it->cells.len;
    r->col_len = e->key.col.len;
    int rc = buf_append(&it->cells, e->key.col.ptr, e->key.col.len);
    r->val_off = it->cells.len;
    r->val_len = e->value.len;
    r->fd = -1;
    r->file_off = 0;
    bool by_ref = it->q.by_ref_min_bytes && e->value.len >= it->q.by_ref_min_bytes &&
                  eng_iiter_value_file(it->merged, &r->fd, &r->file_off, &r->mapped) == 0;
    if (!by_ref)
        r->fd = -1;
    if (!by_ref && !e->value.ptr && e->value.len)
        return CF_ECORRUPT; /* a lazily read value must be taken by reference */
    if (!rc && !by_ref)
        rc = buf_append(&it->cells, e->value.ptr, e->value.len);
    r->ts = e->ts;
    if (!rc)
        it->n_refs++;
    return rc;
}

/* gather -- reads the row at the merge's position; *live if any cell or marker survives. */
static int gather(eng_iter *it, bool *live)
{
    const eng_entry *e = eng_iiter_entry(it->merged);
    int rc = 0;
    *live = false;
    buf_clear(&it->pk);
    buf_clear(&it->ck);
    buf_clear(&it->cells);
    it->n_refs = 0;
    if (buf_append(&it->pk, e->key.pk.ptr, e->key.pk.len) ||
        buf_append(&it->ck, e->key.ck.ptr, e->key.ck.len))
        return CF_ENOMEM;
    cf_slice pk = buf_slice(&it->pk), ck = buf_slice(&it->ck);
    while (rc == 0 && eng_iiter_valid(it->merged)) {
        e = eng_iiter_entry(it->merged);
        if (e->key.sec != ENG_SEC_ROW || !slice_eq(e->key.pk, pk) || !slice_eq(e->key.ck, ck))
            break;
        bool shadowed;
        rc = eng_shadow_feed(&it->shadow, e, &shadowed);
        if (rc == 0 && !shadowed && e->key.sub == ENG_SUB_CELL && !eng_entry_is_tombstone(e)) {
            *live = true;
            if (e->key.col.len > 0)
                rc = add_cell(it, e);
        }
        eng_iiter_next(it->merged);
    }
    return rc ? rc : eng_iiter_status(it->merged);
}

/* advance -- moves to the next live row the query selects, from the merge's position. */
static int advance(eng_iter *it)
{
    const eng_query *q = &it->q;
    it->valid = false;
    while (eng_iiter_valid(it->merged)) {
        const eng_entry *e = eng_iiter_entry(it->merged);
        if (past_end(q->pk_end, e->key.pk))
            return 0;
        if (e->key.sec != ENG_SEC_ROW) {
            bool shadowed;
            int rc = eng_shadow_feed(&it->shadow, e, &shadowed);
            if (rc)
                return rc;
            eng_iiter_next(it->merged);
            continue;
        }
        cf_slice pk = e->key.pk, ck = e->key.ck;
        if (past_end(q->ck_end, ck)) {
            seek_to(it, pk, true, ENG_SEC_PARTITION, slice_make(NULL, 0), 0);
            continue;
        }
        if (before_start(q->ck_start, ck)) {
            /* forward within the partition: past the start row if it is excluded */
            uint8_t sub = q->ck_start.kind == ENG_BOUND_EXCL ? 2 : 0;
            seek_to(it, pk, false, ENG_SEC_ROW, q->ck_start.key, sub);
            continue;
        }
        if (q->has_after && slice_eq(pk, q->after_pk) && slice_cmp(ck, q->after_ck) <= 0) {
            seek_to(it, pk, false, ENG_SEC_ROW, q->after_ck, 2); /* sub 2: after every entry of the row */
            continue;
        }
        bool live;
        int rc = gather(it, &live);
        if (rc)
            return rc;
        if (live) {
            it->valid = true;
            return 0;
        }
    }
    return eng_iiter_status(it->merged);
}

int eng_iter_new(eng_table *t, const eng_query *q, eng_iter **out)
{
    *out = NULL;
    eng_iter *it = calloc(1, sizeof *it);
    if (!it)
        return CF_ENOMEM;
    eng_shadow_init(&it->shadow);
    int rc = copy_query(it, q);
    if (!rc)
        rc = open_sources(it, t);
    if (rc) {
        eng_iter_close(it);
        return rc;
    }
    /* invariant (1): start at the first key of the first partition wanted */
    cf_slice start = it->q.pk_start.key;
    bool after = it->q.pk_start.kind == ENG_BOUND_EXCL;
    if (it->q.has_after && (it->q.pk_start.kind == ENG_BOUND_NONE ||
                            slice_cmp(it->q.after_pk, start) > 0 ||
                            (slice_eq(it->q.after_pk, start) && !after))) {
        start = it->q.after_pk;
        after = false;
    }
    if (it->q.pk_start.kind == ENG_BOUND_NONE && !it->q.has_after)
        eng_iiter_seek_first(it->merged);
    else
        seek_to(it, start, after, ENG_SEC_PARTITION, slice_make(NULL, 0), 0);
    it->status = advance(it);
    *out = it;
    return 0;
}

bool eng_iter_valid(const eng_iter *it)
{
    return it->valid;
}

int eng_iter_next(eng_iter *it)
{
    if (!it->valid)
        return it->status;
    it->status = advance(it);
    return it->status;
}

int eng_iter_status(const eng_iter *it)
{
    return it->status;
}

cf_slice eng_iter_pk(const eng_iter *it)
{
    return buf_slice(&it->pk);
}

cf_slice eng_iter_ck(const eng_iter *it)
{
    return buf_slice(&it->ck);
}

size_t eng_iter_cell_count(const eng_iter *it)
{
    return it->n_refs;
}

eng_cell_view eng_iter_cell(const eng_iter *it, size_t i)
{
    const cell_ref *r = &it->refs[i];
    eng_cell_view v = {slice_make(it->cells.data + r->col_off, r->col_len),
                       slice_make(r->fd >= 0 ? NULL : it->cells.data + r->val_off, r->val_len),
                       r->ts};
    return v;
}

int eng_iter_cell_file(const eng_iter *it, size_t i, int *fd, uint64_t *off,
                       const uint8_t **mapped)
{
    *fd = it->refs[i].fd;
    *off = it->refs[i].file_off;
    *mapped = *fd >= 0 && it->refs[i].mapped ? it->refs[i].mapped + *off : NULL;
    return *fd >= 0 ? 0 : CF_ENOTFOUND;
}

/* drop_pending -- drops it's pending range, and ENG_FAULT_AROUND_BYTES before it, from the
 * resident set (engine.h eng_iter_cell_file_done). */
static void drop_pending(eng_iter *it)
{
    if (!it->drop_map || it->drop_hi <= it->drop_lo)
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), base = (uintptr_t)it->drop_map;
    uint64_t lo = it->drop_lo > ENG_FAULT_AROUND_BYTES ? it->drop_lo - ENG_FAULT_AROUND_BYTES : 0;
    /* whole pages, inside the mapping: base is page-aligned (mmap), the end is inside
     * the file's last page, which the mapping covers */
    uintptr_t start = (base + lo) & ~(page - 1);
    uintptr_t end = (base + it->drop_hi + page - 1) & ~(page - 1);
    madvise((void *)start, end - start, MADV_DONTNEED); /* advice: a failure changes nothing */
    it->drop_lo = it->drop_hi;
}

void eng_iter_cell_file_done(eng_iter *it, size_t i)
{
    const cell_ref *r = &it->refs[i];
    if (r->fd < 0 || !r->mapped)
        return;
    if (r->mapped != it->drop_map || r->file_off < it->drop_lo) { /* another file, or back */
        drop_pending(it);
        it->drop_map = r->mapped;
        it->drop_lo = it->drop_hi = r->file_off;
    }
    if (r->file_off + r->val_len > it->drop_hi)
        it->drop_hi = r->file_off + r->val_len;
    if (it->drop_hi - it->drop_lo >= ENG_DROP_BATCH_BYTES) /* one call per few MiB */
        drop_pending(it);
}

int eng_iter_find(const eng_iter *it, cf_slice col, eng_cell_view *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < it->n_refs; i++) {
        eng_cell_view v = eng_iter_cell(it, i);
        if (slice_eq(v.col, col)) {
            *out = v;
            return 0;
        }
    }
    return CF_ENOTFOUND;
}

void eng_iter_close(eng_iter *it)
{
    if (!it)
        return;
    drop_pending(it); /* while its file is still mapped */
    eng_iiter_close(it->merged);
    eng_shadow_free(&it->shadow);
    buf_free(&it->qbuf);
    buf_free(&it->seek);
    buf_free(&it->pk);
    buf_free(&it->ck);
    buf_free(&it->cells);
    free(it->refs);
    free(it);
}

int eng_get(eng_table *t, cf_slice pk, cf_slice ck, eng_iter **out)
{
    *out = NULL;
    eng_query q = {.pk_start = {pk, ENG_BOUND_INCL}, .pk_end = {pk, ENG_BOUND_INCL},
                   .ck_start = {ck, ENG_BOUND_INCL}, .ck_end = {ck, ENG_BOUND_INCL}};
    eng_iter *it;
    int rc = eng_iter_new(t, &q, &it);
    if (rc)
        return rc;
    if (!eng_iter_valid(it)) {
        rc = eng_iter_status(it);
        eng_iter_close(it);
        return rc ? rc : CF_ENOTFOUND;
    }
    *out = it;
    return 0;
}
