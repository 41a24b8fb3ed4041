/*
 * fixture.h -- helpers shared by the store's unit tests of objects and
 * blobs: an engine and store in a temp dir with bucket "bkt", PUT of a
 * patterned object in uneven pieces, byte-exact range checks, and direct
 * looks at the chunks and blob_refs tables.
 */
#ifndef STORE_TEST_FIXTURE_H
#define STORE_TEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "test.h"

#define CB STORE_CHUNK_BYTES
#define PB STORE_PARTITION_BYTES

static inline cf_slice S(const char *s)
{
    return slice_str(s);
}

typedef struct env {
    char dir[300];
    eng_db *db;
    store *s;
    eng_table *chunks, *refs;
    int background; /* the engine's flush and compaction threads: 0 (default) or 1 */
} env;

static inline void env_open(env *e, const char *dir, uint64_t memtable_bytes)
{
    if (dir != e->dir)
        snprintf(e->dir, sizeof e->dir, "%s", dir);
    eng_db_opts o;
    eng_db_opts_default(&o, e->dir);
    o.memtable_bytes = memtable_bytes;
    o.background = e->background;
    o.commitlog_segment_bytes = 16 << 20;
    e->db = NULL;
    e->s = NULL;
    CHECK_EQ(eng_db_open(&o, &e->db), 0);
    CHECK_EQ(store_open(e->db, &e->s), 0);
    CHECK_EQ(eng_table_open(e->db, STORE_T_CHUNKS, STORE_CHUNKS_STRATEGY, &e->chunks), 0);
    CHECK_EQ(eng_table_open(e->db, STORE_T_BLOB_REFS, STORE_STRATEGY, &e->refs), 0);
}

static inline void env_close(env *e)
{
    store_close(e->s);
    eng_db_close(e->db);
    e->s = NULL;
    e->db = NULL;
}

static inline env *env_new(uint64_t memtable_bytes)
{
    env *e = calloc(1, sizeof *e);
    env_open(e, test_tmpdir(), memtable_bytes);
    CHECK_EQ(store_bucket_create(e->s, S("bkt"), S("owner"), NULL, 0, NULL), 0);
    return e;
}

static inline void env_free(env *e)
{
    env_close(e);
    free(e);
}

/* pat -- byte i of test object seed: varies within and across chunks. */
static inline uint8_t pat(uint64_t i, uint32_t seed)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL ^ seed;
    return (uint8_t)(x >> 29 ^ i >> 17);
}

/* put_obj -- PUT size bytes of pattern seed in uneven pieces; returns the commit's code. */
static inline int put_obj(env *e, const char *bucket, const char *key, uint64_t size, uint32_t seed,
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
static inline int check_range(env *e, const store_meta *m, uint64_t off, uint64_t len,
                              uint32_t seed)
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
static inline int read_err(env *e, const store_meta *m, uint64_t off, uint64_t len, uint64_t *got)
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
static inline uint64_t count_rows(eng_table *t)
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

/* chunk_get -- eng_get of chunk (partition, chunk) of blob id: 0 or CF_ENOTFOUND. */
static inline int chunk_get(env *e, const uint8_t *id, uint64_t part, uint64_t chunk)
{
    cf_buf pk = {0}, ck = {0};
    store_chunk_pk(&pk, id, part);
    store_u64_key(&ck, chunk);
    eng_iter *it = NULL;
    int rc = eng_get(e->chunks, buf_slice(&pk), buf_slice(&ck), &it);
    eng_iter_close(it);
    buf_free(&pk);
    buf_free(&ck);
    return rc;
}

#endif
