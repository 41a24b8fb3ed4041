/*
 * check_test.c -- store_check, the store's consistency check: it passes on
 * intact objects whose ETag is their MD5, and reports (CF_ECORRUPT, counted
 * once each) an object whose bytes no longer match its ETag and an object
 * missing a chunk, while still checking the others; and each user row
 * that does not decode.
 */
#include <openssl/evp.h>

#include "fixture.h"
#include "util/hex.h"
#include "util/log.h"

/* put_md5 -- put_obj, then the object's real MD5 as its ETag (a metadata-only self-copy). */
static void put_md5(env *e, const char *key, uint64_t size, uint32_t seed, store_meta *out)
{
    uint8_t *p = malloc(size ? size : 1), md[16];
    for (uint64_t i = 0; i < size; i++)
        p[i] = pat(i, seed);
    EVP_Digest(p, size, md, NULL, EVP_md5(), NULL);
    free(p);
    CHECK_EQ(put_obj(e, "bkt", key, size, seed, NULL, out), 0);
    hex_encode(md, 16, out->etag);
    CHECK_EQ(store_copy(e->s, S("bkt"), S(key), S("bkt"), S(key), out, NULL, out), 0);
}

static void test_check_passes_then_reports_each_damaged_object(void)
{
    env *e = env_new(64 << 20);
    store_meta a, b, c;
    put_md5(e, "a", 3 * CB + 17, 1, &a);
    put_md5(e, "b", 1000, 2, &b);
    put_md5(e, "c", 2 * CB, 3, &c);
    store_check_stats st;
    CHECK_EQ(store_check(e->s, NULL, &st), 0);
    CHECK_EQ(st.buckets, 1);
    CHECK_EQ(st.objects, 3);
    CHECK_EQ(st.bytes, a.size + b.size + c.size);
    CHECK_EQ(st.bad_objects, 0);

    log_set_level(LOG_ERROR + 1); /* the failures below are logged as errors */
    /* b: its ETag no longer matches its bytes */
    store_meta wrong = b;
    snprintf(wrong.etag, sizeof wrong.etag, "00000000000000000000000000000000");
    CHECK_EQ(store_copy(e->s, S("bkt"), S("b"), S("bkt"), S("b"), &wrong, NULL, &wrong), 0);
    /* c: its second chunk is gone */
    cf_buf pk = {0}, ck = {0};
    store_chunk_pk(&pk, c.blob_id, 0);
    store_u64_key(&ck, 1);
    eng_batch *batch;
    eng_batch_new(&batch);
    eng_batch_delete_row(batch, e->chunks, buf_slice(&pk), buf_slice(&ck));
    CHECK_EQ(eng_db_write(e->db, batch), 0);
    eng_batch_free(batch);
    buf_free(&pk);
    buf_free(&ck);
    CHECK_EQ(store_check(e->s, NULL, &st), CF_ECORRUPT);
    CHECK_EQ(st.objects, 3);
    CHECK_EQ(st.bad_objects, 2);
    log_set_level(LOG_INFO);
    env_free(e);
}

static void test_check_reports_each_bad_user_row(void)
{
    env *e = env_new(64 << 20);
    store_user u = {.access_key = "GOOD1", .secret_key = "s", .display_name = "g"};
    CHECK_EQ(store_user_put(e->s, &u), 0);
    store_check_stats st;
    CHECK_EQ(store_check(e->s, NULL, &st), 0);
    CHECK_EQ(st.users, 1);
    CHECK_EQ(st.bad_users, 0);
    /* one row with an admin flag of 7, one with no secret: each counted, the good one not */
    uint8_t seven = 7, zero = 0;
    eng_cell flag7[3] = {{S(STORE_C_SECRET), S("s")}, {S(STORE_C_NAME), S("n")},
                         {S(STORE_C_ADMIN), slice_make(&seven, 1)}};
    eng_cell nosecret[2] = {{S(STORE_C_NAME), S("n")}, {S(STORE_C_ADMIN), slice_make(&zero, 1)}};
    eng_batch *b;
    CHECK_EQ(eng_batch_new(&b), 0);
    CHECK_EQ(eng_batch_put(b, e->s->users, S("BAD1"), slice_make(NULL, 0), flag7, 3), 0);
    CHECK_EQ(eng_batch_put(b, e->s->users, S("BAD2"), slice_make(NULL, 0), nosecret, 2), 0);
    CHECK_EQ(eng_db_write(e->db, b), 0);
    eng_batch_free(b);
    log_set_level(LOG_ERROR + 1);
    CHECK_EQ(store_check(e->s, NULL, &st), CF_ECORRUPT);
    log_set_level(LOG_INFO);
    CHECK_EQ(st.users, 3);
    CHECK_EQ(st.bad_users, 2);
    env_free(e);
}

static const test_case cases[] = {
    TEST(test_check_passes_then_reports_each_damaged_object),
    TEST(test_check_reports_each_bad_user_row),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
