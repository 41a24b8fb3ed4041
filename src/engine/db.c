/*
 * db.c -- opening and closing a database, tables, the write path, the clock.
 *
 * Directory layout (doc/formats.md, "Data directory"):
 *
 *   <dir>/MANIFEST-<n>            the table list and SSTable sets (manifest.h)
 *   <dir>/commitlog/CL-<seq>.log  commitlog segments (commitlog.h)
 *   <dir>/tables/<name>/<gen>.sst SSTables of each table (sstable.h)
 *
 * Open is recovery: read the manifest, open every listed SSTable (each is
 * verified; a bad one fails the open with its name logged), delete files no
 * manifest entry owns (an interrupted flush or compaction), replay the
 * commitlog records each table has not flushed, then start the background
 * threads. Invariants are numbered in db.h.
 */
#include "engine/db.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/batch.h"
#include "engine/log_format.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/clock.h"

void eng_db_opts_default(eng_db_opts *o, const char *dir)
{
    memset(o, 0, sizeof *o);
    o->dir = dir;
    o->memtable_bytes = ENG_DEFAULT_MEMTABLE_BYTES;
    o->max_frozen_memtables = ENG_DEFAULT_MAX_FROZEN_MEMTABLES;
    o->commitlog_segment_bytes = ENG_DEFAULT_SEGMENT_BYTES;
    o->block_bytes = ENG_DEFAULT_BLOCK_BYTES;
    o->bloom_bits_per_key = ENG_DEFAULT_BLOOM_BITS;
    o->max_sstable_bytes = ENG_DEFAULT_MAX_SSTABLE_BYTES;
    o->gc_grace_us = ENG_DEFAULT_GC_GRACE_US;
    o->sync = 1;
    o->background = 1;
}

const char *eng_table_strategy(const eng_table *t)
{
    return t->strategy->ops->name;
}

int64_t eng_db_now(eng_db *db)
{
    return eng_db_now_ts(db);
}

int64_t eng_db_now_ts(eng_db *db)
{
    int64_t now = clock_now_us();
    int_fast64_t last = atomic_load(&db->clock);
    int64_t next;
    do {
        next = now > last ? now : last + 1;
    } while (!atomic_compare_exchange_weak(&db->clock, &last, next));
    return next;
}

static void clock_observe(eng_db *db, int64_t ts)
{
    int_fast64_t last = atomic_load(&db->clock);
    while (ts > last && !atomic_compare_exchange_weak(&db->clock, &last, ts))
        ;
}

eng_table *eng_db_table_by_id(eng_db *db, uint32_t id)
{
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; i < n; i++)
        if (db->tables[i]->id == id)
            return db->tables[i];
    return NULL;
}

static bool valid_table_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static void table_free(eng_table *t)
{
    if (!t)
        return;
    eng_memtable_unref(t->active);
    for (size_t i = 0; i < t->n_frozen; i++)
        eng_memtable_unref(t->frozen[i]);
    if (t->version)
        eng_version_unref(t->version);
    eng_strategy_free(t->strategy);
    free(t->compacting);
    pthread_mutex_destroy(&t->flush_mu);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->changed);
    free(t);
}

/* remove_leftovers -- deletes files in t->dir that the manifest does not list (manifest.h (1)). */
static void remove_leftovers(eng_table *t, const uint64_t *gens, size_t n)
{
    DIR *d = opendir(t->dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        unsigned long long gen;
        char tail[16] = "";
        int k = sscanf(de->d_name, "%16llx%15s", &gen, tail);
        bool live = false;
        for (size_t i = 0; k == 2 && strcmp(tail, ".sst") == 0 && i < n; i++)
            live = live || gens[i] == gen;
        if (live)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", t->dir, de->d_name);
        log_info("engine: removing leftover %s", path);
        unlink(path);
    }
    if (d)
        closedir(d);
}

/* table_new -- a table in memory with the given SSTables opened. */
static int table_new(eng_db *db, const eng_manifest_table *mt, eng_table **out)
{
    *out = NULL;
    eng_sst **ssts = NULL;
    size_t n = 0;
    eng_table *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    t->db = db;
    t->id = mt->id;
    t->flushed = mt->flushed;
    snprintf(t->name, sizeof t->name, "%s", mt->name);
    pthread_mutex_init(&t->flush_mu, NULL);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->changed, NULL);
    int rc = 0;
    if (snprintf(t->dir, sizeof t->dir, "%s/tables/%s", db->dir, mt->name) >= (int)sizeof t->dir)
        rc = CF_ELIMIT;
    if (!rc)
        rc = eng_strategy_new(mt->strategy, db->opts.max_sstable_bytes, &t->strategy);
    if (!rc)
        rc = file_mkdir_p(t->dir);
    if (!rc)
        rc = eng_memtable_new(&t->active);
    if (rc)
        goto fail;
    remove_leftovers(t, mt->gens, mt->n_gens);
    ssts = calloc(mt->n_gens ? mt->n_gens : 1, sizeof *ssts);
    if (!ssts) {
        rc = CF_ENOMEM;
        goto fail;
    }
    for (; n < mt->n_gens; n++) {
        rc = eng_sst_open(t->dir, mt->gens[n], 0, &ssts[n]);
        if (rc) {
            log_error("engine: table %s: cannot open sstable %016llx: %s", t->name,
                      (unsigned long long)mt->gens[n], cf_err_str(rc));
            goto fail;
        }
        clock_observe(db, eng_sst_get_stats(ssts[n])->max_ts);
    }
    t->version = eng_version_new(ssts, n, t->strategy->object_prefix);
    if (!t->version) {
        rc = CF_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        eng_sst_unref(ssts[i]);
    free(ssts);
    *out = t;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        eng_sst_unref(ssts[i]);
    free(ssts);
    table_free(t);
    return rc;
}

/* replay_record -- applies one commitlog record during open. */
static int replay_record(void *arg, eng_clog_pos pos, const uint8_t *rec, size_t len)
{
    eng_db *db = arg;
    eng_batch_iter it;
    int rc = eng_batch_iter_init(&it, rec, len);
    uint32_t id;
    eng_entry e;
    clock_observe(db, it.ts);
    while (rc == 0 && (rc = eng_batch_iter_next(&it, &id, &e)) == 1) {
        eng_table *t = eng_db_table_by_id(db, id);
        if (!t) {
            rc = CF_ECORRUPT;
            break;
        }
        rc = 0;
        if (eng_clog_pos_cmp(pos, t->flushed) < 0)
            continue; /* already in an SSTable (manifest.h invariant (2)) */
        rc = eng_memtable_add(t->active, &e);
        atomic_store(&t->active_last, eng_pos_pack(pos));
    }
    if (rc < 0) {
        log_error("engine: commitlog record at %llu:%llu is invalid: %s",
                  (unsigned long long)pos.seg, (unsigned long long)pos.off, cf_err_str(rc));
        return rc;
    }
    /* bounded memory during replay: flush a full memtable right away */
    eng_clog_pos after = {pos.seg, pos.off + 1};
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        eng_table *t = db->tables[i];
        if (eng_memtable_bytes(t->active) < db->opts.memtable_bytes)
            continue;
        rc = eng_table_freeze(t, after);
        if (!rc)
            rc = eng_table_flush_oldest(t);
    }
    return rc;
}

int eng_db_open(const eng_db_opts *o, eng_db **out)
{
    *out = NULL;
    eng_db *db = calloc(1, sizeof *db);
    if (!db)
        return CF_ENOMEM;
    db->opts = *o;
    snprintf(db->dir, sizeof db->dir, "%s", o->dir);
    db->opts.dir = db->dir;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* a memtable switch must not starve behind a stream of writers */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&db->switch_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    pthread_mutex_init(&db->tables_mu, NULL);
    pthread_mutex_init(&db->bg_mu, NULL);
    pthread_cond_init(&db->bg_cond, NULL);

    char path[PATH_MAX + 32];
    db->lock_fd = -1;
    int rc = file_mkdir_p(db->dir);
    if (!rc) {
        /* two processes on one directory would each replay and rewrite it */
        snprintf(path, sizeof path, "%s/LOCK", db->dir);
        db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (db->lock_fd < 0 || flock(db->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            log_error("engine: %s is in use by another process", db->dir);
            rc = db->lock_fd < 0 ? CF_EIO : CF_EEXIST;
        }
    }
    if (!rc)
        rc = eng_manifest_open(db->dir, &db->manifest);
    if (rc)
        goto fail;
    size_t n;
    const eng_manifest_table *mts = eng_manifest_tables(db->manifest, &n);
    for (size_t i = 0; i < n && i < ENG_MAX_TABLES; i++) {
        rc = table_new(db, &mts[i], &db->tables[i]);
        if (rc)
            goto fail;
        atomic_store(&db->n_tables, i + 1);
    }
    atomic_store(&db->next_gen, eng_manifest_max_gen(db->manifest) + 1);

    snprintf(path, sizeof path, "%s/commitlog", db->dir);
    /* positions recorded in the manifest must never be reused: see min_seq */
    uint64_t min_seq = 1;
    for (size_t i = 0; i < n; i++)
        if (mts[i].flushed.seg + 1 > min_seq)
            min_seq = mts[i].flushed.seg + 1;
    eng_commitlog_opts co = {
        .segment_bytes = o->commitlog_segment_bytes, .sync = o->sync, .min_seq = min_seq};
    rc = eng_commitlog_open(path, &co, &db->clog);
    if (!rc)
        rc = eng_commitlog_replay(db->clog, replay_record, db);
    if (rc)
        goto fail;
    if (o->background) {
        rc = eng_db_bg_start(db);
        if (rc)
            goto fail;
    }
    *out = db;
    return 0;
fail:
    log_error("engine: cannot open %s: %s", o->dir, cf_err_str(rc));
    eng_db_close(db);
    return rc;
}

/* flush_all -- freezes and flushes every table's memtables (close and tests). */
static int flush_table(eng_table *t)
{
    eng_db *db = t->db;
    pthread_rwlock_wrlock(&db->switch_lock);
    int rc = eng_table_freeze(t, eng_commitlog_next_pos(db->clog));
    pthread_rwlock_unlock(&db->switch_lock);
    for (;;) {
        pthread_mutex_lock(&t->mu);
        size_t left = t->n_frozen;
        pthread_mutex_unlock(&t->mu);
        if (rc || left == 0)
            break;
        rc = eng_table_flush_oldest(t);
    }
    return rc;
}

void eng_db_close(eng_db *db)
{
    if (!db)
        return;
    eng_db_bg_stop(db);
    eng_db_reap_all(db);
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; db->clog && i < n; i++) {
        int rc = flush_table(db->tables[i]);
        if (rc)
            log_error("engine: flush of table %s at close failed: %s (the commitlog keeps it)",
                      db->tables[i]->name, cf_err_str(rc));
    }
    eng_commitlog_close(db->clog);
    for (size_t i = 0; i < n; i++)
        table_free(db->tables[i]);
    eng_manifest_close(db->manifest);
    if (db->lock_fd >= 0)
        close(db->lock_fd); /* releases the flock */
    pthread_rwlock_destroy(&db->switch_lock);
    pthread_mutex_destroy(&db->tables_mu);
    pthread_mutex_destroy(&db->bg_mu);
    pthread_cond_destroy(&db->bg_cond);
    free(db);
}

int eng_table_open(eng_db *db, const char *name, const char *strategy, eng_table **out)
{
    *out = NULL;
    if (!valid_table_name(name) || strlen(strategy) > 16)
        return CF_EINVAL;
    pthread_mutex_lock(&db->tables_mu);
    int rc = 0;
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(db->tables[i]->name, name) == 0) {
            *out = db->tables[i];
            goto out;
        }
    }
    if (n == ENG_MAX_TABLES) {
        rc = CF_ELIMIT;
        goto out;
    }
    eng_strategy *probe;
    rc = eng_strategy_new(strategy, 0, &probe); /* refuse unknown strategies before the edit */
    if (rc)
        goto out;
    eng_strategy_free(probe);
    eng_manifest_table mt = {.id = (uint32_t)n + 1};
    snprintf(mt.name, sizeof mt.name, "%s", name);
    snprintf(mt.strategy, sizeof mt.strategy, "%s", strategy);
    mt.flushed = eng_commitlog_next_pos(db->clog);
    eng_manifest_edit e = {0};
    rc = eng_manifest_edit_table(&e, mt.id, mt.name, mt.strategy);
    if (!rc)
        rc = eng_manifest_edit_flushed(&e, mt.id, mt.flushed);
    if (!rc)
        rc = table_new(db, &mt, &db->tables[n]);
    if (!rc) {
        rc = eng_manifest_apply(db->manifest, &e);
        if (rc) {
            table_free(db->tables[n]);
            db->tables[n] = NULL;
        }
    }
    eng_manifest_edit_free(&e);
    if (!rc) {
        atomic_store(&db->n_tables, n + 1);
        *out = db->tables[n];
    }
out:
    pthread_mutex_unlock(&db->tables_mu);
    return rc;
}

static bool batch_touches(const eng_batch *b, uint32_t id)
{
    return (b->tables[id / 64] >> (id % 64)) & 1;
}

/*
 * stall -- backpressure: waits while a touched table has too many unflushed
 * memtables. 0, or the error of the table's last flush if it failed while
 * the table is at the limit: a flush that cannot succeed (a full disk)
 * must not hang the writer (lsm.c).
 */
static int stall(eng_db *db, const eng_batch *b)
{
    int rc = 0;
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        eng_table *t = db->tables[i];
        if (!batch_touches(b, t->id))
            continue;
        pthread_mutex_lock(&t->mu);
        while (t->n_frozen >= db->opts.max_frozen_memtables && db->opts.background &&
               t->flush_err == 0)
            pthread_cond_wait(&t->changed, &t->mu);
        if (t->n_frozen >= db->opts.max_frozen_memtables && db->opts.background)
            rc = t->flush_err;
        pthread_mutex_unlock(&t->mu);
    }
    return rc;
}

/* apply -- inserts a logged record into the active memtables. REQUIRES: switch_lock shared. */
static int apply(eng_db *db, const eng_batch *b, eng_clog_pos pos, bool *full)
{
    eng_batch_iter it;
    uint32_t id;
    eng_entry e;
    int rc = eng_batch_iter_init(&it, b->rec.data, b->rec.len);
    *full = false;
    while (rc == 0 && (rc = eng_batch_iter_next(&it, &id, &e)) == 1) {
        eng_table *t = eng_db_table_by_id(db, id);
        rc = t ? eng_memtable_add(t->active, &e) : CF_EINVAL;
        if (rc == 0)
            atomic_fetch_add(&t->user_bytes, e.key.pk.len + e.key.ck.len + e.key.col.len +
                                                 e.value.len);
    }
    size_t n = atomic_load(&db->n_tables);
    uint64_t packed = eng_pos_pack(pos);
    for (size_t i = 0; i < n; i++) {
        eng_table *t = db->tables[i];
        if (!batch_touches(b, t->id))
            continue;
        uint_fast64_t last = atomic_load(&t->active_last);
        while (packed > last && !atomic_compare_exchange_weak(&t->active_last, &last, packed))
            ;
        if (eng_memtable_bytes(t->active) >= db->opts.memtable_bytes)
            *full = true;
    }
    return rc < 0 ? rc : 0;
}

/* switch_full -- freezes every table whose memtable is over its size. */
static int switch_full(eng_db *db)
{
    int rc = 0;
    pthread_rwlock_wrlock(&db->switch_lock);
    eng_clog_pos end = eng_commitlog_next_pos(db->clog);
    size_t n = atomic_load(&db->n_tables);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (eng_memtable_bytes(db->tables[i]->active) >= db->opts.memtable_bytes)
            rc = eng_table_freeze(db->tables[i], end);
    pthread_rwlock_unlock(&db->switch_lock);
    if (db->opts.background) {
        eng_db_bg_wake(db);
        return rc;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        pthread_mutex_lock(&db->tables[i]->mu);
        size_t frozen = db->tables[i]->n_frozen;
        pthread_mutex_unlock(&db->tables[i]->mu);
        while (rc == 0 && frozen-- > 0)
            rc = eng_table_flush_oldest(db->tables[i]);
    }
    return rc;
}

int eng_db_write(eng_db *db, eng_batch *b)
{
    if (b->count == 0)
        return 0;
    if (b->rec.len > ENG_CLOG_MAX_RECORD_BYTES)
        return CF_ELIMIT;
    int rc = stall(db, b);
    if (rc)
        return rc; /* nothing logged or applied */
    eng_batch_stamp(b, b->ts ? b->ts : eng_db_now_ts(db));
    eng_clog_pos pos;
    bool full = false;
    pthread_rwlock_rdlock(&db->switch_lock);
    rc = eng_commitlog_append(db->clog, b->rec.data, b->rec.len, &pos);
    if (!rc)
        rc = apply(db, b, pos, &full);
    pthread_rwlock_unlock(&db->switch_lock);
    if (rc)
        return rc;
    b->logged = true;
    b->logged_at = pos;
    if (!b->no_wait) {
        rc = eng_commitlog_sync_wait(db->clog, pos); /* invariant (1) */
        if (rc)
            return rc;
    }
    atomic_fetch_add(&db->writes, 1);
    return full ? switch_full(db) : 0;
}

int eng_db_wait(eng_db *db, const eng_batch *b)
{
    return b->logged ? eng_commitlog_sync_wait(db->clog, b->logged_at) : 0;
}

int eng_table_flush(eng_table *t)
{
    return flush_table(t);
}

int eng_table_compact(eng_table *t)
{
    bool did = true;
    int rc = 0;
    while (rc == 0 && did)
        rc = eng_table_compact_once(t, &did);
    return rc;
}

void eng_table_stats_get(eng_table *t, eng_table_stats *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&t->mu);
    out->sstables = t->version->n;
    for (size_t i = 0; i < t->version->n; i++)
        out->sstable_bytes += eng_sst_get_stats(t->version->ssts[i])->file_bytes;
    out->memtable_bytes = eng_memtable_bytes(t->active);
    for (size_t i = 0; i < t->n_frozen; i++)
        out->memtable_bytes += eng_memtable_bytes(t->frozen[i]);
    pthread_mutex_unlock(&t->mu);
    out->user_bytes = atomic_load(&t->user_bytes);
    out->flush_bytes = atomic_load(&t->flush_bytes);
    out->compaction_bytes = atomic_load(&t->compaction_bytes);
    out->ingest_bytes = atomic_load(&t->ingest_bytes);
    out->sst_consulted = atomic_load(&t->sst_consulted);
    out->flushes = atomic_load(&t->flushes);
    out->compactions = atomic_load(&t->compactions);
    out->ingests = atomic_load(&t->ingests);
}

void eng_db_stats_get(eng_db *db, eng_db_stats *out)
{
    memset(out, 0, sizeof *out);
    eng_commitlog_stats cs;
    eng_commitlog_stats_get(db->clog, &cs);
    out->commitlog_bytes = cs.bytes_written;
    out->commitlog_syncs = cs.syncs;
    out->commitlog_segments = cs.segments;
    out->writes = atomic_load(&db->writes);
}
