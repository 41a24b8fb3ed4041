/*
 * multipart_test.c -- multipart uploads through the store's interface:
 * parts in any order and re-uploaded, completion writing a layout and
 * copying no chunk, byte-exact reads across part boundaries, part lookup by
 * number, abort/expiry/overwrite/delete freeing every part's blob, listing
 * uploads with paging and delimiters, shared parts, retried completions and
 * reopening the engine.
 */
#include "fixture.h"

/* put_part -- part number of upload id: bytes [off, off + size) of pattern seed. */
static int put_part(env *e, const char *key, const uint8_t *id, uint32_t number, uint64_t off,
                    uint64_t size, uint32_t seed, store_part *out)
{
    store_writer *w = NULL;
    int rc = store_put_begin(e->s, S("bkt"), S(key), &w);
    if (rc)
        return rc;
    uint8_t buf[4096];
    for (uint64_t at = 0; at < size;) {
        size_t n = size - at < sizeof buf ? (size_t)(size - at) : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(off + at + i, seed);
        CHECK_EQ(store_put_write(w, buf, n), 0);
        at += n;
    }
    store_part p;
    memset(&p, 0, sizeof p);
    p.number = number;
    p.size = size;
    snprintf(p.etag, sizeof p.etag, "part-%u-%u", number, seed);
    p.checksum_len = 4;
    memcpy(p.checksum, &seed, 4);
    rc = store_part_commit(w, id, &p);
    if (out)
        *out = p;
    return rc;
}

static int new_upload(env *e, const char *key, uint8_t *id)
{
    store_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.content_type, sizeof m.content_type, "video/mp4");
    snprintf(m.headers, sizeof m.headers, "x-amz-meta-k: %s\n", key);
    return store_upload_create(e->s, S("bkt"), S(key), &m, id);
}

/* A completion whose judge accepts every existing part and counts calls. */
typedef struct judge {
    size_t calls;
    size_t missing; /* index of a missing part seen + 1, or 0 */
    int fail_at;    /* fail the part() call with this index + 1 (0: never) */
} judge;

static int judge_part(void *arg, size_t i, const store_part *p, const store_meta *upload)
{
    judge *j = arg;
    j->calls++;
    CHECK(strcmp(upload->content_type, "video/mp4") == 0);
    if (!p) {
        j->missing = i + 1;
        return CF_EINVAL;
    }
    return j->fail_at == (int)i + 1 ? CF_ECONFLICT : 0;
}

static int judge_finish(void *arg, store_meta *m)
{
    snprintf(m->etag, sizeof m->etag, "final-%u", m->parts);
    return 0;
}

static int complete(env *e, const char *key, const uint8_t *id, const uint32_t *numbers, size_t n,
                    judge *j, store_meta *out)
{
    store_complete c = {numbers, n, NULL, j, judge_part, judge_finish};
    return store_upload_complete(e->s, S("bkt"), S(key), id, &c, out);
}

static int got_part(void *arg, const store_part *p)
{
    store_part *v = arg;
    while (v->number != 0)
        v++;
    *v = *p;
    return 0;
}

static void test_parts_out_of_order_reupload_complete_and_read(void)
{
    env *e = env_new(1 << 20); /* small memtables: parts reach SSTables */
    uint8_t id[16];
    CHECK_EQ(new_upload(e, "movie", id), 0);
    const uint64_t s1 = 2 * CB + 3, s2 = CB - 1, s3 = 5;
    store_part p2a, p2;
    CHECK_EQ(put_part(e, "movie", id, 3, s1 + s2, s3, 9, NULL), 0);
    CHECK_EQ(put_part(e, "movie", id, 2, s1, s2, 1, &p2a), 0); /* wrong bytes: replaced */
    CHECK_EQ(put_part(e, "movie", id, 1, 0, s1, 9, NULL), 0);
    CHECK_EQ(put_part(e, "movie", id, 2, s1, s2, 9, &p2), 0);
    CHECK_EQ(chunk_get(e, p2a.blob_id, 0, 0), CF_ENOTFOUND); /* the replaced blob is gone */
    /* listing parts, in pages of 2 */
    store_part got[4];
    memset(got, 0, sizeof got);
    bool trunc = false;
    CHECK_EQ(store_parts_list(e->s, id, 0, 2, got_part, got, &trunc), 0);
    CHECK(trunc);
    CHECK_EQ(store_parts_list(e->s, id, 2, 2, got_part, got, &trunc), 0);
    CHECK(!trunc);
    CHECK_EQ(got[0].number, 1);
    CHECK_EQ(got[1].number, 2);
    CHECK_EQ(got[2].number, 3);
    CHECK_EQ(got[3].number, 0);
    CHECK_EQ(got[0].size, s1);
    CHECK(strcmp(got[1].etag, "part-2-9") == 0);
    CHECK_EQ(got[2].checksum_len, 4);
    /* completing copies no chunk */
    store_stats before, after;
    store_stats_get(e->s, &before);
    uint32_t nums[] = {1, 2, 3};
    judge j = {0};
    store_meta m;
    CHECK_EQ(complete(e, "movie", id, nums, 3, &j, &m), 0);
    store_stats_get(e->s, &after);
    CHECK_EQ(after.chunks_written, before.chunks_written);
    CHECK_EQ(j.calls, 3);
    CHECK_EQ(m.parts, 3);
    CHECK_EQ(m.size, s1 + s2 + s3);
    CHECK(strcmp(m.etag, "final-3") == 0);
    CHECK(strcmp(m.content_type, "video/mp4") == 0);
    CHECK(strcmp(m.headers, "x-amz-meta-k: movie\n") == 0);
    CHECK_EQ(store_upload_get(e->s, S("bkt"), S("movie"), id, &m), CF_ENOTFOUND);
    store_meta h;
    CHECK_EQ(store_head(e->s, S("bkt"), S("movie"), &h), 0);
    CHECK_EQ(h.parts, 3);
    uint64_t size = h.size;
    CHECK(check_range(e, &h, 0, size, 9) > 0);
    /* every range that starts or ends near a part or chunk boundary */
    uint64_t marks[] = {0, 1, CB - 1, CB, CB + 1, s1 - 1, s1, s1 + 1, s1 + s2 - 1, s1 + s2,
                        size - 1};
    for (size_t a = 0; a < sizeof marks / sizeof marks[0]; a++)
        for (size_t b = 0; b < sizeof marks / sizeof marks[0]; b++)
            if (marks[b] >= marks[a])
                CHECK(check_range(e, &h, marks[a], marks[b] - marks[a] + 1, 9) > 0);
    /* parts by number */
    store_part f;
    CHECK_EQ(store_part_find(e->s, &h, 2, &f), 0);
    CHECK_EQ(f.offset, s1);
    CHECK_EQ(f.size, s2);
    CHECK_EQ(store_part_find(e->s, &h, 3, &f), 0);
    CHECK_EQ(f.offset, s1 + s2);
    CHECK_EQ(store_part_find(e->s, &h, 4, &f), CF_ENOTFOUND);
    CHECK_EQ(store_part_find(e->s, &h, 0, &f), CF_ENOTFOUND);
    /* a retried completion answers with the object it made */
    store_meta again;
    CHECK_EQ(complete(e, "movie", id, nums, 3, &j, &again), 0);
    CHECK_MEM(again.blob_id, 16, id, 16);
    CHECK_EQ(again.size, size);
    /* reopen: still readable */
    env_close(e);
    env_open(e, e->dir, 1 << 20);
    CHECK_EQ(store_head(e->s, S("bkt"), S("movie"), &h), 0);
    CHECK(check_range(e, &h, s1 - 10, 12 + s2, 9) > 0);
    /* delete: every part's chunks, the layout and every reference go */
    CHECK_EQ(store_delete(e->s, S("bkt"), S("movie"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    eng_table *oparts;
    CHECK_EQ(eng_table_open(e->db, STORE_T_OBJECT_PARTS, STORE_STRATEGY, &oparts), 0);
    CHECK_EQ(count_rows(oparts), 0);
    uint64_t got_bytes;
    CHECK_EQ(read_err(e, &h, 0, size, &got_bytes), CF_ENOTFOUND);
    env_free(e);
}

static void test_complete_judges_parts_and_releases_unnamed(void)
{
    env *e = env_new(4 << 20);
    uint8_t id[16];
    CHECK_EQ(new_upload(e, "k", id), 0);
    store_part p[5];
    for (uint32_t n = 1; n <= 4; n++)
        CHECK_EQ(put_part(e, "k", id, n, (n - 1) * 1000, 1000, 3, &p[n]), 0);
    store_meta m;
    /* a missing part: part() sees NULL and its refusal is returned; nothing changes */
    uint32_t with_missing[] = {1, 3, 7};
    judge j = {0};
    CHECK_EQ(complete(e, "k", id, with_missing, 3, &j, &m), CF_EINVAL);
    CHECK_EQ(j.missing, 3);
    CHECK_EQ(store_head(e->s, S("bkt"), S("k"), &m), CF_ENOTFOUND);
    /* a refusal by the judge (say, a wrong ETag) */
    uint32_t two[] = {2, 4};
    judge refuse = {.fail_at = 2};
    CHECK_EQ(complete(e, "k", id, two, 2, &refuse, &m), CF_ECONFLICT);
    /* not ascending */
    uint32_t desc[] = {2, 1};
    CHECK_EQ(complete(e, "k", id, desc, 2, &j, &m), CF_EINVAL);
    CHECK_EQ(count_rows(e->chunks), 4);
    /* parts 1 and 3 are left out: their blobs go at completion */
    judge ok = {0};
    CHECK_EQ(complete(e, "k", id, two, 2, &ok, &m), 0);
    CHECK_EQ(chunk_get(e, p[1].blob_id, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, p[3].blob_id, 0, 0), CF_ENOTFOUND);
    CHECK_EQ(chunk_get(e, p[2].blob_id, 0, 0), 0);
    CHECK_EQ(count_rows(e->chunks), 2);
    CHECK_EQ(m.size, 2000);
    /* part 2 holds pattern bytes 1000..1999, part 4 3000..3999 */
    store_reader *r;
    CHECK_EQ(store_read_open(e->s, &m, 990, 20, &r), 0);
    const uint8_t *b;
    size_t n;
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(n, 10);
    CHECK_EQ(b[0], pat(1990, 3));
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(n, 10);
    CHECK_EQ(b[0], pat(3000, 3));
    CHECK_EQ(store_read_next(r, &b, &n), 0);
    store_read_close(r);
    /* an overwrite by a plain PUT frees the layout and its parts */
    CHECK_EQ(put_obj(e, "bkt", "k", 10, 4, NULL, NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 1);
    CHECK_EQ(count_rows(e->refs), 1);
    env_free(e);
}

static void test_abort_and_late_part_and_expiry(void)
{
    env *e = env_new(4 << 20);
    uint8_t id[16], id2[16];
    CHECK_EQ(new_upload(e, "a", id), 0);
    CHECK_EQ(put_part(e, "a", id, 1, 0, CB + 1, 1, NULL), 0);
    CHECK_EQ(put_part(e, "a", id, 2, 0, 7, 1, NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 3);
    CHECK_EQ(store_upload_abort(e->s, S("bkt"), S("a"), id), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    CHECK_EQ(store_upload_abort(e->s, S("bkt"), S("a"), id), CF_ENOTFOUND);
    /* a part that arrives after the abort is refused and leaves nothing */
    CHECK_EQ(put_part(e, "a", id, 3, 0, 2 * CB, 1, NULL), CF_ENOTFOUND);
    CHECK_EQ(count_rows(e->chunks), 0);
    /* the id is tied to its bucket and key */
    CHECK_EQ(new_upload(e, "b", id2), 0);
    store_meta m;
    CHECK_EQ(store_upload_get(e->s, S("bkt"), S("b"), id2, &m), 0);
    CHECK_EQ(store_upload_get(e->s, S("bkt"), S("a"), id2, &m), CF_ENOTFOUND);
    CHECK_EQ(put_part(e, "a", id2, 1, 0, 5, 1, NULL), CF_ENOTFOUND);
    /* expiry aborts only the old uploads */
    CHECK_EQ(put_part(e, "b", id2, 1, 0, 5, 1, NULL), 0);
    memset(&m, 0, sizeof m);
    m.mtime_us = 1000; /* begun long ago */
    uint8_t old[16];
    CHECK_EQ(store_upload_create(e->s, S("bkt"), S("b"), &m, old), 0);
    CHECK_EQ(put_part(e, "b", old, 1, 0, 5, 1, NULL), 0);
    uint64_t aborted = 0;
    CHECK_EQ(store_uploads_expire(e->s, 2000, &aborted), 0);
    CHECK_EQ(aborted, 1);
    CHECK_EQ(store_upload_get(e->s, S("bkt"), S("b"), old, &m), CF_ENOTFOUND);
    CHECK_EQ(store_upload_get(e->s, S("bkt"), S("b"), id2, &m), 0);
    CHECK_EQ(count_rows(e->chunks), 1);
    /* a bucket with only uploads left can be deleted; the uploads go with it */
    CHECK_EQ(store_bucket_delete(e->s, S("bkt")), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    env_free(e);
}

typedef struct seen {
    char line[64][80];
    int n;
} seen;

static int seen_upload(void *arg, cf_slice key, const uint8_t *id, const store_meta *m)
{
    seen *s = arg;
    snprintf(s->line[s->n++], 80, "%.*s", (int)key.len, (const char *)key.ptr);
    return 0;
}

static int seen_prefix(void *arg, cf_slice p)
{
    seen *s = arg;
    snprintf(s->line[s->n++], 80, "P:%.*s", (int)p.len, (const char *)p.ptr);
    return 0;
}

static void test_list_uploads_pages_by_upload(void)
{
    env *e = env_new(4 << 20);
    uint8_t ids[5][16];
    const char *keys[] = {"a", "b", "b", "d/x", "d/y"};
    for (int i = 0; i < 5; i++)
        CHECK_EQ(new_upload(e, keys[i], ids[i]), 0);
    CHECK(memcmp(ids[1], ids[2], 16) < 0); /* later uploads sort after earlier */
    store_list_cb cb = {.upload = seen_upload, .prefix = seen_prefix};
    /* page by page, one entry each: a, b(1), b(2), d/x, d/y */
    seen all = {0};
    cb.arg = &all;
    store_list_req q = {0};
    q.max_keys = 1;
    cf_buf next = {0}, after = {0};
    uint8_t next_id[16], after_id[16];
    bool trunc = true, have_id = false;
    int pages = 0;
    while (trunc && pages < 10) {
        q.start_after = buf_slice(&after);
        CHECK_EQ(store_list_uploads(e->s, S("bkt"), &q, have_id ? after_id : NULL, &cb, &trunc,
                                    &next, next_id),
                 0);
        buf_clear(&after);
        buf_append(&after, next.data, next.len);
        memcpy(after_id, next_id, 16);
        have_id = true;
        pages++;
    }
    CHECK_EQ(all.n, 5);
    CHECK_EQ(pages, 5);
    CHECK(strcmp(all.line[1], "b") == 0 && strcmp(all.line[2], "b") == 0);
    CHECK(strcmp(all.line[4], "d/y") == 0);
    /* with a delimiter: a, b, b, then the prefix d/ once */
    seen folded = {0};
    cb.arg = &folded;
    store_list_req qd = {.delimiter = S("/"), .max_keys = 100};
    CHECK_EQ(store_list_uploads(e->s, S("bkt"), &qd, NULL, &cb, &trunc, &next, next_id), 0);
    CHECK_EQ(folded.n, 4);
    CHECK(strcmp(folded.line[3], "P:d/") == 0);
    CHECK(!trunc);
    /* completing and aborting remove the entries (and the emptied rows) */
    CHECK_EQ(store_upload_abort(e->s, S("bkt"), S("b"), ids[1]), 0);
    CHECK_EQ(store_upload_abort(e->s, S("bkt"), S("b"), ids[2]), 0);
    seen rest = {0};
    cb.arg = &rest;
    CHECK_EQ(store_list_uploads(e->s, S("bkt"), &qd, NULL, &cb, &trunc, &next, next_id), 0);
    CHECK_EQ(rest.n, 2);
    eng_table *uploads;
    CHECK_EQ(eng_table_open(e->db, STORE_T_UPLOADS, STORE_STRATEGY, &uploads), 0);
    CHECK_EQ(count_rows(uploads), 3);
    buf_free(&next);
    buf_free(&after);
    env_free(e);
}

static void test_many_parts_find_by_number_and_empty_last(void)
{
    env *e = env_new(8 << 20);
    uint8_t id[16];
    CHECK_EQ(new_upload(e, "many", id), 0);
    enum { N = 300 };
    uint64_t off[N + 2], size[N + 2];
    uint64_t at = 0;
    for (uint32_t n = 1; n <= N; n++) {
        size[n] = n == N ? 0 : (n * 7919) % 3000 + 1; /* the last part is empty */
        off[n] = at;
        at += size[n];
    }
    /* uploaded in a scrambled order */
    for (uint32_t i = 0; i < N; i++) {
        uint32_t n = (i * 97) % N + 1;
        CHECK_EQ(put_part(e, "many", id, n, off[n], size[n], 6, NULL), 0);
    }
    uint32_t nums[N];
    for (uint32_t n = 1; n <= N; n++)
        nums[n - 1] = n;
    judge j = {0};
    store_meta m;
    CHECK_EQ(complete(e, "many", id, nums, N, &j, &m), 0);
    CHECK_EQ(m.size, at);
    for (uint32_t n = 1; n <= N; n++) {
        store_part f;
        if (!CHECK_EQ(store_part_find(e->s, &m, n, &f), 0))
            break;
        CHECK_EQ(f.offset, off[n]);
        CHECK_EQ(f.size, size[n]);
    }
    CHECK(check_range(e, &m, 0, at, 6) > 0);
    CHECK(check_range(e, &m, off[150] + 1, off[160] - off[150], 6) > 0);
    env_free(e);
}

static void test_shared_part_and_copy_of_multipart(void)
{
    env *e = env_new(4 << 20);
    store_meta src;
    CHECK_EQ(put_obj(e, "bkt", "src", 2 * CB + 1, 8, NULL, &src), 0);
    uint8_t id[16];
    CHECK_EQ(new_upload(e, "big", id), 0);
    store_stats before, after;
    store_stats_get(e->s, &before);
    for (uint32_t n = 1; n <= 3; n++) {
        store_part p = {.number = n, .size = src.size};
        snprintf(p.etag, sizeof p.etag, "%.32s", src.etag);
        CHECK_EQ(store_part_share(e->s, S("bkt"), S("big"), id, S("bkt"), S("src"), &p), 0);
        CHECK_MEM(p.blob_id, 16, src.blob_id, 16);
    }
    store_part wrong = {.number = 4, .size = 1};
    CHECK_EQ(store_part_share(e->s, S("bkt"), S("big"), id, S("bkt"), S("src"), &wrong),
             CF_EINVAL);
    uint32_t nums[] = {1, 2, 3};
    judge j = {0};
    store_meta m;
    CHECK_EQ(complete(e, "big", id, nums, 3, &j, &m), 0);
    store_stats_get(e->s, &after);
    CHECK_EQ(after.chunks_written, before.chunks_written); /* no byte copied at all */
    CHECK_EQ(m.size, 3 * src.size);
    CHECK_EQ(count_rows(e->chunks), 3);
    /* the source goes: its blob stays for the parts */
    CHECK_EQ(store_delete(e->s, S("bkt"), S("src"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 3);
    store_meta cp;
    CHECK_EQ(store_copy(e->s, S("bkt"), S("big"), S("bkt"), S("copy"), NULL, NULL, &cp), 0);
    CHECK_EQ(cp.parts, 3);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("big"), NULL), 0);
    store_reader *r;
    CHECK_EQ(store_read_open(e->s, &cp, src.size - 1, 2, &r), 0);
    const uint8_t *b;
    size_t n;
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(b[0], pat(src.size - 1, 8));
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(b[0], pat(0, 8));
    store_read_close(r);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("copy"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 0);
    CHECK_EQ(count_rows(e->refs), 0);
    env_free(e);
}

static void test_reader_keeps_layout_alive_across_delete(void)
{
    env *e = env_new(4 << 20);
    uint8_t id[16];
    CHECK_EQ(new_upload(e, "r", id), 0);
    CHECK_EQ(put_part(e, "r", id, 1, 0, CB, 2, NULL), 0);
    CHECK_EQ(put_part(e, "r", id, 2, CB, CB, 2, NULL), 0);
    uint32_t nums[] = {1, 2};
    judge j = {0};
    store_meta m;
    CHECK_EQ(complete(e, "r", id, nums, 2, &j, &m), 0);
    store_reader *r;
    CHECK_EQ(store_read_open(e->s, &m, 0, m.size, &r), 0);
    const uint8_t *b;
    size_t n;
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(store_delete(e->s, S("bkt"), S("r"), NULL), 0);
    CHECK_EQ(count_rows(e->chunks), 2); /* pinned: nothing dropped under the reader */
    CHECK_EQ(store_read_next(r, &b, &n), 1);
    CHECK_EQ(b[0], pat(CB, 2));
    CHECK_EQ(store_read_next(r, &b, &n), 0);
    store_read_close(r);
    CHECK_EQ(count_rows(e->chunks), 0);
    env_free(e);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_parts_out_of_order_reupload_complete_and_read),
        TEST(test_complete_judges_parts_and_releases_unnamed),
        TEST(test_abort_and_late_part_and_expiry),
        TEST(test_list_uploads_pages_by_upload),
        TEST(test_many_parts_find_by_number_and_empty_last),
        TEST(test_shared_part_and_copy_of_multipart),
        TEST(test_reader_keeps_layout_alive_across_delete),
    };
    return test_main(cases, TEST_COUNT(cases));
}
