/*
 * diskfull_test.c -- the engine on a real full disk: a small tmpfs per case
 * (skipped where this process may not mount one), filled with test_fill().
 *
 * What each write path does out of space (doc/limits.md, "A full disk"):
 * an ingest fails with CF_ENOSPC, leaves no file and the database keeps
 * working; a flush fails, keeps its memtable and succeeds once there is
 * space; writers stalled behind flushes that cannot run get CF_ENOSPC, not
 * a hang, and write again once space is back, without a reopen; a commitlog
 * that cannot write fails every write with CF_ENOSPC until it is reopened,
 * which works on the still full disk, and loses nothing acknowledged.
 * The commitlog's and the manifest's own cases are in their tests.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "test.h"
#include "util/log.h"

#define VALUE_BYTES (64u << 10)

static uint8_t value_buf[VALUE_BYTES];

static cf_slice S(const char *s)
{
    return slice_str(s);
}

/* value -- the len bytes of row id's value, regenerated to compare. */
static cf_slice value(unsigned id, size_t len)
{
    test_pattern(value_buf, len, id);
    return slice_make(value_buf, len);
}

static cf_slice row_key(char *buf, unsigned id)
{
    snprintf(buf, 16, "r%06u", id);
    return S(buf);
}

static eng_db *open_db(const char *dir, uint64_t memtable_bytes, int background)
{
    eng_db_opts o;
    eng_db_opts_default(&o, dir);
    o.memtable_bytes = memtable_bytes;
    o.background = background;
    o.commitlog_segment_bytes = 4u << 20;
    eng_db *db = NULL;
    CHECK_EQ(eng_db_open(&o, &db), 0);
    return db;
}

/* put -- row id of partition "p" with a value of len bytes: eng_db_write's result. */
static int put(eng_db *db, eng_table *t, unsigned id, size_t len)
{
    eng_batch *b;
    eng_batch_new(&b);
    char k[16];
    eng_cell c = {S("v"), value(id, len)};
    eng_batch_put(b, t, S("p"), row_key(k, id), &c, 1);
    int rc = eng_db_write(db, b);
    eng_batch_free(b);
    return rc;
}

/* has -- row id reads back with exactly its value of len bytes. */
static bool has(eng_table *t, unsigned id, size_t len)
{
    char k[16];
    eng_iter *it;
    if (eng_get(t, S("p"), row_key(k, id), &it) != 0)
        return false;
    eng_cell_view v;
    cf_slice want = value(id, len);
    bool ok = eng_iter_find(it, S("v"), &v) == 0 && slice_eq(v.value, want);
    eng_iter_close(it);
    return ok;
}

static uint64_t free_bytes(const char *dir)
{
    struct statvfs st;
    return statvfs(dir, &st) == 0 ? (uint64_t)st.f_bavail * st.f_frsize : 0;
}

/* files -- .sst files in the table directory; *tmp counts leftover .tmp ones. */
static int files(const char *dir, const char *table, int *tmp)
{
    char path[600];
    snprintf(path, sizeof path, "%s/tables/%s", dir, table);
    int n = 0;
    *tmp = 0;
    DIR *d = opendir(path);
    for (struct dirent *de; d && (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        n += len > 4 && strcmp(de->d_name + len - 4, ".sst") == 0;
        *tmp += len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

/* ingest -- rows [from, from + n) of VALUE_BYTES into t: the first error, or finish's result. */
static int ingest(eng_table *t, unsigned from, unsigned n)
{
    eng_ingest *in;
    int rc = eng_ingest_begin(t, &in);
    char k[16];
    for (unsigned id = from; rc == 0 && id < from + n; id++) {
        eng_cell c = {S("v"), value(id, VALUE_BYTES)};
        rc = eng_ingest_put(in, S("p"), row_key(k, id), &c, 1);
    }
    if (rc == 0)
        return eng_ingest_finish(in);
    eng_ingest_abort(in);
    return rc;
}

static const char *small_disk(size_t bytes)
{
    const char *dir = test_tmpfs(bytes);
    if (!dir)
        test_skip("cannot mount a tmpfs");
    return dir ? strdup(dir) : NULL;
}

/* ingest.c invariant (4): the common case, a large value that does not fit */
static void test_ingest_out_of_space_leaves_nothing_and_the_db_keeps_working(void)
{
    char *dir = (char *)small_disk(4u << 20);
    if (!dir)
        return;
    eng_db *db = open_db(dir, 8u << 20, 0);
    eng_table *t;
    CHECK_EQ(eng_table_open(db, "chunks", "stcs", &t), 0);
    for (unsigned id = 0; id < 4; id++)
        CHECK_EQ(put(db, t, id, 1000), 0);
    CHECK_EQ(ingest(t, 100, 4), 0); /* 256 KiB fits */
    int tmp, before = files(dir, "chunks", &tmp);
    uint64_t free_before = free_bytes(dir);
    CHECK_EQ(ingest(t, 200, 100), CF_ENOSPC); /* 6.4 MiB does not */
    CHECK_EQ(files(dir, "chunks", &tmp), before);
    CHECK_EQ(tmp, 0);
    CHECK(free_bytes(dir) >= free_before); /* every byte it wrote is free again */
    CHECK(!has(t, 200, VALUE_BYTES));
    CHECK_EQ(put(db, t, 4, 1000), 0); /* no reopen: the log and the manifest still work */
    CHECK_EQ(ingest(t, 300, 8), 0);
    for (unsigned id = 0; id < 5; id++)
        CHECK(has(t, id, 1000));
    for (unsigned id = 300; id < 308; id++)
        CHECK(has(t, id, VALUE_BYTES));
    eng_db_close(db);
    db = open_db(dir, 8u << 20, 0);
    CHECK_EQ(eng_table_open(db, "chunks", "stcs", &t), 0);
    CHECK(has(t, 0, 1000) && has(t, 103, VALUE_BYTES) && has(t, 307, VALUE_BYTES));
    CHECK(!has(t, 200, VALUE_BYTES));
    eng_db_close(db);
    free(dir);
}

/* lsm.c: a failed flush keeps its memtable (nothing lost, nothing left) and succeeds later */
static void test_flush_out_of_space_keeps_the_memtable_and_succeeds_later(void)
{
    char *dir = (char *)small_disk(4u << 20);
    if (!dir)
        return;
    char filler[600];
    snprintf(filler, sizeof filler, "%s/filler", dir);
    eng_db *db = open_db(dir, 8u << 20, 0);
    eng_table *t;
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    for (unsigned id = 0; id < 100; id++)
        CHECK_EQ(put(db, t, id, 4000), 0);
    test_fill(filler);
    CHECK_EQ(eng_table_flush(t), CF_ENOSPC);
    int tmp;
    CHECK_EQ(files(dir, "t", &tmp), 0);
    CHECK_EQ(tmp, 0);
    eng_table_stats st;
    eng_table_stats_get(t, &st);
    CHECK(st.memtable_bytes > 400000 && st.sstables == 0);
    for (unsigned id = 0; id < 100; id++)
        CHECK(has(t, id, 4000));
    unlink(filler);
    CHECK_EQ(eng_table_flush(t), 0);
    eng_table_stats_get(t, &st);
    CHECK(st.memtable_bytes == 0 && st.sstables == 1);
    CHECK_EQ(put(db, t, 100, 4000), 0);
    eng_db_close(db);
    db = open_db(dir, 8u << 20, 0);
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    for (unsigned id = 0; id <= 100; id++)
        CHECK(has(t, id, 4000));
    eng_db_close(db);
    free(dir);
}

/*
 * db.c stall(): with flushes failing for space, a writer behind a full
 * backlog of memtables gets CF_ENOSPC instead of waiting forever (the
 * alarm turns a hang into a failure). The log writes into the segment it
 * zero-filled before the disk filled up, so it keeps working: once space is
 * back, the background flush catches up and writes go on without a reopen.
 */
static void test_writers_get_enospc_not_a_hang_when_flushes_cannot_run(void)
{
    char *dir = (char *)small_disk(4u << 20);
    if (!dir)
        return;
    char filler[600];
    snprintf(filler, sizeof filler, "%s/filler", dir);
    alarm(60);
    eng_db *db = open_db(dir, 16u << 10, 1);
    eng_table *t;
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    CHECK_EQ(put(db, t, 0, 500), 0); /* the log zero-fills ahead of it */
    test_fill(filler);
    unsigned id = 1;
    int rc = 0;
    for (; rc == 0 && id < 2000; id++)
        rc = put(db, t, id, 500);
    CHECK_EQ(rc, CF_ENOSPC);
    unsigned refused = id - 1;
    for (unsigned i = 0; i < refused; i++)
        CHECK(has(t, i, 500));
    CHECK(!has(t, refused, 500));
    unlink(filler);
    rc = CF_ENOSPC;
    for (int tries = 0; rc == CF_ENOSPC && tries < 100; tries++) {
        struct timespec ms100 = {0, 100 * 1000 * 1000};
        nanosleep(&ms100, NULL); /* the flush thread retries every second */
        rc = put(db, t, refused, 500);
    }
    CHECK_EQ(rc, 0);
    for (unsigned i = refused + 1; i < refused + 50; i++)
        CHECK_EQ(put(db, t, i, 500), 0);
    eng_table_stats st;
    eng_table_stats_get(t, &st);
    CHECK(st.flushes > 0);
    eng_db_close(db);
    db = open_db(dir, 16u << 10, 0);
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    for (unsigned i = 0; i < refused + 50; i++)
        CHECK(has(t, i, 500));
    eng_db_close(db);
    alarm(0);
    free(dir);
}

/*
 * commitlog.h invariant (5): once a record cannot be written the log fails,
 * and every write says CF_ENOSPC (an ingest too: ingest.c (5)) while reads
 * go on. It reopens on the still full disk (the manifest keeps its file,
 * the torn record is cut) with everything acknowledged and nothing else,
 * and takes writes again once there is space (a reserve file set aside at
 * the start is removed: the flush and the new log segment need room).
 */
static void test_log_out_of_space_fails_writes_until_reopened_and_loses_nothing(void)
{
    char *dir = (char *)small_disk(2u << 20);
    if (!dir)
        return;
    char filler[600], reserve[600];
    snprintf(filler, sizeof filler, "%s/filler", dir);
    snprintf(reserve, sizeof reserve, "%s/reserve", dir);
    FILE *f = fopen(reserve, "wb");
    for (int i = 0; f && i < 16; i++)
        fwrite(value(0, VALUE_BYTES).ptr, 1, VALUE_BYTES, f); /* 1 MiB */
    if (!CHECK(f != NULL && fclose(f) == 0))
        return;
    eng_db *db = open_db(dir, 8u << 20, 0);
    eng_table *t;
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    unsigned id = 0;
    int rc = 0;
    for (; rc == 0 && id < 1000; id++)
        rc = put(db, t, id, 8000);
    CHECK_EQ(rc, CF_ENOSPC);
    unsigned failed = id - 1;
    CHECK(failed > 50); /* ~1 MiB of 8 KB records */
    CHECK_EQ(put(db, t, 5000, 10), CF_ENOSPC);
    eng_ingest *in;
    CHECK_EQ(eng_ingest_begin(t, &in), CF_ENOSPC);
    for (unsigned i = 0; i < failed; i++)
        CHECK(has(t, i, 8000));
    eng_db_close(db);

    test_fill(filler); /* whatever the cut left */
    db = open_db(dir, 8u << 20, 0);
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    for (unsigned i = 0; i < failed; i++)
        CHECK(has(t, i, 8000));
    CHECK(!has(t, failed, 8000));
    eng_db_close(db);

    unlink(filler);
    unlink(reserve);
    db = open_db(dir, 8u << 20, 0);
    CHECK_EQ(eng_table_open(db, "t", "stcs", &t), 0);
    CHECK_EQ(eng_table_flush(t), 0);
    CHECK_EQ(put(db, t, failed, 8000), 0);
    for (unsigned i = 0; i <= failed; i++)
        CHECK(has(t, i, 8000));
    eng_db_close(db);
    free(dir);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    static const test_case cases[] = {
        TEST(test_ingest_out_of_space_leaves_nothing_and_the_db_keeps_working),
        TEST(test_flush_out_of_space_keeps_the_memtable_and_succeeds_later),
        TEST(test_writers_get_enospc_not_a_hang_when_flushes_cannot_run),
        TEST(test_log_out_of_space_fails_writes_until_reopened_and_loses_nothing),
    };
    return test_main(cases, TEST_COUNT(cases));
}
