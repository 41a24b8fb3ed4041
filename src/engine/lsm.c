/*
 * lsm.c -- a table's LSM machinery: versions, memtable switch, flush,
 * compaction, commitlog release and the two background threads.
 *
 * Flush and compaction both end the same way: a durable manifest edit, then
 * a version swap under t->mu (db.h invariant (3)). A flush is installed only
 * after the commitlog covered the last record of its memtable, so a batch
 * that spans tables is never half in SSTables and half lost (db.h (1)).
 *
 * Background threads (state of each: RUNNING --bg_stop--> JOINED):
 *   flush thread    flushes frozen memtables, oldest first, as they appear
 *   compact thread  asks every table's strategy for work, after each wake-up
 *                   and every second
 * A failed flush or compaction leaves no output behind (compaction.h (2)),
 * keeps its memtable or inputs, and is retried after a pause (BG_RETRY_MS);
 * it is logged once per run of the same error, and again when it succeeds
 * (bg_outcome). Writers meanwhile stall on backpressure instead of growing
 * memory, but not forever: once a table's frozen memtables are at the limit
 * and its last flush failed, a write touching it gets that error at once
 * (db.c stall()), so a full disk answers CF_ENOSPC rather than a hang.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/db.h"
#include "util/log.h"

#define BG_RETRY_MS 1000
#define BG_COMPACT_PERIOD_MS 1000

static int by_min_pk(const void *a, const void *b)
{
    const eng_sst *x = *(eng_sst *const *)a, *y = *(eng_sst *const *)b;
    return slice_cmp(eng_sst_get_stats(x)->min_pk, eng_sst_get_stats(y)->min_pk);
}

/* one_object -- do all of the file's keys share the first prefix bytes? */
static bool one_object(const eng_sst *s, size_t prefix)
{
    const eng_sst_stats *st = eng_sst_get_stats(s);
    return st->min_pk.len >= prefix && st->max_pk.len >= prefix &&
           memcmp(st->min_pk.ptr, st->max_pk.ptr, prefix) == 0;
}

eng_version *eng_version_new(eng_sst *const *ssts, size_t n, size_t prefix)
{
    eng_version *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->ssts = calloc(n ? n : 1, sizeof *v->ssts);
    v->by_object = calloc(n ? n : 1, sizeof *v->by_object);
    v->wide = calloc(n ? n : 1, sizeof *v->wide);
    if (!v->ssts || !v->by_object || !v->wide) {
        free(v->ssts);
        free(v->by_object);
        free(v->wide);
        free(v);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        eng_sst_ref(ssts[i]);
        v->ssts[i] = ssts[i];
        if (prefix && one_object(ssts[i], prefix))
            v->by_object[v->n_by_object++] = ssts[i];
        else
            v->wide[v->n_wide++] = ssts[i];
    }
    qsort(v->by_object, v->n_by_object, sizeof *v->by_object, by_min_pk);
    v->n = n;
    v->prefix = prefix;
    atomic_init(&v->refs, 1);
    return v;
}

void eng_version_ref(eng_version *v)
{
    atomic_fetch_add(&v->refs, 1);
}

void eng_version_unref(eng_version *v)
{
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
        return;
    for (size_t i = 0; i < v->n; i++)
        eng_sst_unref(v->ssts[i]);
    free(v->ssts);
    free(v->by_object);
    free(v->wide);
    free(v);
}

int eng_table_freeze(eng_table *t, eng_clog_pos end)
{
    if (eng_memtable_count(t->active) == 0)
        return 0;
    eng_memtable *fresh;
    int rc = eng_memtable_new(&fresh);
    if (rc)
        return rc;
    pthread_mutex_lock(&t->mu);
    if (t->n_frozen == ENG_MAX_FROZEN) {
        /* the list is full: keep writing into active; writers stall on
         * backpressure until flushes catch up, and a later switch freezes it */
        pthread_mutex_unlock(&t->mu);
        eng_memtable_unref(fresh);
        return 0;
    }
    t->frozen[t->n_frozen] = t->active;
    t->frozen_end[t->n_frozen] = end;
    t->frozen_last[t->n_frozen] = eng_pos_unpack(atomic_exchange(&t->active_last, 0));
    t->n_frozen++;
    t->active = fresh;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static uint64_t next_gen(void *arg)
{
    eng_db *db = arg;
    return atomic_fetch_add(&db->next_gen, 1);
}

static void job_init(eng_compaction_job *job, eng_table *t)
{
    eng_db *db = t->db;
    memset(job, 0, sizeof *job);
    job->dir = t->dir;
    job->wopts.block_bytes = db->opts.block_bytes;
    job->wopts.bloom_bits_per_key = db->opts.bloom_bits_per_key;
    job->strategy = t->strategy;
    job->max_output_bytes = db->opts.max_sstable_bytes;
    job->memtable_min_ts = INT64_MAX;
    job->purge_before_ts = INT64_MIN;
    job->next_gen = next_gen;
    job->next_gen_arg = db;
}

static bool in_list(eng_sst *const *list, size_t n, const eng_sst *s)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == s)
            return true;
    return false;
}

/*
 * swap_version -- the table's new version: the current one without the
 * removed files, plus the added ones. REQUIRES: t->mu held.
 */
static int swap_version(eng_table *t, eng_sst *const *removed, size_t n_removed,
                        eng_sst *const *added, size_t n_added)
{
    eng_version *cur = t->version;
    eng_sst **list = calloc(cur->n + n_added + 1, sizeof *list);
    if (!list)
        return CF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < cur->n; i++)
        if (!in_list(removed, n_removed, cur->ssts[i]))
            list[n++] = cur->ssts[i];
    for (size_t i = 0; i < n_added; i++)
        list[n++] = added[i];
    eng_version *v = eng_version_new(list, n, t->strategy->object_prefix);
    free(list);
    if (!v)
        return CF_ENOMEM;
    t->version = v;
    eng_version_unref(cur);
    return 0;
}

/* install -- makes outputs (and removals) durable in the manifest, then visible. */
static int install(eng_table *t, eng_sst *const *removed, size_t n_removed,
                   const eng_compaction_result *res, const eng_clog_pos *flushed)
{
    eng_manifest_edit e = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < res->n_outputs; i++)
        rc = eng_manifest_edit_add(&e, t->id, eng_sst_get_stats(res->outputs[i])->gen);
    for (size_t i = 0; rc == 0 && i < n_removed; i++)
        rc = eng_manifest_edit_remove(&e, t->id, eng_sst_get_stats(removed[i])->gen);
    if (rc == 0 && flushed)
        rc = eng_manifest_edit_flushed(&e, t->id, *flushed);
    if (rc == 0)
        rc = eng_manifest_apply(t->db->manifest, &e);
    eng_manifest_edit_free(&e);
    if (rc)
        return rc;
    pthread_mutex_lock(&t->mu);
    /* the edit is durable; if memory for the new version is short the files
     * are already correct on disk, so keep trying rather than diverge */
    while (swap_version(t, removed, n_removed, res->outputs, res->n_outputs) != 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    if (flushed) {
        t->flushed = *flushed;
        eng_memtable_unref(t->frozen[0]);
        memmove(&t->frozen[0], &t->frozen[1], (t->n_frozen - 1) * sizeof t->frozen[0]);
        memmove(&t->frozen_end[0], &t->frozen_end[1], (t->n_frozen - 1) * sizeof(eng_clog_pos));
        memmove(&t->frozen_last[0], &t->frozen_last[1],
                (t->n_frozen - 1) * sizeof(eng_clog_pos));
        t->n_frozen--;
    }
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->mu);
    for (size_t i = 0; i < n_removed; i++)
        eng_sst_mark_obsolete(removed[i]);
    return 0;
}

int eng_table_add_ssts(eng_table *t, eng_sst *const *ssts, size_t n)
{
    eng_compaction_result res = {.outputs = (eng_sst **)ssts, .n_outputs = n};
    return install(t, NULL, 0, &res, NULL);
}

static bool is_compacting(const eng_table *t, uint64_t gen);
static int mark_compacting(eng_table *t, const eng_compaction_pick *p, bool add);

int eng_table_remove_ssts(eng_table *t, eng_sst *const *ssts, size_t n, uint64_t *removed)
{
    *removed = 0;
    eng_compaction_pick pick = {0};
    pick.drops = calloc(n + 1, sizeof *pick.drops);
    if (!pick.drops)
        return CF_ENOMEM;
    /* only files still live and not read by a compaction; held as "compacting" meanwhile */
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < n; i++) {
        if (in_list(t->version->ssts, t->version->n, ssts[i]) &&
            !is_compacting(t, eng_sst_get_stats(ssts[i])->gen)) {
            eng_sst_ref(ssts[i]);
            pick.drops[pick.n_drops++] = ssts[i];
        }
    }
    int rc = mark_compacting(t, &pick, true);
    pthread_mutex_unlock(&t->mu);
    eng_compaction_result none = {0};
    if (!rc && pick.n_drops > 0)
        rc = install(t, pick.drops, pick.n_drops, &none, NULL);
    if (!rc)
        *removed = pick.n_drops;
    pthread_mutex_lock(&t->mu);
    mark_compacting(t, &pick, false);
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->mu);
    if (!rc) { /* the names go now; the slow last close, on a background thread */
        for (size_t i = 0; i < pick.n_drops; i++)
            eng_sst_unlink(pick.drops[i]);
        eng_db_reap(t->db, pick.drops, pick.n_drops);
        pick.n_drops = 0;
    }
    eng_compaction_pick_clear(&pick);
    return rc;
}

/*
 * bg_outcome -- records a flush's or compaction's result in *last (under
 * t->mu, waking stalled writers: db.c stall() reads flush_err) and logs a
 * failure once per run of the same error, and the first success after one.
 */
static void bg_outcome(eng_table *t, const char *what, int *last, int rc)
{
    pthread_mutex_lock(&t->mu);
    int before = *last;
    *last = rc;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->mu);
    if (rc && rc != before)
        log_error("engine: %s of table %s failed: %s%s", what, t->name, cf_err_str(rc),
                  rc == CF_ENOSPC ? " (the disk is full)" : "");
    else if (!rc && before)
        log_info("engine: %s of table %s succeeded again", what, t->name);
}

/* discard -- unlinks outputs that will not be installed. */
static void discard(eng_compaction_result *res)
{
    for (size_t i = 0; i < res->n_outputs; i++)
        eng_sst_mark_obsolete(res->outputs[i]);
    eng_compaction_result_clear(res);
}

int eng_table_flush_oldest(eng_table *t)
{
    eng_db *db = t->db;
    eng_compaction_result res = {0};
    eng_iiter *it = NULL;
    pthread_mutex_lock(&t->flush_mu);
    pthread_mutex_lock(&t->mu);
    if (t->n_frozen == 0) {
        pthread_mutex_unlock(&t->mu);
        pthread_mutex_unlock(&t->flush_mu);
        return 0;
    }
    eng_memtable *mt = t->frozen[0];
    eng_clog_pos end = t->frozen_end[0], last = t->frozen_last[0];
    pthread_mutex_unlock(&t->mu);

    int rc = 0;
    if (eng_pos_pack(last) != 0)
        rc = eng_commitlog_sync_wait(db->clog, last);
    if (!rc)
        rc = eng_memtable_iter_new(mt, &it);
    eng_compaction_job job;
    job_init(&job, t);
    if (!rc)
        rc = eng_compaction_write(&job, it, &res);
    eng_iiter_close(it);
    if (!rc)
        rc = install(t, NULL, 0, &res, &end);
    bg_outcome(t, "flush", &t->flush_err, rc);
    if (rc) {
        discard(&res); /* the memtable stays frozen: flushed again later */
        pthread_mutex_unlock(&t->flush_mu);
        return rc;
    }
    atomic_fetch_add(&t->flush_bytes, res.bytes_written);
    atomic_fetch_add(&t->flushes, 1);
    eng_compaction_result_clear(&res);
    pthread_mutex_unlock(&t->flush_mu);
    eng_db_release_log(db);
    eng_db_bg_wake(db);
    return 0;
}

static bool is_compacting(const eng_table *t, uint64_t gen)
{
    for (size_t i = 0; i < t->n_compacting; i++)
        if (t->compacting[i] == gen)
            return true;
    return false;
}

/* mark_compacting -- adds or (add == false) removes the pick's files. REQUIRES: t->mu. */
static int mark_compacting(eng_table *t, const eng_compaction_pick *p, bool add)
{
    size_t need = t->n_compacting + p->n_inputs + p->n_drops;
    if (add && need > t->cap_compacting) {
        uint64_t *g = realloc(t->compacting, need * sizeof *g);
        if (!g)
            return CF_ENOMEM;
        t->compacting = g;
        t->cap_compacting = need;
    }
    for (size_t k = 0; k < p->n_inputs + p->n_drops; k++) {
        eng_sst *s = k < p->n_inputs ? p->inputs[k] : p->drops[k - p->n_inputs];
        uint64_t gen = eng_sst_get_stats(s)->gen;
        if (add) {
            t->compacting[t->n_compacting++] = gen;
            continue;
        }
        for (size_t i = 0; i < t->n_compacting; i++) {
            if (t->compacting[i] == gen) {
                t->compacting[i] = t->compacting[--t->n_compacting];
                break;
            }
        }
    }
    return 0;
}

/*
 * begin_compaction -- asks the strategy for a pick and snapshots what the
 * purge check needs: the other files and the memtables' oldest timestamp.
 */
static int begin_compaction(eng_table *t, eng_compaction_pick *pick, eng_version **others_v,
                            int64_t *mt_min_ts)
{
    int rc = 0;
    *others_v = NULL;
    pthread_mutex_lock(&t->mu);
    eng_version *cur = t->version;
    eng_sst **cand = calloc(cur->n + 1, sizeof *cand);
    size_t n = 0;
    if (!cand) {
        rc = CF_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < cur->n; i++)
        if (!is_compacting(t, eng_sst_get_stats(cur->ssts[i])->gen))
            cand[n++] = cur->ssts[i];
    rc = t->strategy->ops->pick(t->strategy, cand, n, pick);
    if (rc || (pick->n_inputs == 0 && pick->n_drops == 0))
        goto out;
    n = 0;
    for (size_t i = 0; i < cur->n; i++)
        if (!in_list(pick->inputs, pick->n_inputs, cur->ssts[i]) &&
            !in_list(pick->drops, pick->n_drops, cur->ssts[i]))
            cand[n++] = cur->ssts[i];
    *others_v = eng_version_new(cand, n, 0);
    if (!*others_v) {
        rc = CF_ENOMEM;
        goto out;
    }
    *mt_min_ts = eng_memtable_min_ts(t->active);
    for (size_t i = 0; i < t->n_frozen; i++) {
        int64_t m = eng_memtable_min_ts(t->frozen[i]);
        if (m < *mt_min_ts)
            *mt_min_ts = m;
    }
    rc = mark_compacting(t, pick, true);
out:
    pthread_mutex_unlock(&t->mu);
    free(cand);
    if (rc) {
        eng_version_unref(*others_v);
        *others_v = NULL;
        eng_compaction_pick_clear(pick);
    }
    return rc;
}

int eng_table_compact_once(eng_table *t, bool *did)
{
    eng_db *db = t->db;
    eng_compaction_pick pick = {0};
    eng_compaction_result res = {0};
    eng_version *others = NULL;
    eng_iiter *merged = NULL;
    eng_iiter **children = NULL;
    int64_t mt_min_ts = INT64_MAX;
    *did = false;
    int rc = begin_compaction(t, &pick, &others, &mt_min_ts);
    if (rc || !others)
        return rc;
    *did = true;
    if (pick.n_inputs > 0) {
        children = calloc(pick.n_inputs, sizeof *children);
        rc = children ? 0 : CF_ENOMEM;
        size_t made = 0;
        for (; rc == 0 && made < pick.n_inputs; made++)
            rc = eng_sst_iter_new(pick.inputs[made], &children[made]);
        if (rc) {
            for (size_t i = 0; i < made; i++)
                eng_iiter_close(children[i]);
        } else {
            rc = eng_merge_iter_new(children, pick.n_inputs, &merged);
        }
        eng_compaction_job job;
        job_init(&job, t);
        job.others = others->ssts;
        job.n_others = others->n;
        job.memtable_min_ts = mt_min_ts;
        job.purge_before_ts = eng_db_now_ts(db) - db->opts.gc_grace_us;
        if (!rc)
            rc = eng_compaction_write(&job, merged, &res);
        eng_iiter_close(merged);
    }
    if (!rc) {
        eng_sst **removed = calloc(pick.n_inputs + pick.n_drops + 1, sizeof *removed);
        rc = removed ? 0 : CF_ENOMEM;
        for (size_t i = 0; removed && i < pick.n_inputs + pick.n_drops; i++)
            removed[i] = i < pick.n_inputs ? pick.inputs[i] : pick.drops[i - pick.n_inputs];
        if (!rc)
            rc = install(t, removed, pick.n_inputs + pick.n_drops, &res, NULL);
        free(removed);
    }
    bg_outcome(t, "compaction", &t->compact_err, rc);
    if (rc) {
        discard(&res); /* the inputs stay live: picked again later */
    } else {
        atomic_fetch_add(&t->compaction_bytes, res.bytes_written);
        atomic_fetch_add(&t->compactions, 1);
        eng_compaction_result_clear(&res);
    }
    pthread_mutex_lock(&t->mu);
    mark_compacting(t, &pick, false);
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->mu);
    free(children);
    eng_compaction_pick_clear(&pick);
    eng_version_unref(others);
    return rc;
}

void eng_db_release_log(eng_db *db)
{
    pthread_rwlock_wrlock(&db->switch_lock);
    eng_clog_pos upto = eng_commitlog_next_pos(db->clog);
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; i < n; i++) {
        eng_table *t = db->tables[i];
        pthread_mutex_lock(&t->mu);
        bool dirty = t->n_frozen > 0 || eng_memtable_count(t->active) > 0;
        if (dirty && eng_clog_pos_cmp(t->flushed, upto) < 0)
            upto = t->flushed;
        pthread_mutex_unlock(&t->mu);
    }
    pthread_rwlock_unlock(&db->switch_lock);
    eng_commitlog_release(db->clog, upto);
}

void eng_db_bg_wake(eng_db *db)
{
    pthread_mutex_lock(&db->bg_mu);
    db->bg_gen++;
    pthread_cond_broadcast(&db->bg_cond);
    pthread_mutex_unlock(&db->bg_mu);
}

/* bg_wait -- sleeps until a wake-up newer than *seen, stop, or timeout_ms. Returns !stop. */
static bool bg_wait(eng_db *db, uint64_t *seen, long timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&db->bg_mu);
    while (!db->bg_stop && db->bg_gen == *seen) {
        if (pthread_cond_timedwait(&db->bg_cond, &db->bg_mu, &until) == ETIMEDOUT)
            break;
    }
    *seen = db->bg_gen;
    bool run = !db->bg_stop;
    pthread_mutex_unlock(&db->bg_mu);
    return run;
}

static void *flush_main(void *arg)
{
    eng_db *db = arg;
    uint64_t seen = 0;
    long wait_ms = BG_RETRY_MS;
    while (bg_wait(db, &seen, wait_ms)) {
        wait_ms = BG_RETRY_MS;
        eng_db_reap_all(db); /* whichever thread is free first */
        size_t n = atomic_load(&db->n_tables);
        for (size_t i = 0; i < n; i++) {
            eng_table *t = db->tables[i];
            for (;;) {
                pthread_mutex_lock(&t->mu);
                size_t frozen = t->n_frozen;
                pthread_mutex_unlock(&t->mu);
                if (frozen == 0)
                    break;
                if (eng_table_flush_oldest(t) != 0)
                    break; /* logged; retried after the pause */
            }
        }
    }
    return NULL;
}

void eng_db_reap(eng_db *db, eng_sst *const *ssts, size_t n)
{
    size_t kept = 0;
    pthread_mutex_lock(&db->bg_mu);
    if (db->bg_started && db->n_reap + n > db->cap_reap) {
        size_t cap = (db->n_reap + n) * 2;
        eng_sst **r = realloc(db->reap, cap * sizeof *r);
        if (r) {
            db->reap = r;
            db->cap_reap = cap;
        }
    }
    for (; db->bg_started && kept < n && db->n_reap < db->cap_reap; kept++)
        db->reap[db->n_reap++] = ssts[kept];
    db->bg_gen += kept > 0;
    pthread_cond_broadcast(&db->bg_cond);
    pthread_mutex_unlock(&db->bg_mu);
    for (size_t i = kept; i < n; i++) /* no thread, or no memory: here and now */
        eng_sst_unref(ssts[i]);
}

void eng_db_reap_all(eng_db *db)
{
    pthread_mutex_lock(&db->bg_mu);
    eng_sst **r = db->reap;
    size_t n = db->n_reap;
    db->reap = NULL;
    db->n_reap = db->cap_reap = 0;
    pthread_mutex_unlock(&db->bg_mu);
    for (size_t i = 0; i < n; i++)
        eng_sst_unref(r[i]);
    free(r);
}

static void *compact_main(void *arg)
{
    eng_db *db = arg;
    uint64_t seen = 0;
    while (bg_wait(db, &seen, BG_COMPACT_PERIOD_MS)) {
        eng_db_reap_all(db);
        size_t n = atomic_load(&db->n_tables);
        for (size_t i = 0; i < n; i++) {
            bool did = true;
            while (did && !db->bg_stop && eng_table_compact_once(db->tables[i], &did) == 0)
                ;
        }
    }
    return NULL;
}

int eng_db_bg_start(eng_db *db)
{
    if (pthread_create(&db->bg_flush, NULL, flush_main, db) != 0)
        return CF_ENOMEM;
    if (pthread_create(&db->bg_compact, NULL, compact_main, db) != 0) {
        pthread_mutex_lock(&db->bg_mu);
        db->bg_stop = true;
        pthread_cond_broadcast(&db->bg_cond);
        pthread_mutex_unlock(&db->bg_mu);
        pthread_join(db->bg_flush, NULL);
        return CF_ENOMEM;
    }
    db->bg_started = true;
    return 0;
}

void eng_db_bg_stop(eng_db *db)
{
    if (!db->bg_started)
        return;
    pthread_mutex_lock(&db->bg_mu);
    db->bg_stop = true;
    pthread_cond_broadcast(&db->bg_cond);
    pthread_mutex_unlock(&db->bg_mu);
    pthread_join(db->bg_flush, NULL);
    pthread_join(db->bg_compact, NULL);
    db->bg_started = false;
}
