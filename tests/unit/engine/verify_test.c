/*
 * verify_test.c -- eng_db_verify, the engine's consistency check: it reads
 * every entry of every SSTable and passes on an intact database; a byte
 * flipped inside a data block makes it fail with CF_ECORRUPT naming one
 * damaged file, while the other table's files still count as checked.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "test.h"

#define ROWS 2000

static eng_db *open_db(const char *dir)
{
    eng_db_opts o;
    eng_db_opts_default(&o, dir);
    o.background = 0;
    eng_db *db = NULL;
    CHECK_EQ(eng_db_open(&o, &db), 0);
    return db;
}

/* fill -- ROWS rows in t, flushed to one SSTable. */
static void fill(eng_db *db, eng_table *t)
{
    eng_batch *b;
    CHECK_EQ(eng_batch_new(&b), 0);
    char pk[32], val[200];
    memset(val, 'v', sizeof val);
    for (int i = 0; i < ROWS; i++) {
        snprintf(pk, sizeof pk, "pk%06d", i);
        eng_cell c = {slice_str("c"), {(const uint8_t *)val, sizeof val}};
        CHECK_EQ(eng_batch_put(b, t, slice_str(pk), slice_str("ck"), &c, 1), 0);
    }
    CHECK_EQ(eng_db_write(db, b), 0);
    eng_batch_free(b);
    CHECK_EQ(eng_table_flush(t), 0);
}

/* flip_in_sst -- flips a byte in the middle of the one .sst file under dir/tables/name. */
static void flip_in_sst(const char *dir, const char *name)
{
    char tdir[600], path[1200];
    snprintf(tdir, sizeof tdir, "%s/tables/%s", dir, name);
    DIR *d = opendir(tdir);
    struct dirent *de;
    path[0] = '\0';
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n > 4 && strcmp(de->d_name + n - 4, ".sst") == 0)
            snprintf(path, sizeof path, "%s/%s", tdir, de->d_name);
    }
    if (d)
        closedir(d);
    CHECK(path[0] != '\0');
    int fd = open(path, O_RDWR);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    uint8_t b;
    off_t at = st.st_size / 3; /* inside the data blocks, before the index */
    CHECK_EQ(pread(fd, &b, 1, at), 1);
    b ^= 0x20;
    CHECK_EQ(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void test_verify_intact_then_flipped_byte(void)
{
    const char *dir = test_tmpdir();
    eng_db *db = open_db(dir);
    eng_table *a, *b;
    CHECK_EQ(eng_table_open(db, "a", "stcs", &a), 0);
    CHECK_EQ(eng_table_open(db, "b", "stcs", &b), 0);
    fill(db, a);
    fill(db, b);
    eng_verify_stats st;
    CHECK_EQ(eng_db_verify(db, &st), 0);
    CHECK_EQ(st.tables, 2);
    CHECK_EQ(st.files, 2);
    CHECK(st.entries >= 2 * ROWS); /* every row and cell entry */
    CHECK_EQ(st.corrupt_files, 0);
    CHECK(st.bytes > 2 * ROWS * 200);
    uint64_t all = st.entries;
    flip_in_sst(dir, "b");
    CHECK_EQ(eng_db_verify(db, &st), CF_ECORRUPT);
    CHECK_EQ(st.files, 2);
    CHECK_EQ(st.corrupt_files, 1);
    CHECK(st.entries >= all / 2 && st.entries < all); /* a's, and b's up to the damaged block */
    eng_db_close(db);
}

static const test_case cases[] = {
    TEST(test_verify_intact_then_flipped_byte),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
