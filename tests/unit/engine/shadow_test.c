/*
 * shadow_test.c -- the tombstone tracker: which entries each kind of deletion hides.
 *
 * Each case feeds one stream in key order (as a merge yields it) and checks
 * the shadowed flag of every entry, including ties (deletion wins), the
 * bounds of range tombstones, tombstones hidden by wider ones, and the reset
 * at a partition boundary.
 */
#include <stdio.h>
#include <string.h>

#include "engine/shadow.h"
#include "test.h"
#include "util/err.h"

static eng_entry mk(const char *pk, uint8_t sec, const char *ck, uint8_t sub, const char *col,
                    int64_t ts, bool tomb)
{
    eng_entry e = {0};
    e.key.pk = slice_str(pk);
    e.key.sec = sec;
    e.key.ck = slice_str(ck);
    e.key.sub = sub;
    e.key.col = slice_str(col);
    e.ts = ts;
    e.flags = tomb ? ENG_F_TOMBSTONE : 0;
    e.value = slice_str(tomb ? "" : "v");
    return e;
}

static eng_entry pdel(const char *pk, int64_t ts)
{
    return mk(pk, ENG_SEC_PARTITION, "", 0, "", ts, true);
}

static eng_entry rdel(const char *pk, const char *start, uint8_t bounds, const char *end,
                      int64_t ts)
{
    return mk(pk, ENG_SEC_RANGE, start, bounds, end, ts, true);
}

static eng_entry rowdel(const char *pk, const char *ck, int64_t ts)
{
    return mk(pk, ENG_SEC_ROW, ck, ENG_SUB_ROW_DEL, "", ts, true);
}

static eng_entry cell(const char *pk, const char *ck, const char *col, int64_t ts)
{
    return mk(pk, ENG_SEC_ROW, ck, ENG_SUB_CELL, col, ts, false);
}

/*
 * Feeds e[0..n) to a fresh tracker and compares each shadowed flag with
 * want[i] ('S' shadowed, '.' kept). Strings copied into scratch buffers that
 * are overwritten after each feed prove the tracker keeps its own copies.
 */
static void run(const eng_entry *e, size_t n, const char *want)
{
    if (!CHECK_EQ(strlen(want), n))
        return;
    eng_shadow s;
    eng_shadow_init(&s);
    char pk[32], ck[32], col[32];
    for (size_t i = 0; i < n; i++) {
        eng_entry x = e[i];
        memcpy(pk, x.key.pk.ptr, x.key.pk.len);
        memcpy(ck, x.key.ck.ptr, x.key.ck.len);
        memcpy(col, x.key.col.ptr, x.key.col.len);
        x.key.pk.ptr = (const uint8_t *)pk;
        x.key.ck.ptr = (const uint8_t *)ck;
        x.key.col.ptr = (const uint8_t *)col;
        bool sh = !(want[i] == 'S');
        CHECK_EQ(eng_shadow_feed(&s, &x, &sh), 0);
        if (sh != (want[i] == 'S'))
            fprintf(stderr, "  entry %zu: shadowed=%d, want %c\n", i, sh, want[i]);
        CHECK_EQ(sh, want[i] == 'S');
        memset(pk, '#', sizeof pk);
        memset(ck, '#', sizeof ck);
        memset(col, '#', sizeof col);
    }
    eng_shadow_free(&s);
}

static void test_shadow_partition_tombstone_hides_older_and_equal_ts(void)
{
    const eng_entry e[] = {
        pdel("p", 10),
        rdel("p", "a", ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN, "", 10), /* tie: hidden */
        rdel("p", "b", ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN, "", 11),
        rowdel("p", "a", 9),
        cell("p", "a", "", 10), /* tie: hidden */
        cell("p", "a", "x", 12),
        cell("p", "c", "x", 11), /* under range 11 */
        cell("p", "c", "y", 12),
    };
    run(e, sizeof e / sizeof e[0], ".S.SS.S.");
}

static void test_shadow_range_tombstone_bounds(void)
{
    /* [b, d) at ts 5, (f, h] at ts 5, [x, end of partition) at ts 5 */
    const eng_entry e[] = {
        rdel("p", "b", ENG_RANGE_START_INCL, "d", 5),
        rdel("p", "f", ENG_RANGE_END_INCL, "h", 5),
        rdel("p", "x", ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN, "", 5),
        cell("p", "a", "c", 1), /* before */
        cell("p", "b", "c", 5), /* inclusive start, tie */
        cell("p", "c", "c", 6), /* inside but newer */
        cell("p", "cz", "c", 4),
        cell("p", "d", "c", 1), /* exclusive end */
        cell("p", "f", "c", 1), /* exclusive start */
        cell("p", "g", "c", 5),
        cell("p", "h", "c", 5), /* inclusive end */
        cell("p", "hh", "c", 1),
        cell("p", "x", "c", 5),
        cell("p", "zzz", "c", 2),
    };
    run(e, sizeof e / sizeof e[0], "....S.S..SS.SS");
}

static void test_shadow_row_tombstone_hides_only_its_row(void)
{
    const eng_entry e[] = {
        rowdel("p", "r1", 7),    /* kept */
        cell("p", "r1", "", 7),  /* the row marker, tie: hidden */
        cell("p", "r1", "a", 6), /* hidden */
        cell("p", "r1", "b", 8), /* newer: kept */
        cell("p", "r2", "", 1),  /* next row: no deletion */
        cell("p", "r2", "a", 7), /* kept */
        rowdel("p", "r3", 2),    /* kept */
        cell("p", "r3", "a", 3), /* kept */
    };
    run(e, sizeof e / sizeof e[0], ".SS.....");
}

static void test_shadow_tombstone_under_wider_newer_tombstone_is_shadowed(void)
{
    const eng_entry e[] = {
        pdel("p", 5),
        rdel("p", "a", ENG_RANGE_START_INCL, "z", 20), /* kept: newer than partition */
        rdel("p", "b", ENG_RANGE_START_INCL, "c", 20), /* inside [a,z), tie: hidden */
        rdel("p", "b", ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN, "", 19), /* wider: kept */
        rdel("p", "c", ENG_RANGE_START_INCL, "d", 30),                     /* newer: kept */
        rdel("p", "y", ENG_RANGE_START_INCL, "zz",
             10),              /* sticks out of [a,z) but inside [b,end) at 19 */
        rowdel("p", "b", 20),  /* under [a,z) 20 */
        rowdel("p", "c", 25),  /* [c,d) 30 covers it */
        rowdel("p", "zz", 19), /* under [b,end) 19 */
        rowdel("p", "zzz", 21),
        cell("p", "zzz", "a", 21),
    };
    run(e, sizeof e / sizeof e[0], "..S..SSSS.S");
}

static void test_shadow_partially_overlapping_range_is_kept(void)
{
    const eng_entry e[] = {
        rdel("p", "a", ENG_RANGE_START_INCL, "m", 9),
        rdel("p", "a", ENG_RANGE_START_INCL | ENG_RANGE_END_INCL, "m", 8), /* [a,m] not in [a,m) */
        rdel("p", "b", 0, "m", 9),                    /* (b, m) inside [a, m): hidden */
        rdel("p", "b", ENG_RANGE_START_INCL, "n", 9), /* sticks out past m */
        cell("p", "m", "c", 9),                       /* [a,m] 8 and [b,n) 9 cover m */
        cell("p", "m", "d", 10),
        cell("p", "n", "c", 1), /* every end bound is before n */
    };
    run(e, sizeof e / sizeof e[0], "..S.S..");

    const eng_entry f[] = {
        rdel("s", "a", 0, "m", 9),                    /* (a, m) */
        rdel("s", "a", ENG_RANGE_START_INCL, "c", 5), /* [a, c): a is outside (a, m) */
        cell("s", "a", "c", 5),
        cell("s", "b", "c", 6),
    };
    run(f, sizeof f / sizeof f[0], "..SS");
}

static void test_shadow_new_partition_resets_every_deletion(void)
{
    const eng_entry e[] = {
        pdel("p", 10),           rdel("p", "a", ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN, "", 20),
        rowdel("p", "r", 30),    cell("p", "r", "a", 30),
        cell("q", "r", "a", 1), /* same ck and column, other partition */
        cell("q", "s", "a", 1),  pdel("qq", 4),
        cell("qq", "r", "a", 4),
    };
    run(e, sizeof e / sizeof e[0], "...S...S");
}

static void test_shadow_deletion_ts_reports_newest_covering(void)
{
    eng_shadow s;
    eng_shadow_init(&s);
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("a")), INT64_MIN);
    const eng_entry e[] = {
        pdel("p", 3),
        rdel("p", "b", ENG_RANGE_START_INCL, "d", 7),
        rdel("p", "c", ENG_RANGE_START_INCL, "e", 9),
        rowdel("p", "c", 12),
    };
    bool sh;
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ(eng_shadow_feed(&s, &e[i], &sh), 0);
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("a")), 3);
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("b")), 7);
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("c")), 12); /* the current row */
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("cc")), 9);
    CHECK_EQ(eng_shadow_deletion_ts(&s, slice_str("e")), 3);
    eng_shadow_free(&s);
    eng_shadow_free(&s); /* free leaves it reusable, and freeing twice is harmless */
}

static void test_shadow_many_ranges_in_one_partition(void)
{
    /* 1000 disjoint ranges [rNNNN, rNNNN~) with ts = N, then one cell per range at ts 500 */
    eng_shadow s;
    eng_shadow_init(&s);
    char start[16], end[16];
    bool sh;
    for (int i = 0; i < 1000; i++) {
        snprintf(start, sizeof start, "r%04d", i);
        snprintf(end, sizeof end, "r%04d~", i);
        eng_entry r = rdel("p", start, ENG_RANGE_START_INCL, end, i);
        CHECK_EQ(eng_shadow_feed(&s, &r, &sh), 0);
        CHECK(!sh);
    }
    int hidden = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(start, sizeof start, "r%04d", i);
        eng_entry c = cell("p", start, "a", 500);
        CHECK_EQ(eng_shadow_feed(&s, &c, &sh), 0);
        hidden += sh;
        CHECK(sh == (i >= 500));
    }
    CHECK_EQ(hidden, 500);
    eng_shadow_free(&s);
}

static const test_case cases[] = {
    TEST(test_shadow_partition_tombstone_hides_older_and_equal_ts),
    TEST(test_shadow_range_tombstone_bounds),
    TEST(test_shadow_row_tombstone_hides_only_its_row),
    TEST(test_shadow_tombstone_under_wider_newer_tombstone_is_shadowed),
    TEST(test_shadow_partially_overlapping_range_is_kept),
    TEST(test_shadow_new_partition_resets_every_deletion),
    TEST(test_shadow_deletion_ts_reports_newest_covering),
    TEST(test_shadow_many_ranges_in_one_partition),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
