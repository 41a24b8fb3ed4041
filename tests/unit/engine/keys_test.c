/*
 * keys_test.c -- composite key encoding order, entry encoding, internal key
 * order, reconciliation and batch records.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/batch.h"
#include "engine/db.h"
#include "engine/engine.h"
#include "engine/entry.h"
#include "test.h"

static int tuple_cmp(const uint8_t *a, size_t alen, uint64_t an, const uint8_t *b, size_t blen,
                     uint64_t bn)
{
    int c = slice_cmp(slice_make(a, alen), slice_make(b, blen));
    if (c)
        return c;
    return (an > bn) - (an < bn);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void test_composite_key_memcmp_matches_tuple_order(void)
{
    cf_buf ea = {0}, eb = {0}, dec = {0};
    for (int i = 0; i < 20000; i++) {
        uint8_t a[6], b[6];
        size_t alen = test_rand() % 6, blen = test_rand() % 6;
        for (size_t k = 0; k < 6; k++) {
            a[k] = (uint8_t)(test_rand() % 3 == 0 ? 0 : test_rand() % 3 ? 0xff : 1);
            b[k] = (uint8_t)(test_rand() % 3 == 0 ? 0 : test_rand() % 3 ? 0xff : 1);
        }
        uint64_t an = test_rand() % 4, bn = test_rand() % 4;
        buf_clear(&ea);
        buf_clear(&eb);
        eng_key_put_bytes(&ea, slice_make(a, alen));
        eng_key_put_u64(&ea, an);
        eng_key_put_bytes(&eb, slice_make(b, blen));
        eng_key_put_u64(&eb, bn);
        int want = sign(tuple_cmp(a, alen, an, b, blen, bn));
        int got = sign(slice_cmp(buf_slice(&ea), buf_slice(&eb)));
        if (!CHECK_EQ(got, want))
            break;
        cf_slice p = buf_slice(&ea);
        uint64_t n;
        CHECK_EQ(eng_key_get_bytes(&p, &dec), 0);
        CHECK_EQ(eng_key_get_u64(&p, &n), 0);
        CHECK(CHECK_MEM(dec.data, dec.len, a, alen) && n == an && p.len == 0);
    }
    buf_free(&ea);
    buf_free(&eb);
    buf_free(&dec);
}

static void test_composite_key_rejects_bad_escape(void)
{
    cf_buf out = {0};
    const uint8_t bad[] = {'a', 0x00, 0x07, 0x00, 0x01};
    cf_slice p = slice_make(bad, sizeof bad);
    CHECK_EQ(eng_key_get_bytes(&p, &out), CF_ECORRUPT);
    const uint8_t unterminated[] = {'a', 'b'};
    p = slice_make(unterminated, sizeof unterminated);
    CHECK_EQ(eng_key_get_bytes(&p, &out), CF_ECORRUPT);
    uint64_t v;
    CHECK_EQ(eng_key_get_u64(&p, &v), CF_ECORRUPT);
    buf_free(&out);
}

static eng_entry mk(const char *pk, uint8_t sec, const char *ck, uint8_t sub, const char *col)
{
    eng_entry e = {{slice_str(pk), sec, slice_str(ck), sub, slice_str(col)}, 0, 0,
                   slice_make(NULL, 0)};
    return e;
}

static void test_ikey_order_puts_tombstones_before_rows(void)
{
    eng_entry seq[] = {
        mk("a", ENG_SEC_PARTITION, "", 0, ""),
        mk("a", ENG_SEC_RANGE, "", ENG_RANGE_START_INCL, "m"),
        mk("a", ENG_SEC_RANGE, "k", 0, "z"),
        mk("a", ENG_SEC_ROW, "", ENG_SUB_CELL, "x"),
        mk("a", ENG_SEC_ROW, "k", ENG_SUB_ROW_DEL, ""),
        mk("a", ENG_SEC_ROW, "k", ENG_SUB_CELL, ""),
        mk("a", ENG_SEC_ROW, "k", ENG_SUB_CELL, "col"),
        mk("a", ENG_SEC_ROW, "ka", ENG_SUB_CELL, ""),
        mk("a\x01", ENG_SEC_PARTITION, "", 0, ""),
        mk("b", ENG_SEC_ROW, "", ENG_SUB_CELL, ""),
    };
    for (size_t i = 0; i + 1 < TEST_COUNT(seq); i++) {
        CHECK(eng_ikey_cmp(&seq[i].key, &seq[i + 1].key) < 0);
        CHECK(eng_ikey_cmp(&seq[i + 1].key, &seq[i].key) > 0);
        CHECK_EQ(eng_ikey_cmp(&seq[i].key, &seq[i].key), 0);
    }
}

static void test_reconcile_rules(void)
{
    eng_entry a = mk("p", ENG_SEC_ROW, "c", ENG_SUB_CELL, "v"), b = a;
    a.ts = 10;
    b.ts = 9;
    CHECK(eng_entry_newer(&a, &b) && !eng_entry_newer(&b, &a));
    b.ts = 10;
    b.flags = ENG_F_TOMBSTONE;
    CHECK(eng_entry_newer(&b, &a) && !eng_entry_newer(&a, &b));
    b.flags = 0;
    a.value = slice_str("b");
    b.value = slice_str("a");
    CHECK(eng_entry_newer(&a, &b) && !eng_entry_newer(&b, &a));
}

static void test_range_covers_bounds(void)
{
    eng_entry r = mk("p", ENG_SEC_RANGE, "b", ENG_RANGE_START_INCL, "d");
    CHECK(!eng_range_covers(&r.key, slice_str("a")));
    CHECK(eng_range_covers(&r.key, slice_str("b")));
    CHECK(eng_range_covers(&r.key, slice_str("c")));
    CHECK(!eng_range_covers(&r.key, slice_str("d")));
    r.key.sub = ENG_RANGE_END_INCL;
    CHECK(!eng_range_covers(&r.key, slice_str("b")));
    CHECK(eng_range_covers(&r.key, slice_str("d")));
    r.key.sub = ENG_RANGE_START_INCL | ENG_RANGE_END_OPEN;
    CHECK(eng_range_covers(&r.key, slice_str("zzzz")));
}

static void test_entry_encode_decode_and_truncation(void)
{
    cf_buf b = {0};
    eng_entry e = mk("pk", ENG_SEC_ROW, "ck", ENG_SUB_CELL, "col");
    e.ts = -12345;
    e.value = slice_str("value bytes");
    CHECK_EQ(eng_entry_encode(&b, &e), 0);
    eng_entry d;
    CHECK_EQ(eng_entry_decode(b.data, b.data + b.len, &d), (int)b.len);
    CHECK(eng_ikey_cmp(&d.key, &e.key) == 0 && d.ts == e.ts && slice_eq(d.value, e.value));
    for (size_t cut = 0; cut < b.len; cut++)
        CHECK_EQ(eng_entry_decode(b.data, b.data + cut, &d), CF_ECORRUPT);
    b.data[0] = 7; /* no such section */
    CHECK_EQ(eng_entry_decode(b.data, b.data + b.len, &d), CF_ECORRUPT);
    buf_free(&b);
}

static void test_batch_record_round_trip(void)
{
    eng_table t = {0};
    t.id = 3;
    eng_batch *b;
    CHECK_EQ(eng_batch_new(&b), 0);
    eng_cell cells[2] = {{slice_str("a"), slice_str("1")}, {slice_str("b"), slice_str("22")}};
    CHECK_EQ(eng_batch_put(b, &t, slice_str("p"), slice_str("c"), cells, 2), 0);
    CHECK_EQ(eng_batch_delete_partition(b, &t, slice_str("q")), 0);
    CHECK_EQ(eng_batch_count(b), 4); /* marker + 2 cells + partition delete */
    eng_batch_stamp(b, 777);
    eng_batch_iter it;
    CHECK_EQ(eng_batch_iter_init(&it, b->rec.data, b->rec.len), 0);
    uint32_t id;
    eng_entry e;
    int n = 0;
    while (eng_batch_iter_next(&it, &id, &e) == 1) {
        CHECK(id == 3 && e.ts == 777);
        n++;
    }
    CHECK_EQ(n, 4);
    CHECK_EQ(eng_batch_iter_init(&it, b->rec.data, b->rec.len - 1), 0);
    int rc;
    while ((rc = eng_batch_iter_next(&it, &id, &e)) == 1)
        ;
    CHECK_EQ(rc, CF_ECORRUPT);
    eng_batch_free(b);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_composite_key_memcmp_matches_tuple_order),
        TEST(test_composite_key_rejects_bad_escape),
        TEST(test_ikey_order_puts_tombstones_before_rows),
        TEST(test_reconcile_rules),
        TEST(test_range_covers_bounds),
        TEST(test_entry_encode_decode_and_truncation),
        TEST(test_batch_record_round_trip),
    };
    return test_main(cases, TEST_COUNT(cases));
}
