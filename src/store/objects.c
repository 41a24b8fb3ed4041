/*
 * objects.c -- object rows: commit of a PUT, head, delete, copy and header
 * updates, each a check-and-switch under the key lock.
 *
 * An object is one row of table objects (pk (bucket, shard 0), ck = key,
 * cell "m": store_format.h) naming its blob; each object row is matched by
 * one blob_refs row (blob id, (bucket, key)). Every change of an object row
 * moves that reference in the same batch, so the two tables never disagree
 * about who references a blob, whatever the crash point.
 *
 * Invariants (numbers of store.h where they come from there):
 *  (1) a commit writes the object row in one batch with the blob's last
 *      chunk, after every other chunk was durable (store.h (1),
 *      blob_write.c (1)).
 *  (2) reading the current row, checking the condition and writing the new
 *      row happen under the key's lock stripe (store.h (3)); a copy holds
 *      the source's stripe too, so the source's blob cannot lose its last
 *      reference between the read and the new reference (blob.c (1)).
 *  (3) the old blob is released after the batch that removed its reference
 *      returned, outside every lock but none of its checks (blob.c (1)).
 *  (4) writers of a possibly new object row (commit, copy) hold bucket_lock
 *      shared and find the bucket under it (buckets.c (1)).
 */

#include "store/store_int.h"
#include "util/clock.h"

int store_key_check(cf_slice key)
{
    if (key.len == 0)
        return CF_EINVAL;
    return key.len > STORE_MAX_KEY_BYTES ? CF_ELIMIT : 0;
}

/* store_object_read -- the object row (opk, key) into *m: 0, CF_ENOTFOUND or CF_ECORRUPT. */
int store_object_read(store *s, cf_slice opk, cf_slice key, store_meta *m)
{
    eng_iter *it = NULL;
    int rc = eng_get(s->objects, opk, key, &it);
    if (!rc)
        rc = store_meta_row(it, m);
    eng_iter_close(it);
    if (rc)
        memset(m, 0, sizeof *m);
    return rc;
}

/* etag_matches -- If-Match value want against etag: "*" matches any, quotes are ignored. */
static bool etag_matches(const char *want, const char *etag)
{
    size_t n = strlen(want);
    if (n == 1 && want[0] == '*')
        return true;
    if (n >= 2 && want[0] == '"' && want[n - 1] == '"') {
        want++;
        n -= 2;
    }
    return strlen(etag) == n && memcmp(want, etag, n) == 0;
}

int store_cond_check(const store_cond *c, bool found, const store_meta *cur)
{
    if (!c)
        return 0;
    if (c->if_none_match_any && found)
        return CF_EEXIST;
    if (c->if_match && !found)
        return CF_ENOTFOUND;
    if (c->if_match && !etag_matches(c->if_match, cur->etag))
        return CF_ECONFLICT;
    return 0;
}

static bool same_blob(const store_meta *a, const store_meta *b)
{
    return memcmp(a->blob_id, b->blob_id, STORE_BLOB_ID_BYTES) == 0;
}

/* store_object_switch -- see store_int.h; REQUIRES the key stripe (invariant (2)). */
int store_object_switch(store *s, eng_batch *b, cf_slice opk, cf_slice ref, cf_slice enc,
                        const store_meta *old, store_change *c)
{
    eng_cell cell = {slice_str(STORE_C_META), enc};
    const store_meta *nm = c->meta;
    bool moved = !old || !same_blob(old, nm);
    int rc = eng_batch_put(b, s->objects, opk, c->key, &cell, 1);
    if (!rc && moved)
        rc = eng_batch_put(b, s->refs, store_id(nm->blob_id), ref, NULL, 0);
    if (!rc && moved && old)
        rc = eng_batch_delete_row(b, s->refs, store_id(old->blob_id), ref);
    return rc ? rc : store_change_write(s, b, c);
}

/* origin -- who asks for a change under cond (may be NULL). */
static const store_origin *origin(const store_cond *cond)
{
    return cond ? cond->origin : NULL;
}

/* release -- invariant (3): old's blob lost the reference store_object_switch moved. */
static void release(store *s, const store_meta *old)
{
    store_blob b;
    store_blob_of(old, &b);
    store_blob_release(s, &b);
}

int store_put_commit(store_writer *w, store_meta *meta, const store_cond *cond)
{
    store *s = w->s;
    cf_slice bucket = slice_make(w->bucket, w->bucket_len);
    cf_slice key = slice_make(w->key, w->key_len);
    size_t stripe = store_key_stripe(bucket, key);
    bool locked = false, found = false;
    store_meta old;
    int rc = meta->size != w->blob.size ? CF_EINVAL : w->err;
    if (!rc)
        rc = store_writer_stage_tail(w); /* invariant (1) */
    if (rc)
        goto fail;
    memcpy(meta->blob_id, w->blob.id, STORE_BLOB_ID_BYTES);
    meta->chunk_bytes = w->blob.chunk_bytes;
    meta->partition_chunks = w->blob.partition_chunks;
    meta->parts = 0;
    meta->mtime_us = meta->mtime_us ? meta->mtime_us : clock_now_us();
    rc = store_meta_encode(&w->val, meta);
    if (!rc)
        rc = store_objects_pk(&w->pk, bucket);
    if (!rc)
        rc = store_ref_ck(&w->ck, bucket, key);
    if (rc)
        goto fail;
    store_change ch = {.event = STORE_CDC_PUT, .bucket = bucket, .key = key,
                       .meta = meta, .origin = origin(cond)};
    pthread_rwlock_rdlock(&s->bucket_lock); /* invariant (4) */
    store_key_lock(s, stripe);              /* invariant (2) */
    locked = true;
    rc = store_bucket_check(s, bucket);
    if (!rc) {
        rc = store_object_read(s, buf_slice(&w->pk), key, &old);
        found = rc == 0;
        rc = rc == CF_ENOTFOUND ? 0 : rc;
    }
    if (!rc)
        rc = store_cond_check(cond, found, &old);
    /* written under the locks, waited for outside them (as store_part_commit) */
    if (rc)
        goto fail;
    rc = store_object_switch(s, w->batch, buf_slice(&w->pk), buf_slice(&w->ck),
                             buf_slice(&w->val), found ? &old : NULL, &ch);
    store_key_unlock(s, stripe);
    pthread_rwlock_unlock(&s->bucket_lock);
    locked = false;
    int src = rc;
    rc = store_change_wait(s, w->batch, &ch, rc);
    if (src) /* not written: nothing references the new blob */
        goto fail;
    if (rc) { /* logged and applied, not known durable: the log is failed; drop nothing */
        store_writer_release(w);
        return rc;
    }
    if (found)
        release(s, &old);
    store_writer_release(w);
    return 0;
fail:
    if (locked) {
        store_key_unlock(s, stripe);
        pthread_rwlock_unlock(&s->bucket_lock);
    }
    store_put_abort(w); /* nothing references the new blob: drop it */
    return rc;
}

int store_head(store *s, cf_slice bucket, cf_slice key, store_meta *out)
{
    cf_buf opk = {0};
    int rc = store_objects_pk(&opk, bucket);
    rc = rc ? rc : store_object_read(s, buf_slice(&opk), key, out);
    buf_free(&opk);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/*
 * store_delete -- also CF_ENOTFOUND if the bucket does not exist. Of cond
 * only if_match applies (S3 has no conditional delete on absence).
 */
int store_delete(store *s, cf_slice bucket, cf_slice key, const store_cond *cond)
{
    size_t stripe = store_key_stripe(bucket, key);
    store_meta cur;
    bool found = false;
    store_op o;
    int rc = store_op_init(&o);
    if (!rc)
        rc = store_bucket_check(s, bucket);
    if (!rc)
        rc = store_objects_pk(&o.pk, bucket);
    if (!rc)
        rc = store_ref_ck(&o.ref, bucket, key);
    if (rc)
        goto out;
    store_key_lock(s, stripe); /* invariant (2) */
    rc = store_object_read(s, buf_slice(&o.pk), key, &cur);
    found = rc == 0;
    if (rc == CF_ENOTFOUND)
        rc = cond && cond->if_match ? CF_ENOTFOUND : 0;
    if (found && cond && cond->if_match && !etag_matches(cond->if_match, cur.etag))
        rc = CF_ECONFLICT;
    store_change ch = {.event = STORE_CDC_DELETE, .bucket = bucket, .key = key,
                       .meta = &cur, .origin = origin(cond)};
    bool written = false;
    if (found && !rc) {
        rc = eng_batch_delete_row(o.b, s->objects, buf_slice(&o.pk), key);
        if (!rc)
            rc = eng_batch_delete_row(o.b, s->refs, store_id(cur.blob_id),
                                      buf_slice(&o.ref));
        written = rc == 0;
        if (!rc)
            rc = store_change_write(s, o.b, &ch);
    }
    store_key_unlock(s, stripe);
    if (written)
        rc = store_change_wait(s, o.b, &ch, rc);
    if (found && !rc)
        release(s, &cur);
out:
    store_op_free(&o);
    return rc;
}

/*
 * store_copy -- out may be meta (the new metadata is built aside). The new
 * object's mtime_us is meta's if set, else the time of the copy (S3 gives a
 * copy a new Last-Modified even when it keeps the source's metadata).
 */
int store_copy(store *s, cf_slice src_bucket, cf_slice src_key, cf_slice dst_bucket,
               cf_slice dst_key, const store_meta *meta, const store_cond *cond, store_meta *out)
{
    size_t ss = store_key_stripe(src_bucket, src_key), ds = store_key_stripe(dst_bucket, dst_key);
    store_meta src, old, nm;
    bool found = false, written = false;
    store_change ch = {.event = STORE_CDC_PUT, .bucket = dst_bucket, .key = dst_key,
                       .meta = &nm, .origin = origin(cond)};
    store_op o;
    int rc = store_op_init(&o);
    if (!rc)
        rc = store_key_check(dst_key);
    if (rc)
        goto out;
    pthread_rwlock_rdlock(&s->bucket_lock); /* invariant (4) */
    store_key_lock2(s, ss, ds);             /* invariant (2) */
    rc = store_bucket_check(s, dst_bucket);
    if (!rc)
        rc = store_objects_pk(&o.pk, src_bucket);
    if (!rc)
        rc = store_object_read(s, buf_slice(&o.pk), src_key, &src);
    if (!rc) {
        nm = meta ? *meta : src;
        memcpy(nm.blob_id, src.blob_id, STORE_BLOB_ID_BYTES);
        nm.size = src.size;
        nm.chunk_bytes = src.chunk_bytes;
        nm.partition_chunks = src.partition_chunks;
        nm.parts = src.parts;
        nm.mtime_us = meta && meta->mtime_us ? meta->mtime_us : clock_now_us();
        rc = store_objects_pk(&o.pk, dst_bucket);
    }
    if (!rc) {
        rc = store_object_read(s, buf_slice(&o.pk), dst_key, &old);
        found = rc == 0;
        rc = rc == CF_ENOTFOUND ? 0 : rc;
    }
    if (!rc)
        rc = store_cond_check(cond, found, &old);
    if (!rc)
        rc = store_meta_encode(&o.val, &nm);
    if (!rc)
        rc = store_ref_ck(&o.ref, dst_bucket, dst_key);
    if (!rc) {
        written = true;
        rc = store_object_switch(s, o.b, buf_slice(&o.pk), buf_slice(&o.ref), buf_slice(&o.val),
                                 found ? &old : NULL, &ch);
    }
    store_key_unlock2(s, ss, ds);
    pthread_rwlock_unlock(&s->bucket_lock);
    if (written)
        rc = store_change_wait(s, o.b, &ch, rc);
    if (!rc && found && !same_blob(&old, &nm))
        release(s, &old);
out:
    if (rc)
        memset(out, 0, sizeof *out);
    else
        *out = nm;
    store_op_free(&o);
    return rc;
}

int store_set_headers(store *s, cf_slice bucket, cf_slice key, const char *headers,
                      const store_cond *cond)
{
    size_t stripe = store_key_stripe(bucket, key);
    store_meta cur;
    store_change ch = {.event = STORE_CDC_UPDATE, .bucket = bucket, .key = key,
                       .meta = &cur, .origin = origin(cond)};
    bool written = false;
    size_t n = strlen(headers);
    if (n >= sizeof cur.headers)
        return CF_ELIMIT;
    store_op o;
    int rc = store_op_init(&o);
    if (!rc)
        rc = store_objects_pk(&o.pk, bucket);
    if (rc)
        goto out;
    store_key_lock(s, stripe); /* invariant (2) */
    rc = store_object_read(s, buf_slice(&o.pk), key, &cur);
    if (!rc)
        rc = store_cond_check(cond, true, &cur);
    if (!rc) {
        memcpy(cur.headers, headers, n + 1);
        rc = store_meta_encode(&o.val, &cur);
    }
    if (!rc) {
        eng_cell cell = {slice_str(STORE_C_META), buf_slice(&o.val)};
        rc = eng_batch_put(o.b, s->objects, buf_slice(&o.pk), key, &cell, 1);
    }
    if (!rc) {
        written = true;
        rc = store_change_write(s, o.b, &ch);
    }
    store_key_unlock(s, stripe);
    if (written)
        rc = store_change_wait(s, o.b, &ch, rc);
out:
    store_op_free(&o);
    return rc;
}
