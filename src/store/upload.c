/*
 * upload.c -- multipart uploads in progress: create, parts (written or
 * shared), listing parts, abort and expiry. Completion is complete.c.
 *
 * An upload is one cell of table uploads: row (bucket partition, key),
 * column = the 16-byte upload id, value = the meta the object will get
 * (store_format.h). Its parts are the rows of partition (upload id) of table
 * parts, one per part number, each naming a blob; each part's blob is
 * referenced from blob_refs by the referrer (upload id, number), exactly as
 * an object references its blob, so a blob's lifetime rules (blob.c) cover
 * parts with no special case.
 *
 * Invariants:
 *  (1) every change to an upload or its parts (a part installed, abort,
 *      complete) happens under the key stripe of (bucket, key), after
 *      reading the upload's cell: a part committed after an abort or a
 *      completion finds no upload and drops its blob instead of writing a
 *      part nobody will ever free.
 *  (2) a part row and the reference of its blob change in one batch, and a
 *      replaced part's blob is released only after that batch returned.
 *  (3) a row of uploads is deleted with its last upload, so the table holds
 *      no empty rows for listing to step over.
 */
#include <stdlib.h>
#include <sys/random.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/log.h"

int store_upload_read(store *s, cf_slice pk, cf_slice key, const uint8_t *id, store_meta *m,
                      size_t *uploads_of_key)
{
    eng_iter *it = NULL;
    eng_cell_view v;
    int rc = eng_get(s->uploads, pk, key, &it);
    if (!rc)
        rc = eng_iter_find(it, store_id(id), &v) == 0 ? store_meta_decode(v.value, m)
                                                      : CF_ENOTFOUND;
    if (!rc && uploads_of_key)
        *uploads_of_key = eng_iter_cell_count(it);
    eng_iter_close(it);
    return rc;
}

int store_upload_remove(store *s, eng_batch *b, cf_slice pk, cf_slice key, const uint8_t *id,
                        size_t uploads_of_key)
{
    int rc = uploads_of_key > 1 ? eng_batch_delete_cell(b, s->uploads, pk, key, store_id(id))
                                : eng_batch_delete_row(b, s->uploads, pk, key); /* (3) */
    return rc ? rc : eng_batch_delete_partition(b, s->parts, store_id(id));
}

int store_upload_create(store *s, cf_slice bucket, cf_slice key, store_meta *m, uint8_t *upload_id)
{
    /* Time first (big-endian, so ids sort by initiation), then randomness. */
    m->mtime_us = m->mtime_us ? m->mtime_us : clock_now_us();
    for (int i = 0; i < 8; i++)
        upload_id[i] = (uint8_t)((uint64_t)m->mtime_us >> (56 - 8 * i));
    if (getrandom(upload_id + 8, STORE_UPLOAD_ID_BYTES - 8, 0) != STORE_UPLOAD_ID_BYTES - 8)
        return CF_EIO;
    m->size = 0;
    m->parts = 0;
    m->chunk_bytes = STORE_CHUNK_BYTES;
    m->partition_chunks = STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
    memcpy(m->blob_id, upload_id, STORE_UPLOAD_ID_BYTES);
    store_op o;
    int rc = store_op_init(&o);
    if (!rc)
        rc = store_key_check(key);
    if (!rc)
        rc = store_objects_pk(&o.pk, bucket);
    if (!rc)
        rc = store_meta_encode(&o.val, m);
    if (rc)
        goto out;
    eng_cell cell = {store_id(upload_id), buf_slice(&o.val)};
    pthread_rwlock_rdlock(&s->bucket_lock); /* a bucket delete cannot pass in between */
    rc = store_bucket_check(s, bucket);
    if (!rc)
        rc = eng_batch_put(o.b, s->uploads, buf_slice(&o.pk), key, &cell, 1);
    if (!rc)
        rc = eng_db_write(s->db, o.b);
    pthread_rwlock_unlock(&s->bucket_lock);
out:
    store_op_free(&o);
    return rc;
}

int store_upload_get(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                     store_meta *out)
{
    cf_buf pk = {0};
    int rc = store_objects_pk(&pk, bucket);
    if (!rc)
        rc = store_upload_read(s, buf_slice(&pk), key, upload_id, out, NULL);
    buf_free(&pk);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* part_read -- part number of upload id into *p: 0, CF_ENOTFOUND or CF_ECORRUPT. */
static int part_read(store *s, store_op *o, const uint8_t *id, uint32_t number, store_part *p)
{
    eng_iter *it = NULL;
    int rc = store_u64_key(&o->ck, number);
    if (!rc)
        rc = eng_get(s->parts, store_id(id), buf_slice(&o->ck), &it);
    if (!rc)
        rc = store_part_row(it, p);
    eng_iter_close(it);
    return rc;
}

/*
 * install_part -- adds to b and writes it: part p of upload id (p's blob
 * fields set), the reference of p's blob, and the removal of the reference
 * of the part it replaces (*old, *had_old). REQUIRES: the key stripe held,
 * o->pk set (invariant (1)).
 */
static int install_part(store *s, store_op *o, eng_batch *b, cf_slice key, const uint8_t *id,
                        store_part *p, store_part *old, bool *had_old)
{
    store_meta up;
    *had_old = false;
    p->mtime_us = clock_now_us();
    int rc = store_upload_read(s, buf_slice(&o->pk), key, id, &up, NULL);
    if (!rc) {
        rc = part_read(s, o, id, p->number, old);
        *had_old = rc == 0;
        rc = rc == CF_ENOTFOUND ? 0 : rc;
    }
    if (!rc)
        rc = store_part_encode(&o->val, p);
    if (!rc)
        rc = store_u64_key(&o->ck, p->number);
    if (!rc)
        rc = store_part_ref_ck(&o->ref, id, p->number);
    if (rc)
        return rc;
    eng_cell cell = {slice_str(STORE_C_PART), buf_slice(&o->val)};
    rc = eng_batch_put(b, s->parts, store_id(id), buf_slice(&o->ck), &cell, 1);
    if (!rc)
        rc = eng_batch_put(b, s->refs, store_id(p->blob_id), buf_slice(&o->ref), NULL, 0);
    if (!rc && *had_old && memcmp(old->blob_id, p->blob_id, STORE_BLOB_ID_BYTES) != 0)
        rc = eng_batch_delete_row(b, s->refs, store_id(old->blob_id), buf_slice(&o->ref));
    return rc ? rc : eng_db_write(s->db, b);
}

/* release_replaced -- invariant (2): the blob of the part a new one replaced. */
static void release_replaced(store *s, const store_part *old, const store_part *p)
{
    if (memcmp(old->blob_id, p->blob_id, STORE_BLOB_ID_BYTES) == 0)
        return;
    store_blob b;
    store_blob_of_part(old, &b);
    store_blob_release(s, &b);
}

int store_part_commit(store_writer *w, const uint8_t *upload_id, store_part *p)
{
    store *s = w->s;
    cf_slice bucket = slice_make(w->bucket, w->bucket_len);
    cf_slice key = slice_make(w->key, w->key_len);
    size_t stripe = store_key_stripe(bucket, key);
    store_part old;
    bool had_old = false;
    store_op o;
    int rc = store_op_init(&o);
    if (!rc && (p->size != w->blob.size || p->number == 0 || p->number > STORE_MAX_PARTS))
        rc = CF_EINVAL;
    if (!rc)
        rc = w->err;
    if (!rc)
        rc = store_objects_pk(&o.pk, bucket);
    if (!rc)
        rc = store_writer_stage_tail(w); /* the last chunk rides in the part's batch */
    if (rc)
        goto fail;
    memcpy(p->blob_id, w->blob.id, STORE_BLOB_ID_BYTES);
    p->chunk_bytes = w->blob.chunk_bytes;
    p->partition_chunks = w->blob.partition_chunks;
    /* written under the lock, waited for outside it: parts of one upload
     * arriving together share a group commit instead of queueing for fsyncs */
    eng_batch_set_wait(w->batch, false);
    store_key_lock(s, stripe); /* invariant (1) */
    rc = install_part(s, &o, w->batch, key, upload_id, p, &old, &had_old);
    store_key_unlock(s, stripe);
    if (rc)
        goto fail;
    rc = eng_db_wait(s->db, w->batch);
    if (rc) { /* logged and applied, not known durable: the log is failed; drop nothing */
        store_writer_release(w);
        store_op_free(&o);
        return rc;
    }
    if (had_old)
        release_replaced(s, &old, p);
    store_writer_release(w);
    store_op_free(&o);
    return 0;
fail:
    store_op_free(&o);
    store_put_abort(w); /* nothing references the new blob: drop it */
    return rc;
}

int store_part_share(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id,
                     cf_slice src_bucket, cf_slice src_key, store_part *p)
{
    size_t ss = store_key_stripe(src_bucket, src_key), ds = store_key_stripe(bucket, key);
    store_meta src;
    store_part old;
    bool had_old = false;
    store_op o;
    int rc = store_op_init(&o);
    if (!rc && (p->number == 0 || p->number > STORE_MAX_PARTS))
        rc = CF_EINVAL;
    if (rc)
        goto out;
    /* the source's stripe keeps its blob referenced until ours is added (blob.c (1)) */
    store_key_lock2(s, ss, ds);
    rc = store_objects_pk(&o.pk, src_bucket);
    if (!rc)
        rc = store_object_read(s, buf_slice(&o.pk), src_key, &src);
    if (!rc && (src.parts != 0 || src.size != p->size))
        rc = CF_EINVAL;
    if (!rc) {
        store_blob b;
        store_blob_of(&src, &b);
        memcpy(p->blob_id, b.id, STORE_BLOB_ID_BYTES);
        p->chunk_bytes = b.chunk_bytes;
        p->partition_chunks = b.partition_chunks;
        rc = store_objects_pk(&o.pk, bucket);
    }
    if (!rc)
        rc = install_part(s, &o, o.b, key, upload_id, p, &old, &had_old);
    store_key_unlock2(s, ss, ds);
    if (!rc && had_old)
        release_replaced(s, &old, p);
out:
    store_op_free(&o);
    return rc;
}

int store_parts_list(store *s, const uint8_t *upload_id, uint32_t after, uint32_t max,
                     int (*fn)(void *arg, const store_part *p), void *arg, bool *truncated)
{
    *truncated = false;
    if (max > 1000)
        return CF_EINVAL;
    cf_buf from = {0};
    eng_iter *it = NULL;
    int rc = store_u64_key(&from, (uint64_t)after + 1);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){store_id(upload_id), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        q.ck_start = (eng_bound){buf_slice(&from), ENG_BOUND_INCL};
        rc = eng_iter_new(s->parts, &q, &it);
    }
    for (uint32_t n = 0; !rc && eng_iter_valid(it); n++) {
        if (n == max) {
            *truncated = true;
            break;
        }
        store_part p;
        rc = store_part_row(it, &p);
        if (!rc)
            rc = fn(arg, &p);
        if (!rc)
            rc = eng_iter_next(it);
    }
    if (!rc && it)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    buf_free(&from);
    return rc;
}

int store_upload_parts_unref(store *s, eng_batch *b, const uint8_t *id, const uint32_t *keep,
                             size_t n_keep, store_blob_list *out)
{
    eng_query q = {0};
    q.pk_start = (eng_bound){store_id(id), ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    eng_iter *it = NULL;
    cf_buf ref = {0};
    size_t k = 0;
    int rc = eng_iter_new(s->parts, &q, &it);
    while (!rc && eng_iter_valid(it)) {
        store_part p;
        rc = store_part_row(it, &p);
        while (!rc && k < n_keep && keep[k] < p.number)
            k++;
        bool kept = !rc && k < n_keep && keep[k] == p.number;
        if (!rc && !kept)
            rc = store_part_unref(s, b, id, &p, &ref, out);
        if (!rc)
            rc = eng_iter_next(it);
    }
    if (!rc)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    buf_free(&ref);
    return rc;
}

int store_upload_abort(store *s, cf_slice bucket, cf_slice key, const uint8_t *upload_id)
{
    size_t stripe = store_key_stripe(bucket, key);
    store_blob_list blobs = {0};
    size_t uploads_of_key = 0;
    store_meta up;
    store_op o;
    int rc = store_op_init(&o);
    if (!rc)
        rc = store_objects_pk(&o.pk, bucket);
    if (rc)
        goto out;
    store_key_lock(s, stripe); /* invariant (1) */
    rc = store_upload_read(s, buf_slice(&o.pk), key, upload_id, &up, &uploads_of_key);
    if (!rc)
        rc = store_upload_parts_unref(s, o.b, upload_id, NULL, 0, &blobs);
    if (!rc)
        rc = store_upload_remove(s, o.b, buf_slice(&o.pk), key, upload_id, uploads_of_key);
    if (!rc)
        rc = eng_db_write(s->db, o.b);
    store_key_unlock(s, stripe);
    if (!rc)
        store_blobs_release(s, blobs.v, blobs.n);
out:
    free(blobs.v);
    store_op_free(&o);
    return rc;
}

/* An upload found expired by the scan. */
typedef struct expired {
    cf_buf bucket, key;
    uint8_t id[STORE_UPLOAD_ID_BYTES];
} expired;

#define EXPIRE_PASS 64 /* uploads collected per scan before aborting them */

typedef struct expire_scan {
    int64_t before_us;
    cf_slice pk; /* only this bucket's uploads; len 0: every bucket's */
    expired found[EXPIRE_PASS];
    size_t n;
} expire_scan;

static int expire_row(void *arg, eng_iter *it)
{
    expire_scan *e = arg;
    for (size_t i = 0; i < eng_iter_cell_count(it) && e->n < EXPIRE_PASS; i++) {
        eng_cell_view v = eng_iter_cell(it, i);
        store_meta m;
        cf_slice pk = eng_iter_pk(it), ck = eng_iter_ck(it);
        if (v.col.len != STORE_UPLOAD_ID_BYTES || store_meta_decode(v.value, &m) != 0 ||
            m.mtime_us >= e->before_us || (e->pk.len > 0 && !slice_eq(pk, e->pk)))
            continue;
        expired *x = &e->found[e->n];
        buf_clear(&x->bucket);
        buf_clear(&x->key);
        int rc = eng_key_get_bytes(&pk, &x->bucket);
        if (!rc)
            rc = buf_append(&x->key, ck.ptr, ck.len);
        if (rc)
            return rc;
        memcpy(x->id, v.col.ptr, STORE_UPLOAD_ID_BYTES);
        e->n++;
    }
    return e->n == EXPIRE_PASS ? 1 : 0; /* 1: stop, the pass is full */
}

/* abort_where -- aborts the uploads begun before before_us (of bucket partition pk, if not empty). */
static int abort_where(store *s, cf_slice pk, int64_t before_us, uint64_t *aborted)
{
    expire_scan *e = calloc(1, sizeof *e);
    if (!e)
        return CF_ENOMEM;
    e->before_us = before_us;
    e->pk = pk;
    uint64_t count = 0;
    int rc = 0;
    for (;;) {
        e->n = 0;
        rc = store_scan(s->uploads, expire_row, e);
        rc = rc == 1 ? 0 : rc;
        for (size_t i = 0; !rc && i < e->n; i++) {
            expired *x = &e->found[i];
            rc = store_upload_abort(s, buf_slice(&x->bucket), buf_slice(&x->key), x->id);
            if (rc == CF_ENOTFOUND) /* completed or aborted meanwhile */
                rc = 0;
            else if (!rc)
                count++;
        }
        if (rc || e->n < EXPIRE_PASS)
            break;
    }
    for (size_t i = 0; i < EXPIRE_PASS; i++) {
        buf_free(&e->found[i].bucket);
        buf_free(&e->found[i].key);
    }
    free(e);
    *aborted = count;
    return rc;
}

int store_uploads_expire(store *s, int64_t before_us, uint64_t *aborted)
{
    uint64_t n = 0;
    int rc = abort_where(s, slice_make(NULL, 0), before_us, &n);
    if (n)
        log_info("store: aborted %llu multipart upload(s) begun before the expiry time",
                 (unsigned long long)n);
    if (aborted)
        *aborted = n;
    return rc;
}

int store_uploads_abort_bucket(store *s, cf_slice pk)
{
    uint64_t n;
    return abort_where(s, pk, INT64_MAX, &n);
}
