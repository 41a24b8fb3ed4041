/*
 * compaction.c -- the strategy registry and the one job that writes SSTables.
 *
 * eng_compaction_write() serves flushes (src is a memtable iterator) and
 * compactions (src merges the job's inputs). It reads src once, asks the
 * tombstone tracker (shadow.h) whether each entry is deleted, drops what is
 * shadowed and the tombstones that compaction.h invariant (1) lets it purge,
 * and writes the rest through sstable writers, one output at a time.
 *
 * Job states, per output (the drawing covers one call):
 *
 *     IDLE --first survivor: open()--> WRITING --add()*--> WRITING
 *       ^                                 |
 *       +---- split: finish(), keep ------+
 *     WRITING --src ends: finish()--> DONE        (outputs returned)
 *     any state --error--> FAILED: abort() the open writer, mark every
 *                          finished output obsolete and unref it (unlinked)
 *
 * Invariants (numbers of compaction.h):
 *  (1) a tombstone is dropped only if purgeable(): older than the gc grace
 *      bound and the live memtables, and no SSTable outside the job may hold
 *      its partition with data as old. A purged partition tombstone still
 *      shadows the data after it in this stream (it is fed to the tracker
 *      first), so nothing it deleted is written.
 *  (2) on error no output stays on disk: finished ones are obsolete and
 *      unlinked on their last unref, the open one is aborted.
 *  (3) a new output starts at a partition boundary once the current one
 *      reaches max_output_bytes, or anywhere once it reaches twice that, so
 *      one huge partition cannot make an unbounded file; a split inside a
 *      partition is still correct because reads merge every file.
 */
#include "engine/compaction.h"

#include <stdlib.h>
#include <string.h>

#include "engine/shadow.h"
#include "util/err.h"

int eng_strategy_new(const char *name, uint64_t max_output_bytes, eng_strategy **out)
{
    *out = NULL;
    if (strcmp(name, "stcs") == 0) {
        eng_stcs_opts o;
        eng_stcs_opts_default(&o, max_output_bytes);
        return eng_stcs_new(&o, out);
    }
    /* "oacs:N": the first N bytes of a partition key name the object */
    if (strncmp(name, "oacs:", 5) == 0) {
        char *end;
        unsigned long n = strtoul(name + 5, &end, 10);
        if (end != name + 5 && *end == '\0')
            return eng_oacs_new(n, max_output_bytes, out);
    }
    return CF_EINVAL;
}

void eng_strategy_free(eng_strategy *s)
{
    if (s)
        s->ops->free(s);
}

void eng_compaction_pick_clear(eng_compaction_pick *p)
{
    for (size_t i = 0; i < p->n_inputs; i++)
        eng_sst_unref(p->inputs[i]);
    for (size_t i = 0; i < p->n_drops; i++)
        eng_sst_unref(p->drops[i]);
    free(p->inputs);
    free(p->drops);
    memset(p, 0, sizeof *p);
}

void eng_compaction_result_clear(eng_compaction_result *res)
{
    for (size_t i = 0; i < res->n_outputs; i++)
        eng_sst_unref(res->outputs[i]);
    free(res->outputs);
    memset(res, 0, sizeof *res);
}

/* The state of one eng_compaction_write() call. */
typedef struct job_run {
    const eng_compaction_job *job;
    eng_shadow shadow;
    eng_sst_writer *w;     /* the open output, NULL in IDLE */
    eng_entry prev;        /* last entry written to w; slices into prev_bytes */
    cf_buf prev_bytes;     /* reused copy: src's slices die on next() */
    int64_t others_min_ts; /* oldest data of the current partition outside the job */
    bool others_known;     /* others_min_ts computed for the current partition */
    size_t cap_outputs;
    eng_compaction_result res;
} job_run;

/* Copies e into prev: the strategy sees it after src has moved on. */
static int keep_prev(job_run *r, const eng_entry *e)
{
    const cf_slice parts[4] = {e->key.pk, e->key.ck, e->key.col, e->value};
    cf_buf *b = &r->prev_bytes;
    buf_clear(b);
    /* + 1: a non-NULL base even when every part is empty */
    int rc = buf_reserve(b, parts[0].len + parts[1].len + parts[2].len + parts[3].len + 1);
    if (rc)
        return rc;
    r->prev = *e;
    cf_slice *dst[4] = {&r->prev.key.pk, &r->prev.key.ck, &r->prev.key.col, &r->prev.value};
    for (int i = 0; i < 4; i++) {
        *dst[i] = slice_make(b->data + b->len, parts[i].len);
        buf_append(b, parts[i].ptr, parts[i].len); /* cannot fail: reserved */
    }
    return 0;
}

/* The oldest ts any SSTable outside the job may hold for pk, INT64_MAX if none. */
static int64_t others_min_ts(const eng_compaction_job *job, cf_slice pk)
{
    int64_t min = INT64_MAX;
    for (size_t i = 0; i < job->n_others; i++) {
        const eng_sst_stats *st = eng_sst_get_stats(job->others[i]);
        if (st->min_ts >= min || slice_cmp(pk, st->min_pk) < 0 || slice_cmp(pk, st->max_pk) > 0)
            continue;
        if (eng_sst_may_contain(job->others[i], pk))
            min = st->min_ts;
    }
    return min;
}

/* invariant (1) */
static bool purgeable(job_run *r, const eng_entry *e)
{
    const eng_compaction_job *job = r->job;
    if (e->ts >= job->purge_before_ts || e->ts >= job->memtable_min_ts)
        return false;
    if (!r->others_known) {
        r->others_min_ts = others_min_ts(job, e->key.pk);
        r->others_known = true;
    }
    return e->ts < r->others_min_ts;
}

static int finish_output(job_run *r)
{
    eng_sst *sst = NULL;
    int rc = eng_sst_writer_finish(r->w, &sst);
    r->w = NULL;
    if (rc)
        return rc;
    if (r->res.n_outputs == r->cap_outputs) {
        size_t cap = r->cap_outputs ? 2 * r->cap_outputs : 4;
        eng_sst **o = realloc(r->res.outputs, cap * sizeof *o);
        if (!o) {
            eng_sst_mark_obsolete(sst); /* invariant (2) */
            eng_sst_unref(sst);
            return CF_ENOMEM;
        }
        r->res.outputs = o;
        r->cap_outputs = cap;
    }
    r->res.outputs[r->res.n_outputs++] = sst;
    r->res.bytes_written += eng_sst_get_stats(sst)->file_bytes;
    return 0;
}

/* invariant (3), plus the strategy's own boundaries (asked for every entry). */
static bool should_split(job_run *r, const eng_entry *e)
{
    const eng_compaction_job *job = r->job;
    uint64_t cur = r->w ? eng_sst_writer_bytes(r->w) : 0;
    bool split = job->strategy->ops->split_before(job->strategy, r->w ? &r->prev : NULL, e, cur);
    if (!r->w)
        return false;
    uint64_t max = job->max_output_bytes;
    if (max && cur >= max)
        split |= !slice_eq(r->prev.key.pk, e->key.pk) || cur / 2 >= max;
    return split;
}

static int write_survivor(job_run *r, const eng_entry *e)
{
    int rc = 0;
    if (should_split(r, e))
        rc = finish_output(r);
    if (!rc && !r->w)
        rc = eng_sst_writer_open(r->job->dir, r->job->next_gen(r->job->next_gen_arg),
                                 &r->job->wopts, &r->w);
    if (!rc)
        rc = eng_sst_writer_add(r->w, e);
    if (!rc)
        rc = keep_prev(r, e);
    if (!rc)
        r->res.entries_out++;
    return rc;
}

static int step(job_run *r, const eng_entry *e)
{
    r->res.entries_in++;
    const eng_shadow *sh = &r->shadow;
    if (!sh->have_pk || !slice_eq(e->key.pk, buf_slice(&sh->pk)))
        r->others_known = false;
    bool shadowed;
    int rc = eng_shadow_feed(&r->shadow, e, &shadowed);
    if (rc || shadowed)
        return rc;
    if (eng_entry_is_tombstone(e) && purgeable(r, e))
        return 0;
    return write_survivor(r, e);
}

int eng_compaction_write(const eng_compaction_job *job, eng_iiter *src, eng_compaction_result *res)
{
    memset(res, 0, sizeof *res);
    job_run r = {.job = job};
    eng_shadow_init(&r.shadow);
    int rc = 0;
    for (eng_iiter_seek_first(src); eng_iiter_valid(src); eng_iiter_next(src)) {
        rc = step(&r, eng_iiter_entry(src));
        if (rc)
            goto out;
    }
    rc = eng_iiter_status(src);
    if (!rc && r.w)
        rc = finish_output(&r);

out:
    if (rc) {
        eng_sst_writer_abort(r.w);
        for (size_t i = 0; i < r.res.n_outputs; i++)
            eng_sst_mark_obsolete(r.res.outputs[i]); /* invariant (2) */
        eng_compaction_result_clear(&r.res);
    } else {
        *res = r.res;
    }
    eng_shadow_free(&r.shadow);
    buf_free(&r.prev_bytes);
    return rc;
}
