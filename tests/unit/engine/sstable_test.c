/*
 * sstable_test.c -- SSTable writer and reader: round trip, seek, stats, bloom,
 * corruption of every section, lifetime, and a writer that dies or fails.
 *
 * Random sets mix every entry kind, empty slices, 128 KiB values and
 * timestamps that take both encodings (varint and fixed 8); small blocks
 * make many block boundaries. Corruption cases edit the file bytes directly,
 * using the footer layout of sstable_format.h, and expect CF_ECORRUPT at
 * open or from the iterator, with every entry returned before it exact.
 *
 * Over 800 lines: the corruption cases (about half) share the set builder
 * and the file-editing helpers with the round-trip cases; they would move to
 * their own sstable_corrupt_test.c with a shared helper header.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/bloom.h"
#include "engine/sstable.h"
#include "engine/sstable_format.h"
#include "test.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#define BIG_VALUE_BYTES (128u << 10)

typedef struct entry_set {
    eng_entry *e;
    uint8_t **mem; /* bytes of the entries, in generation order (qsort moves only e) */
    size_t n;      /* entries after sorting and dropping duplicate keys */
    size_t n_mem;
} entry_set;

static size_t rand_below(size_t n)
{
    return (size_t)(test_rand() % n);
}

/* A slice of len bytes from a 3-letter alphabet, so keys share prefixes and collide. */
static cf_slice put_bytes(uint8_t **p, size_t len, bool binary)
{
    uint8_t *start = *p;
    for (size_t i = 0; i < len; i++)
        start[i] = binary ? (uint8_t)test_rand() : (uint8_t)('a' + rand_below(3));
    *p += len;
    return slice_make(start, len);
}

static int64_t rand_ts(void)
{
    switch (rand_below(8)) {
    case 0: return INT64_MIN;
    case 1: return INT64_MAX;
    case 2: return 1700000000000000 + (int64_t)rand_below(1000000); /* fixed 8 */
    default: return (int64_t)rand_below(2000000) - 1000000;          /* short varint */
    }
}

static int cmp_entry(const void *a, const void *b)
{
    return eng_ikey_cmp(&((const eng_entry *)a)->key, &((const eng_entry *)b)->key);
}

/* n random entries of every kind over `parts` partitions ("" is one), sorted, unique. */
static entry_set make_set(size_t n, size_t parts, bool big_values)
{
    entry_set s = {calloc(n, sizeof(eng_entry)), calloc(n, sizeof(uint8_t *)), 0, n};
    for (size_t i = 0; i < n; i++) {
        size_t kind = rand_below(10);
        size_t vlen = 0;
        if (kind >= 4)
            vlen = big_values && rand_below(60) == 0 ? BIG_VALUE_BYTES
                   : rand_below(5) == 0             ? 0
                                                    : 1 + rand_below(200);
        uint8_t *m = malloc(16 + 12 + 8 + vlen + 1), *p = m;
        eng_entry *e = &s.e[i];
        size_t pk = rand_below(parts);
        e->key.pk = slice_make(p, pk == 0 ? 0 : (size_t)sprintf((char *)p, "p%05zu", pk));
        p += e->key.pk.len;
        e->ts = rand_ts();
        e->flags = ENG_F_TOMBSTONE;
        if (kind == 0) {
            e->key.sec = ENG_SEC_PARTITION;
        } else if (kind == 1) {
            e->key.sec = ENG_SEC_RANGE;
            e->key.ck = put_bytes(&p, rand_below(6), false);
            e->key.sub = (uint8_t)rand_below(8);
            e->key.col = put_bytes(&p, rand_below(6), false);
        } else {
            e->key.sec = ENG_SEC_ROW;
            e->key.ck = put_bytes(&p, rand_below(12), false);
            e->key.sub = kind == 2 ? ENG_SUB_ROW_DEL : ENG_SUB_CELL;
            if (kind >= 3)
                e->key.col = put_bytes(&p, rand_below(8), false);
            if (kind >= 4)
                e->flags = 0;
            e->value = put_bytes(&p, vlen, true);
        }
        s.mem[i] = m;
    }
    qsort(s.e, n, sizeof(eng_entry), cmp_entry);
    size_t out = 0;
    for (size_t i = 0; i < n; i++)
        if (out == 0 || eng_ikey_cmp(&s.e[out - 1].key, &s.e[i].key) != 0)
            s.e[out++] = s.e[i];
    s.n = out;
    return s;
}

static void free_set(entry_set *s)
{
    for (size_t i = 0; i < s->n_mem; i++)
        free(s->mem[i]);
    free(s->mem);
    free(s->e);
}

static eng_sst *write_set(const char *dir, uint64_t gen, const eng_entry *e, size_t n,
                          uint32_t block_bytes)
{
    eng_sst_writer_opts o = {block_bytes, 10};
    eng_sst_writer *w = NULL;
    eng_sst *s = NULL;
    if (!CHECK_EQ(eng_sst_writer_open(dir, gen, &o, &w), 0))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!CHECK_EQ(eng_sst_writer_add(w, &e[i]), 0))
            break;
    CHECK_EQ(eng_sst_writer_entries(w), n);
    CHECK_EQ(eng_sst_writer_finish(w, &s), 0);
    return s;
}

/* The two ways a file is read: in place through its mapping, and with pread. */
static const unsigned open_modes[2] = {0, ENG_SST_OPEN_NO_MAP};

/* open_mode -- <dir>/<gen>.sst opened with flags (checked), or NULL. */
static eng_sst *open_mode(const char *dir, uint64_t gen, unsigned flags)
{
    eng_sst *s = NULL;
    CHECK_EQ(eng_sst_open(dir, gen, flags, &s), 0);
    return s;
}

static bool entry_eq(const eng_entry *a, const eng_entry *b)
{
    return eng_ikey_cmp(&a->key, &b->key) == 0 && a->key.pk.len == b->key.pk.len &&
           a->ts == b->ts && a->flags == b->flags && slice_eq(a->value, b->value);
}

/* Scans from the first entry, comparing each with want[i]; returns how many matched. */
static size_t scan_check(eng_iiter *it, const eng_entry *want, size_t n)
{
    size_t i = 0;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), i++) {
        if (!CHECK(i < n) || !CHECK(entry_eq(eng_iiter_entry(it), &want[i]))) {
            fprintf(stderr, "  at entry %zu\n", i);
            break;
        }
    }
    return i;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    struct stat sb;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (!CHECK(fd >= 0) || !CHECK(fstat(fd, &sb) == 0))
        return NULL;
    uint8_t *p = malloc((size_t)sb.st_size + 1);
    CHECK_EQ(read(fd, p, (size_t)sb.st_size), sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, p, len), len);
    close(fd);
}

static uint8_t *footer_of(uint8_t *f, size_t len)
{
    return f + len - ENG_SST_FOOTER_BYTES;
}

/* Section i (0 index, 1 filter, 2 stats) as the footer describes it. */
static void section_of(uint8_t *f, size_t len, int i, uint64_t *off, uint64_t *slen)
{
    const uint8_t *d = footer_of(f, len) + i * ENG_SST_FOOTER_SECTION_BYTES;
    *off = get_u64(d);
    *slen = get_u64(d + 8);
}

/* After an edit: recompute section i's CRC (i >= 0) and the footer's, so only the lie is left. */
static void reseal(uint8_t *f, size_t len, int i)
{
    uint8_t *ft = footer_of(f, len);
    if (i >= 0) {
        uint64_t off, slen;
        section_of(f, len, i, &off, &slen);
        put_u32(ft + i * ENG_SST_FOOTER_SECTION_BYTES + 16, crc32c(f + off, slen));
    }
    put_u32(ft + ENG_SST_FOOTER_CRC_OFF, crc32c(ft, ENG_SST_FOOTER_CRC_OFF));
}

static void expect_open(const char *dir, uint64_t gen, int want)
{
    eng_sst *s = (eng_sst *)&s;
    int rc = eng_sst_open(dir, gen, 0, &s);
    CHECK_EQ(rc, want);
    CHECK(rc == 0 ? s != NULL : s == NULL);
    eng_sst_unref(rc == 0 ? s : NULL);
}

/* Sends stderr to path (or /dev/null) until stderr_restore(). */
static int stderr_redirect(const char *path)
{
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static void stderr_restore(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static size_t count_dir(const char *dir, const char *only)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_name[0] != '.' && (!only || strcmp(de->d_name, only) == 0))
            n++;
    if (d)
        closedir(d);
    return n;
}

static eng_entry cell(const char *pk, const char *ck, const char *col, int64_t ts, const char *v)
{
    eng_entry e = {.key = {slice_str(pk), ENG_SEC_ROW, slice_str(ck), ENG_SUB_CELL,
                           slice_str(col)},
                   .ts = ts, .value = slice_str(v)};
    return e;
}

static void test_sst_roundtrip_random_entries_byte_exact(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(3000, 40, true);
    size_t big = 0, empty_value = 0, fixed_ts = 0;
    for (size_t i = 0; i < set.n; i++) {
        big += set.e[i].value.len == BIG_VALUE_BYTES;
        empty_value += set.e[i].value.len == 0 && !eng_entry_is_tombstone(&set.e[i]);
        fixed_ts += set.e[i].ts < -(1ll << 48) || set.e[i].ts > (1ll << 48);
    }
    CHECK(big > 0 && empty_value > 0 && fixed_ts > 0 && set.e[0].key.pk.len == 0);
    eng_sst *s = write_set(dir, 7, set.e, set.n, 4096);
    eng_iiter *it = NULL;
    if (CHECK(s != NULL) && CHECK_EQ(eng_sst_iter_new(s, &it), 0)) {
        CHECK_EQ(scan_check(it, set.e, set.n), set.n);
        CHECK_EQ(eng_iiter_status(it), 0);
        CHECK_EQ(scan_check(it, set.e, set.n), set.n); /* seek_first again rewinds */
        char path[PATH_MAX];
        struct stat sb;
        eng_sst_path(path, sizeof path, dir, 7);
        CHECK(stat(path, &sb) == 0);
        CHECK_EQ(eng_sst_get_stats(s)->file_bytes, sb.st_size);
        CHECK_EQ(count_dir(dir, NULL), 1);
    }
    eng_iiter_close(it);
    eng_sst_unref(s);
    s = open_mode(dir, 7, ENG_SST_OPEN_NO_MAP); /* read with pread: the same entries */
    it = NULL;
    if (CHECK(s != NULL) && CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        CHECK_EQ(scan_check(it, set.e, set.n), set.n);
    eng_iiter_close(it);
    eng_sst_unref(s);
    free_set(&set);
}

static void test_sst_stats_count_every_entry_kind_exactly(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(2000, 30, false);
    eng_sst_stats want = {.gen = 9, .min_ts = INT64_MAX, .max_ts = INT64_MIN};
    for (size_t i = 0; i < set.n; i++) {
        const eng_entry *e = &set.e[i];
        want.entries++;
        want.partitions += i == 0 || !slice_eq(e->key.pk, set.e[i - 1].key.pk);
        want.partition_tombstones += e->key.sec == ENG_SEC_PARTITION;
        want.range_tombstones += e->key.sec == ENG_SEC_RANGE;
        want.row_tombstones += e->key.sec == ENG_SEC_ROW && e->key.sub == ENG_SUB_ROW_DEL;
        want.cell_tombstones +=
            e->key.sec == ENG_SEC_ROW && e->key.sub == ENG_SUB_CELL && eng_entry_is_tombstone(e);
        want.min_ts = e->ts < want.min_ts ? e->ts : want.min_ts;
        want.max_ts = e->ts > want.max_ts ? e->ts : want.max_ts;
    }
    eng_sst *s = write_set(dir, 9, set.e, set.n, 1024);
    if (CHECK(s != NULL)) {
        const eng_sst_stats *st = eng_sst_get_stats(s);
        CHECK_EQ(st->gen, 9);
        CHECK_EQ(st->entries, want.entries);
        CHECK_EQ(st->partitions, want.partitions);
        CHECK_EQ(st->partition_tombstones, want.partition_tombstones);
        CHECK_EQ(st->range_tombstones, want.range_tombstones);
        CHECK_EQ(st->row_tombstones, want.row_tombstones);
        CHECK_EQ(st->cell_tombstones, want.cell_tombstones);
        CHECK_EQ(st->min_ts, want.min_ts);
        CHECK_EQ(st->max_ts, want.max_ts);
        CHECK_MEM(st->min_pk.ptr, st->min_pk.len, set.e[0].key.pk.ptr, set.e[0].key.pk.len);
        CHECK_MEM(st->max_pk.ptr, st->max_pk.len, set.e[set.n - 1].key.pk.ptr,
                  set.e[set.n - 1].key.pk.len);
        CHECK(want.partition_tombstones > 0 && want.range_tombstones > 0 &&
              want.row_tombstones > 0 && want.cell_tombstones > 0); /* the set has every kind */
    }
    eng_sst_unref(s);
    free_set(&set);
}

static void test_sst_stats_of_hand_built_table(void)
{
    const char *dir = test_tmpdir();
    eng_entry e[7] = {
        {.key = {.pk = slice_str("apple"), .sec = ENG_SEC_PARTITION},
         .ts = 5, .flags = ENG_F_TOMBSTONE},
        {.key = {.pk = slice_str("apple"), .sec = ENG_SEC_RANGE, .ck = slice_str("a"),
                 .sub = ENG_RANGE_END_OPEN},
         .ts = 7, .flags = ENG_F_TOMBSTONE},
        {.key = {.pk = slice_str("apple"), .sec = ENG_SEC_ROW, .ck = slice_str("r1"),
                 .sub = ENG_SUB_ROW_DEL},
         .ts = -3, .flags = ENG_F_TOMBSTONE},
        cell("apple", "r1", "c", 100, "v"),
        cell("banana", "", "", 9, ""),
        {.key = {slice_str("banana"), ENG_SEC_ROW, slice_str("r"), ENG_SUB_CELL, slice_str("x")},
         .ts = 50, .flags = ENG_F_TOMBSTONE},
        cell("cherry", "r", "y", 1, "value"),
    };
    eng_sst *s = write_set(dir, 0xabc, e, 7, 32);
    if (CHECK(s != NULL)) {
        const eng_sst_stats *st = eng_sst_get_stats(s);
        CHECK_EQ(st->gen, 0xabc);
        CHECK_EQ(st->entries, 7);
        CHECK_EQ(st->partitions, 3);
        CHECK_EQ(st->partition_tombstones, 1);
        CHECK_EQ(st->range_tombstones, 1);
        CHECK_EQ(st->row_tombstones, 1);
        CHECK_EQ(st->cell_tombstones, 1);
        CHECK_EQ(st->min_ts, -3);
        CHECK_EQ(st->max_ts, 100);
        CHECK_MEM(st->min_pk.ptr, st->min_pk.len, "apple", 5);
        CHECK_MEM(st->max_pk.ptr, st->max_pk.len, "cherry", 6);
        CHECK(st->data_bytes > 0 && st->data_bytes < st->file_bytes);
    }
    eng_sst_unref(s);
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, "/d", 0xabc);
    CHECK(strcmp(path, "/d/0000000000000abc.sst") == 0);
}

/* Seek to every key and to a key just after every key (col + "\0"): first >= target. */
static void seek_in_mode(const char *dir, const entry_set *set, unsigned flags)
{
    eng_sst *s = open_mode(dir, 1, flags);
    eng_iiter *it = NULL;
    if (!CHECK(s != NULL) || !CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        goto out;
    uint8_t col[64];
    for (size_t round = 0; round < 2 * set->n; round++) {
        size_t i = rand_below(set->n); /* random order: forward and backward seeks */
        eng_ikey k = set->e[i].key;
        if (round % 2) {
            if (k.col.len)
                memcpy(col, k.col.ptr, k.col.len);
            col[k.col.len] = 0;
            k.col = slice_make(col, k.col.len + 1);
            i++;
        }
        eng_iiter_seek(it, &k);
        if (i == set->n) {
            CHECK(!eng_iiter_valid(it));
        } else if (!CHECK(eng_iiter_valid(it)) ||
                   !CHECK(entry_eq(eng_iiter_entry(it), &set->e[i]))) {
            break;
        }
        if (i + 1 < set->n) {
            eng_iiter_next(it); /* next() after seek crosses blocks like a scan */
            CHECK(eng_iiter_valid(it) && entry_eq(eng_iiter_entry(it), &set->e[i + 1]));
        }
    }
    eng_ikey first = {0}, past = {.pk = slice_str("\xff")};
    eng_iiter_seek(it, &first);
    CHECK(eng_iiter_valid(it) && entry_eq(eng_iiter_entry(it), &set->e[0]));
    eng_iiter_seek(it, &past);
    CHECK(!eng_iiter_valid(it));
    CHECK_EQ(eng_iiter_status(it), 0);
out:
    eng_iiter_close(it);
    eng_sst_unref(s);
}

static void test_sst_seek_present_and_absent_keys_across_blocks(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(2500, 25, true);
    eng_sst_unref(write_set(dir, 1, set.e, set.n, 512));
    for (int m = 0; m < 2; m++)
        seek_in_mode(dir, &set, open_modes[m]);
    free_set(&set);
}

/* big_random_value -- BIG_VALUE_BYTES random bytes; caller frees. */
static uint8_t *big_random_value(void)
{
    uint8_t *v = malloc(BIG_VALUE_BYTES);
    for (size_t i = 0; v && i < BIG_VALUE_BYTES; i++)
        v[i] = (uint8_t)test_rand();
    return v;
}

static void test_sst_128k_values_are_one_block_each(void)
{
    const char *dir = test_tmpdir();
    uint8_t *v = big_random_value();
    eng_entry e[3] = {cell("blob", "0", "", 1, ""), cell("blob", "1", "", 1, ""),
                      cell("blob", "2", "", 1, "")};
    for (int i = 0; i < 3; i++)
        e[i].value = slice_make(v, BIG_VALUE_BYTES);
    eng_sst *s = write_set(dir, 3, e, 3, 64 << 10);
    size_t len;
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 3);
    uint8_t *f = slurp(path, &len);
    uint64_t off, slen;
    section_of(f, len, 0, &off, &slen);
    CHECK_EQ(get_u32(f + off), 3); /* index block count */
    /* the value bytes sit raw and contiguous in the file, ready for sendfile() */
    CHECK(memmem(f, len, v, BIG_VALUE_BYTES) != NULL);
    eng_iiter *it = NULL;
    if (CHECK(s != NULL) && CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        CHECK_EQ(scan_check(it, e, 3), 3);
    eng_iiter_close(it);
    eng_sst_unref(s);
    free(f);
    free(v);
}

/* Lazily read 128 KiB values: keys only, each value's file offset points at its bytes. */
static void test_sst_lazy_values_point_into_the_file_mapped_or_not(void)
{
    const char *dir = test_tmpdir();
    uint8_t *v = big_random_value();
    eng_entry e[4] = {cell("blob", "0", "c", 1, "small"), cell("blob", "1", "c", 1, ""),
                      cell("blob", "2", "c", 1, ""), cell("blob", "3", "c", 1, "tail")};
    e[1].value = e[2].value = slice_make(v, BIG_VALUE_BYTES);
    eng_sst_unref(write_set(dir, 4, e, 4, 4096));
    size_t len;
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 4);
    uint8_t *f = slurp(path, &len);
    for (int m = 0; m < 2; m++) {
        eng_sst *s = open_mode(dir, 4, open_modes[m]);
        eng_iiter *it = NULL;
        if (!CHECK(s != NULL) || !CHECK_EQ(eng_sst_iter_new(s, &it), 0)) {
            eng_sst_unref(s);
            continue;
        }
        eng_sst_iter_lazy_values(it, 16 << 10);
        size_t n = 0;
        for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), n++) {
            const eng_entry *got = eng_iiter_entry(it);
            CHECK(eng_ikey_cmp(&got->key, &e[n].key) == 0);
            int fd;
            uint64_t off;
            const uint8_t *mapped;
            if (n == 1 || n == 2) { /* left in the file, found there byte-exact */
                CHECK(got->value.ptr == NULL && got->value.len == BIG_VALUE_BYTES);
                CHECK_EQ(eng_iiter_value_file(it, &fd, &off, &mapped), 0);
                CHECK(off + BIG_VALUE_BYTES <= len && memcmp(f + off, v, BIG_VALUE_BYTES) == 0);
                CHECK(m == 0 ? mapped != NULL : mapped == NULL);
            } else {
                CHECK(slice_eq(got->value, e[n].value));
            }
        }
        CHECK_EQ(n, 4);
        CHECK_EQ(eng_iiter_status(it), 0);
        eng_iiter_close(it);
        eng_sst_unref(s);
    }
    free(f);
    free(v);
}

static void test_sst_out_of_order_add_is_einval_and_sticky(void)
{
    const char *dir = test_tmpdir();
    eng_entry a = cell("p", "a", "", 1, "x"), b = cell("p", "b", "", 1, "y");
    eng_entry bad_sec = cell("q", "", "", 1, "");
    bad_sec.key.sec = 3;
    const eng_entry *second[3] = {&a, &b, &bad_sec}; /* before, equal, unknown section */
    for (int i = 0; i < 3; i++) {
        eng_sst_writer *w = NULL;
        if (!CHECK_EQ(eng_sst_writer_open(dir, 100 + (uint64_t)i, NULL, &w), 0))
            return;
        CHECK_EQ(eng_sst_writer_add(w, &b), 0);
        CHECK_EQ(eng_sst_writer_add(w, second[i]), CF_EINVAL);
        eng_entry later = cell("z", "", "", 1, "");
        CHECK_EQ(eng_sst_writer_add(w, &later), CF_EINVAL);
        eng_sst *s = (eng_sst *)&s;
        CHECK_EQ(eng_sst_writer_finish(w, &s), CF_EINVAL);
        CHECK(s == NULL);
    }
    CHECK_EQ(count_dir(dir, NULL), 0);
}

static void test_sst_may_contain_all_10k_pks_and_few_absent(void)
{
    const char *dir = test_tmpdir();
    eng_entry *e = calloc(10000, sizeof *e);
    char(*pk)[16] = calloc(10000, 16);
    for (int i = 0; i < 10000; i++) {
        snprintf(pk[i], 16, "k%06d", i * 2);
        e[i] = cell(pk[i], "", "", 1, "");
    }
    eng_sst *s = write_set(dir, 4, e, 10000, 4096);
    if (CHECK(s != NULL)) {
        size_t missed = 0, fp = 0;
        char k[16];
        for (int i = 0; i < 10000; i++) {
            missed += !eng_sst_may_contain(s, slice_str(pk[i]));
            snprintf(k, sizeof k, "k%06d", i * 2 + 1); /* absent but inside [min_pk, max_pk] */
            fp += eng_sst_may_contain(s, slice_str(k));
        }
        CHECK_EQ(missed, 0);
        CHECK(fp < 200);
        /* a pk outside [min_pk, max_pk] that the filter alone would let through */
        char path[PATH_MAX];
        size_t len;
        uint64_t off, flen;
        eng_sst_path(path, sizeof path, dir, 4);
        uint8_t *f = slurp(path, &len);
        section_of(f, len, 1, &off, &flen);
        int i = 0;
        for (; i < 100000; i++) {
            snprintf(k, sizeof k, "%c%d", i % 2 ? 'a' : 'z', i);
            if (eng_bloom_may_contain(slice_make(f + off, flen), hash64(k, strlen(k), 0)))
                break;
        }
        CHECK(i < 100000);
        CHECK(!eng_sst_may_contain(s, slice_str(k)));
        free(f);
        CHECK_EQ(eng_sst_get_stats(s)->partitions, 10000);
    }
    eng_sst_unref(s);
    free(pk);
    free(e);
}

static void flipped_value_in_mode(const char *dir, const entry_set *set, size_t k, unsigned flags)
{
    eng_sst *s = open_mode(dir, 5, flags);
    eng_iiter *it = NULL, *fresh = NULL;
    if (!CHECK(s != NULL) || !CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        goto out;
    size_t got = scan_check(it, set->e, set->n); /* every entry before the bad block is exact */
    CHECK(got > 0 && got <= k);
    CHECK(!eng_iiter_valid(it));
    CHECK_EQ(eng_iiter_status(it), CF_ECORRUPT);
    eng_iiter_seek(it, &set->e[0].key); /* sticky: a merge cannot step over the bad block */
    CHECK(!eng_iiter_valid(it));
    CHECK_EQ(eng_iiter_status(it), CF_ECORRUPT);
    CHECK_EQ(eng_sst_iter_new(s, &fresh), 0);
    eng_iiter_seek(fresh, &set->e[k].key);
    CHECK(!eng_iiter_valid(fresh));
    CHECK_EQ(eng_iiter_status(fresh), CF_ECORRUPT);
    eng_iiter_close(fresh);
    CHECK_EQ(eng_sst_iter_new(s, &fresh), 0);
    eng_iiter_seek(fresh, &set->e[0].key); /* the other blocks still read */
    CHECK(eng_iiter_valid(fresh) && entry_eq(eng_iiter_entry(fresh), &set->e[0]));
    eng_iiter_close(fresh);
out:
    eng_iiter_close(it);
    eng_sst_unref(s);
}

static void test_sst_flipped_value_byte_stops_iteration_with_ecorrupt(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(1500, 20, false);
    size_t k = set.n / 2, len = 0;
    while (k < set.n && set.e[k].value.len < 16)
        k++;
    eng_sst_unref(write_set(dir, 5, set.e, set.n, 512));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 5);
    uint8_t *f = slurp(path, &len);
    uint8_t *hit = k < set.n ? memmem(f, len, set.e[k].value.ptr, set.e[k].value.len) : NULL;
    int saved = stderr_redirect(NULL);
    if (!CHECK(hit != NULL))
        goto out;
    hit[3] ^= 0x40;
    spit(path, f, len);
    for (int m = 0; m < 2; m++) /* read in place and with pread alike */
        flipped_value_in_mode(dir, &set, k, open_modes[m]);
out:
    stderr_restore(saved);
    free(f);
    free_set(&set);
}
static void test_sst_bad_first_block_logs_file_and_offset_0(void)
{
    const char *dir = test_tmpdir();
    eng_entry e[2] = {cell("p", "a", "", 1, "first block"), cell("p", "b", "", 1, "second")};
    eng_sst *s = write_set(dir, 19, e, 2, 1);
    char path[PATH_MAX], logpath[PATH_MAX + 8], want[PATH_MAX + 64];
    eng_sst_path(path, sizeof path, dir, 19);
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    snprintf(want, sizeof want, "sstable %s: data block checksum mismatch at offset 0\n", path);
    size_t len, loglen;
    uint8_t *f = slurp(path, &len);
    f[4] ^= 1; /* block 0 starts the file */
    spit(path, f, len);
    eng_iiter *it = NULL;
    if (CHECK(s != NULL) && CHECK_EQ(eng_sst_iter_new(s, &it), 0)) {
        int saved = stderr_redirect(logpath);
        eng_iiter_seek_first(it);
        stderr_restore(saved);
        CHECK(!eng_iiter_valid(it));
        CHECK_EQ(eng_iiter_status(it), CF_ECORRUPT);
        char *log = (char *)slurp(logpath, &loglen);
        if (CHECK(log != NULL)) {
            log[loglen] = 0;
            CHECK(strstr(log, want) != NULL);
        }
        free(log);
    }
    eng_iiter_close(it);
    eng_sst_unref(s);
    free(f);
}

static void test_sst_flipped_byte_in_index_filter_stats_or_footer_fails_open(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(500, 10, false);
    eng_sst_unref(write_set(dir, 6, set.e, set.n, 256));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 6);
    size_t len;
    uint8_t *f = slurp(path, &len);
    int saved = stderr_redirect(NULL);
    for (int i = 0; i < 3; i++) {
        uint64_t off, slen;
        section_of(f, len, i, &off, &slen);
        for (uint64_t at = off; at < off + slen; at += 1 + slen / 7) {
            f[at] ^= 0x10;
            spit(path, f, len);
            expect_open(dir, 6, CF_ECORRUPT);
            f[at] ^= 0x10;
        }
    }
    for (size_t at = len - ENG_SST_FOOTER_BYTES; at < len; at++) { /* every footer byte */
        f[at] ^= 0x01;
        spit(path, f, len);
        expect_open(dir, 6, CF_ECORRUPT);
        f[at] ^= 0x01;
    }
    stderr_restore(saved);
    spit(path, f, len);
    expect_open(dir, 6, 0);
    free(f);
    free_set(&set);
}

/* Every single-byte flip anywhere is caught: at open, or by the iterator before wrong data. */
static void test_sst_every_byte_flip_is_detected(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(60, 4, false);
    eng_sst_unref(write_set(dir, 8, set.e, set.n, 200));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 8);
    size_t len, undetected = 0;
    uint8_t *f = slurp(path, &len);
    int saved = stderr_redirect(NULL);
    for (size_t at = 0; at < len; at++) {
        f[at] ^= 0x80;
        spit(path, f, len);
        f[at] ^= 0x80;
        eng_sst *s = NULL;
        eng_iiter *it = NULL;
        int rc = eng_sst_open(dir, 8, open_modes[at % 2], &s); /* both ways of reading */
        if (rc == 0 && eng_sst_iter_new(s, &it) == 0) {
            size_t got = scan_check(it, set.e, set.n);
            rc = eng_iiter_status(it);
            undetected += got == set.n && rc == 0;
        }
        CHECK_EQ(rc, CF_ECORRUPT);
        eng_iiter_close(it);
        eng_sst_unref(s);
    }
    stderr_restore(saved);
    CHECK_EQ(undetected, 0);
    free(f);
    free_set(&set);
}

static void test_sst_truncated_or_garbage_file_fails_open(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(400, 10, false);
    eng_sst_unref(write_set(dir, 2, set.e, set.n, 256));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 2);
    size_t len;
    uint8_t *f = slurp(path, &len);
    int saved = stderr_redirect(NULL);
    const size_t cuts[] = {len - 1, len / 2, ENG_SST_FOOTER_BYTES, ENG_SST_FOOTER_BYTES - 1, 1, 0};
    for (size_t i = 0; i < TEST_COUNT(cuts); i++) {
        spit(path, f, cuts[i]);
        expect_open(dir, 2, CF_ECORRUPT);
    }
    /* the footer moved to the end of half the file: sections point past it */
    memmove(f + len / 2 - ENG_SST_FOOTER_BYTES, footer_of(f, len), ENG_SST_FOOTER_BYTES);
    spit(path, f, len / 2);
    expect_open(dir, 2, CF_ECORRUPT);
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)test_rand();
    spit(path, f, len);
    expect_open(dir, 2, CF_ECORRUPT);
    memcpy(footer_of(f, len) + ENG_SST_FOOTER_MAGIC_OFF, ENG_SST_MAGIC, ENG_SST_MAGIC_BYTES);
    footer_of(f, len)[ENG_SST_FOOTER_VERSION_OFF] = ENG_SST_VERSION;
    reseal(f, len, -1); /* garbage sections behind a valid footer */
    spit(path, f, len);
    expect_open(dir, 2, CF_ECORRUPT);
    stderr_restore(saved);
    expect_open(dir, 99, CF_ENOTFOUND);
    free(f);
    free_set(&set);
}

/*
 * Every index byte edited behind a valid index CRC (a writer bug, not a disk
 * error): open refuses the index, or the iterator finds the block's last key
 * differs from it; never a wrong entry.
 */
static void test_sst_index_edits_behind_valid_crc_never_return_wrong_data(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(200, 5, false);
    eng_sst_unref(write_set(dir, 10, set.e, set.n, 256));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 10);
    size_t len, undetected = 0;
    uint8_t *f = slurp(path, &len);
    uint64_t off, slen;
    section_of(f, len, 0, &off, &slen);
    int saved = stderr_redirect(NULL);
    for (uint64_t at = off; at < off + slen; at++) {
        f[at] ^= 0x01;
        reseal(f, len, 0);
        spit(path, f, len);
        f[at] ^= 0x01;
        eng_sst *s = NULL;
        eng_iiter *it = NULL;
        int rc = eng_sst_open(dir, 10, open_modes[at % 2], &s);
        if (rc == 0 && eng_sst_iter_new(s, &it) == 0) {
            size_t got = scan_check(it, set.e, set.n);
            rc = eng_iiter_status(it);
            undetected += got == set.n && rc == 0;
        }
        CHECK_EQ(rc, CF_ECORRUPT);
        eng_iiter_close(it);
        eng_sst_unref(s);
    }
    stderr_restore(saved);
    CHECK_EQ(undetected, 0);
    free(f);
    free_set(&set);
}

/* Lengths that lie behind valid checksums must still be caught by bounds checks. */
static void test_sst_lying_lengths_with_valid_crcs_fail_open(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(300, 10, false);
    eng_sst_unref(write_set(dir, 3, set.e, set.n, 256));
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 3);
    size_t len;
    uint8_t *orig = slurp(path, &len), *f = malloc(len);
    uint64_t ioff, ilen, soff, slen;
    section_of(orig, len, 0, &ioff, &ilen);
    section_of(orig, len, 2, &soff, &slen);
    int saved = stderr_redirect(NULL);
    for (int c = 0; c < 7; c++) {
        memcpy(f, orig, len);
        uint8_t *ft = footer_of(f, len);
        int sec = -1;
        switch (c) {
        case 0: put_u64(ft + 8, UINT64_MAX - 4); break;           /* index length */
        case 1: put_u64(ft, UINT64_MAX); break;                   /* index offset */
        case 2: put_u64(ft + 2 * ENG_SST_FOOTER_SECTION_BYTES + 8, slen + 1); break;
        case 3: put_u32(f + ioff, 0x7fffffff), sec = 0; break;    /* index block count */
        case 4: put_u32(f + ioff, get_u32(f + ioff) - 1), sec = 0; break;
        case 5: put_u32(f + soff + ENG_SST_STATS_FIXED_BYTES, 0xfffffff0), sec = 2; break;
        case 6: put_u64(f + soff, 4), sec = 2; break;             /* gen of another file */
        }
        reseal(f, len, sec);
        spit(path, f, len);
        expect_open(dir, 3, CF_ECORRUPT);
    }
    stderr_restore(saved);
    free(orig);
    free(f);
    free_set(&set);
}

static void test_sst_obsolete_file_unlinked_at_last_unref_not_before(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(800, 10, false);
    eng_sst *s = write_set(dir, 11, set.e, set.n, 512);
    char path[PATH_MAX];
    eng_sst_path(path, sizeof path, dir, 11);
    eng_iiter *it = NULL;
    if (!CHECK(s != NULL) || !CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        goto out;
    eng_sst_ref(s);
    eng_sst_mark_obsolete(s);
    eng_sst_unref(s);
    eng_sst_unref(s); /* the opener's reference; the iterator still holds one */
    s = NULL;
    CHECK(access(path, F_OK) == 0);
    CHECK_EQ(scan_check(it, set.e, set.n), set.n);
    CHECK_EQ(eng_iiter_status(it), 0);
    eng_iiter_close(it);
    it = NULL;
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(count_dir(dir, NULL), 0);

    /* not obsolete: the last unref closes but keeps the file */
    s = write_set(dir, 12, set.e, set.n, 512);
    eng_sst_unref(s);
    s = NULL;
    CHECK_EQ(count_dir(dir, "000000000000000c.sst"), 1);
out:
    eng_iiter_close(it);
    eng_sst_unref(s);
    free_set(&set);
}

/* A writer killed before finish (here: a child that exits) leaves only its .tmp. */
static void test_sst_crash_before_finish_leaves_only_tmp(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(3000, 10, true);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        eng_sst_writer *w = NULL;
        int rc = eng_sst_writer_open(dir, 13, NULL, &w);
        for (size_t i = 0; rc == 0 && i < set.n; i++)
            rc = eng_sst_writer_add(w, &set.e[i]);
        _exit(rc == 0 && eng_sst_writer_bytes(w) > (1u << 20) ? 0 : 1);
    }
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(count_dir(dir, NULL), 1);
    CHECK_EQ(count_dir(dir, "000000000000000d.sst.tmp"), 1);
    expect_open(dir, 13, CF_ENOTFOUND);
    free_set(&set);
}

static void test_sst_abort_unlinks_tmp(void)
{
    const char *dir = test_tmpdir();
    eng_sst_writer *w = NULL;
    eng_entry e = cell("p", "c", "", 1, "v");
    CHECK_EQ(eng_sst_writer_open(dir, 14, NULL, &w), 0);
    CHECK_EQ(eng_sst_writer_add(w, &e), 0);
    CHECK_EQ(count_dir(dir, "000000000000000e.sst.tmp"), 1);
    eng_sst_writer_abort(w);
    eng_sst_writer_abort(NULL);
    CHECK_EQ(count_dir(dir, NULL), 0);
}

/* RLIMIT_FSIZE makes write() fail mid-file: CF_EIO, sticky, and no file is left. */
static void test_sst_write_error_is_sticky_eio_and_unlinks_tmp(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(3000, 10, true);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {256 << 10, 256 << 10};
        signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &rl);
        log_set_level(LOG_ERROR);
        eng_sst_writer *w = NULL;
        int rc = eng_sst_writer_open(dir, 15, NULL, &w);
        size_t i = 0;
        while (rc == 0 && i < set.n)
            rc = eng_sst_writer_add(w, &set.e[i++]);
        int again = i < set.n ? eng_sst_writer_add(w, &set.e[i]) : 0;
        int fin = eng_sst_writer_finish(w, NULL);
        _exit((rc == CF_EIO ? 0 : 1) | (again == CF_EIO ? 0 : 2) | (fin == CF_EIO ? 0 : 4));
    }
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK_EQ(count_dir(dir, NULL), 0);
    free_set(&set);
}

static void test_sst_empty_table_opens_and_yields_nothing(void)
{
    const char *dir = test_tmpdir();
    eng_sst *s = write_set(dir, 16, NULL, 0, 0);
    eng_iiter *it = NULL;
    if (!CHECK(s != NULL) || !CHECK_EQ(eng_sst_iter_new(s, &it), 0))
        goto out;
    eng_iiter_seek_first(it);
    CHECK(!eng_iiter_valid(it));
    eng_ikey k = {0};
    eng_iiter_seek(it, &k);
    CHECK(!eng_iiter_valid(it));
    CHECK_EQ(eng_iiter_status(it), 0);
    CHECK_EQ(eng_sst_get_stats(s)->entries, 0);
    CHECK_EQ(eng_sst_get_stats(s)->partitions, 0);
    CHECK(!eng_sst_may_contain(s, slice_str("")));
out:
    eng_iiter_close(it);
    eng_sst_unref(s);
}

static void test_sst_writer_refuses_existing_generation(void)
{
    const char *dir = test_tmpdir();
    eng_entry e = cell("p", "c", "", 1, "v");
    eng_sst_unref(write_set(dir, 17, &e, 1, 0));
    eng_sst_writer *w = (eng_sst_writer *)&w;
    CHECK_EQ(eng_sst_writer_open(dir, 17, NULL, &w), CF_EEXIST);
    CHECK(w == NULL);
    CHECK_EQ(count_dir(dir, NULL), 1);
    expect_open(dir, 17, 0);
}

typedef struct scan_arg {
    eng_sst *s;
    const entry_set *set;
    size_t got;
} scan_arg;

static void *scan_thread(void *p)
{
    scan_arg *a = p;
    eng_iiter *it = NULL;
    if (eng_sst_iter_new(a->s, &it) == 0) {
        for (int r = 0; r < 3; r++)
            a->got += scan_check(it, a->set->e, a->set->n);
        a->got += (size_t)eng_iiter_status(it); /* non-zero status spoils the count */
    }
    eng_iiter_close(it);
    return NULL;
}

/* Iterators on one sst share its fd from several threads (pread is positionless). */
static void test_sst_iterators_in_threads_share_the_file(void)
{
    const char *dir = test_tmpdir();
    entry_set set = make_set(1500, 15, false);
    eng_sst *s = write_set(dir, 18, set.e, set.n, 1024);
    pthread_t th[4];
    scan_arg args[4];
    for (int i = 0; i < 4 && s; i++) {
        args[i] = (scan_arg){s, &set, 0};
        CHECK_EQ(pthread_create(&th[i], NULL, scan_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4 && s; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(args[i].got, 3 * set.n);
    }
    eng_sst_unref(s);
    free_set(&set);
}

static const test_case cases[] = {
    TEST(test_sst_roundtrip_random_entries_byte_exact),
    TEST(test_sst_stats_count_every_entry_kind_exactly),
    TEST(test_sst_stats_of_hand_built_table),
    TEST(test_sst_seek_present_and_absent_keys_across_blocks),
    TEST(test_sst_128k_values_are_one_block_each),
    TEST(test_sst_lazy_values_point_into_the_file_mapped_or_not),
    TEST(test_sst_out_of_order_add_is_einval_and_sticky),
    TEST(test_sst_may_contain_all_10k_pks_and_few_absent),
    TEST(test_sst_flipped_value_byte_stops_iteration_with_ecorrupt),
    TEST(test_sst_bad_first_block_logs_file_and_offset_0),
    TEST(test_sst_flipped_byte_in_index_filter_stats_or_footer_fails_open),
    TEST(test_sst_every_byte_flip_is_detected),
    TEST(test_sst_truncated_or_garbage_file_fails_open),
    TEST(test_sst_index_edits_behind_valid_crc_never_return_wrong_data),
    TEST(test_sst_lying_lengths_with_valid_crcs_fail_open),
    TEST(test_sst_obsolete_file_unlinked_at_last_unref_not_before),
    TEST(test_sst_crash_before_finish_leaves_only_tmp),
    TEST(test_sst_abort_unlinks_tmp),
    TEST(test_sst_write_error_is_sticky_eio_and_unlinks_tmp),
    TEST(test_sst_empty_table_opens_and_yields_nothing),
    TEST(test_sst_writer_refuses_existing_generation),
    TEST(test_sst_iterators_in_threads_share_the_file),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
