/*
 * buckets_test.c -- buckets and users through the store's interface: S3
 * bucket naming rules, create/get/exists, delete of a non-empty bucket,
 * recreation, listing order, access attributes (set, removed, across a
 * reopen, gone with the bucket), and the users table.
 */
#include <pthread.h>
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
} env;

static void env_open(env *e, const char *dir)
{
    eng_db_opts o;
    eng_db_opts_default(&o, dir);
    o.background = 0;
    o.memtable_bytes = 1 << 20;
    CHECK_EQ(eng_db_open(&o, &e->db), 0);
    CHECK_EQ(store_open(e->db, &e->s), 0);
}

static void env_close(env *e)
{
    store_close(e->s);
    eng_db_close(e->db);
}

static void test_bucket_names_follow_s3_rules(void)
{
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"abc", true},
        {"ab", false},
        {"", false},
        {"a23456789012345678901234567890123456789012345678901234567890123", true},
        {"a234567890123456789012345678901234567890123456789012345678901234", false},
        {"my.bucket-1", true},
        {"1bucket", true},
        {"Abc", false},
        {"a_b", false},
        {"a b", false},
        {"-abc", false},
        {"abc-", false},
        {".abc", false},
        {"abc.", false},
        {"a..b", false},
        {"a.-b", true},
        {"192.168.5.4", false},
        {"1.2.3", true},
        {"1.2.3.4.5", true},
        {"1.2.3.a", true},
        {"xn--abc", false},
        {"sthree-abc", false},
        {"amzn-s3-demo-x", false},
        {"abc-s3alias", false},
        {"abc--ol-s3", false},
        {"abc.mrap", false},
        {"abc--x-s3", false},
        {"abc--table-s3", false},
        {"xn-abc", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!CHECK_EQ(store_bucket_name_valid(S(cases[i].name)), cases[i].ok))
            fprintf(stderr, "  name: '%s'\n", cases[i].name);
    }
    CHECK(!store_bucket_name_valid(slice_make("ab\0c", 4)));
}

static int put_empty(store *s, const char *bucket, const char *key)
{
    store_writer *w = NULL;
    int rc = store_put_begin(s, S(bucket), S(key), &w);
    if (rc)
        return rc;
    store_meta m;
    memset(&m, 0, sizeof m);
    return store_put_commit(w, &m, NULL);
}

static void test_bucket_create_get_exists_and_invalid(void)
{
    env e;
    env_open(&e, test_tmpdir());
    store_bucket b;
    CHECK_EQ(store_bucket_get(e.s, S("alpha"), &b), CF_ENOTFOUND);
    CHECK_EQ(b.name[0], '\0');
    CHECK_EQ(store_bucket_create(e.s, S("alpha"), S("AK1"), NULL, 0, &b), 0);
    CHECK(strcmp(b.name, "alpha") == 0 && strcmp(b.owner, "AK1") == 0 && b.created_us > 0);
    int64_t created = b.created_us;
    store_bucket x;
    CHECK_EQ(store_bucket_create(e.s, S("alpha"), S("AK2"), NULL, 0, &x), CF_EEXIST);
    CHECK(strcmp(x.owner, "AK1") == 0); /* the existing one, to tell "owned by you" apart */
    CHECK_EQ(x.created_us, created);
    CHECK_EQ(store_bucket_create(e.s, S("Bad_Name"), S("AK1"), NULL, 0, &x), CF_EINVAL);
    CHECK_EQ(store_bucket_get(e.s, S("Bad_Name"), &x), CF_ENOTFOUND);
    char owner[200];
    memset(owner, 'o', sizeof owner - 1);
    owner[sizeof owner - 1] = '\0';
    CHECK_EQ(store_bucket_create(e.s, S("beta"), S(owner), NULL, 0, &x), CF_EINVAL);
    CHECK_EQ(store_bucket_get(e.s, S("alpha"), &x), 0);
    CHECK_MEM(&x, sizeof x, &b, sizeof b);
    CHECK_EQ(store_bucket_delete(e.s, S("nope")), CF_ENOTFOUND);
    env_close(&e);
}

static void test_delete_nonempty_bucket_refused_then_recreated_empty(void)
{
    env e;
    env_open(&e, test_tmpdir());
    CHECK_EQ(store_bucket_create(e.s, S("bkt"), S("AK1"), NULL, 0, NULL), 0);
    CHECK_EQ(put_empty(e.s, "bkt", "a"), 0);
    CHECK_EQ(put_empty(e.s, "bkt", "b"), 0);
    CHECK_EQ(store_bucket_delete(e.s, S("bkt")), CF_ENOTEMPTY);
    CHECK_EQ(store_delete(e.s, S("bkt"), S("a"), NULL), 0);
    CHECK_EQ(store_bucket_delete(e.s, S("bkt")), CF_ENOTEMPTY);
    CHECK_EQ(store_delete(e.s, S("bkt"), S("b"), NULL), 0);
    CHECK_EQ(store_bucket_delete(e.s, S("bkt")), 0);
    store_bucket b;
    CHECK_EQ(store_bucket_get(e.s, S("bkt"), &b), CF_ENOTFOUND);
    CHECK_EQ(put_empty(e.s, "bkt", "c"), CF_ENOTFOUND);
    CHECK_EQ(store_bucket_create(e.s, S("bkt"), S("AK2"), NULL, 0, &b), 0);
    CHECK(strcmp(b.owner, "AK2") == 0);
    store_meta m;
    CHECK_EQ(store_head(e.s, S("bkt"), S("a"), &m), CF_ENOTFOUND);
    CHECK_EQ(store_bucket_delete(e.s, S("bkt")), 0);
    env_close(&e);
}

typedef struct names {
    int n;
    char name[8][300];
} names;

static int collect_bucket(void *arg, const store_bucket *b)
{
    names *a = arg;
    if (a->n < 8)
        snprintf(a->name[a->n], sizeof a->name[0], "%s", b->name);
    a->n++;
    return a->n == 100 ? 7 : 0;
}

static void test_bucket_list_in_name_order_survives_reopen(void)
{
    const char *dir = test_tmpdir();
    env e;
    env_open(&e, dir);
    CHECK_EQ(store_bucket_create(e.s, S("zeta"), S("AK"), NULL, 0, NULL), 0);
    CHECK_EQ(store_bucket_create(e.s, S("alpha"), S("AK"), NULL, 0, NULL), 0);
    CHECK_EQ(store_bucket_create(e.s, S("mid.dle"), S("AK"), NULL, 0, NULL), 0);
    env_close(&e);
    env_open(&e, dir);
    names a = {0};
    CHECK_EQ(store_bucket_list(e.s, collect_bucket, &a), 0);
    CHECK_EQ(a.n, 3);
    CHECK(strcmp(a.name[0], "alpha") == 0);
    CHECK(strcmp(a.name[1], "mid.dle") == 0);
    CHECK(strcmp(a.name[2], "zeta") == 0);
    env_close(&e);
}

typedef struct creator {
    store *s;
    int rc;
} creator;

static void *create_one(void *arg)
{
    creator *c = arg;
    c->rc = store_bucket_create(c->s, S("contended"), S("AK"), NULL, 0, NULL);
    return NULL;
}

static void test_racing_bucket_creates_exactly_one_wins(void)
{
    env e;
    env_open(&e, test_tmpdir());
    for (int round = 0; round < 20; round++) {
        creator c[4];
        pthread_t th[4];
        for (int i = 0; i < 4; i++) {
            c[i] = (creator){.s = e.s};
            pthread_create(&th[i], NULL, create_one, &c[i]);
        }
        int won = 0, lost = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            won += c[i].rc == 0;
            lost += c[i].rc == CF_EEXIST;
        }
        CHECK_EQ(won, 1);
        CHECK_EQ(lost, 3);
        CHECK_EQ(store_bucket_delete(e.s, S("contended")), 0);
    }
    env_close(&e);
}

static int collect_user(void *arg, const store_user *u)
{
    names *a = arg;
    if (a->n < 8)
        snprintf(a->name[a->n], sizeof a->name[0], "%s:%s:%d", u->access_key, u->display_name,
                 u->admin);
    a->n++;
    return 0;
}

static int stop_user(void *arg, const store_user *u)
{
    (*(int *)arg)++;
    return 42;
}

static void test_users_put_get_list_delete(void)
{
    const char *dir = test_tmpdir();
    env e;
    env_open(&e, dir);
    store_user u = {.access_key = "BBB", .secret_key = "s1", .display_name = "bee"};
    CHECK_EQ(store_user_put(e.s, &u), 0);
    store_user a = {.access_key = "AAA", .secret_key = "s2", .display_name = "", .admin = true};
    CHECK_EQ(store_user_put(e.s, &a), 0);
    u.admin = true;
    snprintf(u.secret_key, sizeof u.secret_key, "s3");
    CHECK_EQ(store_user_put(e.s, &u), 0); /* replaces all cells */
    store_user g;
    CHECK_EQ(store_user_get(e.s, S("BBB"), &g), 0);
    CHECK_MEM(&g, sizeof g, &u, sizeof u);
    CHECK_EQ(store_user_get(e.s, S("CCC"), &g), CF_ENOTFOUND);
    CHECK_EQ(g.access_key[0], '\0');
    CHECK_EQ(store_user_get(e.s, S(""), &g), CF_ENOTFOUND);
    store_user bad = {.access_key = "", .secret_key = "x"};
    CHECK_EQ(store_user_put(e.s, &bad), CF_EINVAL);
    store_user nosecret = {.access_key = "X"};
    CHECK_EQ(store_user_put(e.s, &nosecret), CF_EINVAL);
    store_user unterminated;
    memset(&unterminated, 'x', sizeof unterminated);
    CHECK_EQ(store_user_put(e.s, &unterminated), CF_EINVAL);
    env_close(&e);
    env_open(&e, dir);
    names n = {0};
    CHECK_EQ(store_user_list(e.s, collect_user, &n), 0);
    CHECK_EQ(n.n, 2);
    CHECK(strcmp(n.name[0], "AAA::1") == 0);
    CHECK(strcmp(n.name[1], "BBB:bee:1") == 0);
    int calls = 0;
    CHECK_EQ(store_user_list(e.s, stop_user, &calls), 42);
    CHECK_EQ(calls, 1);
    CHECK_EQ(store_user_delete(e.s, S("AAA")), 0);
    CHECK_EQ(store_user_delete(e.s, S("AAA")), CF_ENOTFOUND);
    CHECK_EQ(store_user_get(e.s, S("AAA"), &g), CF_ENOTFOUND);
    n.n = 0;
    CHECK_EQ(store_user_list(e.s, collect_user, &n), 0);
    CHECK_EQ(n.n, 1);
    env_close(&e);
}

static void test_bucket_attributes_set_removed_reopened_and_gone_with_the_bucket(void)
{
    const char *dir = test_tmpdir();
    env e;
    env_open(&e, dir);
    store_bucket b;
    store_attr init[2] = {{STORE_BUCKET_OWNERSHIP, S("BucketOwnerEnforced")},
                          {STORE_BUCKET_BLOCK, S("1111")}};
    CHECK_EQ(store_bucket_create(e.s, S("attrs"), S("AK1"), init, 2, &b), 0);
    CHECK(strcmp(b.ownership, "BucketOwnerEnforced") == 0);
    CHECK(strcmp(b.block, "1111") == 0);
    CHECK(b.acl[0] == '\0' && b.policy_us == 0);
    cf_buf pol = {0};
    CHECK_EQ(store_bucket_policy(e.s, S("attrs"), &pol), CF_ENOTFOUND);
    store_attr set[2] = {{STORE_BUCKET_POLICY, S("{\"Statement\":[]}")},
                         {STORE_BUCKET_BLOCK, slice_make(NULL, 0)}};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), set, 2), 0);
    CHECK_EQ(store_bucket_get(e.s, S("attrs"), &b), 0);
    CHECK(b.block[0] == '\0');
    CHECK(b.policy_us > 0);
    int64_t first = b.policy_us;
    CHECK_EQ(store_bucket_policy(e.s, S("attrs"), &pol), 0);
    CHECK(slice_eq(buf_slice(&pol), S("{\"Statement\":[]}")));
    /* the policy's time only grows, even when set twice within a microsecond */
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), set, 1), 0);
    CHECK_EQ(store_bucket_get(e.s, S("attrs"), &b), 0);
    CHECK(b.policy_us > first);
    store_attr bad = {"nope", S("x")};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &bad, 1), CF_EINVAL);
    store_attr big = {STORE_BUCKET_OWNERSHIP, S("0123456789012345678901234567890123456789")};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &big, 1), CF_EINVAL);
    CHECK_EQ(store_bucket_set(e.s, S("missing"), set, 1), CF_ENOTFOUND);
    store_attr acl = {STORE_BUCKET_ACL, S("AK1 all::READ")};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &acl, 1), 0);
    /* the CORS rules: read whole by their own reader, flagged in the row */
    CHECK(!b.has_cors);
    CHECK_EQ(store_bucket_cors(e.s, S("attrs"), &pol), CF_ENOTFOUND);
    store_attr cors = {STORE_BUCKET_CORS, S("R\nO*\nMGET\n")};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &cors, 1), 0);
    static char huge[STORE_MAX_CORS_BYTES + 1];
    memset(huge, 'x', sizeof huge);
    store_attr too_big = {STORE_BUCKET_CORS, slice_make(huge, sizeof huge)};
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &too_big, 1), CF_EINVAL);
    env_close(&e);
    env_open(&e, dir);
    CHECK_EQ(store_bucket_get(e.s, S("attrs"), &b), 0);
    CHECK(strcmp(b.acl, "AK1 all::READ") == 0);
    CHECK(strcmp(b.ownership, "BucketOwnerEnforced") == 0);
    CHECK(b.policy_us > first);
    CHECK(b.has_cors);
    CHECK_EQ(store_bucket_cors(e.s, S("attrs"), &pol), 0);
    CHECK(slice_eq(buf_slice(&pol), S("R\nO*\nMGET\n")));
    cors.value = slice_make(NULL, 0);
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &cors, 1), 0);
    CHECK_EQ(store_bucket_cors(e.s, S("attrs"), &pol), CF_ENOTFOUND);
    CHECK_EQ(store_bucket_get(e.s, S("attrs"), &b), 0);
    CHECK(!b.has_cors);
    /* a bucket created again under the name has none of the old attributes */
    CHECK_EQ(store_bucket_delete(e.s, S("attrs")), 0);
    CHECK_EQ(store_bucket_set(e.s, S("attrs"), &acl, 1), CF_ENOTFOUND);
    CHECK_EQ(store_bucket_create(e.s, S("attrs"), S("AK2"), NULL, 0, &b), 0);
    CHECK(b.acl[0] == '\0' && b.ownership[0] == '\0' && b.policy_us == 0);
    CHECK_EQ(store_bucket_policy(e.s, S("attrs"), &pol), CF_ENOTFOUND);
    buf_free(&pol);
    env_close(&e);
}

static int edit_disable(void *arg, store_user *u)
{
    u->disabled = true;
    snprintf(u->display_name, sizeof u->display_name, "%s", (const char *)arg);
    return 0;
}

static int edit_refuse(void *arg, store_user *u)
{
    u->admin = true; /* changed, then cancelled: nothing is written */
    return CF_ECONFLICT;
}

static int edit_rename(void *arg, store_user *u)
{
    snprintf(u->access_key, sizeof u->access_key, "OTHER");
    return 0;
}

static void test_users_create_update_disable_and_old_rows(void)
{
    const char *dir = test_tmpdir();
    env e;
    env_open(&e, dir);
    store_user u = {0};
    CHECK_EQ(store_user_create(e.s, &u), 0); /* key, secret and name generated */
    CHECK_EQ(strlen(u.access_key), STORE_USER_ACCESS_KEY_LEN);
    CHECK(strncmp(u.access_key, "CF", 2) == 0);
    CHECK_EQ(strspn(u.access_key + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 18);
    CHECK_EQ(strlen(u.secret_key), STORE_USER_SECRET_LEN);
    CHECK(strcmp(u.display_name, u.access_key) == 0);
    CHECK(!u.admin && !u.disabled);
    store_user again = {0};
    snprintf(again.access_key, sizeof again.access_key, "%s", u.access_key);
    CHECK_EQ(store_user_create(e.s, &again), CF_EEXIST);
    store_user g;
    CHECK_EQ(store_user_get(e.s, S(u.access_key), &g), 0);
    CHECK(strcmp(g.secret_key, u.secret_key) == 0); /* the refused create changed nothing */
    const char *bad[] = {"ab", "a b", "k/y", "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < 4; i++) {
        store_user b = {0};
        snprintf(b.access_key, sizeof b.access_key, "%s", bad[i]);
        CHECK_EQ(store_user_create(e.s, &b), CF_EINVAL);
    }
    CHECK(store_user_access_key_valid(S("AKIA.key_1-x")));
    store_user out;
    CHECK_EQ(store_user_update(e.s, S(u.access_key), edit_disable, "off", &out), 0);
    CHECK(out.disabled && strcmp(out.display_name, "off") == 0);
    CHECK_EQ(store_user_update(e.s, S(u.access_key), edit_refuse, NULL, &out), CF_ECONFLICT);
    CHECK_EQ(store_user_update(e.s, S(u.access_key), edit_rename, NULL, NULL), CF_EINVAL);
    CHECK_EQ(store_user_update(e.s, S("NOBODY"), edit_disable, "x", NULL), CF_ENOTFOUND);
    /* a row written before the disabled cell existed reads as enabled */
    uint8_t zero = 0;
    eng_cell cells[3] = {{S(STORE_C_SECRET), S("old")}, {S(STORE_C_NAME), S("old")},
                         {S(STORE_C_ADMIN), slice_make(&zero, 1)}};
    eng_batch *b = NULL;
    CHECK_EQ(eng_batch_new(&b), 0);
    CHECK_EQ(eng_batch_put(b, e.s->users, S("OLDROW"), slice_make(NULL, 0), cells, 3), 0);
    CHECK_EQ(eng_db_write(e.s->db, b), 0);
    eng_batch_free(b);
    env_close(&e);
    env_open(&e, dir);
    CHECK_EQ(store_user_get(e.s, S(u.access_key), &g), 0);
    CHECK(g.disabled && !g.admin && strcmp(g.display_name, "off") == 0);
    CHECK(strcmp(g.secret_key, u.secret_key) == 0);
    CHECK_EQ(store_user_get(e.s, S("OLDROW"), &g), 0);
    CHECK(!g.disabled && strcmp(g.secret_key, "old") == 0);
    env_close(&e);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_bucket_names_follow_s3_rules),
        TEST(test_bucket_create_get_exists_and_invalid),
        TEST(test_delete_nonempty_bucket_refused_then_recreated_empty),
        TEST(test_bucket_list_in_name_order_survives_reopen),
        TEST(test_racing_bucket_creates_exactly_one_wins),
        TEST(test_users_put_get_list_delete),
        TEST(test_users_create_update_disable_and_old_rows),
        TEST(test_bucket_attributes_set_removed_reopened_and_gone_with_the_bucket),
    };
    return test_main(cases, TEST_COUNT(cases));
}
