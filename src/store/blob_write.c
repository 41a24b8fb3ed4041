/*
 * blob_write.c -- the blob writer: bytes in, one durable chunk row per
 * 128 KiB out (store_put_begin / write / abort; objects.c commits).
 *
 * A writer owns one chunk buffer (the CRC32C slot, then STORE_CHUNK_BYTES)
 * and one batch, both reused for every chunk and kept with the writer in the
 * store's cache after it ends (store.h invariant (4): memory is one chunk,
 * whatever the object size; and no fresh memory per PUT).
 *
 * State machine:
 *
 *   store_put_begin ──▶ OPEN ──store_put_write──▶ OPEN
 *                        │  └─ a chunk write fails ─▶ FAILED (w->err, sticky)
 *                        ├─ store_put_commit (objects.c) ─▶ freed
 *                        └─ store_put_abort ─▶ freed (its chunks dropped)
 *   FAILED accepts only commit (which fails with w->err) and abort.
 *
 * Invariants:
 *  (1) a blob of one chunk has its chunk staged by store_writer_stage_tail
 *      into the batch that commits the object row (objects.c), which is
 *      atomic: such an object costs one write. A blob of more chunks has
 *      every chunk ingested (engine.h eng_ingest_*) into SSTables of its
 *      own, written once, and store_writer_stage_tail finishes the ingest
 *      (durable, visible) before the commit: the row is never durable
 *      without every chunk (OACS, engine/oacs.c). A chunks table of another
 *      strategy logs every chunk instead: each full chunk is written as its
 *      own batch when the first byte after it arrives, without waiting for
 *      its fdatasync (eng_batch_set_wait) — the sync that acknowledges the
 *      committing batch covers it — and the last rides in that batch.
 *  (2) every PUT gets a fresh random 16-byte blob id (store.h invariant (1)),
 *      so no chunk key is ever written twice.
 *  (3) an abort writes nothing when nothing of the blob exists: a blob whose
 *      chunks went to an ingest that did not finish (a failed write, a full
 *      disk, the client gone) has no chunk anywhere (engine.h eng_ingest_*),
 *      so there is nothing to delete. This keeps the common full-disk case,
 *      a large PUT running out of space, off the commitlog entirely: the
 *      failed ingest gave its space back, nothing else was written, and the
 *      next PUT works as soon as there is space (doc/limits.md).
 */
#include <stdlib.h>
#include <sys/random.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/log.h"

/* ingest_chunk -- hands the filled chunk to the ingest (opened on the first use). */
static int ingest_chunk(store_writer *w, cf_slice pk, cf_slice ck, const eng_cell *cell)
{
    w->ingested = true; /* every chunk of this blob goes here, none to the log */
    int rc = w->ing ? 0 : eng_ingest_begin(w->s->chunks, &w->ing);
    return rc ? rc : eng_ingest_put(w->ing, pk, ck, cell, 1);
}

static int writer_get(store *s, store_writer **out)
{
    store_writer *w = NULL;
    pthread_mutex_lock(&s->cache_mu);
    if (s->n_cache > 0)
        w = s->cache[--s->n_cache];
    pthread_mutex_unlock(&s->cache_mu);
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            return CF_ENOMEM;
        w->chunk = malloc(STORE_CRC_BYTES + STORE_CHUNK_BYTES);
        if (!w->chunk || eng_batch_new(&w->batch) != 0) {
            store_writer_free(w);
            return CF_ENOMEM;
        }
    }
    *out = w;
    return 0;
}

void store_writer_free(store_writer *w)
{
    if (!w)
        return;
    eng_batch_free(w->batch);
    buf_free(&w->pk);
    buf_free(&w->ck);
    buf_free(&w->val);
    free(w->chunk);
    free(w);
}

void store_writer_release(store_writer *w)
{
    store *s = w->s;
    pthread_mutex_lock(&s->cache_mu);
    if (s->n_cache < STORE_WRITER_CACHE) {
        s->cache[s->n_cache++] = w;
        w = NULL;
    }
    pthread_mutex_unlock(&s->cache_mu);
    store_writer_free(w);
}

int store_put_begin(store *s, cf_slice bucket, cf_slice key, store_writer **out)
{
    *out = NULL;
    int rc = store_key_check(key);
    if (!rc)
        rc = store_bucket_check(s, bucket);
    if (rc)
        return rc;
    store_writer *w;
    rc = writer_get(s, &w);
    if (rc)
        return rc;
    w->s = s;
    /* invariant (2); 16 bytes never come back short once the pool is ready */
    if (getrandom(w->blob.id, STORE_BLOB_ID_BYTES, 0) != (ssize_t)STORE_BLOB_ID_BYTES) {
        store_writer_release(w);
        return CF_EIO;
    }
    w->blob.size = 0;
    w->blob.chunk_bytes = STORE_CHUNK_BYTES;
    w->blob.partition_chunks = STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
    w->fill = 0;
    w->chunk_no = 0;
    w->err = 0;
    w->ing = NULL;
    w->ingested = false;
    eng_batch_clear(w->batch);
    w->bucket_len = bucket.len; /* <= 63: store_bucket_check found it */
    memcpy(w->bucket, bucket.ptr, bucket.len);
    w->key_len = key.len;
    memcpy(w->key, key.ptr, key.len);
    *out = w;
    return 0;
}

/*
 * stage_chunk -- puts the buffered chunk where invariant (1) says: in
 * w->batch (emptied first) if it is logged, else in the ingest. last: no
 * byte follows it. The chunk then counts as written (chunk_no moves on), so
 * that an abort after a failed write drops its partition too.
 */
static int stage_chunk(store_writer *w, bool last)
{
    store *s = w->s;
    uint64_t part = w->chunk_no / w->blob.partition_chunks;
    uint64_t in_part = w->chunk_no % w->blob.partition_chunks;
    put_u32(w->chunk, crc32c(w->chunk + STORE_CRC_BYTES, w->fill));
    eng_cell cell = {slice_str(STORE_C_DATA), slice_make(w->chunk, STORE_CRC_BYTES + w->fill)};
    int rc = store_chunk_pk(&w->pk, w->blob.id, part);
    if (!rc)
        rc = store_u64_key(&w->ck, in_part);
    cf_slice pk = buf_slice(&w->pk), ck = buf_slice(&w->ck);
    bool logged = !s->oacs || (w->chunk_no == 0 && last);
    if (logged)
        eng_batch_clear(w->batch);
    if (!rc)
        rc = logged ? eng_batch_put(w->batch, s->chunks, pk, ck, &cell, 1)
                    : ingest_chunk(w, pk, ck, &cell);
    if (rc)
        return rc;
    atomic_fetch_add_explicit(&s->bytes_accepted, w->fill, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->chunks_written, 1, memory_order_relaxed);
    w->chunk_no++;
    w->fill = 0;
    return 0;
}

int store_put_write(store_writer *w, const void *p, size_t len)
{
    if (w->err)
        return w->err;
    if (len > STORE_MAX_OBJECT_BYTES - w->blob.size) {
        w->err = CF_ELIMIT;
        return w->err;
    }
    const uint8_t *src = p;
    while (len > 0) {
        if (w->fill == STORE_CHUNK_BYTES) { /* invariant (1): more follows, write it */
            int rc = stage_chunk(w, false);
            eng_batch_set_wait(w->batch, false); /* invariant (1) */
            if (!rc && !w->s->oacs)
                rc = eng_db_write(w->s->db, w->batch);
            if (rc) {
                w->err = rc;
                return rc;
            }
        }
        size_t n = STORE_CHUNK_BYTES - w->fill;
        n = n < len ? n : len;
        memcpy(w->chunk + STORE_CRC_BYTES + w->fill, src, n);
        w->fill += n;
        w->blob.size += n;
        src += n;
        len -= n;
    }
    return 0;
}

uint64_t store_put_size(const store_writer *w)
{
    return w->blob.size;
}

int store_writer_stage_tail(store_writer *w)
{
    eng_batch_clear(w->batch); /* the logged chunks were written already */
    eng_batch_set_wait(w->batch, true); /* this batch commits: it waits */
    if (!w->err && w->fill > 0)
        w->err = stage_chunk(w, true);
    if (!w->err && w->ing) { /* invariant (1): the ingested chunks, durable and visible */
        w->err = eng_ingest_finish(w->ing);
        w->ing = NULL;
    }
    return w->err;
}

void store_put_abort(store_writer *w)
{
    if (!w)
        return;
    /* Chunks before chunk_no reached the table or may have (a failed write,
     * a failed commit batch); one failed while staging may be counted too.
     * Invariant (3): an ingest still open, or one whose finish failed (err
     * set after it), made nothing; one that finished made them all. */
    bool none = w->ingested && (w->ing || w->err);
    eng_ingest_abort(w->ing); /* unfinished: nothing of it exists */
    w->ing = NULL;
    store_blob written = w->blob;
    written.size = (w->chunk_no + (w->err ? 1 : 0)) * w->blob.chunk_bytes;
    int rc = none ? 0 : store_blob_drop(w->s, &written);
    /* a full disk was logged once by the engine; the start-up sweep (sweep.c) drops the orphan */
    if (rc == CF_ENOSPC)
        log_debug("store: could not drop an aborted blob: ENOSPC; left as an orphan");
    else if (rc)
        log_warn("store: could not drop an aborted blob: %s; left as an orphan", cf_err_str(rc));
    store_writer_release(w);
}
