/*
 * sweep.c -- the start-up sweep: blobs and layouts that nothing
 * references, left by a crash between writing a blob and committing the row
 * that would have referenced it (a PUT, a part, a completion killed
 * mid-way), found and dropped.
 *
 * A blob is live while a blob_refs row names it (an object or an upload's
 * part: blob.c), a layout while an object references it. The sweep walks the
 * chunks table one blob at a time (a seek per blob, never a scan of its
 * chunks) and the object_parts table one layout at a time, and drops those
 * with no reference.
 *
 * Invariant: REQUIRES no writer is running (the server calls it before it
 * serves): a blob being written has no reference yet and would be taken for
 * an orphan.
 */
#include "store/store_int.h"
#include "util/log.h"

/* next_id -- the smallest 16-byte id after id; false if id is all 0xFF. */
static bool next_id(uint8_t *id)
{
    for (int i = STORE_BLOB_ID_BYTES - 1; i >= 0; i--)
        if (++id[i] != 0)
            return true;
    return false;
}

/* first_at -- the first partition key of t at or after key from (len 0: the start); *found. */
static int first_at(eng_table *t, cf_slice from, cf_buf *pk, bool *found)
{
    eng_query q = {0};
    if (from.len)
        q.pk_start = (eng_bound){from, ENG_BOUND_INCL};
    q.by_ref_min_bytes = 1; /* keys only: chunk bytes stay on disk */
    eng_iter *it = NULL;
    int rc = eng_iter_new(t, &q, &it);
    *found = !rc && eng_iter_valid(it);
    if (*found) {
        cf_slice k = eng_iter_pk(it);
        buf_clear(pk);
        rc = buf_append(pk, k.ptr, k.len);
    }
    if (!rc)
        rc = eng_iter_status(it);
    eng_iter_close(it);
    return rc;
}

/* blob_extent -- the blob's partitions (the highest present, plus one) as a store_blob. */
static int blob_extent(store *s, const uint8_t *id, store_blob *b)
{
    memset(b, 0, sizeof *b);
    memcpy(b->id, id, STORE_BLOB_ID_BYTES);
    b->chunk_bytes = STORE_CHUNK_BYTES;
    b->partition_chunks = STORE_PARTITION_BYTES / STORE_CHUNK_BYTES;
    cf_buf from = {0}, pk = {0};
    uint64_t part = 0;
    bool found = true;
    int rc = 0;
    while (!rc && found) {
        rc = store_chunk_pk(&from, id, part);
        if (!rc)
            rc = first_at(s->chunks, buf_slice(&from), &pk, &found);
        found = found && pk.len == STORE_BLOB_ID_BYTES + 8 &&
                memcmp(pk.data, id, STORE_BLOB_ID_BYTES) == 0;
        if (!rc && found) {
            cf_slice rest = slice_make(pk.data + STORE_BLOB_ID_BYTES, 8);
            rc = eng_key_get_u64(&rest, &part);
            part++;
            b->size = part * STORE_PARTITION_BYTES;
        }
    }
    buf_free(&from);
    buf_free(&pk);
    return rc;
}

/* sweep_table -- for each distinct 16-byte key prefix of t with no reference, drop(). */
static int sweep_table(store *s, eng_table *t, bool layouts, uint64_t *dropped)
{
    uint8_t id[STORE_BLOB_ID_BYTES] = {0};
    cf_buf pk = {0};
    bool found = true, more = true;
    int rc = 0;
    while (!rc && found && more) {
        rc = first_at(t, slice_make(id, sizeof id), &pk, &found);
        if (rc || !found)
            break;
        if (pk.len < STORE_BLOB_ID_BYTES) {
            rc = CF_ECORRUPT;
            break;
        }
        memcpy(id, pk.data, STORE_BLOB_ID_BYTES);
        bool referenced = true;
        rc = store_blob_has_refs(s, id, &referenced);
        if (!rc && !referenced) {
            store_blob b;
            if (layouts) {
                memset(&b, 0, sizeof b);
                memcpy(b.id, id, STORE_BLOB_ID_BYTES);
                b.parts = 1; /* a layout: drop_layout walks its rows */
            } else {
                rc = blob_extent(s, id, &b);
            }
            if (!rc)
                rc = store_blob_drop(s, &b);
            if (!rc)
                (*dropped)++;
        }
        more = next_id(id);
    }
    buf_free(&pk);
    return rc;
}

int store_sweep(store *s, uint64_t *blobs, uint64_t *layouts)
{
    uint64_t nb = 0, nl = 0;
    int rc = sweep_table(s, s->oparts, true, &nl);
    if (!rc) /* after the layouts: a dropped layout may leave its part blobs unreferenced */
        rc = sweep_table(s, s->chunks, false, &nb);
    if (nb || nl)
        log_warn("store: start-up sweep dropped %llu orphan blob(s) and %llu orphan layout(s)",
                 (unsigned long long)nb, (unsigned long long)nl);
    if (blobs)
        *blobs = nb;
    if (layouts)
        *layouts = nl;
    return rc;
}
