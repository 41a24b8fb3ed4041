/*
 * compaction_test.c -- eng_compaction_write over real SSTables, and the STCS pick.
 *
 * Inputs are written with the real SSTable writer and read back through
 * eng_sst_iter_new() and a merge; outputs are read back entry by entry and
 * compared byte for byte with the expected survivors. Failure cases check
 * the directory listing: after an error no file of the job may remain.
 * The STCS pick is tested here too (on real files, for their sizes), which
 * is why this file is longer than most.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/compaction.h"
#include "test.h"
#include "util/err.h"

static eng_entry mk(const char *pk, uint8_t sec, const char *ck, uint8_t sub, const char *col,
                    int64_t ts, const char *val)
{
    eng_entry e = {0};
    e.key.pk = slice_str(pk);
    e.key.sec = sec;
    e.key.ck = slice_str(ck);
    e.key.sub = sub;
    e.key.col = slice_str(col);
    e.ts = ts;
    e.flags = val ? 0 : ENG_F_TOMBSTONE;
    e.value = slice_str(val ? val : "");
    return e;
}

static eng_entry cell(const char *pk, const char *ck, const char *col, int64_t ts, const char *v)
{
    return mk(pk, ENG_SEC_ROW, ck, ENG_SUB_CELL, col, ts, v);
}

static eng_entry pdel(const char *pk, int64_t ts)
{
    return mk(pk, ENG_SEC_PARTITION, "", 0, "", ts, NULL);
}

static eng_entry rowdel(const char *pk, const char *ck, int64_t ts)
{
    return mk(pk, ENG_SEC_ROW, ck, ENG_SUB_ROW_DEL, "", ts, NULL);
}

static const eng_sst_writer_opts wopts = {.block_bytes = 4096, .bloom_bits_per_key = 10};

static uint64_t gen_seq(void *arg)
{
    return ++*(uint64_t *)arg;
}

/* Writes e[0..n) as <dir>/<gen>.sst and opens it; NULL (and a failed CHECK) on error. */
static eng_sst *write_sst(const char *dir, uint64_t gen, const eng_entry *e, size_t n)
{
    eng_sst_writer *w;
    eng_sst *s = NULL;
    if (!CHECK_EQ(eng_sst_writer_open(dir, gen, &wopts, &w), 0))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!CHECK_EQ(eng_sst_writer_add(w, &e[i]), 0)) {
            eng_sst_writer_abort(w);
            return NULL;
        }
    CHECK_EQ(eng_sst_writer_finish(w, &s), 0);
    return s;
}

/* A merge of iterators over ssts[0..n); NULL (and a failed CHECK) on error. */
static eng_iiter *merge_of(eng_sst *const *ssts, size_t n)
{
    eng_iiter *kids[8], *m = NULL;
    for (size_t i = 0; i < n; i++)
        if (!CHECK_EQ(eng_sst_iter_new(ssts[i], &kids[i]), 0))
            return NULL;
    CHECK_EQ(eng_merge_iter_new(kids, n, &m), 0);
    return m;
}

static bool same_entry(const eng_entry *a, const eng_entry *b)
{
    return eng_ikey_cmp(&a->key, &b->key) == 0 && a->ts == b->ts && a->flags == b->flags &&
           slice_eq(a->value, b->value);
}

/* True if the SSTable holds exactly want[0..n), in order. */
static bool sst_holds(eng_sst *s, const eng_entry *want, size_t n)
{
    eng_iiter *it;
    if (!CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        return false;
    size_t i = 0;
    bool ok = true;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), i++) {
        if (i >= n || !same_entry(eng_iiter_entry(it), &want[i])) {
            fprintf(stderr, "  entry %zu differs\n", i);
            ok = false;
            break;
        }
    }
    ok = ok && eng_iiter_status(it) == 0 && i == n;
    eng_iiter_close(it);
    return CHECK(ok);
}

/* Files in dir; *tmp counts those ending in ".tmp". */
static int count_files(const char *dir, int *tmp)
{
    DIR *d = opendir(dir);
    int n = 0;
    *tmp = 0;
    if (!d)
        return -1;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        n++;
        size_t len = strlen(de->d_name);
        *tmp += len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0;
    }
    closedir(d);
    return n;
}

static bool file_exists(const char *dir, uint64_t gen)
{
    char path[4200];
    eng_sst_path(path, sizeof path, dir, gen);
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* The job every case starts from: one unbounded output, never purge. */
static eng_compaction_job base_job(const char *dir, eng_strategy *st, uint64_t *gen)
{
    eng_compaction_job j = {0};
    j.dir = dir;
    j.wopts = wopts;
    j.strategy = st;
    j.memtable_min_ts = INT64_MAX;
    j.purge_before_ts = INT64_MIN;
    j.next_gen = gen_seq;
    j.next_gen_arg = gen;
    return j;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_compaction_overlapping_inputs_keep_newest_version(void)
{
    const char *dir = test_tmpdir();
    eng_strategy *st;
    if (!CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0))
        return;
    const eng_entry old[] = {cell("a", "r1", "c", 1, "a-old"), cell("b", "r1", "c", 5, "b-new"),
                             cell("b", "r2", "c", 1, "b2"), cell("c", "r1", "c", 3, "c-tie-a")};
    const eng_entry new[] = {cell("a", "r1", "c", 2, "a-new"), cell("b", "r1", "c", 4, "b-old"),
                             cell("c", "r1", "c", 3, "c-tie-b"), cell("d", "r1", "c", 1, "d")};
    const eng_entry want[] = {new[0], old[1], old[2], new[2], new[3]};
    eng_sst *in[2] = {write_sst(dir, 1, old, N(old)), write_sst(dir, 2, new, N(new))};
    eng_iiter *src = in[0] && in[1] ? merge_of(in, 2) : NULL;
    uint64_t gen = 10;
    eng_compaction_job job = base_job(dir, st, &gen);
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        CHECK_EQ(res.n_outputs, 1);
        CHECK_EQ(res.entries_in, 5);
        CHECK_EQ(res.entries_out, 5);
        if (res.n_outputs == 1) {
            const eng_sst_stats *s = eng_sst_get_stats(res.outputs[0]);
            CHECK_EQ(s->gen, 11);
            CHECK_EQ(res.bytes_written, s->file_bytes);
            CHECK_EQ(s->min_ts, 1);
            CHECK_EQ(s->max_ts, 5);
            sst_holds(res.outputs[0], want, N(want));
        }
        eng_compaction_result_clear(&res);
        CHECK_EQ(res.n_outputs, 0);
        CHECK(res.outputs == NULL);
    }
    CHECK(file_exists(dir, 11)); /* not obsolete: clearing the result only unrefs */
    CHECK(file_exists(dir, 1) && file_exists(dir, 2));
    eng_iiter_close(src);
    eng_sst_unref(in[0]);
    eng_sst_unref(in[1]);
    eng_strategy_free(st);
}

static void test_compaction_drops_shadowed_data_keeps_tombstones_in_grace(void)
{
    const char *dir = test_tmpdir();
    eng_strategy *st;
    if (!CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0))
        return;
    const eng_entry old[] = {
        cell("p", "r1", "c", 5, "gone"), /* under the partition tombstone at 10 */
        cell("p", "r2", "c", 11, "stays"),
        cell("q", "r1", "", 3, ""), /* row marker under the row tombstone */
        cell("q", "r1", "c", 4, "gone"),
        cell("q", "r2", "c", 4, "stays"),
    };
    const eng_entry new[] = {
        pdel("p", 10),
        cell("p", "r1", "d", 10, "tie-gone"), /* deletion wins the tie */
        rowdel("q", "r1", 4),
        cell("q", "r1", "d", 6, "stays"),
    };
    const eng_entry want[] = {new[0], old[1], new[2], new[3], old[4]};
    eng_sst *in[2] = {write_sst(dir, 1, old, N(old)), write_sst(dir, 2, new, N(new))};
    eng_iiter *src = in[0] && in[1] ? merge_of(in, 2) : NULL;
    uint64_t gen = 2;
    eng_compaction_job job = base_job(dir, st, &gen);
    job.purge_before_ts = 4; /* every tombstone is within gc grace */
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        CHECK_EQ(res.entries_in, 9);
        CHECK_EQ(res.entries_out, 5);
        if (CHECK_EQ(res.n_outputs, 1))
            sst_holds(res.outputs[0], want, N(want));
        eng_compaction_result_clear(&res);
    }
    eng_iiter_close(src);
    eng_sst_unref(in[0]);
    eng_sst_unref(in[1]);
    eng_strategy_free(st);
}

/*
 * Partition "p" has a tombstone at 10 past gc grace over a row at 5. Whether
 * it is purged depends on the SSTables outside the job and the memtables.
 */
static void purge_case(const eng_entry *other, size_t n_other, int64_t memtable_min_ts,
                       bool want_purged)
{
    const char *dir = test_tmpdir();
    eng_strategy *st;
    if (!CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0))
        return;
    const eng_entry in_e[] = {pdel("p", 10), cell("p", "r", "c", 5, "gone"),
                              cell("q", "r", "c", 1, "q")};
    eng_sst *in = write_sst(dir, 1, in_e, N(in_e));
    eng_sst *oth = n_other ? write_sst(dir, 2, other, n_other) : NULL;
    eng_iiter *src = in ? merge_of(&in, 1) : NULL;
    uint64_t gen = 2;
    eng_compaction_job job = base_job(dir, st, &gen);
    job.purge_before_ts = 11;
    job.memtable_min_ts = memtable_min_ts;
    job.others = &oth;
    job.n_others = oth ? 1 : 0;
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        /* the row under the tombstone is dropped either way */
        CHECK_EQ(res.entries_out, want_purged ? 1 : 2);
        if (CHECK_EQ(res.n_outputs, 1)) {
            const eng_entry kept[] = {in_e[0], in_e[2]};
            if (want_purged)
                sst_holds(res.outputs[0], &in_e[2], 1);
            else
                sst_holds(res.outputs[0], kept, 2);
        }
        eng_compaction_result_clear(&res);
    }
    eng_iiter_close(src);
    eng_sst_unref(in);
    eng_sst_unref(oth);
    eng_strategy_free(st);
}

static void test_compaction_tombstone_past_grace_purged_when_nothing_older_elsewhere(void)
{
    purge_case(NULL, 0, INT64_MAX, true);
    const eng_entry newer[] = {cell("p", "x", "c", 11, "after the delete")};
    purge_case(newer, 1, INT64_MAX, true); /* other data of p is newer: cannot be shadowed */
    const eng_entry outside[] = {cell("a", "x", "c", 1, "a"), cell("b", "x", "c", 1, "b")};
    purge_case(outside, 2, INT64_MAX, true); /* p is past the other file's key range */
}

static void test_compaction_tombstone_past_grace_kept_when_older_data_elsewhere(void)
{
    const eng_entry older[] = {cell("p", "x", "c", 9, "deleted, in another file")};
    purge_case(older, 1, INT64_MAX, false);
    const eng_entry equal[] = {cell("p", "x", "c", 10, "tie")};
    purge_case(equal, 1, INT64_MAX, false);
    purge_case(NULL, 0, 10, false); /* a memtable may hold data as old as the tombstone */
    purge_case(NULL, 0, 11, true);
}

static void test_compaction_tombstone_purged_when_bloom_excludes_partition(void)
{
    /* "o" and "z" bracket "p", so only the bloom filter can clear the other file */
    const char *dir = test_tmpdir();
    const eng_entry other[] = {cell("o", "x", "c", 1, "o"), cell("z", "x", "c", 1, "z")};
    eng_sst *oth = write_sst(dir, 5, other, N(other));
    if (!oth)
        return;
    bool excluded = !eng_sst_may_contain(oth, slice_str("p"));
    eng_sst_unref(oth);
    if (!CHECK(excluded)) /* a 1% false positive would make this case meaningless */
        return;
    purge_case(other, N(other), INT64_MAX, true);
}

/* A strategy that splits before every new partition, and counts its calls. */
typedef struct split_strategy {
    eng_strategy base;
    int calls;
    int calls_without_prev;
} split_strategy;

static bool split_at_partition(eng_strategy *s, const eng_entry *prev, const eng_entry *e,
                               uint64_t cur_bytes)
{
    split_strategy *ss = (split_strategy *)s;
    ss->calls++;
    ss->calls_without_prev += prev == NULL;
    return prev && !slice_eq(prev->key.pk, e->key.pk);
}

static const eng_strategy_ops split_ops = {"split", NULL, split_at_partition, NULL};

static void test_compaction_split_before_starts_new_outputs(void)
{
    const char *dir = test_tmpdir();
    const eng_entry e[] = {cell("a", "1", "c", 1, "a1"), cell("a", "2", "c", 1, "a2"),
                           cell("b", "1", "c", 1, "b1"), cell("c", "1", "c", 1, "c1"),
                           cell("c", "2", "c", 1, "c2")};
    eng_sst *in = write_sst(dir, 1, e, N(e));
    eng_iiter *src = in ? merge_of(&in, 1) : NULL;
    split_strategy ss = {.base.ops = &split_ops};
    uint64_t gen = 1;
    eng_compaction_job job = base_job(dir, &ss.base, &gen);
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        CHECK_EQ(ss.calls, 5);
        CHECK_EQ(ss.calls_without_prev, 1);
        if (CHECK_EQ(res.n_outputs, 3)) {
            sst_holds(res.outputs[0], &e[0], 2);
            sst_holds(res.outputs[1], &e[2], 1);
            sst_holds(res.outputs[2], &e[3], 2);
            for (size_t i = 0; i < 3; i++)
                CHECK_EQ(eng_sst_get_stats(res.outputs[i])->gen, 2 + i);
        }
        uint64_t sum = 0;
        for (size_t i = 0; i < res.n_outputs; i++)
            sum += eng_sst_get_stats(res.outputs[i])->file_bytes;
        CHECK_EQ(res.bytes_written, sum);
        eng_compaction_result_clear(&res);
    }
    eng_iiter_close(src);
    eng_sst_unref(in);
}

enum { BIG_VALUE = 1000 };
static char big_value[BIG_VALUE + 1];

/* 6 partitions of 5 rows of 1000 bytes; outputs bounded at 8000 bytes. */
static void test_compaction_size_bound_splits_at_partition_boundaries(void)
{
    const char *dir = test_tmpdir();
    memset(big_value, 'v', BIG_VALUE);
    eng_entry e[30];
    static const char *pks[6] = {"p0", "p1", "p2", "p3", "p4", "p5"};
    static const char *cks[5] = {"0", "1", "2", "3", "4"};
    for (int p = 0; p < 6; p++)
        for (int r = 0; r < 5; r++)
            e[p * 5 + r] = cell(pks[p], cks[r], "c", 1, big_value);
    eng_sst *in = write_sst(dir, 1, e, N(e));
    eng_iiter *src = in ? merge_of(&in, 1) : NULL;
    eng_strategy *st;
    if (!CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0))
        return;
    uint64_t gen = 1;
    eng_compaction_job job = base_job(dir, st, &gen);
    job.max_output_bytes = 8000;
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        /* 5 kB partitions: a split comes at the first boundary past 8000 bytes, every 2 */
        if (CHECK_EQ(res.n_outputs, 3))
            for (size_t i = 0; i < 3; i++) {
                CHECK_EQ(eng_sst_get_stats(res.outputs[i])->partitions, 2);
                sst_holds(res.outputs[i], &e[i * 10], 10);
            }
        eng_compaction_result_clear(&res);
    }
    /* one partition of 30 rows: split inside it, but only at twice the bound */
    for (int i = 0; i < 30; i++) {
        e[i].key.pk = slice_str("one");
        e[i].key.ck = slice_make(&"ABCDEFGHIJKLMNOPQRSTUVWXYZabcd"[i], 1);
    }
    eng_sst *in2 = write_sst(dir, 100, e, N(e));
    eng_iiter *src2 = in2 ? merge_of(&in2, 1) : NULL;
    if (src2 && CHECK_EQ(eng_compaction_write(&job, src2, &res), 0)) {
        CHECK_EQ(res.n_outputs, 2);
        for (size_t i = 0; i < res.n_outputs; i++) {
            const eng_sst_stats *s = eng_sst_get_stats(res.outputs[i]);
            CHECK(s->data_bytes >= 16000 || i == res.n_outputs - 1);
            CHECK(s->data_bytes < 18000);
        }
        CHECK_EQ(res.entries_out, 30);
        eng_compaction_result_clear(&res);
    }
    eng_iiter_close(src);
    eng_iiter_close(src2);
    eng_sst_unref(in);
    eng_sst_unref(in2);
    eng_strategy_free(st);
}

static void test_compaction_everything_dropped_writes_no_output(void)
{
    const char *dir = test_tmpdir();
    eng_strategy *st;
    if (!CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0))
        return;
    const eng_entry e[] = {pdel("p", 10), cell("p", "r", "c", 3, "gone"), rowdel("q", "r", 2)};
    eng_sst *in = write_sst(dir, 1, e, N(e));
    eng_iiter *src = in ? merge_of(&in, 1) : NULL;
    uint64_t gen = 1;
    eng_compaction_job job = base_job(dir, st, &gen);
    job.purge_before_ts = INT64_MAX;
    eng_compaction_result res;
    if (src && CHECK_EQ(eng_compaction_write(&job, src, &res), 0)) {
        CHECK_EQ(res.n_outputs, 0);
        CHECK_EQ(res.entries_in, 3);
        CHECK_EQ(res.entries_out, 0);
        CHECK_EQ(res.bytes_written, 0);
        CHECK_EQ(gen, 1); /* no generation was taken */
        eng_compaction_result_clear(&res);
    }
    int tmp;
    CHECK_EQ(count_files(dir, &tmp), 1);
    eng_iiter_close(src);
    eng_sst_unref(in);
    eng_strategy_free(st);
}

/*
 * Outputs get generations 1, 2, 3 and 3 is the input's own file, which the
 * writer refuses: the third output fails after two outputs were finished.
 */
static void test_compaction_failure_unlinks_every_output(void)
{
    const char *dir = test_tmpdir();
    const eng_entry e[] = {cell("a", "1", "c", 1, "a"), cell("b", "1", "c", 1, "b"),
                           cell("c", "1", "c", 1, "c"), cell("d", "1", "c", 1, "d")};
    eng_sst *in = write_sst(dir, 3, e, N(e)); /* the input is generation 3 */
    eng_iiter *src = in ? merge_of(&in, 1) : NULL;
    split_strategy ss = {.base.ops = &split_ops};
    uint64_t gen = 0;
    eng_compaction_job job = base_job(dir, &ss.base, &gen);
    eng_compaction_result res;
    if (!src)
        goto out;
    int rc = eng_compaction_write(&job, src, &res);
    CHECK(rc < 0);
    CHECK_EQ(res.n_outputs, 0);
    CHECK(res.outputs == NULL);
    CHECK_EQ(res.entries_out, 0);
    CHECK_EQ(gen, 3);
    int tmp;
    CHECK_EQ(count_files(dir, &tmp), 1); /* only the input */
    CHECK_EQ(tmp, 0);
    CHECK(file_exists(dir, 3) && !file_exists(dir, 1) && !file_exists(dir, 2));

    /* an output directory that does not exist */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    job.dir = missing;
    rc = eng_compaction_write(&job, src, &res);
    CHECK(rc < 0);
    CHECK_EQ(res.n_outputs, 0);
    CHECK_EQ(count_files(dir, &tmp), 1);
out:
    eng_iiter_close(src);
    eng_sst_unref(in);
}

/* A source that yields `left` entries of inner and then fails with CF_EIO. */
typedef struct failing_src {
    eng_iiter base;
    eng_iiter *inner;
    int left; /* entries before the failure */
    bool failed;
} failing_src;

static void fs_seek_first(eng_iiter *it)
{
    failing_src *f = (failing_src *)it;
    eng_iiter_seek_first(f->inner);
}

static void fs_seek(eng_iiter *it, const eng_ikey *k)
{
    eng_iiter_seek(((failing_src *)it)->inner, k);
}

static bool fs_valid(const eng_iiter *it)
{
    const failing_src *f = (const failing_src *)it;
    return !f->failed && eng_iiter_valid(f->inner);
}

static void fs_next(eng_iiter *it)
{
    failing_src *f = (failing_src *)it;
    f->failed = --f->left <= 0;
    eng_iiter_next(f->inner);
}

static const eng_entry *fs_entry(const eng_iiter *it)
{
    return eng_iiter_entry(((const failing_src *)it)->inner);
}

static int fs_status(const eng_iiter *it)
{
    return ((const failing_src *)it)->failed ? CF_EIO : 0;
}

static void fs_close(eng_iiter *it)
{
    (void)it;
}

static const eng_iiter_ops fs_ops = {.seek_first = fs_seek_first, .seek = fs_seek,
                                     .valid = fs_valid, .next = fs_next, .entry = fs_entry,
                                     .status = fs_status, .close = fs_close};

static void test_compaction_source_error_mid_stream_unlinks_outputs(void)
{
    const char *dir = test_tmpdir();
    const eng_entry e[] = {cell("a", "1", "c", 1, "a"), cell("b", "1", "c", 1, "b"),
                           cell("c", "1", "c", 1, "c"), cell("d", "1", "c", 1, "d")};
    eng_sst *in = write_sst(dir, 100, e, N(e));
    eng_iiter *inner = in ? merge_of(&in, 1) : NULL;
    if (!inner)
        goto out;
    failing_src src = {.base.ops = &fs_ops, .inner = inner, .left = 3};
    split_strategy ss = {.base.ops = &split_ops};
    uint64_t gen = 0;
    eng_compaction_job job = base_job(dir, &ss.base, &gen);
    eng_compaction_result res;
    CHECK_EQ(eng_compaction_write(&job, &src.base, &res), CF_EIO);
    CHECK_EQ(gen, 3); /* two outputs finished, a third open when the source failed */
    CHECK_EQ(res.n_outputs, 0);
    int tmp;
    CHECK_EQ(count_files(dir, &tmp), 1);
    CHECK_EQ(tmp, 0);
out:
    eng_iiter_close(inner);
    eng_sst_unref(in);
}

enum { MAX_FILE_VALUE = 300000 };
static char file_value[MAX_FILE_VALUE];

/* ssts[i] is generation i + 1 holding one value of sizes[i] bytes. */
static bool make_sized(const char *dir, const size_t *sizes, size_t n, eng_sst **ssts)
{
    memset(file_value, 'x', sizeof file_value);
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        eng_entry e = cell("p", "r", "c", 1, "");
        e.value = slice_make(file_value, sizes[i]);
        ssts[i] = write_sst(dir, i + 1, &e, 1);
        ok = ok && ssts[i];
    }
    return ok;
}

static void unref_all(eng_sst **ssts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        eng_sst_unref(ssts[i]);
}

/* True if the pick's inputs are exactly ssts[idx[0]], ssts[idx[1]], ... in that order. */
static bool pick_is(const eng_compaction_pick *p, eng_sst **ssts, const size_t *idx, size_t n)
{
    bool ok = CHECK_EQ(p->n_inputs, n) && CHECK_EQ(p->n_drops, 0);
    for (size_t i = 0; ok && i < n; i++)
        ok = CHECK(p->inputs[i] == ssts[idx[i]]);
    return ok;
}

/* expect_pick -- an STCS with o picks exactly ssts[want[0]], ssts[want[1]], ... from ssts[0..n). */
static void expect_pick(const eng_stcs_opts *o, eng_sst **ssts, size_t n, const size_t *want,
                        size_t n_want)
{
    eng_strategy *st = NULL;
    eng_compaction_pick p = {0};
    if (CHECK_EQ(eng_stcs_new(o, &st), 0) && CHECK_EQ(st->ops->pick(st, ssts, n, &p), 0))
        pick_is(&p, ssts, want, n_want);
    eng_compaction_pick_clear(&p);
    eng_strategy_free(st);
}

static eng_stcs_opts stcs_opts(uint64_t min_sstable_bytes)
{
    eng_stcs_opts o = {.min_threshold = 4,
                       .max_threshold = 32,
                       .bucket_low = 0.5,
                       .bucket_high = 1.5,
                       .min_sstable_bytes = min_sstable_bytes};
    return o;
}

static void test_stcs_picks_the_fullest_bucket_smallest_first(void)
{
    const char *dir = test_tmpdir();
    /* bucket of 5 around 10 kB (oldest first, not in size order), bucket of 4 around 100 kB */
    const size_t sizes[] = {12000, 100000, 9000,  110000, 14000,
                            10000, 95000,  11000, 105000, 250000};
    eng_sst *ssts[N(sizes)];
    eng_strategy *st = NULL;
    eng_stcs_opts o = stcs_opts(0);
    if (!make_sized(dir, sizes, N(sizes), ssts) || !CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    eng_compaction_pick p;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    const size_t want[] = {2, 5, 7, 0, 4};
    pick_is(&p, ssts, want, N(want));
    eng_compaction_pick_clear(&p);
    CHECK(p.inputs == NULL && p.n_inputs == 0);

    o.max_threshold = 4; /* at most 4: the 4 smallest of the bucket */
    eng_strategy_free(st);
    if (!CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    pick_is(&p, ssts, want, 4);
    eng_compaction_pick_clear(&p);
out:
    eng_strategy_free(st);
    unref_all(ssts, N(sizes));
}

static void test_stcs_equal_buckets_prefer_the_smaller_files(void)
{
    const char *dir = test_tmpdir();
    const size_t sizes[] = {100000, 10000, 101000, 10100, 102000, 10200, 103000, 10300};
    eng_sst *ssts[N(sizes)];
    eng_strategy *st = NULL;
    eng_stcs_opts o = stcs_opts(0);
    if (!make_sized(dir, sizes, N(sizes), ssts) || !CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    eng_compaction_pick p;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    const size_t want[] = {1, 3, 5, 7};
    pick_is(&p, ssts, want, N(want));
    eng_compaction_pick_clear(&p);
out:
    eng_strategy_free(st);
    unref_all(ssts, N(sizes));
}

static void test_stcs_below_min_threshold_picks_nothing(void)
{
    const char *dir = test_tmpdir();
    /* 3 similar files, and files too far apart to share a bucket */
    const size_t sizes[] = {10000, 11000, 12000, 40000, 100000, 250000};
    eng_sst *ssts[N(sizes)];
    eng_strategy *st = NULL;
    eng_stcs_opts o = stcs_opts(0);
    if (!make_sized(dir, sizes, N(sizes), ssts) || !CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    eng_compaction_pick p;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    CHECK_EQ(p.n_inputs, 0);
    CHECK_EQ(p.n_drops, 0);
    CHECK(p.inputs == NULL);
    eng_compaction_pick_clear(&p);
    CHECK_EQ(st->ops->pick(st, ssts, 0, &p), 0); /* no files at all */
    CHECK_EQ(p.n_inputs, 0);
out:
    eng_strategy_free(st);
    unref_all(ssts, N(sizes));
}

static void test_stcs_files_under_min_sstable_bytes_share_one_bucket(void)
{
    const char *dir = test_tmpdir();
    /* sizes 25x apart: separate buckets, unless all are under min_sstable_bytes */
    const size_t sizes[] = {200000, 1000, 40000, 8000, 250000};
    eng_sst *ssts[N(sizes)];
    eng_strategy *st = NULL;
    eng_stcs_opts o = stcs_opts(210000);
    if (!make_sized(dir, sizes, N(sizes), ssts) || !CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    eng_compaction_pick p;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    const size_t want[] = {1, 3, 2, 0};
    pick_is(&p, ssts, want, N(want));
    eng_compaction_pick_clear(&p);

    o.min_sstable_bytes = 0;
    eng_strategy_free(st);
    if (!CHECK_EQ(eng_stcs_new(&o, &st), 0))
        goto out;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0);
    CHECK_EQ(p.n_inputs, 0);
    eng_compaction_pick_clear(&p);
out:
    eng_strategy_free(st);
    unref_all(ssts, N(sizes));
}

/* invariant (2) of stcs.c: a bucket whose merge cannot lower the file count is passed over */
static void test_stcs_passes_over_a_bucket_of_files_at_the_output_bound(void)
{
    const char *dir = test_tmpdir();
    /* 5 files at about the bound (100 kB), 4 small ones */
    const size_t sizes[] = {100000, 10000, 101000, 10100, 102000, 10200, 103000, 10300, 99000};
    const size_t big[] = {8, 0, 2, 4, 6}, small[] = {1, 3, 5, 7};
    eng_sst *ssts[N(sizes)];
    eng_stcs_opts o = stcs_opts(0);
    if (make_sized(dir, sizes, N(sizes), ssts)) {
        expect_pick(&o, ssts, N(sizes), big, N(big)); /* unbounded outputs: the fullest */
        o.max_output_bytes = 100000; /* 5 files near the bound merge into 5 or 6 again */
        expect_pick(&o, ssts, N(sizes), small, N(small));
        expect_pick(&o, ssts, 1, NULL, 0);
        o.max_output_bytes = 200000; /* now the 5 fit in 3 outputs: picked again */
        expect_pick(&o, ssts, N(sizes), big, N(big));
    }
    unref_all(ssts, N(sizes));
}

static void test_stcs_pick_holds_references_until_cleared(void)
{
    const char *dir = test_tmpdir();
    const size_t sizes[] = {1000, 1100, 1200, 1300};
    eng_sst *ssts[N(sizes)];
    eng_strategy *st = NULL;
    if (!make_sized(dir, sizes, N(sizes), ssts) || !CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0)) {
        unref_all(ssts, N(sizes));
        goto out;
    }
    eng_compaction_pick p;
    CHECK_EQ(st->ops->pick(st, ssts, N(sizes), &p), 0); /* defaults: all under 50 MiB */
    CHECK_EQ(p.n_inputs, 4);
    for (size_t i = 0; i < N(sizes); i++) {
        eng_sst_mark_obsolete(ssts[i]);
        eng_sst_unref(ssts[i]); /* the pick's reference keeps the file */
    }
    int tmp;
    CHECK_EQ(count_files(dir, &tmp), 4);
    eng_compaction_pick_clear(&p);
    CHECK_EQ(count_files(dir, &tmp), 0);
out:
    eng_strategy_free(st);
}

static void test_strategy_new_rejects_unknown_names_and_bad_opts(void)
{
    eng_strategy *st = (eng_strategy *)&st;
    CHECK_EQ(eng_strategy_new("lcs", 0, &st), CF_EINVAL);
    CHECK(st == NULL);
    CHECK_EQ(eng_strategy_new("stcs", 0, &st), 0);
    if (CHECK(st != NULL)) {
        CHECK(strcmp(st->ops->name, "stcs") == 0);
        CHECK(!st->ops->split_before(st, NULL, NULL, UINT64_MAX));
    }
    eng_strategy_free(st);
    eng_strategy_free(NULL);
    eng_stcs_opts o = stcs_opts(0);
    o.min_threshold = 1;
    CHECK_EQ(eng_stcs_new(&o, &st), CF_EINVAL);
    o = stcs_opts(0);
    o.max_threshold = 3;
    CHECK_EQ(eng_stcs_new(&o, &st), CF_EINVAL);
    o = stcs_opts(0);
    o.bucket_high = 0.4;
    CHECK_EQ(eng_stcs_new(&o, &st), CF_EINVAL);
    CHECK(st == NULL);
}

static const test_case cases[] = {
    TEST(test_compaction_overlapping_inputs_keep_newest_version),
    TEST(test_compaction_drops_shadowed_data_keeps_tombstones_in_grace),
    TEST(test_compaction_tombstone_past_grace_purged_when_nothing_older_elsewhere),
    TEST(test_compaction_tombstone_past_grace_kept_when_older_data_elsewhere),
    TEST(test_compaction_tombstone_purged_when_bloom_excludes_partition),
    TEST(test_compaction_split_before_starts_new_outputs),
    TEST(test_compaction_size_bound_splits_at_partition_boundaries),
    TEST(test_compaction_everything_dropped_writes_no_output),
    TEST(test_compaction_failure_unlinks_every_output),
    TEST(test_compaction_source_error_mid_stream_unlinks_outputs),
    TEST(test_stcs_picks_the_fullest_bucket_smallest_first),
    TEST(test_stcs_equal_buckets_prefer_the_smaller_files),
    TEST(test_stcs_below_min_threshold_picks_nothing),
    TEST(test_stcs_files_under_min_sstable_bytes_share_one_bucket),
    TEST(test_stcs_passes_over_a_bucket_of_files_at_the_output_bound),
    TEST(test_stcs_pick_holds_references_until_cleared),
    TEST(test_strategy_new_rejects_unknown_names_and_bad_opts),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
