/*
 * oacs_test.c -- the object-aware layout of blobs (engine/oacs.c) seen
 * from the store: a large blob's chunks live in SSTables of its own, written
 * once; deleting it unlinks those files whole, touching no other blob;
 * small blobs share flushed files and are reclaimed by compaction; and the
 * start-up sweep drops blobs a crash left unreferenced.
 */
#include <dirent.h>
#include <unistd.h>

#include "engine/db.h"
#include "fixture.h"

/* sst_files -- *.sst files in the chunks table's directory. */
static int sst_files(env *e)
{
    char path[400];
    snprintf(path, sizeof path, "%s/tables/%s", e->dir, STORE_T_CHUNKS);
    DIR *d = opendir(path);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        n += len > 4 && strcmp(de->d_name + len - 4, ".sst") == 0;
    }
    if (d)
        closedir(d);
    return n;
}

/* open_deleted_ssts -- this process's fds on SSTables that have been unlinked. */
static int open_deleted_ssts(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char link[300], target[512];
        snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        n += strstr(target, ".sst (deleted)") != NULL;
    }
    if (d)
        closedir(d);
    return n;
}

/*
 * A deleted blob's file: its name is gone when the delete returns; its last
 * close, which frees the file's pages and extents (a third of a second for
 * 1 GiB on ext4, once in the request path), happens on the engine's
 * background thread, soon, and nothing is left open.
 */
static void test_delete_leaves_the_slow_last_close_to_a_background_thread(void)
{
    env *e = calloc(1, sizeof *e);
    e->background = 1;
    env_open(e, test_tmpdir(), 64 << 20);
    CHECK_EQ(store_bucket_create(e->s, S("bkt"), S("owner"), NULL, 0, NULL), 0);
    CHECK_EQ(put_obj(e, "bkt", "big", 40 * CB + 11, 7, NULL, NULL), 0);
    CHECK_EQ(sst_files(e), 1);
    CHECK_EQ(open_deleted_ssts(), 0);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("big"), NULL), 0);
    CHECK_EQ(sst_files(e), 0); /* the name, at once */
    int left = 1;
    for (int i = 0; i < 500 && (left = open_deleted_ssts()) > 0; i++)
        usleep(10 * 1000);
    CHECK_EQ(left, 0); /* the file itself, closed by the background thread */
    env_free(e);
}

static void test_large_blobs_own_files_and_delete_unlinks_them_whole(void)
{
    env *e = env_new(64 << 20);
    store_meta m[3];
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof key, "big%d", i);
        CHECK_EQ(put_obj(e, "bkt", key, 40 * CB + 11, 10 + i, NULL, &m[i]), 0);
    }
    /* each blob: one ingested file with all of its 41 chunks, and nothing else */
    eng_table_stats st;
    eng_table_stats_get(e->chunks, &st);
    CHECK_EQ(st.sstables, 3);
    CHECK_EQ(sst_files(e), 3);
    CHECK_EQ(st.flushes, 0);
    CHECK_EQ(st.compaction_bytes, 0);
    CHECK(st.ingest_bytes >= 3 * (40 * CB + 11));
    CHECK_EQ(st.user_bytes, 0);
    CHECK(st.ingest_bytes < 3 * 40 * CB * 105 / 100); /* written once, ~no overhead */
    /* delete the middle one: its file goes at once, unread; the others stay */
    store_stats before, after;
    store_stats_get(e->s, &before);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("big1"), NULL), 0);
    store_stats_get(e->s, &after);
    CHECK_EQ(after.blob_files_dropped - before.blob_files_dropped, 1);
    CHECK_EQ(after.chunks_read, before.chunks_read);
    eng_table_stats_get(e->chunks, &st);
    CHECK_EQ(st.sstables, 2);
    CHECK_EQ(sst_files(e), 2);
    CHECK_EQ(st.compaction_bytes, 0);
    CHECK_EQ(check_range(e, &m[0], 0, m[0].size, 10), 41);
    CHECK_EQ(check_range(e, &m[2], 0, m[2].size, 12), 41);
    uint64_t got;
    CHECK_EQ(read_err(e, &m[1], 0, m[1].size, &got), CF_ENOTFOUND);
    /* restart: the files stay gone, every other object is intact */
    env_close(e);
    env_open(e, e->dir, 64 << 20);
    CHECK_EQ(sst_files(e), 3); /* the two blobs', and the memtable flushed at close */
    store_meta h;
    CHECK_EQ(store_head(e->s, S("bkt"), S("big0"), &h), 0);
    CHECK_EQ(check_range(e, &h, 0, h.size, 10), 41);
    CHECK_EQ(store_head(e->s, S("bkt"), S("big1"), &h), CF_ENOTFOUND);
    /* compaction never reads or rewrites a blob's own files */
    CHECK_EQ(eng_table_flush(e->chunks), 0);
    CHECK_EQ(eng_table_compact(e->chunks), 0);
    eng_table_stats_get(e->chunks, &st);
    CHECK(st.compaction_bytes < 4 * CB); /* the small files only: first chunks, tombstones */
    /* an overwrite drops the old blob's file too */
    CHECK_EQ(put_obj(e, "bkt", "big2", 20 * CB, 20, NULL, NULL), 0);
    CHECK_EQ(sst_files(e), 3); /* big2's old file went, its new one came */
    env_free(e);
}

static void test_small_blobs_share_flushes_and_compaction_reclaims_them(void)
{
    env *e = env_new(64 << 20);
    for (int i = 0; i < 200; i++) { /* 20 MB of one-chunk blobs in one flush */
        char key[16];
        snprintf(key, sizeof key, "s%03d", i);
        CHECK_EQ(put_obj(e, "bkt", key, 100000 + (uint64_t)i, (uint32_t)i, NULL, NULL), 0);
    }
    CHECK_EQ(eng_table_flush(e->chunks), 0);
    eng_table_stats st;
    eng_table_stats_get(e->chunks, &st);
    CHECK(st.sstables < 20); /* 200 small blobs share a few files, not one each */
    /* tiering converges even when a merge frees nothing (it once looped:
     * outputs split into as many files as the inputs, picked again) */
    int rounds = 0;
    for (bool did = true; did && rounds < 20; rounds++)
        CHECK_EQ(eng_table_compact_once(e->chunks, &did), 0);
    CHECK(rounds < 20);
    for (int i = 0; i < 200; i += 2) {
        char key[16];
        snprintf(key, sizeof key, "s%03d", i);
        CHECK_EQ(store_delete(e->s, S("bkt"), S(key), NULL), 0);
    }
    CHECK_EQ(eng_table_flush(e->chunks), 0);
    CHECK_EQ(count_rows(e->chunks), 100);
    /* size-tiered compaction of the shared files converges (it once looped:
     * outputs split into as many files as its inputs) and frees the dead */
    eng_table_stats_get(e->chunks, &st);
    uint64_t flushed = st.flush_bytes;
    CHECK_EQ(eng_table_compact(e->chunks), 0);
    eng_table_stats_get(e->chunks, &st);
    CHECK(st.compaction_bytes <= flushed);
    CHECK(st.sstables <= 4);
    CHECK_EQ(count_rows(e->chunks), 100);
    for (int i = 1; i < 200; i += 2) {
        char key[16];
        snprintf(key, sizeof key, "s%03d", i);
        store_meta h;
        CHECK_EQ(store_head(e->s, S("bkt"), S(key), &h), 0);
        CHECK_EQ(check_range(e, &h, 0, h.size, (uint32_t)i), 1);
    }
    env_free(e);
}

/* orphan -- a blob of n chunks written and made durable, but never committed to an object. */
static void orphan(env *e, uint64_t n, uint8_t *id)
{
    store_writer *w = NULL;
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S("lost"), &w), 0);
    static uint8_t buf[CB];
    for (uint64_t i = 0; i < n; i++)
        CHECK_EQ(store_put_write(w, buf, CB), 0);
    CHECK_EQ(store_writer_stage_tail(w), 0); /* the ingest finished: files durable */
    CHECK_EQ(eng_db_write(e->db, w->batch), 0);
    memcpy(id, w->blob.id, 16);
    store_writer_free(w); /* the "crash": no object row ever written */
}

static void test_sweep_drops_orphans_and_keeps_live_blobs(void)
{
    env *e = env_new(8 << 20);
    store_meta live;
    CHECK_EQ(put_obj(e, "bkt", "live", 10 * CB, 7, NULL, &live), 0);
    uint8_t lost_big[16], lost_small[16];
    orphan(e, 30, lost_big);
    orphan(e, 1, lost_small);
    uint8_t up[16];
    store_meta um = {0};
    CHECK_EQ(store_upload_create(e->s, S("bkt"), S("mp"), &um, up), 0);
    store_writer *w;
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S("mp"), &w), 0);
    static uint8_t buf[3 * CB];
    CHECK_EQ(store_put_write(w, buf, sizeof buf), 0);
    store_part p = {.number = 1, .size = sizeof buf};
    CHECK_EQ(store_part_commit(w, up, &p), 0); /* a live upload's part: referenced */
    CHECK_EQ(sst_files(e), 3);
    env_close(e);
    env_open(e, e->dir, 8 << 20);
    uint64_t blobs = 0, layouts = 0;
    CHECK_EQ(store_sweep(e->s, &blobs, &layouts), 0);
    CHECK_EQ(blobs, 2);
    CHECK_EQ(layouts, 0);
    CHECK_EQ(chunk_get(e, lost_big, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, lost_big, 0, 5), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, lost_small, 0, 0), CF_ENOTFOUND);
    /* both orphans' files went: the large one's own, and the one the close's
     * flush wrote with the small one's only chunk */
    CHECK_EQ(sst_files(e), 2);
    CHECK_EQ(check_range(e, &live, 0, live.size, 7), 10);
    CHECK_EQ(chunk_get(e, p.blob_id, 0, 2), 0);
    /* a second sweep finds nothing */
    CHECK_EQ(store_sweep(e->s, &blobs, &layouts), 0);
    CHECK_EQ(blobs, 0);
    env_free(e);
}

/* A read of one blob opens its own file only, however many other blobs' files exist. */
static void test_read_consults_only_the_blobs_own_files(void)
{
    env *e = env_new(64 << 20);
    store_meta m[40];
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof key, "o%02d", i);
        CHECK_EQ(put_obj(e, "bkt", key, 3 * CB, (uint32_t)i, NULL, &m[i]), 0);
    }
    CHECK_EQ(sst_files(e), 40);
    eng_table_stats a, b;
    eng_table_stats_get(e->chunks, &a);
    CHECK_EQ(check_range(e, &m[17], CB, 2 * CB, 17), 2); /* chunks 1 and 2: in its file */
    eng_table_stats_get(e->chunks, &b);
    CHECK_EQ(b.sst_consulted - a.sst_consulted, 1);
    env_free(e);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_large_blobs_own_files_and_delete_unlinks_them_whole),
        TEST(test_delete_leaves_the_slow_last_close_to_a_background_thread),
        TEST(test_small_blobs_share_flushes_and_compaction_reclaims_them),
        TEST(test_sweep_drops_orphans_and_keeps_live_blobs),
        TEST(test_read_consults_only_the_blobs_own_files),
    };
    return test_main(cases, TEST_COUNT(cases));
}
