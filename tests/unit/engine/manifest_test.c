/*
 * manifest_test.c -- manifest edits survive reopen, a torn last edit is cut
 * (damage that a valid edit follows is CF_ECORRUPT), snapshots rewrite the
 * file and leave one MANIFEST behind, and a full disk (a small tmpfs)
 * refuses edits without failing or corrupting the manifest, and does not
 * keep it from opening.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/log_format.h"
#include "engine/manifest.h"
#include "test.h"
#include "util/coding.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/log.h"

static int count_manifests(const char *dir, char *last, size_t cap)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));)
        if (strncmp(de->d_name, "MANIFEST-", 9) == 0) {
            n++;
            snprintf(last, cap, "%s/%s", dir, de->d_name);
        }
    if (d)
        closedir(d);
    return n;
}

static void test_manifest_edits_survive_reopen(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    eng_manifest_edit e = {0};
    eng_manifest_edit_table(&e, 1, "objects", "stcs");
    eng_manifest_edit_add(&e, 1, 5);
    eng_manifest_edit_add(&e, 1, 6);
    eng_manifest_edit_flushed(&e, 1, (eng_clog_pos){3, 4096});
    CHECK_EQ(eng_manifest_apply(m, &e), 0);
    eng_manifest_edit_free(&e);
    eng_manifest_edit e2 = {0};
    eng_manifest_edit_remove(&e2, 1, 5);
    eng_manifest_edit_add(&e2, 1, 9);
    CHECK_EQ(eng_manifest_apply(m, &e2), 0);
    eng_manifest_edit_free(&e2);
    eng_manifest_close(m);

    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    size_t n;
    const eng_manifest_table *t = eng_manifest_tables(m, &n);
    CHECK_EQ(n, 1);
    if (n == 1) {
        CHECK(strcmp(t[0].name, "objects") == 0 && strcmp(t[0].strategy, "stcs") == 0);
        CHECK(t[0].n_gens == 2 && t[0].gens[0] == 6 && t[0].gens[1] == 9);
        CHECK(t[0].flushed.seg == 3 && t[0].flushed.off == 4096);
    }
    CHECK_EQ(eng_manifest_max_gen(m), 9);
    eng_manifest_close(m);
    char last[512];
    CHECK_EQ(count_manifests(dir, last, sizeof last), 1);
}

static void test_manifest_torn_last_edit_is_cut(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    eng_manifest_edit e = {0};
    eng_manifest_edit_table(&e, 1, "t", "stcs");
    eng_manifest_edit_add(&e, 1, 1);
    CHECK_EQ(eng_manifest_apply(m, &e), 0);
    eng_manifest_edit_free(&e);
    eng_manifest_edit e2 = {0};
    eng_manifest_edit_add(&e2, 1, 2);
    CHECK_EQ(eng_manifest_apply(m, &e2), 0);
    eng_manifest_edit_free(&e2);
    eng_manifest_close(m);
    char path[512];
    count_manifests(dir, path, sizeof path);
    struct stat st;
    stat(path, &st);
    CHECK_EQ(truncate(path, st.st_size - 2), 0); /* tear the last edit */
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    size_t n;
    const eng_manifest_table *t = eng_manifest_tables(m, &n);
    CHECK(n == 1 && t[0].n_gens == 1 && t[0].gens[0] == 1);
    eng_manifest_close(m);
}

/* Regression: damage in an edit that valid edits follow was cut as a torn
 * tail, silently dropping the later edits (and so their SSTables). */
static void test_manifest_damage_before_valid_edit_is_ecorrupt(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    for (uint64_t gen = 1; gen <= 3; gen++) {
        eng_manifest_edit e = {0};
        if (gen == 1)
            eng_manifest_edit_table(&e, 1, "t", "stcs");
        eng_manifest_edit_add(&e, 1, gen);
        CHECK_EQ(eng_manifest_apply(m, &e), 0);
        eng_manifest_edit_free(&e);
    }
    eng_manifest_close(m);
    char path[512];
    count_manifests(dir, path, sizeof path);
    struct stat st;
    stat(path, &st);
    int fd = open(path, O_RDWR);
    uint8_t b; /* the second-to-last edit (ADD 1 2: 8 + 3 bytes) ends 11 bytes before the end */
    off_t at = st.st_size - 11 - 2;
    CHECK_EQ(pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    CHECK_EQ(pwrite(fd, &b, 1, at), 1);
    close(fd);
    CHECK_EQ(eng_manifest_open(dir, &m), CF_ECORRUPT);
    CHECK(m == NULL);
    CHECK_EQ(count_manifests(dir, path, sizeof path), 1); /* left in place */
}

static void test_manifest_snapshot_rewrites_large_log(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    eng_manifest_edit e = {0};
    eng_manifest_edit_table(&e, 1, "t", "stcs");
    CHECK_EQ(eng_manifest_apply(m, &e), 0);
    eng_manifest_edit_free(&e);
    /* edits of 1000 adds and 1000 removes (~12 KB each) pass the 1 MiB
     * slack well within 200 edits: the log is rewritten as a snapshot */
    for (uint64_t g = 1000; g <= 200000; g += 1000) {
        eng_manifest_edit x = {0};
        for (uint64_t k = 0; k < 1000; k++) {
            eng_manifest_edit_add(&x, 1, g + k);
            if (g > 1000)
                eng_manifest_edit_remove(&x, 1, g - 1000 + k);
        }
        if (eng_manifest_apply(m, &x) != 0) {
            CHECK(0);
            eng_manifest_edit_free(&x);
            break;
        }
        eng_manifest_edit_free(&x);
    }
    eng_manifest_close(m);
    char last[512];
    CHECK_EQ(count_manifests(dir, last, sizeof last), 1);
    struct stat st;
    stat(last, &st);
    CHECK(st.st_size < (2 << 20));
    CHECK(strstr(last, "MANIFEST-0000000000000001") == NULL); /* a later snapshot */
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    size_t n;
    const eng_manifest_table *t = eng_manifest_tables(m, &n);
    CHECK(n == 1 && t[0].n_gens == 1000 && t[0].gens[0] == 200000 && t[0].gens[999] == 200999);
    eng_manifest_close(m);
}

static void test_manifest_refuses_contradicting_edit(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    eng_manifest_edit e = {0};
    eng_manifest_edit_table(&e, 1, "t", "stcs");
    CHECK_EQ(eng_manifest_apply(m, &e), 0);
    eng_manifest_edit_free(&e);
    eng_manifest_edit x = {0};
    eng_manifest_edit_remove(&x, 1, 42); /* removes a file the table does not have */
    CHECK_EQ(eng_manifest_apply(m, &x), CF_ECORRUPT);
    eng_manifest_edit_free(&x);
    eng_manifest_edit y = {0};
    eng_manifest_edit_add(&y, 7, 1); /* unknown table */
    CHECK_EQ(eng_manifest_apply(m, &y), CF_ECORRUPT);
    eng_manifest_edit_free(&y);
    eng_manifest_close(m);
    /* nothing refused was written: the manifest still opens */
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    size_t n;
    const eng_manifest_table *t = eng_manifest_tables(m, &n);
    CHECK(n == 1 && t[0].n_gens == 0);
    eng_manifest_close(m);
}

/* big_edit -- an edit adding gens [from, from + n): ~4 bytes per gen, so n = 2000 spans pages. */
static void big_edit(eng_manifest_edit *e, uint64_t from, uint64_t n)
{
    for (uint64_t g = from; g < from + n; g++)
        eng_manifest_edit_add(e, 1, g);
}

static long long size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* opens dir's manifest and checks table 1 holds exactly gens [1, n] in order */
static void check_gens(const char *dir, uint64_t n)
{
    eng_manifest *m;
    if (!CHECK_EQ(eng_manifest_open(dir, &m), 0))
        return;
    size_t k;
    const eng_manifest_table *t = eng_manifest_tables(m, &k);
    bool ok = k == 1 && t[0].n_gens == n;
    for (uint64_t i = 0; ok && i < n; i++)
        ok = t[0].gens[i] == i + 1;
    CHECK(ok);
    eng_manifest_close(m);
}

/* apply_gens -- applies one edit adding gens [from, from + n) to table 1 (created first
 * if table): eng_manifest_apply's result. */
static int apply_gens(eng_manifest *m, bool table, uint64_t from, uint64_t n)
{
    eng_manifest_edit e = {0};
    if (table)
        eng_manifest_edit_table(&e, 1, "t", "stcs");
    big_edit(&e, from, n);
    int rc = eng_manifest_apply(m, &e);
    eng_manifest_edit_free(&e);
    return rc;
}

/* on_small_tmpfs -- an open manifest on a fresh 64 KiB tmpfs, table 1 holding gens [1, n]:
 * the directory (caller frees), the manifest file's path and a filler file's path there
 * (600 and 512 bytes); NULL, the case skipped, where no tmpfs can be mounted. */
static char *on_small_tmpfs(uint64_t n, eng_manifest **m, char *filler, char *path)
{
    const char *mnt = test_tmpfs(64 << 10);
    if (!mnt) {
        test_skip("cannot mount a tmpfs");
        return NULL;
    }
    char *dir = strdup(mnt);
    snprintf(filler, 600, "%s/filler", dir);
    CHECK_EQ(eng_manifest_open(dir, m), 0);
    CHECK_EQ(apply_gens(*m, true, 1, n), 0);
    count_manifests(dir, path, 512);
    return dir;
}

/* manifest.h invariant (4): an edit that finds no space is cut off the file and refused;
 * the manifest stays usable, and the same edit goes through once there is space. */
static void test_manifest_edit_without_space_is_refused_not_failed(void)
{
    char filler[600], path[512];
    eng_manifest *m;
    char *dir = on_small_tmpfs(10, &m, filler, path);
    if (!dir)
        return;
    long long before = size_of(path);
    test_fill(filler);
    CHECK_EQ(apply_gens(m, false, 11, 4000), CF_ENOSPC);
    CHECK_EQ(size_of(path), before); /* the partial record was cut */
    CHECK_EQ(apply_gens(m, false, 11, 4000), CF_ENOSPC); /* refused, not FAILED (that is CF_EIO) */
    unlink(filler);
    CHECK_EQ(apply_gens(m, false, 11, 4000), 0);
    eng_manifest_close(m);
    check_gens(dir, 4010);
    free(dir);
}

/* manifest.h invariant (4): with no space for the fresh snapshot, open appends to the file
 * it read, its torn last edit cut first; nothing is lost either way. */
static void test_manifest_opens_on_a_full_disk(void)
{
    char filler[600], path[512];
    eng_manifest *m;
    char *dir = on_small_tmpfs(2000, &m, filler, path);
    if (!dir)
        return;
    long long cut = size_of(path); /* where the torn edit starts */
    CHECK_EQ(apply_gens(m, false, 2001, 10), 0);
    eng_manifest_close(m);
    CHECK_EQ(truncate(path, size_of(path) - 3), 0); /* tear the last edit */
    test_fill(filler);
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    CHECK_EQ(count_manifests(dir, path, sizeof path), 1); /* no snapshot, no .tmp left */
    CHECK_EQ(size_of(path), cut);
    eng_manifest_close(m);
    check_gens(dir, 2000);
    unlink(filler);
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    CHECK_EQ(apply_gens(m, false, 2001, 10), 0);
    eng_manifest_close(m);
    check_gens(dir, 2010);
    free(dir);
}

/*
 * Found by fuzz/engine_manifest_fuzz.c: a TABLE op whose name or strategy
 * did not parse left check_ops() with a NULL cursor, which its loop then
 * compared and dereferenced. Both ways in must refuse the edit instead.
 */
static void test_manifest_table_op_with_bad_name_is_refused(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    char name[80];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0'; /* 79 bytes: the limit is 64 */
    eng_manifest_edit e = {0};
    eng_manifest_edit_table(&e, 1, name, "stcs");
    CHECK_EQ(eng_manifest_apply(m, &e), CF_ECORRUPT);
    eng_manifest_edit_free(&e);
    eng_manifest_close(m);
}

static void test_manifest_file_with_cut_table_name_is_corrupt(void)
{
    const char *dir = test_tmpdir();
    /* one record in MANIFEST-1: TABLE id 1, name_len 5 but 2 name bytes */
    static const uint8_t op[] = {1, 1, 5, 'a', 'b'};
    uint8_t rec[ENG_LOG_HEADER_BYTES + sizeof op];
    put_u32(rec, sizeof op);
    put_u32(rec + 4, eng_log_record_crc(1, op, sizeof op));
    memcpy(rec + ENG_LOG_HEADER_BYTES, op, sizeof op);
    char path[512];
    snprintf(path, sizeof path, "%s/MANIFEST-0000000000000001", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && file_write_all(fd, rec, sizeof rec) == 0);
    close(fd);
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), CF_ECORRUPT);
    CHECK(m == NULL);
}

/*
 * A damaged record with more records after it is not a torn tail: load()
 * used to cut the log there and open the manifest without the later edits
 * (whose SSTables the database then deletes as leftovers).
 */
static void test_manifest_damaged_record_before_the_last_is_corrupt(void)
{
    const char *dir = test_tmpdir();
    eng_manifest *m;
    CHECK_EQ(eng_manifest_open(dir, &m), 0);
    for (uint64_t g = 1; g <= 3; g++) {
        eng_manifest_edit e = {0};
        if (g == 1)
            eng_manifest_edit_table(&e, 1, "t", "stcs");
        eng_manifest_edit_add(&e, 1, g);
        CHECK_EQ(eng_manifest_apply(m, &e), 0);
        eng_manifest_edit_free(&e);
    }
    eng_manifest_close(m);
    char path[512];
    count_manifests(dir, path, sizeof path);
    /* records: 8 + 12 (TABLE 1 "t" "stcs", ADD 1 1), then 8 + 3 (ADD 1 2), 8 + 3 */
    int fd = open(path, O_RDWR);
    uint8_t gen = 9;
    CHECK(fd >= 0 && file_pwrite_all(fd, &gen, 1, 20 + 8 + 2) == 0); /* the 2nd ADD's gen */
    close(fd);
    CHECK_EQ(eng_manifest_open(dir, &m), CF_ECORRUPT);
    CHECK(m == NULL);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    static const test_case cases[] = {
        TEST(test_manifest_edits_survive_reopen),
        TEST(test_manifest_torn_last_edit_is_cut),
        TEST(test_manifest_damage_before_valid_edit_is_ecorrupt),
        TEST(test_manifest_snapshot_rewrites_large_log),
        TEST(test_manifest_refuses_contradicting_edit),
        TEST(test_manifest_edit_without_space_is_refused_not_failed),
        TEST(test_manifest_opens_on_a_full_disk),
        TEST(test_manifest_table_op_with_bad_name_is_refused),
        TEST(test_manifest_file_with_cut_table_name_is_corrupt),
        TEST(test_manifest_damaged_record_before_the_last_is_corrupt),
    };
    return test_main(cases, TEST_COUNT(cases));
}
