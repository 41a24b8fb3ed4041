/*
 * blob_test.c -- blobs through the store's interface: byte-exact round
 * trips at every chunk and partition edge, ranged reads, corrupt, short and
 * missing chunks, and readers racing an overwrite or delete (pins).
 */
#include <fcntl.h>
#include <unistd.h>

#include "fixture.h"
#include "util/crc.h"
#include "util/log.h"

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

/* 64 MiB + 1 crosses into partition 1; every chunk is ingested into the
 * blob's own SSTables (OACS), bypassing memtable and commitlog. */
static void test_partition_crossing_object_and_ranges_at_its_edges(void)
{
    env *e = env_new(8 << 20);
    uint64_t size = (uint64_t)PB + 1;
    store_meta m;
    CHECK_EQ(put_obj(e, "bkt", "big", size, 3, NULL, &m), 0);
    eng_table_stats st;
    eng_table_stats_get(e->chunks, &st);
    CHECK_EQ(st.flushes, 0);
    CHECK(st.ingest_bytes >= size);
    CHECK_EQ(st.user_bytes, 0); /* no chunk went through the commitlog */
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

/* writes_for -- engine batches a PUT of size bytes costs. */
static uint64_t writes_for(env *e, const char *key, uint64_t size)
{
    eng_db_stats a, b;
    eng_db_stats_get(e->db, &a);
    CHECK_EQ(put_obj(e, "bkt", key, size, 1, NULL, NULL), 0);
    eng_db_stats_get(e->db, &b);
    return b.writes - a.writes;
}

/* Every PUT costs one commitlog write, however large: a one-chunk object's
 * chunk rides in the commit batch, a larger object's chunks are ingested. */
static void test_put_costs_one_log_write(void)
{
    env *e = env_new(4 << 20);
    CHECK_EQ(writes_for(e, "a", 0), 1);
    CHECK_EQ(writes_for(e, "b", 1), 1);
    CHECK_EQ(writes_for(e, "c", CB), 1);
    CHECK_EQ(writes_for(e, "d", CB + 1), 1);
    CHECK_EQ(writes_for(e, "e", 3 * CB), 1);
    CHECK_EQ(writes_for(e, "f", 40 * CB + 3), 1);
    /* an overwrite adds the old blob's drop */
    CHECK_EQ(writes_for(e, "e", 10), 2);
    env_free(e);
}

/* put_chunk_row -- writes chunk (0, chunk) of blob id directly: cell d = crc + data. */
static void put_chunk_row(env *e, const uint8_t *id, uint64_t chunk, uint32_t crc,
                          const uint8_t *data, size_t len)
{
    cf_buf pk = {0}, ck = {0}, val = {0};
    store_chunk_pk(&pk, id, 0);
    store_u64_key(&ck, chunk);
    buf_append_u32(&val, crc);
    buf_append(&val, data, len);
    eng_cell c = {S(STORE_C_DATA), buf_slice(&val)};
    eng_batch *b;
    eng_batch_new(&b);
    CHECK_EQ(eng_batch_put(b, e->chunks, buf_slice(&pk), buf_slice(&ck),
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
    store_u64_key(&ck, 1);
    eng_batch *b;
    eng_batch_new(&b);
    eng_batch_delete_row(b, e->chunks, buf_slice(&pk), buf_slice(&ck));
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

/*
 * Chunks in an SSTable come back as verified file ranges (what a GET hands
 * to sendfile), byte-exact; a byte flipped in the file is CF_ECORRUPT, and
 * no piece of the bad chunk is handed out.
 */
static void test_pieces_on_disk_are_file_ranges_and_verified(void)
{
    env *e = env_new(64 << 20);
    store_meta m;
    uint64_t size = 3 * STORE_CHUNK_BYTES + 100;
    CHECK_EQ(put_obj(e, "bkt", "disk", size, 9, NULL, &m), 0);
    CHECK_EQ(eng_table_flush(e->chunks), 0);
    store_reader *r;
    CHECK_EQ(store_read_open(e->s, &m, 5, size - 5, &r), 0);
    store_piece pc;
    uint64_t off = 5;
    int files = 0, mems = 0, rc;
    int bad_fd = -1;
    uint64_t bad_off = 0;
    uint8_t *got = malloc(STORE_CHUNK_BYTES);
    while ((rc = store_read_piece(r, &pc)) == 1) {
        const uint8_t *p = pc.p;
        if (pc.fd >= 0) {
            files++;
            CHECK_EQ(pread(pc.fd, got, pc.len, (off_t)pc.file_off), (long long)pc.len);
            p = got;
            if (bad_fd < 0) {
                bad_fd = pc.fd;
                bad_off = pc.file_off + 10;
            }
        } else {
            mems++;
        }
        bool ok = true;
        for (size_t i = 0; i < pc.len; i++)
            ok = ok && p[i] == pat(off + i, 9);
        CHECK(ok);
        off += pc.len;
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(off, size);
    CHECK_EQ(files, 3); /* the three full chunks; the 100-byte tail is copied */
    CHECK_EQ(mems, 1);
    /* flip one byte of the first chunk inside the SSTable file */
    uint8_t byte;
    CHECK_EQ(pread(bad_fd, &byte, 1, (off_t)bad_off), 1);
    char path[400];
    snprintf(path, sizeof path, "/proc/self/fd/%d", bad_fd);
    int wfd = open(path, O_WRONLY);
    byte ^= 0x40;
    CHECK_EQ(pwrite(wfd, &byte, 1, (off_t)bad_off), 1);
    close(wfd);
    store_read_close(r);
    CHECK_EQ(store_read_open(e->s, &m, 0, size, &r), 0);
    CHECK_EQ(store_read_piece(r, &pc), CF_ECORRUPT);
    CHECK_EQ(pc.len, 0);
    store_read_close(r);
    free(got);
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
    if (CHECK_EQ(store_read_next(r3, &p, &n), 1) && CHECK_EQ(n, 1))
        CHECK_EQ(p[0], pat(CB, 1));
    store_read_close(r3);
    CHECK_EQ(count_rows(e->chunks), 0);
    store_stats st;
    store_stats_get(e->s, &st);
    CHECK_EQ(st.blobs_dropped, 1);
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
        TEST(test_put_costs_one_log_write),
        TEST(test_corrupt_missing_or_short_chunk_is_ecorrupt),
        TEST(test_pieces_on_disk_are_file_ranges_and_verified),
        TEST(test_reader_keeps_overwritten_blob_until_close),
        TEST(test_two_readers_last_close_drops_blob),
    };
    return test_main(cases, TEST_COUNT(cases));
}
