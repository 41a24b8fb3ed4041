/*
 * complete.c -- CompleteMultipartUpload in the store: an upload becomes an
 * object by writing its layout, never by copying a chunk.
 *
 * The named parts are read in one pass over the upload's parts partition
 * (both are in part-number order), judged by the caller, and written as the
 * object's layout: one object_parts row per part under the upload id, keyed
 * by (end offset, number) (layout.c). The object row's blob id is the
 * upload id; each part keeps the blob reference it had as a part, now held
 * by the layout (blob.c).
 *
 * Invariants:
 *  (1) the layout rows, the object row with its reference, the removal of
 *      the upload and of the references of parts not named are one batch:
 *      a crash leaves either the upload (and no object) or the object (and
 *      no upload), never a half-visible object.
 *  (2) everything is read and written under the key stripe of (bucket,
 *      key), which also guards the upload (upload.c (1)) and the object row
 *      (objects.c (2)), so no part changes between judging and writing.
 *  (3) memory is bounded by the part count (<= STORE_MAX_PARTS): the batch
 *      holds one row per part, and the blobs released after it one entry
 *      per part not named.
 */
#include <stdlib.h>

#include "store/store_int.h"

/* Scratch of one completion. */
typedef struct comp {
    store_op o;   /* o.pk: the bucket's objects partition */
    eng_iter *it; /* the upload's parts, in number order */
} comp;

/* next_part -- the stored part number `want`, or *found false (the iterator stops past it). */
static int next_part(comp *c, uint32_t want, store_part *p, bool *found)
{
    *found = false;
    while (eng_iter_valid(c->it)) {
        int rc = store_part_row(c->it, p);
        if (rc || p->number > want)
            return rc;
        if (p->number == want) {
            *found = true;
            return eng_iter_next(c->it);
        }
        rc = eng_iter_next(c->it);
        if (rc)
            return rc;
    }
    return eng_iter_status(c->it);
}

/* add_layout -- judges the named parts and adds their layout rows to c->o.b; m->size is the sum. */
static int add_layout(store *s, comp *c, const uint8_t *id, const store_complete *req,
                      const store_meta *upload, store_meta *m)
{
    eng_query q = {0};
    q.pk_start = (eng_bound){store_id(id), ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    int rc = eng_iter_new(s->parts, &q, &c->it);
    uint64_t off = 0;
    for (size_t i = 0; !rc && i < req->n; i++) {
        store_part p;
        bool found;
        rc = next_part(c, req->numbers[i], &p, &found);
        if (!rc)
            rc = req->part(req->arg, i, found ? &p : NULL, upload);
        if (!rc && !found)
            rc = CF_ENOTFOUND; /* part() must refuse a missing part */
        if (!rc && p.size > STORE_MAX_OBJECT_BYTES - off)
            rc = CF_ELIMIT;
        if (rc)
            break;
        off += p.size;
        rc = store_layout_ck(&c->o.ck, off, p.number);
        if (!rc)
            rc = store_part_encode(&c->o.val, &p);
        if (!rc) {
            eng_cell cell = {slice_str(STORE_C_PART), buf_slice(&c->o.val)};
            rc = eng_batch_put(c->o.b, s->oparts, store_id(id), buf_slice(&c->o.ck),
                               &cell, 1);
        }
    }
    m->size = off;
    return rc;
}

/* completed_already -- a retried completion: the object at key is this upload's. */
static bool completed_already(store *s, comp *c, cf_slice key, const uint8_t *id, store_meta *out)
{
    return store_object_read(s, buf_slice(&c->o.pk), key, out) == 0 && out->parts > 0 &&
           memcmp(out->blob_id, id, STORE_UPLOAD_ID_BYTES) == 0;
}

int store_upload_complete(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                          const store_complete *req, store_meta *out)
{
    size_t stripe = store_key_stripe(bucket, key);
    store_meta upload, old;
    store_blob_list unused = {0};
    size_t uploads_of_key = 0;
    bool found = false, locked = false;
    comp c = {0};
    memset(out, 0, sizeof *out);
    int rc = req->n == 0 || req->n > STORE_MAX_PARTS ? CF_EINVAL : 0;
    for (size_t i = 1; !rc && i < req->n; i++)
        if (req->numbers[i] <= req->numbers[i - 1])
            rc = CF_EINVAL;
    if (!rc)
        rc = store_op_init(&c.o);
    if (!rc)
        rc = store_objects_pk(&c.o.pk, bucket);
    if (rc)
        goto out;
    pthread_rwlock_rdlock(&s->bucket_lock); /* objects.c (4) */
    store_key_lock(s, stripe);              /* invariant (2) */
    locked = true;
    rc = store_bucket_check(s, bucket);
    if (!rc)
        rc = store_upload_read(s, buf_slice(&c.o.pk), key, upload_id, &upload, &uploads_of_key);
    if (rc == CF_ENOTFOUND && completed_already(s, &c, key, upload_id, out)) {
        rc = 0;
        goto out;
    }
    if (!rc) {
        *out = upload;
        rc = add_layout(s, &c, upload_id, req, &upload, out);
    }
    if (!rc) {
        rc = store_object_read(s, buf_slice(&c.o.pk), key, &old);
        found = rc == 0;
        rc = rc == CF_ENOTFOUND ? 0 : rc;
    }
    if (!rc)
        rc = store_cond_check(req->cond, found, &old);
    if (!rc) {
        out->parts = (uint32_t)req->n;
        memcpy(out->blob_id, upload_id, STORE_UPLOAD_ID_BYTES);
        out->chunk_bytes = STORE_CHUNK_BYTES;
        out->partition_chunks = STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
        out->mtime_us = clock_now_us();
        rc = req->finish(req->arg, out);
    }
    if (!rc)
        rc = store_upload_parts_unref(s, c.o.b, upload_id, req->numbers, req->n, &unused);
    if (!rc)
        rc = store_upload_remove(s, c.o.b, buf_slice(&c.o.pk), key, upload_id, uploads_of_key);
    if (!rc)
        rc = store_meta_encode(&c.o.val, out);
    if (!rc)
        rc = store_ref_ck(&c.o.ref, bucket, key);
    store_change ch = {.event = STORE_CDC_PUT, .bucket = bucket, .key = key,
                       .meta = out, .origin = req->cond ? req->cond->origin : NULL};
    bool written = !rc;
    if (!rc) /* invariant (1): writes the whole batch */
        rc = store_object_switch(s, c.o.b, buf_slice(&c.o.pk), buf_slice(&c.o.ref),
                                 buf_slice(&c.o.val), found ? &old : NULL, &ch);
    store_key_unlock(s, stripe);
    pthread_rwlock_unlock(&s->bucket_lock);
    locked = false;
    if (written)
        rc = store_change_wait(s, c.o.b, &ch, rc);
    if (!rc) {
        if (found) {
            store_blob ob;
            store_blob_of(&old, &ob);
            store_blob_release(s, &ob);
        }
        store_blobs_release(s, unused.v, unused.n);
    }
out:
    if (locked) {
        store_key_unlock(s, stripe);
        pthread_rwlock_unlock(&s->bucket_lock);
    }
    if (rc)
        memset(out, 0, sizeof *out);
    free(unused.v);
    eng_iter_close(c.it);
    store_op_free(&c.o);
    return rc;
}
