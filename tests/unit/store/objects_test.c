/*
 * objects_test.c -- objects through the store's interface: overwrite and
 * delete freeing blobs, copies sharing blobs, conditional writes (and their
 * races), argument errors and aborts, header updates, reopening the
 * engine, and concurrent churn leaving exactly the live blobs.
 */
#include <pthread.h>

#include "fixture.h"

static void test_overwrite_drops_old_blob_chunks(void)
{
    env *e = env_new(4 << 20);
    store_meta a, b;
    CHECK_EQ(put_obj(e, "bkt", "k", 2 * CB + 5, 1, NULL, &a), 0);
    CHECK_EQ(put_obj(e, "bkt", "k", CB + 1, 2, NULL, &b), 0);
    CHECK(memcmp(a.blob_id, b.blob_id, 16) != 0);
    for (uint64_t c = 0; c < 3; c++)
        CHECK_EQ(chunk_get(e, a.blob_id, 0, c), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, b.blob_id, 0, 0), 0);
    CHECK_EQ(count_rows(e->chunks), 2);
    CHECK_EQ(count_rows(e->refs), 1);
    bool has = true;
    CHECK_EQ(store_blob_has_refs(e->s, a.blob_id, &has), 0);
    CHECK(!has);
    store_meta h;
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK_EQ(check_range(e, &h, 0, CB + 1, 2), 2);
    store_stats st;
    store_stats_get(e->s, &st);
    CHECK_EQ(st.blobs_dropped, 1);
    /* an overwrite with an empty object leaves no chunk at all */
    CHECK_EQ(put_obj(e, "bkt", "k", 0, 3, NULL, NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    env_free(e);
}

static void test_copy_shares_blob_and_last_delete_frees_it(void)
{
    env *e = env_new(4 << 20);
    CHECK_EQ(store_bucket_create(e->s, S("other"), S("owner"), NULL, 0, NULL), 0);
    store_meta src, cp, h;
    CHECK_EQ(put_obj(e, "bkt", "src", 3 * CB + 7, 5, NULL, &src), 0);
    store_stats before, after;
    store_stats_get(e->s, &before);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("src"), S("other"), S("dst"), NULL, NULL, &cp), 0);
    store_stats_get(e->s, &after);
    CHECK_EQ(after.chunks_written, before.chunks_written);
    CHECK_EQ(count_rows(e->chunks), 4);
    CHECK_EQ(count_rows(e->refs), 2);
    CHECK_MEM(cp.blob_id, 16, src.blob_id, 16);
    CHECK(strcmp(cp.etag, "etag-5") == 0 && strcmp(cp.headers, src.headers) == 0);
    CHECK(cp.mtime_us >= src.mtime_us);
    CHECK_EQ(store_head(e->s, S("other"), S("dst"), &h), 0);
    CHECK_MEM(h.blob_id, 16, src.blob_id, 16);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("src"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 4);
    CHECK_EQ(check_range(e, &h, 0, h.size, 5), 4);
    CHECK_EQ(store_delete(e->s, S("other"), S("dst"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    env_free(e);
}

static void test_copy_onto_itself_replaces_metadata_only(void)
{
    env *e = env_new(4 << 20);
    store_meta src, nm, out, h;
    CHECK_EQ(put_obj(e, "bkt", "k", CB + 3, 9, NULL, &src), 0);
    memset(&nm, 0, sizeof nm);
    snprintf(nm.etag, sizeof nm.etag, "etag-9");
    snprintf(nm.content_type, sizeof nm.content_type, "text/plain");
    nm.size = 12345; /* ignored: size and blob come from the source */
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k"), &nm, NULL, &nm), 0);
    CHECK_EQ(nm.size, CB + 3);
    CHECK_MEM(nm.blob_id, 16, src.blob_id, 16);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK(strcmp(h.content_type, "text/plain") == 0);
    CHECK(strcmp(h.headers, "") == 0);
    CHECK_EQ(count_rows(e->refs), 1);
    CHECK_EQ(count_rows(e->chunks), 2);
    CHECK_EQ(check_range(e, &h, 0, h.size, 9), 2);
    /* copying onto a key that already holds the same blob moves no reference */
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k2"), NULL, NULL, &out), 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k2"), NULL, NULL, &out), 0);
    CHECK_EQ(count_rows(e->refs), 2);
    CHECK_EQ(count_rows(e->chunks), 2);
    /* copying over a key with its own blob frees that blob */
    store_meta other;
    CHECK_EQ(put_obj(e, "bkt", "k3", 10, 4, NULL, &other), 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k3"), NULL, NULL, &out), 0);
    CHECK_EQ(chunk_get(e, other.blob_id, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->refs), 3);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("nope"), S("bkt"), S("k4"), NULL, NULL, &out), CF_ENOTFOUND);
    CHECK_EQ(out.size, 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("nobucket"), S("k4"), NULL, NULL, &out), CF_ENOTFOUND);
    env_free(e);
}

static void test_conditional_put_if_none_match_and_if_match(void)
{
    env *e = env_new(4 << 20);
    store_meta m;
    store_cond none = {.if_none_match_any = true};
    CHECK_EQ(put_obj(e, "bkt", "k", 100, 1, &none, &m), 0);
    uint64_t rows = count_rows(e->chunks);
    CHECK_EQ(put_obj(e, "bkt", "k", CB + 100, 2, &none, NULL), CF_EEXIST);
    CHECK_EQ(count_rows(e->chunks), rows); /* the refused blob is dropped */
    store_cond wrong = {.if_match = "etag-999"};
    CHECK_EQ(put_obj(e, "bkt", "k", 100, 3, &wrong, NULL), CF_ECONFLICT);
    store_cond missing = {.if_match = "etag-1"};
    CHECK_EQ(put_obj(e, "bkt", "absent", 100, 3, &missing, NULL), CF_ENOTFOUND);
    store_cond right = {.if_match = "\"etag-1\""};
    CHECK_EQ(put_obj(e, "bkt", "k", 50, 4, &right, NULL), 0);
    store_cond any = {.if_match = "*"};
    CHECK_EQ(put_obj(e, "bkt", "k", 60, 5, &any, NULL), 0);
    store_meta h;
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK_EQ(h.size, 60);
    CHECK_EQ(count_rows(e->chunks), 1);
    CHECK_EQ(count_rows(e->refs), 1);
    env_free(e);
}

typedef struct racer {
    env *e;
    pthread_barrier_t *bar;
    char key[32];
    int rc;
} racer;

static void *race_put(void *arg)
{
    racer *r = arg;
    store_writer *w = NULL;
    store_meta m;
    memset(&m, 0, sizeof m);
    m.size = 3;
    snprintf(m.etag, sizeof m.etag, "e");
    store_cond c = {.if_none_match_any = true};
    r->rc = store_put_begin(r->e->s, S("bkt"), S(r->key), &w);
    if (r->rc == 0)
        r->rc = store_put_write(w, "abc", 3);
    pthread_barrier_wait(r->bar);
    if (w)
        r->rc = store_put_commit(w, &m, &c);
    return NULL;
}

static void test_racing_if_none_match_puts_exactly_one_wins(void)
{
    env *e = env_new(4 << 20);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    for (int i = 0; i < 100; i++) {
        racer r[2];
        pthread_t th[2];
        for (int j = 0; j < 2; j++) {
            r[j] = (racer){.e = e, .bar = &bar};
            snprintf(r[j].key, sizeof r[j].key, "race-%d", i);
            pthread_create(&th[j], NULL, race_put, &r[j]);
        }
        for (int j = 0; j < 2; j++)
            pthread_join(th[j], NULL);
        CHECK((r[0].rc == 0 && r[1].rc == CF_EEXIST) || (r[1].rc == 0 && r[0].rc == CF_EEXIST));
    }
    pthread_barrier_destroy(&bar);
    CHECK_EQ(count_rows(e->chunks), 100);
    CHECK_EQ(count_rows(e->refs), 100);
    env_free(e);
}

static void test_delete_missing_key_and_conditions(void)
{
    env *e = env_new(4 << 20);
    store_cond c = {.if_match = "etag-1"};
    CHECK_EQ(store_delete(e->s, S("bkt"), S("nope"), NULL), 0);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("nope"), &c), CF_ENOTFOUND);
    CHECK_EQ(store_delete(e->s, S("nobucket"), S("k"), NULL), CF_ENOTFOUND);
    store_meta m, h;
    CHECK_EQ(put_obj(e, "bkt", "k", 10, 2, NULL, &m), 0);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("k"), &c), CF_ECONFLICT);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    store_cond ok = {.if_match = "etag-2"};
    CHECK_EQ(store_delete(e->s, S("bkt"), S("k"), &ok), 0);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), CF_ENOTFOUND);
    CHECK_EQ(h.size, 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    env_free(e);
}

static void test_put_argument_errors_and_abort_drops_chunks(void)
{
    env *e = env_new(4 << 20);
    store_writer *w = NULL;
    char key[STORE_MAX_KEY_BYTES + 2];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S(key), &w), CF_ELIMIT);
    key[STORE_MAX_KEY_BYTES] = '\0';
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S(""), &w), CF_EINVAL);
    CHECK_EQ(store_put_begin(e->s, S("nobucket"), S("k"), &w), CF_ENOTFOUND);
    CHECK(w == NULL);
    /* a key of exactly the limit is fine */
    CHECK_EQ(put_obj(e, "bkt", key, 1, 1, NULL, NULL), 0);
    static uint8_t buf[3 * CB + 1];
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S("ab"), &w), 0);
    CHECK_EQ(store_put_write(w, buf, sizeof buf), 0);
    CHECK_EQ(count_rows(e->chunks), 1); /* its chunks are in an unfinished ingest */
    store_put_abort(w);
    store_put_abort(NULL);
    CHECK_EQ(count_rows(e->chunks), 1);
    /* size mismatch at commit: refused, blob dropped, nothing visible */
    store_meta m;
    memset(&m, 0, sizeof m);
    m.size = 5;
    CHECK_EQ(store_put_begin(e->s, S("bkt"), S("mis"), &w), 0);
    CHECK_EQ(store_put_write(w, buf, CB + 1), 0);
    CHECK_EQ(store_put_commit(w, &m, NULL), CF_EINVAL);
    CHECK_EQ(count_rows(e->chunks), 1);
    CHECK_EQ(store_head(e->s, S("bkt"), S("mis"), &m), CF_ENOTFOUND);
    /* the bucket vanished between begin and commit */
    CHECK_EQ(store_bucket_create(e->s, S("gone"), S("o"), NULL, 0, NULL), 0);
    CHECK_EQ(store_put_begin(e->s, S("gone"), S("k"), &w), 0);
    CHECK_EQ(store_put_write(w, buf, CB), 0);
    CHECK_EQ(store_bucket_delete(e->s, S("gone")), 0);
    memset(&m, 0, sizeof m);
    m.size = CB;
    CHECK_EQ(store_put_commit(w, &m, NULL), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->chunks), 1);
    env_free(e);
}

static void test_set_headers_keeps_blob(void)
{
    env *e = env_new(4 << 20);
    store_meta a, h;
    CHECK_EQ(put_obj(e, "bkt", "k", 100, 8, NULL, &a), 0);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("k"), "x-amz-tagging: a=b\n", NULL), 0);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK(strcmp(h.headers, "x-amz-tagging: a=b\n") == 0);
    CHECK(strcmp(h.etag, "etag-8") == 0);
    CHECK_MEM(h.blob_id, 16, a.blob_id, 16);
    CHECK_EQ(h.mtime_us, a.mtime_us);
    CHECK_EQ(check_range(e, &h, 0, 100, 8), 1);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("nope"), "", NULL), CF_ENOTFOUND);
    static char big[sizeof h.headers + 1];
    memset(big, 'h', sizeof big - 1);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("k"), big, NULL), CF_ELIMIT);
    env_free(e);
}

typedef struct users_arg {
    int n;
    char first[129];
} users_arg;

static int count_user(void *arg, const store_user *u)
{
    users_arg *a = arg;
    if (a->n++ == 0)
        snprintf(a->first, sizeof a->first, "%s", u->access_key);
    return 0;
}

static void test_reopen_keeps_buckets_users_objects(void)
{
    env *e = env_new(1 << 20);
    store_user u = {.access_key = "AK1", .secret_key = "sekrit", .display_name = "one"};
    CHECK_EQ(store_user_put(e->s, &u), 0);
    store_meta m[4];
    uint64_t sizes[4] = {0, 1, CB, 5 * CB + 3};
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "obj%d", i);
        CHECK_EQ(put_obj(e, "bkt", key, sizes[i], 20u + (uint32_t)i, NULL, &m[i]), 0);
    }
    CHECK_EQ(store_delete(e->s, S("bkt"), S("obj1"), NULL), 0);
    env_close(e);
    env_open(e, e->dir, 1 << 20);
    store_bucket bk;
    CHECK_EQ(store_bucket_get(e->s, S("bkt"), &bk), 0);
    CHECK(strcmp(bk.owner, "owner") == 0);
    store_user g;
    CHECK_EQ(store_user_get(e->s, S("AK1"), &g), 0);
    CHECK(strcmp(g.secret_key, "sekrit") == 0 && !g.admin);
    users_arg ua = {0};
    CHECK_EQ(store_user_list(e->s, count_user, &ua), 0);
    CHECK_EQ(ua.n, 1);
    for (int i = 0; i < 4; i++) {
        store_meta h;
        snprintf(key, sizeof key, "obj%d", i);
        if (i == 1) {
            CHECK_EQ(store_head(e->s, S("bkt"), S(key), &h), CF_ENOTFOUND);
            continue;
        }
        CHECK_EQ(store_head(e->s, S("bkt"), S(key), &h), 0);
        CHECK_MEM(&h, sizeof h, &m[i], sizeof m[i]);
        CHECK_EQ(check_range(e, &h, 0, h.size, 20u + (uint32_t)i), (int)((h.size + CB - 1) / CB));
    }
    CHECK_EQ(count_rows(e->chunks), 1 + 6);
    env_free(e);
}

typedef struct churn {
    env *e;
    int id;
    int failures;
} churn;

/* churn_run -- PUT, GET, copy and delete on a few shared keys: every read must verify. */
static void *churn_run(void *arg)
{
    churn *c = arg;
    char key[16], dst[16];
    uint64_t x = (uint64_t)c->id * 7919 + 1;
    for (int i = 0; i < 60; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(key, sizeof key, "c%d", (int)(x >> 60) % 4);
        snprintf(dst, sizeof dst, "c%d", (int)(x >> 56) % 4);
        store_meta m;
        int rc = 0;
        switch ((x >> 40) % 4) {
        case 0:
            rc = put_obj(c->e, "bkt", key, (x >> 20) % (2 * CB), (uint32_t)(x >> 32), NULL, NULL);
            break;
        case 1:
            rc = store_copy(c->e->s, S("bkt"), S(key), S("bkt"), S(dst), NULL, NULL, &m);
            break;
        case 2:
            rc = store_delete(c->e->s, S("bkt"), S(key), NULL);
            break;
        default:
            rc = store_head(c->e->s, S("bkt"), S(key), &m);
            if (rc == 0) {
                uint64_t got;
                rc = read_err(c->e, &m, 0, m.size, &got);
                rc = rc == CF_ENOTFOUND ? 0 : rc; /* replaced between head and open */
            }
        }
        if (rc != 0 && rc != CF_ENOTFOUND)
            c->failures++;
    }
    return NULL;
}

/* Four threads churn four keys; afterwards exactly the live objects' blobs remain. */
static void test_concurrent_churn_leaves_exactly_live_blobs(void)
{
    env *e = env_new(4 << 20);
    pthread_t th[4];
    churn c[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (churn){.e = e, .id = i};
        pthread_create(&th[i], NULL, churn_run, &c[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ(c[i].failures, 0);
    }
    uint64_t chunks = 0, objects = 0;
    for (int i = 0; i < 4; i++) {
        char key[16];
        store_meta m;
        snprintf(key, sizeof key, "c%d", i);
        if (store_head(e->s, S("bkt"), S(key), &m) != 0)
            continue;
        objects++;
        uint64_t got;
        CHECK_EQ(read_err(e, &m, 0, m.size, &got), 0);
        CHECK_EQ(got, m.size);
        /* distinct blobs only: copies share */
        bool seen = false;
        for (int j = 0; j < i; j++) {
            store_meta o;
            snprintf(key, sizeof key, "c%d", j);
            if (store_head(e->s, S("bkt"), S(key), &o) == 0 &&
                memcmp(o.blob_id, m.blob_id, 16) == 0)
                seen = true;
        }
        chunks += seen ? 0 : (m.size + CB - 1) / CB;
    }
    CHECK_EQ(count_rows(e->refs), objects);
    CHECK_EQ(count_rows(e->chunks), chunks);
    env_free(e);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_overwrite_drops_old_blob_chunks),
        TEST(test_copy_shares_blob_and_last_delete_frees_it),
        TEST(test_copy_onto_itself_replaces_metadata_only),
        TEST(test_conditional_put_if_none_match_and_if_match),
        TEST(test_racing_if_none_match_puts_exactly_one_wins),
        TEST(test_delete_missing_key_and_conditions),
        TEST(test_put_argument_errors_and_abort_drops_chunks),
        TEST(test_set_headers_keeps_blob),
        TEST(test_reopen_keeps_buckets_users_objects),
        TEST(test_concurrent_churn_leaves_exactly_live_blobs),
    };
    return test_main(cases, TEST_COUNT(cases));
}
