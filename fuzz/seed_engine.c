/*
 * seed_engine.c -- writes a tiny database whose files seed the engine fuzz
 * targets; built and run by fuzz/seed_engine.sh, which copies the files.
 *
 *   seed_engine DIR      DIR must not exist or be empty
 *
 * Uses only the public engine API, so every byte is the engine's own: three
 * tables shaped like the store's (doc/formats.md, "Store rows": buckets,
 * objects with composite keys, chunks with a 16-byte blob id), rows with a
 * 0 byte in a key, every kind of deletion (cell, row, range, partition),
 * chunks sized so that one large value is a block of its own and another
 * ends a block after a smaller entry (256-byte blocks), the two shapes of
 * the iterator's lazy-value path, four flushes of `objects` and a
 * size-tiered compaction of them (ADD and REMOVE edits in the manifest),
 * then writes that are only in the commitlog (4 KiB segments, sync on, so
 * the open segment ends in its zero-filled tail). It ends with _exit(0), as
 * a crash would: nothing is flushed or cut at close.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "util/coding.h"
#include "util/crc.h"

static void must(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "seed_engine: %s: %s\n", what, cf_err_str(rc));
        _exit(1);
    }
}

/* objects_pk -- bytes(bucket) u64(shard 0), the objects partition key of bucket. */
static cf_slice objects_pk(cf_buf *b, const char *bucket)
{
    buf_clear(b);
    must(eng_key_put_bytes(b, slice_str(bucket)), "key");
    must(eng_key_put_u64(b, 0), "key");
    return buf_slice(b);
}

/* put_chunk -- chunk 0 of blob id[0] x 16: the cell d = crc32c (LE) then n bytes of fill. */
static void put_chunk(eng_batch *bt, eng_table *t, uint8_t id, size_t n, uint8_t fill)
{
    uint8_t pk[24], ck[8], d[2048 + 4];
    memset(pk, id, 16);
    memset(pk + 16, 0, 8);
    memset(ck, 0, sizeof ck);
    memset(d + 4, fill, n);
    put_u32(d, crc32c(d + 4, n));
    eng_cell c = {slice_str("d"), slice_make(d, n + 4)};
    must(eng_batch_put(bt, t, slice_make(pk, sizeof pk), slice_make(ck, sizeof ck), &c, 1),
         "chunk");
}

static void put_object(eng_batch *bt, eng_table *t, cf_slice pk, cf_slice key, const char *meta)
{
    eng_cell c = {slice_str("m"), slice_str(meta)};
    must(eng_batch_put(bt, t, pk, key, &c, 1), "object");
}

static void commit(eng_db *db, eng_batch *bt)
{
    must(eng_db_write(db, bt), "write");
    eng_batch_clear(bt);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: seed_engine DIR\n");
        return 2;
    }
    eng_db_opts o;
    eng_db_opts_default(&o, argv[1]);
    o.block_bytes = 256;
    o.commitlog_segment_bytes = 4096;
    o.background = 0;
    o.sync = 1;
    eng_db *db;
    eng_table *buckets, *objects, *chunks;
    eng_batch *bt;
    cf_buf pk = {0}, pk2 = {0};
    must(eng_db_open(&o, &db), "open");
    must(eng_table_open(db, "buckets", "stcs", &buckets), "table");
    must(eng_table_open(db, "objects", "stcs", &objects), "table");
    must(eng_table_open(db, "chunks", "oacs:16", &chunks), "table");
    must(eng_batch_new(&bt), "batch");

    uint8_t shards[4] = {1, 0, 0, 0};
    eng_cell bc[2] = {{slice_str("owner"), slice_str("AKIDEXAMPLE")},
                      {slice_str("shards"), slice_make(shards, 4)}};
    must(eng_batch_put(bt, buckets, slice_str("photos"), slice_make(NULL, 0), bc, 2), "bucket");
    commit(db, bt);

    /* four flushes of objects, similar in size, for one size-tiered compaction */
    static const char *const keys[4][2] = {{"a.txt", "dir/b.jpg"}, {"c", "dir/\xc3\xa9t\xc3\xa9"},
                                           {"d.bin", "e"}, {"f", "g/h/i"}};
    for (int i = 0; i < 4; i++) {
        objects_pk(&pk, "photos");
        put_object(bt, objects, buf_slice(&pk), slice_str(keys[i][0]), "etag=1;size=5");
        put_object(bt, objects, buf_slice(&pk), slice_str(keys[i][1]), "etag=2;size=7");
        if (i == 1)
            put_object(bt, objects, buf_slice(&pk), slice_make("k\0zero", 6), "etag=3");
        if (i == 2) {
            must(eng_batch_delete_cell(bt, objects, buf_slice(&pk), slice_str("a.txt"),
                                       slice_str("x")), "delete cell");
            must(eng_batch_delete_row(bt, objects, buf_slice(&pk), slice_str("gone")),
                 "delete row");
            objects_pk(&pk2, "old");
            eng_bound from = {slice_str("a"), ENG_BOUND_INCL}, to = {slice_str("m"), ENG_BOUND_EXCL};
            must(eng_batch_delete_range(bt, objects, buf_slice(&pk2), from, to), "delete range");
            objects_pk(&pk2, "dropped");
            must(eng_batch_delete_partition(bt, objects, buf_slice(&pk2)), "delete partition");
        }
        commit(db, bt);
        must(eng_table_flush(objects), "flush");
    }
    must(eng_table_compact(objects), "compact");

    /* 256-byte blocks: [row 0x11 (marker, 154-byte cell), marker of 0x22] then
     * [the 2004-byte cell of 0x22] alone, the lazy path's one-entry block */
    put_chunk(bt, chunks, 0x11, 150, 'x');
    put_chunk(bt, chunks, 0x22, 2000, 'y');
    commit(db, bt);
    must(eng_table_flush(chunks), "flush");
    must(eng_table_flush(buckets), "flush");

    /* only in the commitlog: enough to roll a 4 KiB segment */
    put_chunk(bt, chunks, 0x33, 2000, 'z');
    commit(db, bt);
    objects_pk(&pk, "photos");
    put_object(bt, objects, buf_slice(&pk), slice_str("new"), "etag=4;size=1");
    must(eng_batch_delete_row(bt, objects, buf_slice(&pk), slice_str("c")), "delete row");
    commit(db, bt);
    put_chunk(bt, chunks, 0x44, 1500, 'w');
    commit(db, bt);
    objects_pk(&pk2, "photos");
    must(eng_batch_delete_partition(bt, objects, buf_slice(&pk2)), "delete partition");
    commit(db, bt);
    _exit(0); /* a crash: the commitlog keeps the last writes */
}
