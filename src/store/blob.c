/*
 * blob.c -- blob layout, references and deletion, and the reader pins that
 * keep a blob alive while a GET reads it.
 *
 * A blob is the chunk rows of one PUT or part: chunk g (g = offset /
 * chunk_bytes) lives at pk (blob id, g / partition_chunks), ck g %
 * partition_chunks (store_format.h). Its lifetime is its blob_refs
 * partition: one row per object or upload part that points at it. A
 * multipart object's layout (its object_parts rows, under the upload id)
 * lives the same way: objects reference it, and it holds the references of
 * its parts' blobs until it is dropped. Writers in blob_write.c, readers in
 * blob_read.c; objects.c and upload.c add and remove references.
 *
 * Invariants:
 *  (1) a blob is dropped only after a scan of its blob_refs partition,
 *      made after the caller's reference-removing batch returned, finds no
 *      row (store.h invariant (2)). Zero references is final: a new
 *      reference is only ever made (by a copy or a shared part) from an
 *      object row that references the blob, under that row's key lock, before the lock is
 *      released, so no reference can appear once the last one is gone.
 *  (2) a blob released while pinned by an open reader is dropped by the
 *      last pin's removal, never under the reader; a pin added after the
 *      release inherits the pending drop, so the last of all pins drops it.
 *      A reader pinning after the drop finds chunks missing and no
 *      reference, which blob_read.c reports as CF_ENOTFOUND, not corruption.
 */
#include <stdlib.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/log.h"

void store_blob_of(const store_meta *m, store_blob *out)
{
    memcpy(out->id, m->blob_id, STORE_BLOB_ID_BYTES);
    out->size = m->size;
    out->chunk_bytes = m->chunk_bytes ? m->chunk_bytes : STORE_CHUNK_BYTES;
    out->partition_chunks =
        m->partition_chunks ? m->partition_chunks : STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
    out->parts = m->parts;
}

void store_blob_of_part(const store_part *p, store_blob *out)
{
    memcpy(out->id, p->blob_id, STORE_BLOB_ID_BYTES);
    out->size = p->size;
    out->chunk_bytes = p->chunk_bytes;
    out->partition_chunks = p->partition_chunks;
    out->parts = 0;
}

int store_part_unref(store *s, eng_batch *b, const uint8_t *id, const store_part *p, cf_buf *ref,
                     store_blob_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        store_blob *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return CF_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    int rc = store_part_ref_ck(ref, id, p->number);
    if (!rc)
        rc = eng_batch_delete_row(b, s->refs, store_id(p->blob_id),
                                  buf_slice(ref));
    if (!rc)
        store_blob_of_part(p, &l->v[l->n++]);
    return rc;
}

uint64_t store_blob_partitions(const store_blob *b)
{
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    return b->size == 0 ? 0 : (b->size - 1) / part_bytes + 1;
}

int store_blob_has_refs(store *s, const uint8_t *id, bool *out)
{
    *out = false;
    cf_slice pk = store_id(id);
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

/*
 * A batch of deletions written whenever it holds STORE_DROP_BATCH
 * mutations. Once a batch of chunk tombstones is durable, the blobs' own
 * SSTables are unlinked whole (OACS: eng_table_drop_prefix), unread.
 */
typedef struct dropper {
    store *s;
    eng_batch *b;
    cf_buf pk;
    cf_buf ids;     /* the blob ids whose tombstones are in b, 16 bytes each */
    uint64_t blobs; /* blobs (and layouts) whose deletion is in b */
    int rc;         /* sticky */
} dropper;

static void dropper_flush(dropper *d)
{
    int64_t ts = eng_db_now(d->s->db);
    eng_batch_set_ts(d->b, ts); /* every file older than this is dead */
    if (!d->rc && eng_batch_count(d->b) > 0)
        d->rc = eng_db_write(d->s->db, d->b);
    for (size_t i = 0; !d->rc && d->s->oacs && i < d->ids.len; i += STORE_BLOB_ID_BYTES) {
        uint64_t files = 0;
        d->rc = eng_table_drop_prefix(d->s->chunks, slice_make(d->ids.data + i, STORE_BLOB_ID_BYTES),
                                      ts, &files);
        atomic_fetch_add_explicit(&d->s->blob_files_dropped, files, memory_order_relaxed);
    }
    if (!d->rc)
        atomic_fetch_add_explicit(&d->s->blobs_dropped, d->blobs, memory_order_relaxed);
    d->blobs = 0;
    buf_clear(&d->ids);
    eng_batch_clear(d->b);
}

static void dropper_room(dropper *d)
{
    if (eng_batch_count(d->b) >= STORE_DROP_BATCH)
        dropper_flush(d);
}

/* dropper_chunks -- tombstones every chunk partition of the chunk blob b. */
static void dropper_chunks(dropper *d, const store_blob *b)
{
    uint64_t parts = store_blob_partitions(b);
    for (uint64_t p = 0; !d->rc && p < parts; p++) {
        dropper_room(d);
        d->rc = store_chunk_pk(&d->pk, b->id, p);
        if (!d->rc)
            d->rc = eng_batch_delete_partition(d->b, d->s->chunks,
                                               buf_slice(&d->pk));
    }
    if (!d->rc && parts > 0)
        d->rc = buf_append(&d->ids, b->id, STORE_BLOB_ID_BYTES);
    d->blobs += parts > 0;
}

/*
 * drop_layout -- the parts of layout b lose their references from it, then
 * the blobs left unreferenced are dropped, then its rows go (a crash in
 * between leaves a layout no object references: an orphan, never a layout
 * naming a dropped blob that a reader could reach).
 */
static int drop_layout(store *s, dropper *d, const store_blob *b)
{
    cf_slice pk = store_id(b->id);
    store_blob_list parts = {0};
    eng_iter *it = NULL;
    cf_buf ref = {0};
    int rc = store_layout_seek(s, b->id, 0, 0, &it);
    while (!rc && eng_iter_valid(it)) {
        store_part p;
        rc = store_layout_part(it, &p);
        if (!rc) {
            dropper_room(d);
            rc = store_part_unref(s, d->b, b->id, &p, &ref, &parts);
        }
        if (!rc)
            rc = eng_iter_next(it);
    }
    if (!rc)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    if (!rc) {
        dropper_flush(d);
        rc = d->rc;
    }
    if (!rc)
        store_blobs_release(s, parts.v, parts.n);
    if (!rc) {
        rc = eng_batch_delete_partition(d->b, s->oparts, pk);
        d->blobs++;
        dropper_flush(d);
        rc = d->rc;
    }
    free(parts.v);
    buf_free(&ref);
    return rc;
}

int store_blob_drop(store *s, const store_blob *b)
{
    dropper d = {.s = s};
    d.rc = eng_batch_new(&d.b);
    if (!d.rc && b->parts > 0)
        d.rc = drop_layout(s, &d, b);
    else if (!d.rc)
        dropper_chunks(&d, b);
    if (!d.rc)
        dropper_flush(&d);
    eng_batch_free(d.b);
    buf_free(&d.pk);
    buf_free(&d.ids);
    return d.rc;
}

static store_pin_stripe *stripe_of(store *s, const uint8_t *id)
{
    /* Hashed: an upload id (a layout's) starts with the time, not randomness. */
    return &s->pins[hash64(id, STORE_BLOB_ID_BYTES, 0) % STORE_PIN_STRIPES];
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

/* pinned -- marks b's pins drop-pending (invariant (2)); false if there are none. */
static bool pinned(store *s, const uint8_t *id)
{
    store_pin_stripe *st = stripe_of(s, id);
    bool any = false;
    pthread_mutex_lock(&st->mu);
    for (store_pin *o = st->head; o; o = o->next) {
        if (same_blob(o, id)) {
            o->drop_pending = true;
            any = true;
        }
    }
    pthread_mutex_unlock(&st->mu);
    return any;
}

void store_blobs_release(store *s, const store_blob *b, size_t n)
{
    dropper d = {.s = s};
    int rc = eng_batch_new(&d.b);
    for (size_t i = 0; !rc && i < n; i++) {
        if (b[i].size == 0 && b[i].parts == 0)
            continue; /* no chunks to drop */
        bool referenced = false;
        rc = store_blob_has_refs(s, b[i].id, &referenced);
        if (rc || referenced || pinned(s, b[i].id))
            continue;
        if (b[i].parts > 0)
            rc = store_blob_drop(s, &b[i]); /* rare: a layout has its own batches */
        else
            dropper_chunks(&d, &b[i]);
        rc = rc ? rc : d.rc;
    }
    if (!rc) {
        dropper_flush(&d);
        rc = d.rc;
    }
    if (rc)
        log_warn("store: could not release %zu blob(s): %s; left as orphans", n, cf_err_str(rc));
    eng_batch_free(d.b);
    buf_free(&d.pk);
    buf_free(&d.ids);
}
