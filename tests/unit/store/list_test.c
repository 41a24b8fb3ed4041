/*
 * list_test.c -- store_list against a reference model: random key sets over
 * an alphabet with '/', 0x00 and 0xFF, random prefix / delimiter /
 * start_after / max_keys, exact truncated and next, paging that neither
 * repeats nor loses an entry; the key successor; and the cost of folding a
 * large common prefix, counted in engine rows visited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "test.h"

static cf_slice S(const char *s)
{
    return slice_str(s);
}

typedef struct env {
    eng_db *db;
    store *s;
    eng_table *objects;
} env;

static void env_open(env *e, const char *dir, uint64_t memtable_bytes)
{
    eng_db_opts o;
    eng_db_opts_default(&o, dir);
    o.background = 0;
    o.sync = 0; /* listing is about reads; the fixtures write many rows */
    o.memtable_bytes = memtable_bytes;
    CHECK_EQ(eng_db_open(&o, &e->db), 0);
    CHECK_EQ(store_open(e->db, &e->s), 0);
    CHECK_EQ(eng_table_open(e->db, STORE_T_OBJECTS, STORE_STRATEGY, &e->objects), 0);
    CHECK_EQ(store_bucket_create(e->s, S("bkt"), S("AK"), NULL, 0, NULL), 0);
}

static void env_close(env *e)
{
    store_close(e->s);
    eng_db_close(e->db);
}

/* ---- the reference model ---- */

#define MAX_KEY 16
#define MAX_ENTRIES 1100

typedef struct key {
    uint8_t b[MAX_KEY];
    size_t len;
} key;

typedef struct entry {
    bool is_prefix;
    key k;
} entry;

typedef struct entries {
    entry e[MAX_ENTRIES];
    size_t n;
} entries;

static cf_slice ks(const key *k)
{
    return slice_make(k->b, k->len);
}

static int key_cmp(const void *a, const void *b)
{
    return slice_cmp(ks(a), ks(b));
}

static bool starts(cf_slice k, cf_slice p)
{
    return k.len >= p.len && (p.len == 0 || memcmp(k.ptr, p.ptr, p.len) == 0);
}

/* reference -- the answer store_list must give, from sorted keys, by brute force. */
static void reference(const key *keys, size_t n, const store_list_req *req, entries *out,
                      bool *truncated, key *next)
{
    out->n = 0;
    *truncated = false;
    next->len = 0;
    size_t total = 0;
    entry last = {0};
    for (size_t i = 0; i < n; i++) {
        cf_slice k = ks(&keys[i]);
        if (!starts(k, req->prefix) || slice_cmp(k, req->start_after) <= 0)
            continue;
        entry en = {.k = keys[i]};
        const uint8_t *d = NULL;
        if (req->delimiter.len)
            d = memmem(k.ptr + req->prefix.len, k.len - req->prefix.len, req->delimiter.ptr,
                       req->delimiter.len);
        if (d) {
            en.is_prefix = true;
            en.k.len = (size_t)(d - k.ptr) + req->delimiter.len;
            if (slice_cmp(ks(&en.k), req->start_after) <= 0)
                continue;
        }
        if (total > 0 && last.is_prefix == en.is_prefix && slice_eq(ks(&last.k), ks(&en.k)))
            continue;
        last = en;
        if (total++ < req->max_keys) {
            out->e[out->n++] = en;
            *next = en.k;
        }
    }
    *truncated = total > req->max_keys;
}

static int got_object(void *arg, cf_slice k, const store_meta *m)
{
    entries *g = arg;
    if (g->n == MAX_ENTRIES || k.len > MAX_KEY)
        return CF_ELIMIT;
    entry *en = &g->e[g->n++];
    en->is_prefix = false;
    memcpy(en->k.b, k.ptr, k.len);
    en->k.len = k.len;
    return m->size == 0 && strcmp(m->etag, "e") == 0 ? 0 : CF_ECORRUPT;
}

static int got_prefix(void *arg, cf_slice p)
{
    entries *g = arg;
    if (g->n == MAX_ENTRIES || p.len > MAX_KEY)
        return CF_ELIMIT;
    entry *en = &g->e[g->n++];
    en->is_prefix = true;
    memcpy(en->k.b, p.ptr, p.len);
    en->k.len = p.len;
    return 0;
}

static bool same_entries(const entries *a, const entries *b)
{
    if (!CHECK_EQ(a->n, b->n))
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (!CHECK_EQ(a->e[i].is_prefix, b->e[i].is_prefix) ||
            !CHECK_MEM(a->e[i].k.b, a->e[i].k.len, b->e[i].k.b, b->e[i].k.len))
            return false;
    }
    return true;
}

static const uint8_t alphabet[] = {'a', 'b', '/', '.', 0x00, 0xFF, 0xFE, 'z'};

static void random_key(key *k, size_t max_len)
{
    k->len = 1 + test_rand() % max_len;
    for (size_t i = 0; i < k->len; i++)
        k->b[i] = alphabet[test_rand() % sizeof alphabet];
}

static int put_empty(store *s, cf_slice k)
{
    store_writer *w = NULL;
    int rc = store_put_begin(s, S("bkt"), k, &w);
    if (rc)
        return rc;
    store_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.etag, sizeof m.etag, "e");
    return store_put_commit(w, &m, NULL);
}

/* make_keys -- n distinct random keys put through the store (half flushed, some
 * deleted again), sorted into keys[]; returns how many remain. */
static size_t make_keys(env *e, key *keys, size_t n)
{
    size_t have = 0;
    while (have < n) {
        random_key(&keys[have], 6);
        bool dup = false;
        for (size_t j = 0; j < have && !dup; j++)
            dup = slice_eq(ks(&keys[j]), ks(&keys[have]));
        if (dup)
            continue;
        CHECK_EQ(put_empty(e->s, ks(&keys[have])), 0);
        if (++have == n / 2)
            CHECK_EQ(eng_table_flush(e->objects), 0);
    }
    for (size_t i = 0; i < have;) {
        if (test_rand() % 10 == 0) {
            CHECK_EQ(store_delete(e->s, S("bkt"), ks(&keys[i]), NULL), 0);
            keys[i] = keys[--have];
        } else {
            i++;
        }
    }
    qsort(keys, have, sizeof keys[0], key_cmp);
    return have;
}

static void random_bound(const key *keys, size_t n, key *out)
{
    switch (test_rand() % 4) {
    case 0:
        out->len = 0;
        break;
    case 1:
        *out = keys[test_rand() % n];
        break;
    case 2:
        *out = keys[test_rand() % n];
        out->len = test_rand() % (out->len + 1);
        break;
    default:
        random_key(out, 3);
    }
}

static void test_list_matches_reference_on_random_keys(void)
{
    env e;
    env_open(&e, test_tmpdir(), 1 << 20);
    static key keys[400];
    size_t n = make_keys(&e, keys, 400);
    const cf_slice delims[] = {S(""),   S("/"),        S("a"), S("\xff"),
                               S("/a"), S("\xff\xff"), S("."), slice_make("\0", 1)};
    static const uint32_t maxes[] = {0, 1, 2, 3, 7, 1000};
    static entries want, got;
    for (int round = 0; round < 3000; round++) {
        key prefix, after;
        random_bound(keys, n, &prefix);
        prefix.len = round % 3 == 0 ? 0 : prefix.len;
        random_bound(keys, n, &after);
        size_t dl = test_rand() % (sizeof delims / sizeof delims[0]);
        store_list_req req = {
            .prefix = ks(&prefix),
            .delimiter = delims[dl],
            .start_after = ks(&after),
            .max_keys = maxes[test_rand() % (sizeof maxes / sizeof maxes[0])],
        };
        bool wt, gt;
        key wn;
        reference(keys, n, &req, &want, &wt, &wn);
        got.n = 0;
        store_list_cb cb = {.arg = &got, .object = got_object, .prefix = got_prefix};
        cf_buf next = {0};
        bool ok = CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &gt, &next), 0);
        ok = ok && same_entries(&want, &got);
        ok = ok && CHECK_EQ(gt, wt);
        ok = ok && CHECK_MEM(next.data, next.len, wn.b, wn.len);
        buf_free(&next);
        if (!ok) {
            fprintf(stderr, "  round %d: prefix len %zu, delim %zu, after len %zu, max %u\n", round,
                    prefix.len, dl, after.len, req.max_keys);
            break;
        }
    }
    env_close(&e);
}

static void test_paging_with_next_neither_repeats_nor_loses(void)
{
    env e;
    env_open(&e, test_tmpdir(), 1 << 20);
    static key keys[300];
    size_t n = make_keys(&e, keys, 300);
    static entries want, page, all;
    for (int round = 0; round < 200; round++) {
        key prefix;
        random_bound(keys, n, &prefix);
        prefix.len = prefix.len > 2 ? 2 : prefix.len;
        cf_slice delim = round % 2 ? S("/") : (round % 4 ? S("\xff") : S(""));
        store_list_req req = {.prefix = ks(&prefix), .delimiter = delim, .max_keys = 1000};
        bool wt;
        key wn;
        reference(keys, n, &req, &want, &wt, &wn);
        CHECK(!wt);
        all.n = 0;
        req.max_keys = 1 + (uint32_t)(test_rand() % 5);
        cf_buf next = {0}, after = {0};
        bool truncated = true;
        int pages = 0;
        while (truncated && pages++ <= 400) {
            buf_clear(&after);
            buf_append(&after, next.data, next.len);
            req.start_after = buf_slice(&after);
            page.n = 0;
            store_list_cb cb = {.arg = &page, .object = got_object, .prefix = got_prefix};
            if (!CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &truncated, &next), 0))
                break;
            CHECK(page.n <= req.max_keys);
            CHECK(!truncated || page.n == req.max_keys);
            for (size_t i = 0; i < page.n && all.n < MAX_ENTRIES; i++)
                all.e[all.n++] = page.e[i];
        }
        buf_free(&next);
        buf_free(&after);
        if (!same_entries(&want, &all))
            break;
    }
    env_close(&e);
}

static int fail_object(void *arg, cf_slice k, const store_meta *m)
{
    return CF_EIO;
}

static void test_list_edges_max_keys_zero_missing_bucket_and_errors(void)
{
    env e;
    env_open(&e, test_tmpdir(), 1 << 20);
    static entries got;
    store_list_cb cb = {.arg = &got, .object = got_object, .prefix = got_prefix};
    cf_buf next = {0};
    bool t = true;
    store_list_req req = {.max_keys = 0};
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &t, &next), 0);
    CHECK(!t); /* empty bucket */
    CHECK_EQ(put_empty(e.s, S("a/1")), 0);
    got.n = 0;
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &t, &next), 0);
    CHECK(t);
    CHECK_EQ(got.n, 0);
    CHECK_EQ(next.len, 0);
    req.prefix = S("b");
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &t, &next), 0);
    CHECK(!t);
    req = (store_list_req){.delimiter = S("/"), .start_after = S("a/"), .max_keys = 0};
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &t, &next), 0);
    CHECK(!t); /* the only entry, a/, is not after a/ */
    req.max_keys = 1001;
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &cb, &t, &next), CF_EINVAL);
    req.max_keys = 10;
    CHECK_EQ(store_list(e.s, S("nobucket"), &req, &cb, &t, &next), CF_ENOTFOUND);
    store_list_cb bad = {.arg = &got, .object = fail_object, .prefix = got_prefix};
    req = (store_list_req){.max_keys = 10};
    CHECK_EQ(store_list(e.s, S("bkt"), &req, &bad, &t, &next), CF_EIO);
    CHECK(!t);
    CHECK_EQ(next.len, 0);
    buf_free(&next);
    env_close(&e);
}

static void test_key_successor(void)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out; /* NULL: none */
        size_t out_len;
    } cases[] = {
        {"abc", 3, "abd", 3},         {"ab\xff", 3, "ac", 2}, {"a\xff\xff", 3, "b", 1},
        {"a\xfe\xff", 3, "a\xff", 2}, {"\x00", 1, "\x01", 1}, {"a/", 2, "a0", 2},
        {"\xff\xff", 2, NULL, 0},     {"", 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cf_buf b = {0};
        buf_append(&b, cases[i].in, cases[i].len);
        bool has = store_key_successor(&b);
        CHECK_EQ(has, cases[i].out != NULL);
        if (cases[i].out)
            CHECK_MEM(b.data, b.len, cases[i].out, cases[i].out_len);
        buf_free(&b);
    }
}

/* bulk_rows -- object rows written straight to the engine (a fixture, fast). */
static void bulk_rows(env *e, const char *fmt, int a_count, int b_count)
{
    eng_batch *b;
    eng_batch_new(&b);
    cf_buf pk = {0}, val = {0};
    store_objects_pk(&pk, S("bkt"));
    store_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.etag, sizeof m.etag, "e");
    m.chunk_bytes = STORE_CHUNK_BYTES;
    m.partition_chunks = STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
    CHECK_EQ(store_meta_encode(&val, &m), 0);
    eng_cell c = {S(STORE_C_META), buf_slice(&val)};
    char k[64];
    for (int i = 0; i < a_count; i++) {
        for (int j = 0; j < b_count; j++) {
            int n = snprintf(k, sizeof k, fmt, i, j);
            CHECK_EQ(eng_batch_put(b, e->objects, buf_slice(&pk),
                                   slice_make(k, (size_t)n), &c, 1),
                     0);
            if (eng_batch_count(b) >= 2000) {
                CHECK_EQ(eng_db_write(e->db, b), 0);
                eng_batch_clear(b);
            }
        }
    }
    CHECK_EQ(eng_db_write(e->db, b), 0);
    eng_batch_free(b);
    buf_free(&pk);
    buf_free(&val);
}

static void list_cost(env *e, const store_list_req *req, entries *got, bool *t, uint64_t *rows,
                      uint64_t *seeks)
{
    store_stats a, b;
    cf_buf next = {0};
    store_list_cb cb = {.arg = got, .object = got_object, .prefix = got_prefix};
    got->n = 0;
    store_stats_get(e->s, &a);
    CHECK_EQ(store_list(e->s, S("bkt"), req, &cb, t, &next), 0);
    store_stats_get(e->s, &b);
    *rows = b.list_rows - a.list_rows;
    *seeks = b.list_seeks - a.list_seeks;
    buf_free(&next);
}

/* 100,000 keys, 10,000 of them under one folded prefix: a page costs its size. */
static void test_folding_a_large_prefix_costs_the_page_not_the_bucket(void)
{
    env e;
    env_open(&e, test_tmpdir(), 8 << 20);
    bulk_rows(&e, "big/%d%03d", 10, 1000); /* big/0000 .. big/9999 */
    CHECK_EQ(eng_table_flush(e.objects), 0);
    bulk_rows(&e, "d%03d/x%03d", 900, 100);
    static entries got;
    bool t;
    uint64_t rows, seeks;
    store_list_req req = {.delimiter = S("/"), .max_keys = 5};
    list_cost(&e, &req, &got, &t, &rows, &seeks);
    CHECK_EQ(got.n, 5);
    CHECK(t);
    CHECK(got.e[0].is_prefix && got.e[0].k.len == 4 && memcmp(got.e[0].k.b, "big/", 4) == 0);
    CHECK(got.e[4].is_prefix && got.e[4].k.len == 5 && memcmp(got.e[4].k.b, "d003/", 5) == 0);
    CHECK(rows <= 6 * (STORE_LIST_STEPS_BEFORE_SEEK + 1));
    CHECK(seeks <= 6);
    /* the next page starts after "d003/" without walking its keys */
    req.start_after = S("d003/");
    list_cost(&e, &req, &got, &t, &rows, &seeks);
    CHECK(got.n == 5 && got.e[0].k.len == 5 && memcmp(got.e[0].k.b, "d004/", 5) == 0);
    CHECK(rows <= 7 * (STORE_LIST_STEPS_BEFORE_SEEK + 1));
    /* start_after inside the big prefix: its keys are skipped with one seek */
    req.start_after = S("big/5000");
    req.max_keys = 2;
    list_cost(&e, &req, &got, &t, &rows, &seeks);
    CHECK(got.n == 2 && memcmp(got.e[0].k.b, "d000/", 5) == 0);
    CHECK(rows <= 4 * (STORE_LIST_STEPS_BEFORE_SEEK + 1));
    /* no delimiter: a page of keys from the middle of the big prefix */
    req = (store_list_req){.prefix = S("big/"), .start_after = S("big/5000"), .max_keys = 5};
    list_cost(&e, &req, &got, &t, &rows, &seeks);
    CHECK(got.n == 5 && t && got.e[4].k.len == 8 && memcmp(got.e[4].k.b, "big/5005", 8) == 0);
    CHECK(rows <= 6);
    CHECK_EQ(seeks, 1);
    /* the whole 900-prefix folding of one listing at once */
    req = (store_list_req){.prefix = S("d"), .delimiter = S("/"), .max_keys = 1000};
    list_cost(&e, &req, &got, &t, &rows, &seeks);
    CHECK_EQ(got.n, 900);
    CHECK(!t);
    CHECK(rows <= 900 * (STORE_LIST_STEPS_BEFORE_SEEK + 1) + 1);
    env_close(&e);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_key_successor),
        TEST(test_list_matches_reference_on_random_keys),
        TEST(test_paging_with_next_neither_repeats_nor_loses),
        TEST(test_list_edges_max_keys_zero_missing_bucket_and_errors),
        TEST(test_folding_a_large_prefix_costs_the_page_not_the_bucket),
    };
    return test_main(cases, TEST_COUNT(cases));
}
