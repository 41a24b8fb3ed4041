/*
 * memtable_test.c -- tests of the skiplist memtable (engine/memtable.h).
 *
 * Random keys come from a 4-symbol alphabet {00, 'a', 'b', ff} with 0..5
 * bytes per part, so keys share prefixes, differ only in sec or sub, have
 * empty parts (sometimes with a NULL pointer) and collide often enough to
 * exercise replacement. The reference is the same entries sorted with qsort
 * by eng_ikey_cmp, each run of equal keys reduced to its eng_entry_newer
 * winner.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/memtable.h"
#include "test.h"
#include "util/err.h"

typedef struct tent {
    uint8_t pk[6], ck[6], col[6], val[8];
    eng_entry e;
} tent;

static const uint8_t alphabet[4] = {0x00, 'a', 'b', 0xff};

static cf_slice rand_part(uint8_t *buf, size_t max_len)
{
    size_t len = test_rand() % (max_len + 1);
    for (size_t i = 0; i < len; i++)
        buf[i] = alphabet[test_rand() % 4];
    if (len == 0 && test_rand() % 2)
        return slice_make(NULL, 0);
    return slice_make(buf, len);
}

/* rand_entry -- a random key; ts in -1..2, a quarter tombstones, short values. */
static void rand_entry(tent *t)
{
    t->e.key.pk = rand_part(t->pk, 5);
    t->e.key.sec = (uint8_t)(test_rand() % 3);
    t->e.key.ck = rand_part(t->ck, 5);
    t->e.key.sub = (uint8_t)(test_rand() % 2);
    t->e.key.col = rand_part(t->col, 5);
    t->e.ts = (int64_t)(test_rand() % 4) - 1;
    t->e.flags = test_rand() % 4 == 0 ? ENG_F_TOMBSTONE : 0;
    t->e.value = t->e.flags ? slice_make(NULL, 0) : rand_part(t->val, 8);
}

/* rand_entries -- n entries; one in ten repeats the key of an earlier one. */
static tent *rand_entries(size_t n)
{
    tent *t = calloc(n, sizeof *t);
    for (size_t i = 0; t && i < n; i++) {
        rand_entry(&t[i]);
        if (i > 0 && test_rand() % 10 == 0) {
            tent *old = &t[test_rand() % i];
            memcpy(t[i].pk, old->pk, sizeof t[i].pk);
            memcpy(t[i].ck, old->ck, sizeof t[i].ck);
            memcpy(t[i].col, old->col, sizeof t[i].col);
            t[i].e.key = old->e.key;
            t[i].e.key.pk = slice_make(old->e.key.pk.ptr ? t[i].pk : NULL, old->e.key.pk.len);
            t[i].e.key.ck = slice_make(old->e.key.ck.ptr ? t[i].ck : NULL, old->e.key.ck.len);
            t[i].e.key.col = slice_make(old->e.key.col.ptr ? t[i].col : NULL, old->e.key.col.len);
        }
    }
    return t;
}

static int cmp_tent_ptr(const void *a, const void *b)
{
    const tent *x = *(const tent *const *)a, *y = *(const tent *const *)b;
    return eng_ikey_cmp(&x->e.key, &y->e.key);
}

/* winners -- the reference: sorted, one entry per key, the winner of each run.
 * Returns the number of distinct keys; out holds n pointers. */
static size_t winners(tent *t, size_t n, const tent **out)
{
    const tent **all = malloc(n * sizeof *all);
    size_t m = 0;
    if (!all)
        return 0;
    for (size_t i = 0; i < n; i++)
        all[i] = &t[i];
    qsort(all, n, sizeof *all, cmp_tent_ptr);
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && eng_ikey_cmp(&out[m - 1]->e.key, &all[i]->e.key) == 0) {
            if (eng_entry_newer(&all[i]->e, &out[m - 1]->e))
                out[m - 1] = all[i];
        } else {
            out[m++] = all[i];
        }
    }
    free(all);
    return m;
}

static bool check_entry(const eng_entry *got, const eng_entry *want)
{
    bool ok = CHECK_MEM(got->key.pk.ptr, got->key.pk.len, want->key.pk.ptr, want->key.pk.len);
    ok &= CHECK_EQ(got->key.sec, want->key.sec);
    ok &= CHECK_MEM(got->key.ck.ptr, got->key.ck.len, want->key.ck.ptr, want->key.ck.len);
    ok &= CHECK_EQ(got->key.sub, want->key.sub);
    ok &= CHECK_MEM(got->key.col.ptr, got->key.col.len, want->key.col.ptr, want->key.col.len);
    ok &= CHECK_EQ(got->ts, want->ts);
    ok &= CHECK_EQ(got->flags, want->flags);
    ok &= CHECK_MEM(got->value.ptr, got->value.len, want->value.ptr, want->value.len);
    return ok;
}

/* check_scan -- a full scan of mt yields exactly ref[0..m). */
static void check_scan(eng_memtable *mt, const tent **ref, size_t m)
{
    eng_iiter *it;
    if (!CHECK_EQ(eng_memtable_iter_new(mt, &it), 0))
        return;
    size_t i = 0;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), i++) {
        if (!CHECK(i < m) || !check_entry(eng_iiter_entry(it), &ref[i]->e))
            break;
    }
    CHECK_EQ(i, m);
    CHECK_EQ(eng_iiter_status(it), 0);
    eng_iiter_close(it);
}

static eng_entry make_entry(const char *pk, const char *ck, const char *col, int64_t ts,
                            uint8_t flags, const char *value)
{
    eng_entry e = {.key = {.pk = slice_str(pk),
                           .sec = ENG_SEC_ROW,
                           .ck = slice_str(ck),
                           .sub = ENG_SUB_CELL,
                           .col = slice_str(col)},
                   .ts = ts,
                   .flags = flags,
                   .value = slice_str(value)};
    return e;
}

static void test_memtable_empty_has_no_entries(void)
{
    eng_memtable *mt;
    eng_iiter *it;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    CHECK_EQ(eng_memtable_count(mt), 0);
    CHECK_EQ(eng_memtable_bytes(mt), 0);
    CHECK_EQ(eng_memtable_min_ts(mt), INT64_MAX);
    if (CHECK_EQ(eng_memtable_iter_new(mt, &it), 0)) {
        CHECK(!eng_iiter_valid(it));
        eng_iiter_seek_first(it);
        CHECK(!eng_iiter_valid(it));
        eng_entry e = make_entry("", "", "", 0, 0, "");
        eng_iiter_seek(it, &e.key);
        CHECK(!eng_iiter_valid(it));
        CHECK_EQ(eng_iiter_status(it), 0);
        eng_iiter_close(it);
    }
    eng_memtable_unref(mt);
    eng_memtable_unref(NULL);
    eng_memtable_ref(NULL);
}

static void test_memtable_random_keys_iterate_in_ikey_order_either_insert_order(void)
{
    size_t n = 20000;
    tent *t = rand_entries(n);
    const tent **ref = malloc(n * sizeof *ref);
    eng_memtable *fwd = NULL, *rev = NULL;
    if (!CHECK(t && ref) || !CHECK_EQ(eng_memtable_new(&fwd), 0) ||
        !CHECK_EQ(eng_memtable_new(&rev), 0))
        goto out;
    size_t m = winners(t, n, ref);
    CHECK(m > n / 2 && m < n); /* the generator did make duplicates */
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(eng_memtable_add(fwd, &t[i].e), 0);
        CHECK_EQ(eng_memtable_add(rev, &t[n - 1 - i].e), 0);
    }
    CHECK_EQ(eng_memtable_count(fwd), m);
    CHECK_EQ(eng_memtable_count(rev), m);
    check_scan(fwd, ref, m);
    check_scan(rev, ref, m);
    size_t min_bytes = 0;
    for (size_t i = 0; i < m; i++)
        min_bytes += ref[i]->e.key.pk.len + ref[i]->e.key.ck.len + ref[i]->e.key.col.len +
                     ref[i]->e.value.len;
    CHECK(eng_memtable_bytes(fwd) >= min_bytes);
    CHECK_EQ(eng_memtable_min_ts(fwd), -1);
out:
    eng_memtable_unref(fwd);
    eng_memtable_unref(rev);
    free(ref);
    free(t);
}

/* One row per rule of eng_entry_newer: win must survive lose in either order. */
static void test_memtable_duplicate_keeps_winner_of_each_rule(void)
{
    static const struct {
        int64_t win_ts;
        uint8_t win_flags;
        const char *win_value;
        int64_t lose_ts;
        uint8_t lose_flags;
        const char *lose_value;
    } rules[] = {
        {2, 0, "a", 1, 0, "zzz"},             /* higher ts, smaller value */
        {2, 0, "a", 1, ENG_F_TOMBSTONE, ""},  /* higher ts beats a tombstone */
        {-1, 0, "", -2, 0, "x"},              /* negative timestamps */
        {5, ENG_F_TOMBSTONE, "", 5, 0, "zz"}, /* equal ts: tombstone wins */
        {5, 0, "b", 5, 0, "a"},               /* equal ts, live: larger value */
        {5, 0, "ab", 5, 0, "a"},              /* a proper prefix is smaller */
        {5, 0, "\xff", 5, 0, "\x7f\xff"},     /* bytes compare unsigned */
        {5, 0, "a", 5, 0, ""},                /* empty value is smallest */
    };
    for (size_t r = 0; r < TEST_COUNT(rules); r++) {
        for (int order = 0; order < 2; order++) {
            eng_memtable *mt;
            if (!CHECK_EQ(eng_memtable_new(&mt), 0))
                return;
            eng_entry win = make_entry("p", "c", "col", rules[r].win_ts, rules[r].win_flags,
                                       rules[r].win_value);
            eng_entry lose = make_entry("p", "c", "col", rules[r].lose_ts, rules[r].lose_flags,
                                        rules[r].lose_value);
            CHECK_EQ(eng_memtable_add(mt, order ? &win : &lose), 0);
            CHECK_EQ(eng_memtable_add(mt, order ? &lose : &win), 0);
            CHECK_EQ(eng_memtable_add(mt, &lose), 0); /* a late loser changes nothing */
            CHECK_EQ(eng_memtable_count(mt), 1);
            eng_iiter *it;
            if (CHECK_EQ(eng_memtable_iter_new(mt, &it), 0)) {
                eng_iiter_seek_first(it);
                if (CHECK(eng_iiter_valid(it)) && !check_entry(eng_iiter_entry(it), &win))
                    fprintf(stderr, "  rule %zu order %d\n", r, order);
                eng_iiter_next(it);
                CHECK(!eng_iiter_valid(it));
                eng_iiter_close(it);
            }
            eng_memtable_unref(mt);
        }
    }
}

/* lower_bound -- index of the first ref entry >= key, m if none. */
static size_t lower_bound(const tent **ref, size_t m, const eng_ikey *key)
{
    size_t lo = 0, hi = m;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (eng_ikey_cmp(&ref[mid]->e.key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void test_memtable_seek_lands_on_first_ge_target(void)
{
    size_t n = 5000;
    tent *t = rand_entries(n);
    tent *probes = rand_entries(n);
    const tent **ref = malloc(n * sizeof *ref);
    eng_memtable *mt = NULL;
    eng_iiter *it = NULL;
    if (!CHECK(t && probes && ref) || !CHECK_EQ(eng_memtable_new(&mt), 0) ||
        !CHECK_EQ(eng_memtable_iter_new(mt, &it), 0))
        goto out;
    size_t m = winners(t, n, ref);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(eng_memtable_add(mt, &t[i].e), 0);

    /* Present targets land on themselves, and next() goes on in order. */
    for (size_t i = 0; i < m; i++) {
        eng_iiter_seek(it, &ref[i]->e.key);
        if (!CHECK(eng_iiter_valid(it)) || !check_entry(eng_iiter_entry(it), &ref[i]->e))
            goto out;
        eng_iiter_next(it);
        if (!CHECK_EQ(eng_iiter_valid(it), i + 1 < m))
            goto out;
        if (i + 1 < m && !check_entry(eng_iiter_entry(it), &ref[i + 1]->e))
            goto out;
    }
    /* Random targets, mostly absent: the first entry >= target, or invalid. */
    size_t absent = 0;
    for (size_t i = 0; i < n; i++) {
        size_t want = lower_bound(ref, m, &probes[i].e.key);
        absent += want == m || eng_ikey_cmp(&ref[want]->e.key, &probes[i].e.key) != 0;
        eng_iiter_seek(it, &probes[i].e.key);
        if (!CHECK_EQ(eng_iiter_valid(it), want < m))
            goto out;
        if (want < m && !check_entry(eng_iiter_entry(it), &ref[want]->e))
            goto out;
    }
    CHECK(absent > n / 4);
    /* Past the end: six ff bytes sort after every generated pk (at most five). */
    eng_entry past = make_entry("\xff\xff\xff\xff\xff\xff", "", "", 0, 0, "");
    eng_iiter_seek(it, &past.key);
    CHECK(!eng_iiter_valid(it));
    CHECK_EQ(eng_iiter_status(it), 0);
    /* The smallest possible key lands on the first entry. */
    eng_entry least = {.key = {.pk = slice_make(NULL, 0)}};
    eng_iiter_seek(it, &least.key);
    if (CHECK(eng_iiter_valid(it)))
        check_entry(eng_iiter_entry(it), &ref[0]->e);
out:
    eng_iiter_close(it);
    eng_memtable_unref(mt);
    free(ref);
    free(probes);
    free(t);
}

static void test_memtable_bytes_grow_with_replaced_versions(void)
{
    eng_memtable *mt;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    static char big[1001];
    memset(big, 'v', 1000);
    eng_entry e = make_entry("pk", "ck", "col", 10, 0, "small");
    CHECK_EQ(eng_memtable_add(mt, &e), 0);
    size_t b1 = eng_memtable_bytes(mt);
    CHECK(b1 >= 2 + 2 + 3 + 5);

    e = make_entry("pk", "ck", "col", 11, 0, big);
    CHECK_EQ(eng_memtable_add(mt, &e), 0);
    size_t b2 = eng_memtable_bytes(mt);
    CHECK(b2 >= b1 + 1000);
    CHECK_EQ(eng_memtable_count(mt), 1);

    /* A loser is not copied: the bytes do not move. */
    e = make_entry("pk", "ck", "col", 9, 0, big);
    CHECK_EQ(eng_memtable_add(mt, &e), 0);
    CHECK_EQ(eng_memtable_bytes(mt), b2);

    /* 3000 winning replacements of one key: every version stays counted. */
    for (int i = 0; i < 3000; i++) {
        e = make_entry("pk", "ck", "col", 100 + i, 0, big);
        CHECK_EQ(eng_memtable_add(mt, &e), 0);
    }
    CHECK(eng_memtable_bytes(mt) >= b2 + 3000 * 1000);
    CHECK_EQ(eng_memtable_count(mt), 1);
    eng_iiter *it;
    if (CHECK_EQ(eng_memtable_iter_new(mt, &it), 0)) {
        eng_iiter_seek_first(it);
        if (CHECK(eng_iiter_valid(it)))
            check_entry(eng_iiter_entry(it), &e);
        eng_iiter_close(it);
    }
    eng_memtable_unref(mt);
}

static void test_memtable_min_ts_tracks_smallest_added_even_losers(void)
{
    eng_memtable *mt;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    const int64_t ts[] = {10, 5, 7, 5, 12};
    const int64_t want[] = {10, 5, 5, 5, 5};
    const char *pks[] = {"a", "b", "c", "b", "a"};
    for (size_t i = 0; i < TEST_COUNT(ts); i++) {
        eng_entry e = make_entry(pks[i], "", "", ts[i], 0, "v");
        CHECK_EQ(eng_memtable_add(mt, &e), 0);
        CHECK_EQ(eng_memtable_min_ts(mt), want[i]);
    }
    /* A loser (older than the live "a" at ts 12) still lowers min_ts. */
    eng_entry e = make_entry("a", "", "", -3, 0, "v");
    CHECK_EQ(eng_memtable_add(mt, &e), 0);
    CHECK_EQ(eng_memtable_min_ts(mt), -3);
    CHECK_EQ(eng_memtable_count(mt), 3);
    eng_memtable_unref(mt);
}

static void test_memtable_large_values_round_trip_byte_exact(void)
{
    size_t lens[] = {128 * 1024, 300 * 1024, 7};
    uint8_t *vals[3] = {NULL, NULL, NULL};
    eng_memtable *mt = NULL;
    eng_iiter *it = NULL;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0) || !CHECK_EQ(eng_memtable_iter_new(mt, &it), 0))
        goto out;
    char pk[2] = "0";
    for (int i = 0; i < 3; i++) {
        vals[i] = malloc(lens[i]);
        if (!CHECK(vals[i] != NULL))
            goto out;
        for (size_t j = 0; j < lens[i]; j++)
            vals[i][j] = (uint8_t)test_rand();
        pk[0] = (char)('a' + i);
        eng_entry e = make_entry(pk, "chunk", "", 1, 0, "");
        e.value = slice_make(vals[i], lens[i]);
        CHECK_EQ(eng_memtable_add(mt, &e), 0);
    }
    CHECK(eng_memtable_bytes(mt) >= lens[0] + lens[1] + lens[2]);
    int i = 0;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), i++) {
        const eng_entry *got = eng_iiter_entry(it);
        if (!CHECK(i < 3))
            break;
        CHECK_EQ(got->key.pk.len, 1);
        CHECK_EQ(got->key.pk.ptr[0], 'a' + i);
        CHECK_MEM(got->value.ptr, got->value.len, vals[i], lens[i]);
    }
    CHECK_EQ(i, 3);
out:
    eng_iiter_close(it);
    eng_memtable_unref(mt);
    for (int k = 0; k < 3; k++)
        free(vals[k]);
}

/* Invariant (2): a positioned iterator survives adds on both sides of it. */
static void test_memtable_iterator_stays_valid_across_adds(void)
{
    eng_memtable *mt;
    eng_iiter *it;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    eng_entry b1 = make_entry("b", "", "", 1, 0, "old");
    eng_entry b2 = make_entry("b", "", "", 2, 0, "new");
    eng_entry d = make_entry("d", "", "", 1, 0, "d");
    eng_entry a = make_entry("a", "", "", 1, 0, "a");
    eng_entry c = make_entry("c", "", "", 1, 0, "c");
    CHECK_EQ(eng_memtable_add(mt, &b1), 0);
    CHECK_EQ(eng_memtable_add(mt, &d), 0);
    if (!CHECK_EQ(eng_memtable_iter_new(mt, &it), 0))
        goto out;
    eng_iiter_seek(it, &b1.key);
    CHECK(eng_iiter_valid(it));
    CHECK_EQ(eng_memtable_add(mt, &a), 0);
    CHECK_EQ(eng_memtable_add(mt, &c), 0);
    CHECK_EQ(eng_memtable_add(mt, &b2), 0);
    /* The entry read at positioning is kept whole; a new seek sees b2. */
    check_entry(eng_iiter_entry(it), &b1);
    eng_iiter_next(it);
    if (CHECK(eng_iiter_valid(it)))
        check_entry(eng_iiter_entry(it), &c);
    eng_iiter_next(it);
    if (CHECK(eng_iiter_valid(it)))
        check_entry(eng_iiter_entry(it), &d);
    eng_iiter_seek(it, &b1.key);
    if (CHECK(eng_iiter_valid(it)))
        check_entry(eng_iiter_entry(it), &b2);
    eng_iiter_close(it);
out:
    eng_memtable_unref(mt);
}

static void test_memtable_iterator_keeps_memtable_alive_after_unref(void)
{
    eng_memtable *mt;
    eng_iiter *it;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    eng_entry e = make_entry("pk", "ck", "col", 3, 0, "value");
    CHECK_EQ(eng_memtable_add(mt, &e), 0);
    if (!CHECK_EQ(eng_memtable_iter_new(mt, &it), 0)) {
        eng_memtable_unref(mt);
        return;
    }
    eng_memtable_ref(mt);
    eng_memtable_unref(mt);
    eng_memtable_unref(mt); /* the creator's reference: only the iterator's is left */
    /* Under ASan a freed memtable would fault here; a leak would show at exit. */
    eng_iiter_seek_first(it);
    if (CHECK(eng_iiter_valid(it)))
        check_entry(eng_iiter_entry(it), &e);
    eng_iiter_close(it);
}

static void test_memtable_part_over_4gib_is_einval(void)
{
    eng_memtable *mt;
    if (!CHECK_EQ(eng_memtable_new(&mt), 0))
        return;
    /* Lengths are checked before any byte is read, so the bytes need not exist. */
    eng_entry e = make_entry("pk", "", "", 1, 0, "v");
    e.value = slice_make("v", (size_t)UINT32_MAX + 1);
    CHECK_EQ(eng_memtable_add(mt, &e), CF_EINVAL);
    e = make_entry("pk", "", "", 1, 0, "v");
    e.key.col = slice_make("c", (size_t)UINT32_MAX + 1);
    CHECK_EQ(eng_memtable_add(mt, &e), CF_EINVAL);
    CHECK_EQ(eng_memtable_count(mt), 0);
    CHECK_EQ(eng_memtable_bytes(mt), 0);
    CHECK_EQ(eng_memtable_min_ts(mt), INT64_MAX);
    eng_memtable_unref(mt);
}

/*
 * Concurrency: two writers add overlapping key ranges (each key first with
 * an older version, then its final one) while two readers scan and seek
 * without a lock. A value is its ts (8 bytes LE) followed by ts % 37 copies
 * of the low ts byte, so a reader can tell a torn version from a whole one.
 */
#define CW_KEYS 30000 /* per writer; writer 1 starts at CW_KEYS / 2 */

typedef struct cw_ctx {
    eng_memtable *mt;
    atomic_int writers_left;
    atomic_int failures;
    atomic_long scans;
} cw_ctx;

typedef struct cw_arg {
    cw_ctx *ctx;
    int id;
} cw_arg;

typedef struct cw_key {
    uint8_t pk[2], ck[4];
} cw_key;

static eng_ikey cw_make_key(cw_key *b, uint32_t i)
{
    b->pk[0] = 'p';
    b->pk[1] = (uint8_t)(i % 7); /* seven partitions, so pk alone does not order */
    for (int k = 0; k < 4; k++)
        b->ck[k] = (uint8_t)(i >> (24 - 8 * k));
    eng_ikey key = {.pk = slice_make(b->pk, 2),
                    .sec = ENG_SEC_ROW,
                    .ck = slice_make(b->ck, 4),
                    .sub = ENG_SUB_CELL,
                    .col = slice_str("c")};
    return key;
}

static size_t cw_value(uint8_t *buf, int64_t ts)
{
    size_t len = 8 + (size_t)(ts % 37);
    for (int k = 0; k < 8; k++)
        buf[k] = (uint8_t)((uint64_t)ts >> (8 * k));
    memset(buf + 8, (uint8_t)ts, len - 8);
    return len;
}

static bool cw_value_ok(const eng_entry *e)
{
    uint8_t want[64];
    size_t len = cw_value(want, e->ts);
    return e->value.len == len && memcmp(e->value.ptr, want, len) == 0;
}

static void *cw_writer(void *p)
{
    cw_arg *a = p;
    uint32_t base = a->id ? CW_KEYS / 2 : 0;
    uint64_t rng = 0x1234567ull + (uint64_t)a->id;
    uint32_t *order = malloc(CW_KEYS * sizeof *order);
    for (uint32_t i = 0; order && i < CW_KEYS; i++)
        order[i] = base + i;
    for (uint32_t i = CW_KEYS - 1; order && i > 0; i--) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        uint32_t j = (uint32_t)(rng % (i + 1)), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (uint32_t n = 0; order && n < CW_KEYS; n++) {
        cw_key kb;
        uint8_t vb[64];
        eng_entry e = {.key = cw_make_key(&kb, order[n])};
        for (int64_t older = 2; older >= 0; older -= 2) {
            e.ts = 2 * (int64_t)order[n] + a->id - older + 2;
            e.value = slice_make(vb, cw_value(vb, e.ts));
            if (eng_memtable_add(a->ctx->mt, &e) != 0)
                atomic_fetch_add(&a->ctx->failures, 1);
        }
    }
    if (!order)
        atomic_fetch_add(&a->ctx->failures, 1);
    free(order);
    atomic_fetch_sub(&a->ctx->writers_left, 1);
    return NULL;
}

/* cw_scan -- one full scan; returns the entries seen, counts failures. */
static size_t cw_scan(cw_ctx *ctx, eng_iiter *it)
{
    size_t n = 0;
    eng_entry prev;
    for (eng_iiter_seek_first(it); eng_iiter_valid(it); eng_iiter_next(it), n++) {
        const eng_entry *e = eng_iiter_entry(it);
        if ((n > 0 && eng_ikey_cmp(&prev.key, &e->key) >= 0) || !cw_value_ok(e))
            atomic_fetch_add(&ctx->failures, 1);
        prev = *e; /* its slices point into the arena and stay valid */
    }
    return n;
}

static void *cw_reader(void *p)
{
    cw_arg *a = p;
    eng_iiter *it;
    if (eng_memtable_iter_new(a->ctx->mt, &it) != 0) {
        atomic_fetch_add(&a->ctx->failures, 1);
        return NULL;
    }
    uint32_t probe = (uint32_t)a->id;
    while (atomic_load(&a->ctx->writers_left) > 0) {
        cw_scan(a->ctx, it);
        for (int k = 0; k < 200; k++) {
            cw_key kb;
            probe = probe * 1103515245u + 12345u;
            eng_ikey target = cw_make_key(&kb, probe % (CW_KEYS * 3 / 2));
            eng_iiter_seek(it, &target);
            if (eng_iiter_valid(it) && (eng_ikey_cmp(&eng_iiter_entry(it)->key, &target) < 0 ||
                                        !cw_value_ok(eng_iiter_entry(it))))
                atomic_fetch_add(&a->ctx->failures, 1);
        }
        atomic_fetch_add(&a->ctx->scans, 1);
    }
    if (cw_scan(a->ctx, it) != CW_KEYS * 3 / 2)
        atomic_fetch_add(&a->ctx->failures, 1);
    eng_iiter_close(it);
    return NULL;
}

static void test_memtable_concurrent_writers_and_readers(void)
{
    cw_ctx ctx;
    if (!CHECK_EQ(eng_memtable_new(&ctx.mt), 0))
        return;
    atomic_init(&ctx.writers_left, 2);
    atomic_init(&ctx.failures, 0);
    atomic_init(&ctx.scans, 0);
    pthread_t th[4];
    cw_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (cw_arg){.ctx = &ctx, .id = i % 2};
        CHECK_EQ(pthread_create(&th[i], NULL, i < 2 ? cw_writer : cw_reader, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(atomic_load(&ctx.failures), 0);
    CHECK(atomic_load(&ctx.scans) > 0);
    CHECK_EQ(eng_memtable_count(ctx.mt), CW_KEYS * 3 / 2);
    CHECK_EQ(eng_memtable_min_ts(ctx.mt), 0);
    /* Final versions: each key's highest ts; writer 1 (odd ts) wins the overlap. */
    eng_iiter *it;
    if (CHECK_EQ(eng_memtable_iter_new(ctx.mt, &it), 0)) {
        uint32_t seen = 0;
        for (uint32_t i = 0; i < CW_KEYS * 3 / 2; i++) {
            cw_key kb;
            eng_ikey key = cw_make_key(&kb, i);
            eng_iiter_seek(it, &key);
            int64_t want_ts = 2 * (int64_t)i + (i >= CW_KEYS / 2) + 2;
            if (!CHECK(eng_iiter_valid(it)) ||
                !CHECK_EQ(eng_ikey_cmp(&eng_iiter_entry(it)->key, &key), 0) ||
                !CHECK_EQ(eng_iiter_entry(it)->ts, want_ts))
                break;
            seen++;
        }
        CHECK_EQ(seen, CW_KEYS * 3 / 2);
        eng_iiter_close(it);
    }
    eng_memtable_unref(ctx.mt);
}

static const test_case cases[] = {
    TEST(test_memtable_empty_has_no_entries),
    TEST(test_memtable_random_keys_iterate_in_ikey_order_either_insert_order),
    TEST(test_memtable_duplicate_keeps_winner_of_each_rule),
    TEST(test_memtable_seek_lands_on_first_ge_target),
    TEST(test_memtable_bytes_grow_with_replaced_versions),
    TEST(test_memtable_min_ts_tracks_smallest_added_even_losers),
    TEST(test_memtable_large_values_round_trip_byte_exact),
    TEST(test_memtable_iterator_stays_valid_across_adds),
    TEST(test_memtable_iterator_keeps_memtable_alive_after_unref),
    TEST(test_memtable_part_over_4gib_is_einval),
    TEST(test_memtable_concurrent_writers_and_readers),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
