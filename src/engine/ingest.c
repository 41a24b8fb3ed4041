/*
 * ingest.c -- rows written straight into a table's SSTables, bypassing the
 * commitlog and the memtable (eng_ingest_*), and whole files dropped by key
 * prefix (eng_table_drop_prefix): the two halves of writing a large object
 * once and deleting it without reading it (OACS, oacs.c).
 *
 * State machine of an ingest:
 *
 *   eng_ingest_begin ──▶ OPEN ──put (ascending keys)──▶ OPEN
 *                         │  └─ a write fails ─▶ FAILED (sticky)
 *                         ├─ eng_ingest_finish ─▶ files durable, then one
 *                         │     manifest edit adds them all: visible ─▶ freed
 *                         └─ eng_ingest_abort ─▶ files unlinked ─▶ freed
 *
 * Invariants:
 *  (1) nothing an ingest writes is visible or survives a restart before
 *      eng_ingest_finish's manifest edit: files are written as .tmp, then
 *      renamed, and a file the manifest does not list is deleted at open.
 *  (2) every entry of one ingest has the same timestamp, taken at begin
 *      from the database clock, so a later delete (a larger timestamp)
 *      shadows it, and keys must ascend strictly (checked: CF_EINVAL).
 *  (3) eng_table_drop_prefix removes, in one durable manifest edit, only
 *      files all of whose keys start with the prefix and whose newest entry
 *      is older than the caller's bound, and never a file a compaction is
 *      reading.
 *  (4) a failed ingest (a full disk: CF_ENOSPC from a write, the rename or
 *      the manifest edit) leaves nothing behind and nothing broken: the
 *      failing output's temp file is unlinked at once (sstable_write.c),
 *      the finished ones at eng_ingest_finish/abort, no manifest edit is
 *      made, and the table and database stay usable, so the next ingest
 *      succeeds as soon as there is space again, without a restart.
 *  (5) no ingest begins once the commitlog has FAILED: the database takes
 *      no write until it is reopened, and the rows that would reference the
 *      ingest's files could never be written, so it would only fill the
 *      disk with files the next open deletes.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/db.h"

struct eng_ingest {
    eng_table *t;
    eng_sst_writer *w;    /* the open output, or NULL */
    eng_sst **done;       /* finished outputs, not yet visible */
    size_t n_done, cap_done;
    int64_t ts;
    cf_buf last_pk, last_ck; /* the previous row, for the order check */
    bool has_last;
    uint64_t bytes;       /* file bytes of the finished outputs */
    int err;              /* sticky */
};

int eng_ingest_begin(eng_table *t, eng_ingest **out)
{
    *out = NULL;
    int rc = eng_commitlog_status(t->db->clog); /* invariant (5) */
    if (rc)
        return rc;
    eng_ingest *in = calloc(1, sizeof *in);
    if (!in)
        return CF_ENOMEM;
    in->t = t;
    in->ts = eng_db_now_ts(t->db); /* invariant (2) */
    *out = in;
    return 0;
}

/* close_output -- finishes the open output (durable under its final name). */
static int close_output(eng_ingest *in)
{
    if (!in->w)
        return 0;
    if (in->n_done == in->cap_done) {
        size_t cap = in->cap_done ? 2 * in->cap_done : 4;
        eng_sst **d = realloc(in->done, cap * sizeof *d);
        if (!d)
            return CF_ENOMEM;
        in->done = d;
        in->cap_done = cap;
    }
    eng_sst *sst = NULL;
    int rc = eng_sst_writer_finish(in->w, &sst);
    in->w = NULL;
    if (rc)
        return rc;
    in->bytes += eng_sst_get_stats(sst)->file_bytes;
    in->done[in->n_done++] = sst;
    return 0;
}

static int add(eng_ingest *in, cf_slice pk, cf_slice ck, cf_slice col, cf_slice value)
{
    eng_entry e = {.key = {.pk = pk, .sec = ENG_SEC_ROW, .ck = ck, .sub = ENG_SUB_CELL, .col = col},
                   .ts = in->ts, .flags = 0, .value = value};
    return eng_sst_writer_add(in->w, &e);
}

int eng_ingest_put(eng_ingest *in, cf_slice pk, cf_slice ck, const eng_cell *cells, size_t n)
{
    if (in->err)
        return in->err;
    eng_db *db = in->t->db;
    int rc = 0;
    if (in->has_last) { /* invariant (2) */
        int c = slice_cmp(pk, buf_slice(&in->last_pk));
        if (c < 0 || (c == 0 && slice_cmp(ck, buf_slice(&in->last_ck)) <= 0))
            rc = CF_EINVAL;
    }
    if (!rc && in->w && eng_sst_writer_bytes(in->w) >= db->opts.max_sstable_bytes)
        rc = close_output(in);
    if (!rc && !in->w) {
        eng_sst_writer_opts wo = {db->opts.block_bytes, db->opts.bloom_bits_per_key};
        rc = eng_sst_writer_open(in->t->dir, atomic_fetch_add(&db->next_gen, 1), &wo, &in->w);
    }
    if (!rc) /* the row marker, then the cells in column order (the caller's order) */
        rc = add(in, pk, ck, slice_make(NULL, 0), slice_make(NULL, 0));
    for (size_t i = 0; !rc && i < n; i++)
        rc = add(in, pk, ck, cells[i].col, cells[i].value);
    if (!rc) {
        buf_clear(&in->last_pk);
        buf_clear(&in->last_ck);
        rc = buf_append(&in->last_pk, pk.ptr, pk.len);
        if (!rc)
            rc = buf_append(&in->last_ck, ck.ptr, ck.len);
        in->has_last = true;
    }
    in->err = rc;
    return rc;
}

static void ingest_free(eng_ingest *in, bool obsolete)
{
    eng_sst_writer_abort(in->w);
    for (size_t i = 0; i < in->n_done; i++) {
        if (obsolete)
            eng_sst_mark_obsolete(in->done[i]);
        eng_sst_unref(in->done[i]);
    }
    free(in->done);
    buf_free(&in->last_pk);
    buf_free(&in->last_ck);
    free(in);
}

int eng_ingest_finish(eng_ingest *in)
{
    int rc = in->err;
    if (!rc)
        rc = close_output(in);
    if (!rc && in->n_done > 0)
        rc = eng_table_add_ssts(in->t, in->done, in->n_done); /* invariant (1) */
    if (!rc) {
        atomic_fetch_add(&in->t->ingest_bytes, in->bytes);
        atomic_fetch_add(&in->t->ingests, 1);
    }
    ingest_free(in, rc != 0); /* invariant (4) */
    return rc;
}

void eng_ingest_abort(eng_ingest *in)
{
    if (in)
        ingest_free(in, true);
}

static bool has_prefix(cf_slice k, cf_slice p)
{
    return k.len >= p.len && memcmp(k.ptr, p.ptr, p.len) == 0;
}

int eng_table_drop_prefix(eng_table *t, cf_slice prefix, int64_t before_ts, uint64_t *dropped)
{
    *dropped = 0;
    pthread_mutex_lock(&t->mu);
    eng_version *v = t->version;
    eng_version_ref(v);
    pthread_mutex_unlock(&t->mu);
    eng_sst **dead = calloc(v->n + 1, sizeof *dead);
    size_t n = 0;
    int rc = dead ? 0 : CF_ENOMEM;
    for (size_t i = 0; !rc && i < v->n; i++) {
        const eng_sst_stats *st = eng_sst_get_stats(v->ssts[i]);
        if (has_prefix(st->min_pk, prefix) && has_prefix(st->max_pk, prefix) &&
            st->max_ts < before_ts)
            dead[n++] = v->ssts[i];
    }
    if (!rc && n > 0)
        rc = eng_table_remove_ssts(t, dead, n, dropped); /* invariant (3) */
    free(dead);
    eng_version_unref(v);
    return rc;
}
