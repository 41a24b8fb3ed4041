/*
 * blob.c -- blob layout, references and deletion, and the reader pins that
 * keep a blob alive while a GET reads it.
 *
 * A blob is the chunk rows of one PUT: chunk g (g = offset / chunk_bytes)
 * lives at pk (blob id, g / partition_chunks), ck g % partition_chunks
 * (store_format.h). Its lifetime is its blob_refs partition: one row per
 * object that points at it. Writers in blob_write.c, readers in
 * blob_read.c; objects.c adds and removes references.
 *
 * Invariants:
 *  (1) a blob is dropped only after a scan of its blob_refs partition,
 *      made after the caller's reference-removing batch returned, finds no
 *      row (store.h invariant (2)). Zero references is final: a new
 *      reference is only ever made (by a copy) from an object row that
 *      references the blob, under that row's key lock, before the lock is
 *      released, so no reference can appear once the last one is gone.
 *  (2) a blob released while pinned by an open reader is dropped by the
 *      last pin's removal, never under the reader; a pin added after the
 *      release inherits the pending drop, so the last of all pins drops it.
 *      A reader pinning after the drop finds chunks missing and no
 *      reference, which blob_read.c reports as CF_ENOTFOUND, not corruption.
 */
#include "store/store_int.h"
#include "util/coding.h"
#include "util/log.h"

void store_blob_of(const store_meta *m, store_blob *out)
{
    memcpy(out->id, m->blob_id, STORE_BLOB_ID_BYTES);
    out->size = m->size;
    out->chunk_bytes = m->chunk_bytes ? m->chunk_bytes : STORE_CHUNK_BYTES;
    out->partition_chunks =
        m->partition_chunks ? m->partition_chunks : STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
}

uint64_t store_blob_partitions(const store_blob *b)
{
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    return b->size == 0 ? 0 : (b->size - 1) / part_bytes + 1;
}

int store_blob_has_refs(store *s, const uint8_t *id, bool *out)
{
    *out = false;
    cf_slice pk = slice_make(id, STORE_BLOB_ID_BYTES);
    eng_query q = {0};
    q.pk_start = (eng_bound){pk, ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    eng_iter *it = NULL;
    int rc = eng_iter_new(s->refs, &q, &it);
    if (rc)
        return rc;
    *out = eng_iter_valid(it);
    rc = eng_iter_status(it);
    eng_iter_close(it);
    return rc;
}

int store_blob_drop(store *s, const store_blob *b)
{
    uint64_t parts = store_blob_partitions(b);
    if (parts == 0)
        return 0;
    eng_batch *batch = NULL;
    cf_buf pk = {0};
    int rc = eng_batch_new(&batch);
    for (uint64_t p = 0; rc == 0 && p < parts; p++) {
        rc = store_chunk_pk(&pk, b->id, p);
        if (!rc)
            rc = eng_batch_delete_partition(batch, s->chunks, slice_make(pk.data, pk.len));
    }
    if (!rc)
        rc = eng_db_write(s->db, batch);
    if (!rc)
        atomic_fetch_add_explicit(&s->blobs_dropped, 1, memory_order_relaxed);
    eng_batch_free(batch);
    buf_free(&pk);
    return rc;
}

static store_pin_stripe *stripe_of(store *s, const uint8_t *id)
{
    /* Blob ids are random: their first 8 bytes are already a good hash. */
    return &s->pins[get_u64(id) % STORE_PIN_STRIPES];
}

static bool same_blob(const store_pin *p, const uint8_t *id)
{
    return memcmp(p->blob.id, id, STORE_BLOB_ID_BYTES) == 0;
}

void store_pin_add(store *s, store_pin *p)
{
    store_pin_stripe *st = stripe_of(s, p->blob.id);
    p->drop_pending = false;
    p->prev = NULL;
    pthread_mutex_lock(&st->mu);
    for (store_pin *o = st->head; o; o = o->next)
        if (same_blob(o, p->blob.id) && o->drop_pending)
            p->drop_pending = true; /* invariant (2): inherit the pending drop */
    p->next = st->head;
    if (st->head)
        st->head->prev = p;
    st->head = p;
    pthread_mutex_unlock(&st->mu);
}

bool store_pin_remove(store *s, store_pin *p)
{
    store_pin_stripe *st = stripe_of(s, p->blob.id);
    pthread_mutex_lock(&st->mu);
    if (p->prev)
        p->prev->next = p->next;
    else
        st->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    bool last = true;
    for (store_pin *o = st->head; o && last; o = o->next)
        if (same_blob(o, p->blob.id))
            last = false;
    pthread_mutex_unlock(&st->mu);
    return p->drop_pending && last;
}

void store_blob_release(store *s, const store_blob *b)
{
    if (b->size == 0)
        return; /* no chunks to drop */
    bool referenced = false;
    int rc = store_blob_has_refs(s, b->id, &referenced);
    if (rc == 0 && !referenced) {
        store_pin_stripe *st = stripe_of(s, b->id);
        bool pinned = false;
        pthread_mutex_lock(&st->mu);
        for (store_pin *o = st->head; o; o = o->next) {
            if (same_blob(o, b->id)) {
                o->drop_pending = true; /* invariant (2) */
                pinned = true;
            }
        }
        pthread_mutex_unlock(&st->mu);
        if (!pinned)
            rc = store_blob_drop(s, b);
    }
    if (rc)
        log_warn("store: could not release a blob of %llu bytes: %s; left as an orphan",
                 (unsigned long long)b->size, cf_err_str(rc));
}
