/*
 * merge_test.c -- eng_merge_iter_new: order, one winner per key, seeks, errors.
 *
 * Children are in-test iterators over sorted arrays of entries, one of which
 * can be told to fail at a given position, so every case checks the merge
 * alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/iter.h"
#include "test.h"
#include "util/err.h"

/* vec_iter -- an iterator over a sorted array, for the merge to consume. */

typedef struct vec_iter {
    eng_iiter base;
    const eng_entry *e;
    size_t n;
    size_t pos;
    size_t fail_at; /* reaching this position fails with CF_EIO; SIZE_MAX: never */
    int status;
    int *closed; /* incremented on close, if not NULL */
} vec_iter;

static void vec_settle(vec_iter *v)
{
    if (v->pos == v->fail_at)
        v->status = CF_EIO;
}

static void vec_seek_first(eng_iiter *it)
{
    vec_iter *v = (vec_iter *)it;
    v->status = 0;
    v->pos = 0;
    vec_settle(v);
}

static void vec_seek(eng_iiter *it, const eng_ikey *k)
{
    vec_iter *v = (vec_iter *)it;
    v->status = 0;
    v->pos = 0;
    while (v->pos < v->n && eng_ikey_cmp(&v->e[v->pos].key, k) < 0)
        v->pos++;
    vec_settle(v);
}

static bool vec_valid(const eng_iiter *it)
{
    const vec_iter *v = (const vec_iter *)it;
    return v->status == 0 && v->pos < v->n;
}

static void vec_next(eng_iiter *it)
{
    vec_iter *v = (vec_iter *)it;
    v->pos++;
    vec_settle(v);
}

static const eng_entry *vec_entry(const eng_iiter *it)
{
    const vec_iter *v = (const vec_iter *)it;
    return &v->e[v->pos];
}

static int vec_status(const eng_iiter *it)
{
    return ((const vec_iter *)it)->status;
}

static void vec_close(eng_iiter *it)
{
    vec_iter *v = (vec_iter *)it;
    if (v->closed)
        (*v->closed)++;
    free(v);
}

static const eng_iiter_ops vec_ops = {.seek_first = vec_seek_first, .seek = vec_seek,
                                      .valid = vec_valid, .next = vec_next, .entry = vec_entry,
                                      .status = vec_status, .close = vec_close};

static eng_iiter *vec_new(const eng_entry *e, size_t n, int *closed)
{
    vec_iter *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->base.ops = &vec_ops;
    v->e = e;
    v->n = n;
    v->fail_at = SIZE_MAX;
    v->closed = closed;
    return &v->base;
}

/* A live cell of partition pk, row ck, column "c". */
static eng_entry cell(const char *pk, const char *ck, int64_t ts, const char *val)
{
    eng_entry e = {0};
    e.key.pk = slice_str(pk);
    e.key.sec = ENG_SEC_ROW;
    e.key.ck = slice_str(ck);
    e.key.sub = ENG_SUB_CELL;
    e.key.col = slice_str("c");
    e.ts = ts;
    e.value = slice_str(val);
    return e;
}

static eng_entry cell_del(const char *pk, const char *ck, int64_t ts)
{
    eng_entry e = cell(pk, ck, ts, "");
    e.flags = ENG_F_TOMBSTONE;
    return e;
}

static bool same_entry(const eng_entry *a, const eng_entry *b)
{
    return eng_ikey_cmp(&a->key, &b->key) == 0 && a->ts == b->ts && a->flags == b->flags &&
           slice_eq(a->value, b->value);
}

/* Drains it from its current position into out[0..cap); returns the count. */
static size_t drain(eng_iiter *it, eng_entry *out, size_t cap)
{
    size_t n = 0;
    for (; eng_iiter_valid(it); eng_iiter_next(it)) {
        if (n < cap)
            out[n] = *eng_iiter_entry(it);
        n++;
    }
    return n;
}

static void test_merge_interleaves_disjoint_children_in_key_order(void)
{
    eng_entry a[] = {cell("p", "a", 1, "1"), cell("p", "d", 1, "4"), cell("q", "a", 1, "7")};
    eng_entry b[] = {cell("p", "b", 1, "2"), cell("p", "e", 1, "5")};
    eng_entry c[] = {cell("p", "c", 1, "3"), cell("p", "f", 1, "6"), cell("r", "", 1, "8")};
    eng_iiter *kids[3] = {vec_new(a, 3, NULL), vec_new(b, 2, NULL), vec_new(c, 3, NULL)};
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(kids, 3, &m), 0))
        return;
    CHECK(!eng_iiter_valid(m)); /* not valid before a seek */
    eng_iiter_seek_first(m);
    eng_entry got[16];
    size_t n = drain(m, got, 16);
    CHECK_EQ(n, 8);
    for (size_t i = 0; i < n && i < 8; i++) {
        char want = (char)('1' + i);
        CHECK_MEM(got[i].value.ptr, got[i].value.len, &want, 1);
    }
    CHECK_EQ(eng_iiter_status(m), 0);
    eng_iiter_close(m);
}

static void test_merge_equal_keys_yield_only_the_winner_once(void)
{
    /* key "k": ts 5 live in a, ts 7 live in b, ts 7 tombstone in c (tombstone wins the tie) */
    eng_entry a[] = {cell("p", "j", 1, "a"), cell("p", "k", 5, "old"), cell("p", "m", 3, "x")};
    eng_entry b[] = {cell("p", "k", 7, "new"), cell("p", "m", 3, "y")};
    eng_entry c[] = {cell_del("p", "k", 7), cell("p", "z", 1, "z")};
    eng_iiter *kids[3] = {vec_new(a, 3, NULL), vec_new(b, 2, NULL), vec_new(c, 2, NULL)};
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(kids, 3, &m), 0))
        return;
    eng_iiter_seek_first(m);
    eng_entry got[8];
    size_t n = drain(m, got, 8);
    if (!CHECK_EQ(n, 4))
        goto out;
    CHECK(same_entry(&got[0], &a[0]));
    CHECK(same_entry(&got[1], &c[0])); /* tombstone beats live at equal ts */
    CHECK(same_entry(&got[2], &b[1])); /* equal ts, both live: larger value "y" */
    CHECK(same_entry(&got[3], &c[1]));
out:
    eng_iiter_close(m);
}

static int entry_qsort_cmp(const void *x, const void *y)
{
    const eng_entry *a = x, *b = y;
    int c = eng_ikey_cmp(&a->key, &b->key);
    if (c)
        return c;
    return eng_entry_newer(a, b) ? -1 : eng_entry_newer(b, a) ? 1 : 0;
}

enum { R_CHILDREN = 7, R_PER_CHILD = 40, R_KEYS = 60 };

static char key_names[R_KEYS][16];
static const char *val_names[4] = {"a", "b", "c", "d"};

/* Random children (one entry per key each), merged in two child orders, against a sort. */
static void test_merge_random_matches_sorted_reference_in_any_child_order(void)
{
    for (int k = 0; k < R_KEYS; k++)
        snprintf(key_names[k], sizeof key_names[k], "k%03d", k);
    static eng_entry src[R_CHILDREN][R_PER_CHILD];
    static eng_entry all[R_CHILDREN * R_PER_CHILD], want[R_CHILDREN * R_PER_CHILD];
    static eng_entry got[R_CHILDREN * R_PER_CHILD];
    for (int round = 0; round < 200; round++) {
        size_t n_all = 0, counts[R_CHILDREN];
        for (int c = 0; c < R_CHILDREN; c++) {
            bool used[R_KEYS] = {0};
            size_t n = test_rand() % R_PER_CHILD;
            counts[c] = 0;
            for (size_t i = 0; i < n; i++) {
                int k = (int)(test_rand() % R_KEYS);
                if (used[k])
                    continue;
                used[k] = true;
                eng_entry e =
                    cell("p", key_names[k], (int64_t)(test_rand() % 4), val_names[test_rand() % 4]);
                if (test_rand() % 5 == 0)
                    e = cell_del("p", key_names[k], e.ts);
                src[c][counts[c]++] = e;
                all[n_all++] = e;
            }
            qsort(src[c], counts[c], sizeof(eng_entry), entry_qsort_cmp);
        }
        qsort(all, n_all, sizeof(eng_entry), entry_qsort_cmp);
        size_t n_want = 0;
        for (size_t i = 0; i < n_all; i++)
            if (i == 0 || eng_ikey_cmp(&all[i].key, &all[i - 1].key) != 0)
                want[n_want++] = all[i];
        for (int order = 0; order < 2; order++) {
            eng_iiter *kids[R_CHILDREN], *m;
            for (int c = 0; c < R_CHILDREN; c++) {
                int s = order ? R_CHILDREN - 1 - c : c;
                kids[c] = vec_new(src[s], counts[s], NULL);
            }
            if (!CHECK_EQ(eng_merge_iter_new(kids, R_CHILDREN, &m), 0))
                return;
            eng_iiter_seek_first(m);
            size_t n_got = drain(m, got, R_CHILDREN * R_PER_CHILD);
            bool ok = CHECK_EQ(n_got, n_want);
            for (size_t i = 0; ok && i < n_got; i++)
                ok = CHECK(same_entry(&got[i], &want[i]));
            eng_iiter_close(m);
            if (!ok)
                return;
        }
    }
}

static void test_merge_seek_repositions_every_child(void)
{
    eng_entry a[] = {cell("p", "a", 1, "a"), cell("p", "c", 1, "c"), cell("p", "e", 1, "e")};
    eng_entry b[] = {cell("p", "b", 1, "b"), cell("p", "c", 2, "C"), cell("p", "f", 1, "f")};
    eng_iiter *kids[2] = {vec_new(a, 3, NULL), vec_new(b, 3, NULL)};
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(kids, 2, &m), 0))
        return;
    eng_entry target = cell("p", "c", 0, "");
    eng_iiter_seek(m, &target.key);
    eng_entry got[8];
    size_t n = drain(m, got, 8);
    if (CHECK_EQ(n, 3)) {
        CHECK(same_entry(&got[0], &b[1])); /* the winner of "c" */
        CHECK(same_entry(&got[1], &a[2]));
        CHECK(same_entry(&got[2], &b[2]));
    }
    target = cell("p", "bb", 0, ""); /* between keys, after the merge was exhausted */
    eng_iiter_seek(m, &target.key);
    if (CHECK(eng_iiter_valid(m)))
        CHECK(same_entry(eng_iiter_entry(m), &b[1]));
    target = cell("p", "g", 0, ""); /* past every key */
    eng_iiter_seek(m, &target.key);
    CHECK(!eng_iiter_valid(m));
    CHECK_EQ(eng_iiter_status(m), 0);
    eng_iiter_seek_first(m);
    CHECK_EQ(drain(m, got, 8), 5);
    eng_iiter_close(m);
}

static void test_merge_child_error_stops_the_merge_with_its_status(void)
{
    eng_entry a[] = {cell("p", "a", 1, "a"), cell("p", "c", 1, "c"), cell("p", "e", 1, "e")};
    eng_entry b[] = {cell("p", "b", 1, "b"), cell("p", "d", 1, "d")};
    eng_iiter *kids[2] = {vec_new(a, 3, NULL), vec_new(b, 2, NULL)};
    ((vec_iter *)kids[0])->fail_at = 2; /* moving to "e" fails */
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(kids, 2, &m), 0))
        return;
    eng_iiter_seek_first(m);
    eng_entry got[8];
    size_t n = drain(m, got, 8);
    CHECK_EQ(n, 3); /* a, b, c; the failure hides "d" rather than yield a gap */
    CHECK_EQ(eng_iiter_status(m), CF_EIO);

    ((vec_iter *)kids[0])->fail_at = 0; /* failing at the seek itself */
    eng_iiter_seek_first(m);
    CHECK(!eng_iiter_valid(m));
    CHECK_EQ(eng_iiter_status(m), CF_EIO);

    ((vec_iter *)kids[0])->fail_at = SIZE_MAX; /* a later seek clears the error */
    eng_iiter_seek_first(m);
    CHECK_EQ(drain(m, got, 8), 5);
    CHECK_EQ(eng_iiter_status(m), 0);
    eng_iiter_close(m);
}

static void test_merge_of_zero_and_empty_children_is_empty(void)
{
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(NULL, 0, &m), 0))
        return;
    eng_iiter_seek_first(m);
    CHECK(!eng_iiter_valid(m));
    CHECK_EQ(eng_iiter_status(m), 0);
    eng_iiter_close(m);

    eng_entry a[] = {cell("p", "a", 1, "a")};
    eng_iiter *kids[3] = {vec_new(NULL, 0, NULL), vec_new(a, 1, NULL), vec_new(NULL, 0, NULL)};
    if (!CHECK_EQ(eng_merge_iter_new(kids, 3, &m), 0))
        return;
    eng_iiter_seek_first(m);
    eng_entry got[2];
    if (CHECK_EQ(drain(m, got, 2), 1))
        CHECK(same_entry(&got[0], &a[0]));
    eng_iiter_close(m);
}

static void test_merge_close_closes_every_child(void)
{
    int closed = 0;
    eng_entry a[] = {cell("p", "a", 1, "a")};
    eng_iiter *kids[4];
    for (int i = 0; i < 4; i++)
        kids[i] = vec_new(a, 1, &closed);
    eng_iiter *m;
    if (!CHECK_EQ(eng_merge_iter_new(kids, 4, &m), 0))
        return;
    eng_iiter_seek_first(m);
    CHECK_EQ(drain(m, NULL, 0), 1);
    CHECK_EQ(closed, 0);
    eng_iiter_close(m);
    CHECK_EQ(closed, 4);
}

static const test_case cases[] = {
    TEST(test_merge_interleaves_disjoint_children_in_key_order),
    TEST(test_merge_equal_keys_yield_only_the_winner_once),
    TEST(test_merge_random_matches_sorted_reference_in_any_child_order),
    TEST(test_merge_seek_repositions_every_child),
    TEST(test_merge_child_error_stops_the_merge_with_its_status),
    TEST(test_merge_of_zero_and_empty_children_is_empty),
    TEST(test_merge_close_closes_every_child),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
