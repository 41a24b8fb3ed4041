/*
 * objects_test.c -- objects and blobs through the store's interface: byte
 * exact round trips at every chunk and partition edge, ranged reads,
 * overwrite and delete freeing blobs, copies sharing blobs, conditional
 * writes (and their races), corrupt and missing chunks, reads racing an
 * overwrite, and reopening the engine.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "test.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/log.h"

#define CB STORE_CHUNK_BYTES
#define PB STORE_PARTITION_BYTES

static cf_slice S(const char *s)
{
    return slice_str(s);
}

typedef struct env {
    char dir[300];
    eng_db *db;
    store *s;
    eng_table *chunks, *refs;
} env;

static void env_open(env *e, const char *dir, uint64_t memtable_bytes)
{
    if (dir != e->dir)
        snprintf(e->dir, sizeof e->dir, "%s", dir);
    eng_db_opts o;
    eng_db_opts_default(&o, e->dir);
    o.memtable_bytes = memtable_bytes;
    o.background = 0;
    o.commitlog_segment_bytes = 16 << 20;
    e->db = NULL;
    e->s = NULL;
    CHECK_EQ(eng_db_open(&o, &e->db), 0);
    CHECK_EQ(store_open(e->db, &e->s), 0);
    CHECK_EQ(eng_table_open(e->db, STORE_T_CHUNKS, STORE_STRATEGY, &e->chunks), 0);
    CHECK_EQ(eng_table_open(e->db, STORE_T_BLOB_REFS, STORE_STRATEGY, &e->refs), 0);
}

static void env_close(env *e)
{
    store_close(e->s);
    eng_db_close(e->db);
    e->s = NULL;
    e->db = NULL;
}

static env *env_new(uint64_t memtable_bytes)
{
    env *e = calloc(1, sizeof *e);
    env_open(e, test_tmpdir(), memtable_bytes);
    CHECK_EQ(store_bucket_create(e->s, S("bkt"), S("owner"), NULL), 0);
    return e;
}

static void env_free(env *e)
{
    env_close(e);
    free(e);
}

/* pat -- byte i of test object seed: varies within and across chunks. */
static uint8_t pat(uint64_t i, uint32_t seed)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL ^ seed;
    return (uint8_t)(x >> 29 ^ i >> 17);
}

/* put_obj -- PUT size bytes of pattern seed in uneven pieces; returns the commit's code. */
static int put_obj(env *e, const char *bucket, const char *key, uint64_t size, uint32_t seed,
                   const store_cond *cond, store_meta *out)
{
    store_writer *w = NULL;
    int rc = store_put_begin(e->s, S(bucket), S(key), &w);
    if (rc)
        return rc;
    uint8_t *buf = malloc(300000); /* per call: churn threads PUT at once */
    uint64_t off = 0;
    size_t step = 1;
    while (off < size) {
        size_t n = step < size - off ? step : (size_t)(size - off);
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(off + i, seed);
        CHECK_EQ(store_put_write(w, buf, n), 0);
        off += n;
        step = step * 7 % 299993 + 1; /* 1, 8, 57, 400, ... uneven, up to ~300 KB */
    }
    free(buf);
    CHECK_EQ(store_put_size(w), size);
    store_meta m;
    memset(&m, 0, sizeof m);
    m.size = size;
    snprintf(m.etag, sizeof m.etag, "etag-%u", seed);
    snprintf(m.content_type, sizeof m.content_type, "application/x-test");
    snprintf(m.headers, sizeof m.headers, "x-amz-meta-seed: %u\n", seed);
    rc = store_put_commit(w, &m, cond);
    if (out)
        *out = m;
    return rc;
}

/* check_range -- reads [off, off + len) of m and compares with pattern seed; returns pieces. */
static int check_range(env *e, const store_meta *m, uint64_t off, uint64_t len, uint32_t seed)
{
    store_reader *r = NULL;
    if (!CHECK_EQ(store_read_open(e->s, m, off, len, &r), 0))
        return -1;
    const uint8_t *p;
    size_t n;
    uint64_t at = off;
    int pieces = 0, rc;
    bool ok = true;
    while ((rc = store_read_next(r, &p, &n)) == 1) {
        ok = ok && CHECK(n > 0 && n <= CB);
        for (size_t i = 0; ok && i < n; i++)
            ok = CHECK_EQ(p[i], pat(at + i, seed));
        at += n;
        pieces++;
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(at, off + len);
    store_read_close(r);
    return pieces;
}

/* read_err -- the first error of reading [off, off + len), and the bytes read before it. */
static int read_err(env *e, const store_meta *m, uint64_t off, uint64_t len, uint64_t *got)
{
    store_reader *r = NULL;
    int rc = store_read_open(e->s, m, off, len, &r);
    const uint8_t *p = NULL;
    size_t n = 0;
    *got = 0;
    if (rc == 0) {
        while ((rc = store_read_next(r, &p, &n)) == 1)
            *got += n;
    }
    if (rc < 0 && r) {
        CHECK(p == NULL && n == 0);
        CHECK_EQ(store_read_next(r, &p, &n), rc); /* the failure is sticky */
    }
    store_read_close(r);
    return rc;
}

/* count_rows -- live rows of a whole table. */
static uint64_t count_rows(eng_table *t)
{
    eng_query q = {0};
    eng_iter *it = NULL;
    uint64_t n = 0;
    CHECK_EQ(eng_iter_new(t, &q, &it), 0);
    while (eng_iter_valid(it)) {
        n++;
        CHECK_EQ(eng_iter_next(it), 0);
    }
    CHECK_EQ(eng_iter_status(it), 0);
    eng_iter_close(it);
    return n;
}

/* chunk_exists -- whether chunk (partition, chunk) of blob id has a live row. */
static int chunk_get(env *e, const uint8_t *id, uint64_t part, uint64_t chunk)
{
    cf_buf pk = {0}, ck = {0};
    store_chunk_pk(&pk, id, part);
    store_chunk_ck(&ck, chunk);
    eng_iter *it = NULL;
    int rc = eng_get(e->chunks, slice_make(pk.data, pk.len), slice_make(ck.data, ck.len), &it);
    eng_iter_close(it);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

static void round_trip(uint64_t size, uint64_t memtable_bytes)
{
    env *e = env_new(memtable_bytes);
    store_meta m, h;
    CHECK_EQ(put_obj(e, "bkt", "obj", size, 7, NULL, &m), 0);
    CHECK_EQ(store_head(e->s, S("bkt"), S("obj"), &h), 0);
    CHECK_EQ(h.size, size);
    CHECK(strcmp(h.etag, "etag-7") == 0);
    CHECK(strcmp(h.content_type, "application/x-test") == 0);
    CHECK(strcmp(h.headers, "x-amz-meta-seed: 7\n") == 0);
    CHECK_MEM(h.blob_id, 16, m.blob_id, 16);
    CHECK_EQ(h.chunk_bytes, CB);
    CHECK_EQ(h.partition_chunks, PB / CB);
    CHECK(h.mtime_us > 0);
    CHECK_EQ(check_range(e, &h, 0, size, 7), (int)((size + CB - 1) / CB));
    CHECK_EQ(count_rows(e->chunks), (size + CB - 1) / CB);
    env_free(e);
}

static void test_round_trip_empty_object_has_no_chunks(void)
{
    round_trip(0, 4 << 20);
}

static void test_round_trip_one_byte(void)
{
    round_trip(1, 4 << 20);
}

static void test_round_trip_chunk_minus_one(void)
{
    round_trip(CB - 1, 4 << 20);
}

static void test_round_trip_exact_chunk(void)
{
    round_trip(CB, 4 << 20);
}

static void test_round_trip_chunk_plus_one(void)
{
    round_trip(CB + 1, 4 << 20);
}

static void test_round_trip_three_chunks_and_seven_bytes(void)
{
    round_trip(3 * CB + 7, 4 << 20);
}

/* 64 MiB + 1 crosses into partition 1; 8 MiB memtables force flushes on the way. */
static void test_partition_crossing_object_and_ranges_at_its_edges(void)
{
    env *e = env_new(8 << 20);
    uint64_t size = (uint64_t)PB + 1;
    store_meta m;
    CHECK_EQ(put_obj(e, "bkt", "big", size, 3, NULL, &m), 0);
    eng_table_stats st;
    eng_table_stats_get(e->chunks, &st);
    CHECK(st.flushes >= 4);
    CHECK_EQ(check_range(e, &m, 0, size, 3), (int)(PB / CB + 1));
    CHECK_EQ(count_rows(e->chunks), PB / CB + 1);
    CHECK_EQ(chunk_get(e, m.blob_id, 0, PB / CB - 1), 0);
    CHECK_EQ(chunk_get(e, m.blob_id, 0, PB / CB), CF_ENOTFOUND); /* never past a partition */
    CHECK_EQ(chunk_get(e, m.blob_id, 1, 0), 0);
    CHECK_EQ(check_range(e, &m, PB - 1, 2, 3), 2); /* last byte of p0, only byte of p1 */
    CHECK_EQ(check_range(e, &m, PB, 1, 3), 1);
    CHECK_EQ(check_range(e, &m, PB - CB, CB, 3), 1);
    CHECK_EQ(check_range(e, &m, PB - CB - 1, CB + 2, 3), 3);
    CHECK_EQ(check_range(e, &m, 5 * CB + 11, 3 * CB, 3), 4);
    /* the reopened engine serves the same bytes from SSTables and log */
    env_close(e);
    env_open(e, e->dir, 8 << 20);
    CHECK_EQ(check_range(e, &m, PB - 3, 4, 3), 2);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("big"), NULL), 0);
    CHECK_EQ(chunk_get(e, m.blob_id, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, m.blob_id, 1, 0), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->chunks), 0);
    env_free(e);
}

static void test_ranged_reads_at_chunk_edges(void)
{
    env *e = env_new(4 << 20);
    store_meta m;
    uint64_t size = 3 * CB + 7;
    CHECK_EQ(put_obj(e, "bkt", "k", size, 11, NULL, &m), 0);
    CHECK_EQ(check_range(e, &m, CB - 1, 2, 11), 2);
    CHECK_EQ(check_range(e, &m, CB, 1, 11), 1);
    CHECK_EQ(check_range(e, &m, CB, CB, 11), 1);
    CHECK_EQ(check_range(e, &m, 0, CB, 11), 1);
    CHECK_EQ(check_range(e, &m, 1, CB, 11), 2);
    CHECK_EQ(check_range(e, &m, 3 * CB, 7, 11), 1);
    CHECK_EQ(check_range(e, &m, size - 1, 1, 11), 1);
    CHECK_EQ(check_range(e, &m, size, 0, 11), 0);
    CHECK_EQ(check_range(e, &m, 17, 0, 11), 0);
    store_reader *r = NULL;
    CHECK_EQ(store_read_open(e->s, &m, size, 1, &r), CF_EINVAL);
    CHECK(r == NULL);
    CHECK_EQ(store_read_open(e->s, &m, 1, size, &r), CF_EINVAL);
    CHECK_EQ(store_read_open(e->s, &m, UINT64_MAX, 2, &r), CF_EINVAL);
    env_free(e);
}

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
    CHECK_EQ(store_bucket_create(e->s, S("other"), S("owner"), NULL), 0);
    store_meta src, cp, h;
    CHECK_EQ(put_obj(e, "bkt", "src", 3 * CB + 7, 5, NULL, &src), 0);
    store_stats before, after;
    store_stats_get(e->s, &before);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("src"), S("other"), S("dst"), NULL, &cp), 0);
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
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k"), &nm, &nm), 0);
    CHECK_EQ(nm.size, CB + 3);
    CHECK_MEM(nm.blob_id, 16, src.blob_id, 16);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK(strcmp(h.content_type, "text/plain") == 0);
    CHECK(strcmp(h.headers, "") == 0);
    CHECK_EQ(count_rows(e->refs), 1);
    CHECK_EQ(count_rows(e->chunks), 2);
    CHECK_EQ(check_range(e, &h, 0, h.size, 9), 2);
    /* copying onto a key that already holds the same blob moves no reference */
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k2"), NULL, &out), 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k2"), NULL, &out), 0);
    CHECK_EQ(count_rows(e->refs), 2);
    CHECK_EQ(count_rows(e->chunks), 2);
    /* copying over a key with its own blob frees that blob */
    store_meta other;
    CHECK_EQ(put_obj(e, "bkt", "k3", 10, 4, NULL, &other), 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("bkt"), S("k3"), NULL, &out), 0);
    CHECK_EQ(chunk_get(e, other.blob_id, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->refs), 3);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("nope"), S("bkt"), S("k4"), NULL, &out), CF_ENOTFOUND);
    CHECK_EQ(out.size, 0);
    CHECK_EQ(store_copy(e->s, S("bkt"), S("k"), S("nobucket"), S("k4"), NULL, &out),
             CF_ENOTFOUND);
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
    CHECK_EQ(count_rows(e->chunks), 1 + 3);
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
    CHECK_EQ(store_bucket_create(e->s, S("gone"), S("o"), NULL), 0);
    CHECK_EQ(store_put_begin(e->s, S("gone"), S("k"), &w), 0);
    CHECK_EQ(store_put_write(w, buf, CB), 0);
    CHECK_EQ(store_bucket_delete(e->s, S("gone")), 0);
    memset(&m, 0, sizeof m);
    m.size = CB;
    CHECK_EQ(store_put_commit(w, &m, NULL), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->chunks), 1);
    env_free(e);
}

/* put_chunk_row -- writes chunk (0, chunk) of blob id directly: cell d = crc + data. */
static void put_chunk_row(env *e, const uint8_t *id, uint64_t chunk, uint32_t crc,
                          const uint8_t *data, size_t len)
{
    cf_buf pk = {0}, ck = {0}, val = {0};
    store_chunk_pk(&pk, id, 0);
    store_chunk_ck(&ck, chunk);
    buf_append_u32(&val, crc);
    buf_append(&val, data, len);
    eng_cell c = {S(STORE_C_DATA), slice_make(val.data, val.len)};
    eng_batch *b;
    eng_batch_new(&b);
    CHECK_EQ(eng_batch_put(b, e->chunks, slice_make(pk.data, pk.len), slice_make(ck.data, ck.len),
                           &c, 1),
             0);
    CHECK_EQ(eng_db_write(e->db, b), 0);
    eng_batch_free(b);
    buf_free(&pk);
    buf_free(&ck);
    buf_free(&val);
}

static void test_corrupt_missing_or_short_chunk_is_ecorrupt(void)
{
    env *e = env_new(4 << 20);
    log_set_level(LOG_ERROR + 1);
    store_meta m;
    CHECK_EQ(put_obj(e, "bkt", "k", 2 * CB + 10, 6, NULL, &m), 0);
    static uint8_t data[CB];
    for (size_t i = 0; i < CB; i++)
        data[i] = pat(CB + i, 6);
    uint32_t good = crc32c(data, CB);
    data[100] ^= 0x20; /* the stored bytes flipped, the stored CRC the old one */
    put_chunk_row(e, m.blob_id, 1, good, data, CB);
    uint64_t got = 0;
    CHECK_EQ(read_err(e, &m, 0, m.size, &got), CF_ECORRUPT);
    CHECK_EQ(got, CB); /* chunk 0 was good; nothing of chunk 1 came out */
    CHECK_EQ(read_err(e, &m, CB + 200, 5, &got), CF_ECORRUPT); /* bytes away from the flip */
    CHECK_EQ(got, 0);
    CHECK_EQ(check_range(e, &m, 2 * CB, 10, 6), 1); /* the other chunks still read */
    /* a chunk of the wrong length, even with a matching CRC */
    put_chunk_row(e, m.blob_id, 1, crc32c(data, CB - 1), data, CB - 1);
    CHECK_EQ(read_err(e, &m, CB, 1, &got), CF_ECORRUPT);
    /* a chunk gone while the object still references its blob */
    cf_buf pk = {0}, ck = {0};
    store_chunk_pk(&pk, m.blob_id, 0);
    store_chunk_ck(&ck, 1);
    eng_batch *b;
    eng_batch_new(&b);
    eng_batch_delete_row(b, e->chunks, slice_make(pk.data, pk.len), slice_make(ck.data, ck.len));
    CHECK_EQ(eng_db_write(e->db, b), 0);
    eng_batch_free(b);
    buf_free(&pk);
    buf_free(&ck);
    CHECK_EQ(read_err(e, &m, 0, m.size, &got), CF_ECORRUPT);
    CHECK_EQ(got, CB);
    CHECK_EQ(read_err(e, &m, 2 * CB, 1, &got), 0); /* chunk 2 is after the gap */
    log_set_level(LOG_INFO);
    env_free(e);
}

static void test_reader_keeps_overwritten_blob_until_close(void)
{
    env *e = env_new(4 << 20);
    store_meta a, h;
    CHECK_EQ(put_obj(e, "bkt", "k", 3 * CB, 1, NULL, &a), 0);
    store_reader *r = NULL;
    CHECK_EQ(store_read_open(e->s, &a, 0, a.size, &r), 0);
    const uint8_t *p;
    size_t n;
    CHECK_EQ(store_read_next(r, &p, &n), 1);
    CHECK_EQ(put_obj(e, "bkt", "k", 10, 2, NULL, NULL), 0); /* overwrite mid-read */
    CHECK_EQ(chunk_get(e, a.blob_id, 0, 2), 0);             /* the drop waits for r */
    uint64_t at = n;
    bool ok = true;
    int rc;
    while ((rc = store_read_next(r, &p, &n)) == 1) {
        for (size_t i = 0; ok && i < n; i++)
            ok = CHECK_EQ(p[i], pat(at + i, 1));
        at += n;
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(at, a.size);
    store_read_close(r);
    CHECK_EQ(chunk_get(e, a.blob_id, 0, 0), CF_ENOTFOUND);
    /* a reader opened from a stale head, after the drop: not found, not corrupt */
    uint64_t got;
    CHECK_EQ(read_err(e, &a, 0, a.size, &got), CF_ENOTFOUND);
    CHECK_EQ(got, 0);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK_EQ(check_range(e, &h, 0, 10, 2), 1);
    env_free(e);
}

static void test_two_readers_last_close_drops_blob(void)
{
    env *e = env_new(4 << 20);
    store_meta a;
    CHECK_EQ(put_obj(e, "bkt", "k", CB + 1, 1, NULL, &a), 0);
    store_reader *r1 = NULL, *r2 = NULL, *r3 = NULL;
    CHECK_EQ(store_read_open(e->s, &a, 0, 1, &r1), 0);
    CHECK_EQ(store_read_open(e->s, &a, 0, 1, &r2), 0);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("k"), NULL), 0);
    CHECK_EQ(store_read_open(e->s, &a, CB, 1, &r3), 0); /* pinned after the release */
    store_read_close(r1);
    store_read_close(r2);
    CHECK_EQ(chunk_get(e, a.blob_id, 0, 1), 0);
    const uint8_t *p;
    size_t n;
    CHECK_EQ(store_read_next(r3, &p, &n), 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(p[0], pat(CB, 1));
    store_read_close(r3);
    CHECK_EQ(count_rows(e->chunks), 0);
    store_stats st;
    store_stats_get(e->s, &st);
    CHECK_EQ(st.blobs_dropped, 1);
    env_free(e);
}

static void test_set_headers_keeps_blob(void)
{
    env *e = env_new(4 << 20);
    store_meta a, h;
    CHECK_EQ(put_obj(e, "bkt", "k", 100, 8, NULL, &a), 0);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("k"), "x-amz-tagging: a=b\n"), 0);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &h), 0);
    CHECK(strcmp(h.headers, "x-amz-tagging: a=b\n") == 0);
    CHECK(strcmp(h.etag, "etag-8") == 0);
    CHECK_MEM(h.blob_id, 16, a.blob_id, 16);
    CHECK_EQ(h.mtime_us, a.mtime_us);
    CHECK_EQ(check_range(e, &h, 0, 100, 8), 1);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("nope"), ""), CF_ENOTFOUND);
    static char big[sizeof h.headers + 1];
    memset(big, 'h', sizeof big - 1);
    CHECK_EQ(store_set_headers(e->s, S("bkt"), S("k"), big), CF_ELIMIT);
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
            rc = store_copy(c->e->s, S("bkt"), S(key), S("bkt"), S(dst), NULL, &m);
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
            if (store_head(e->s, S("bkt"), S(key), &o) == 0 && memcmp(o.blob_id, m.blob_id, 16) == 0)
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
        TEST(test_round_trip_empty_object_has_no_chunks),
        TEST(test_round_trip_one_byte),
        TEST(test_round_trip_chunk_minus_one),
        TEST(test_round_trip_exact_chunk),
        TEST(test_round_trip_chunk_plus_one),
        TEST(test_round_trip_three_chunks_and_seven_bytes),
        TEST(test_partition_crossing_object_and_ranges_at_its_edges),
        TEST(test_ranged_reads_at_chunk_edges),
        TEST(test_overwrite_drops_old_blob_chunks),
        TEST(test_copy_shares_blob_and_last_delete_frees_it),
        TEST(test_copy_onto_itself_replaces_metadata_only),
        TEST(test_conditional_put_if_none_match_and_if_match),
        TEST(test_racing_if_none_match_puts_exactly_one_wins),
        TEST(test_delete_missing_key_and_conditions),
        TEST(test_put_argument_errors_and_abort_drops_chunks),
        TEST(test_corrupt_missing_or_short_chunk_is_ecorrupt),
        TEST(test_reader_keeps_overwritten_blob_until_close),
        TEST(test_two_readers_last_close_drops_blob),
        TEST(test_set_headers_keeps_blob),
        TEST(test_reopen_keeps_buckets_users_objects),
        TEST(test_concurrent_churn_leaves_exactly_live_blobs),
    };
    return test_main(cases, TEST_COUNT(cases));
}
