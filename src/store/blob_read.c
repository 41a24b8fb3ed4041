/*
 * blob_read.c -- the blob reader: a byte range of a blob, chunk by
 * verified chunk (store_read_open / next / close).
 *
 * The reader computes where each byte is (blob.c: chunk g = off /
 * chunk_bytes in partition g / partition_chunks) and, per partition it
 * crosses, opens one engine iterator bounded to exactly the chunks the
 * range needs; consecutive chunks then come from eng_iter_next instead of a
 * fresh lookup each. A piece handed out points into the iterator's row, so
 * no byte is copied by the store.
 *
 * Invariants:
 *  (1) no byte of a chunk is returned unless the whole chunk's CRC32C
 *      matched and its length is the one the blob's size implies; a
 *      mismatch is CF_ECORRUPT and the reader stays failed.
 *  (2) every chunk the range needs must be there: a gap is CF_ECORRUPT,
 *      unless the blob has lost all its references (the object was
 *      replaced or deleted between store_head and this read, blob.c
 *      invariant (2)), which is CF_ENOTFOUND.
 *  (3) the blob is pinned from open to close (blob.c), so a release while
 *      the reader is open defers the drop to the close.
 */
#include <stdlib.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/log.h"

struct store_reader {
    store *s;
    store_pin pin;    /* pin.blob is the blob read */
    bool pinned;      /* the pin is in the table */
    uint64_t off;     /* next byte to hand out */
    uint64_t end_off; /* end of the range, exclusive */
    eng_iter *it;     /* rows of the current partition's needed chunks, or NULL */
    uint64_t expect;  /* chunk number (within the partition) the iterator must show next */
    int err;          /* sticky failure */
    cf_buf pk, lo, hi;
};

int store_read_open(store *s, const store_meta *meta, uint64_t off, uint64_t len,
                    store_reader **out)
{
    *out = NULL;
    store_blob b;
    store_blob_of(meta, &b);
    if (off > b.size || len > b.size - off)
        return CF_EINVAL;
    store_reader *r = calloc(1, sizeof *r);
    if (!r)
        return CF_ENOMEM;
    r->s = s;
    r->pin.blob = b;
    r->off = off;
    r->end_off = off + len;
    if (len > 0) {
        store_pin_add(s, &r->pin); /* invariant (3) */
        r->pinned = true;
    }
    *out = r;
    return 0;
}

/* open_partition -- an iterator over the chunks of partition part that [off, end) needs. */
static int open_partition(store_reader *r)
{
    const store_blob *b = &r->pin.blob;
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    uint64_t part = r->off / part_bytes;
    uint64_t part_end = (part + 1) * part_bytes;
    uint64_t last = (r->end_off < part_end ? r->end_off : part_end) - 1;
    r->expect = (r->off % part_bytes) / b->chunk_bytes;
    int rc = store_chunk_pk(&r->pk, b->id, part);
    if (!rc)
        rc = store_chunk_ck(&r->lo, r->expect);
    if (!rc)
        rc = store_chunk_ck(&r->hi, (last % part_bytes) / b->chunk_bytes);
    if (rc)
        return rc;
    eng_query q = {0};
    q.pk_start = (eng_bound){slice_make(r->pk.data, r->pk.len), ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    q.ck_start = (eng_bound){slice_make(r->lo.data, r->lo.len), ENG_BOUND_INCL};
    q.ck_end = (eng_bound){slice_make(r->hi.data, r->hi.len), ENG_BOUND_INCL};
    return eng_iter_new(r->s->chunks, &q, &r->it);
}

/* id_hex -- the blob id in hex, for log lines. */
static void id_hex(const uint8_t *id, char out[2 * STORE_BLOB_ID_BYTES + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < STORE_BLOB_ID_BYTES; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * STORE_BLOB_ID_BYTES] = '\0';
}

/* missing -- the error for a chunk that is not there (invariant (2)). */
static int missing(store_reader *r, uint64_t g)
{
    bool referenced = true;
    int rc = store_blob_has_refs(r->s, r->pin.blob.id, &referenced);
    if (rc)
        return rc;
    if (!referenced)
        return CF_ENOTFOUND;
    char hex[2 * STORE_BLOB_ID_BYTES + 1];
    id_hex(r->pin.blob.id, hex);
    log_error("store: blob %s: chunk %llu of a %llu-byte blob is missing", hex,
              (unsigned long long)g, (unsigned long long)r->pin.blob.size);
    return CF_ECORRUPT;
}

/* current_chunk -- the verified bytes of chunk g at the iterator (invariants (1), (2)). */
static int current_chunk(store_reader *r, uint64_t g, cf_slice *data)
{
    const store_blob *b = &r->pin.blob;
    int rc = eng_iter_status(r->it);
    if (rc)
        return rc;
    uint64_t no = 0;
    cf_slice ck = eng_iter_valid(r->it) ? eng_iter_ck(r->it) : slice_make(NULL, 0);
    if (!eng_iter_valid(r->it) || eng_key_get_u64(&ck, &no) != 0 || no != r->expect)
        return missing(r, g);
    uint64_t start = g * b->chunk_bytes;
    uint64_t want = b->size - start < b->chunk_bytes ? b->size - start : b->chunk_bytes;
    eng_cell_view v;
    if (eng_iter_find(r->it, slice_str(STORE_C_DATA), &v) != 0 ||
        v.value.len != STORE_CRC_BYTES + want ||
        crc32c(v.value.ptr + STORE_CRC_BYTES, want) != get_u32(v.value.ptr)) {
        char hex[2 * STORE_BLOB_ID_BYTES + 1];
        id_hex(b->id, hex);
        log_error("store: blob %s: chunk %llu fails its length or CRC32C check", hex,
                  (unsigned long long)g);
        return CF_ECORRUPT;
    }
    *data = slice_make(v.value.ptr + STORE_CRC_BYTES, want);
    return 0;
}

int store_read_next(store_reader *r, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    if (r->err)
        return r->err;
    if (r->off == r->end_off)
        return 0;
    const store_blob *b = &r->pin.blob;
    uint64_t g = r->off / b->chunk_bytes;
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    if (r->it && r->off % part_bytes == 0) {
        /* the last piece handed out was the end of the partition */
        eng_iter_close(r->it);
        r->it = NULL;
    }
    int rc = 0;
    if (!r->it)
        rc = open_partition(r);
    else /* the row under the iterator was handed out by the last call */
        rc = eng_iter_next(r->it);
    cf_slice data = {0};
    if (!rc)
        rc = current_chunk(r, g, &data);
    if (rc) {
        r->err = rc;
        return rc;
    }
    atomic_fetch_add_explicit(&r->s->chunks_read, 1, memory_order_relaxed);
    uint64_t start = g * b->chunk_bytes;
    uint64_t stop = r->end_off - start < data.len ? r->end_off - start : data.len;
    *p = data.ptr + (r->off - start);
    *len = (size_t)(stop - (r->off - start));
    r->off = start + stop;
    r->expect++;
    return 1;
}

void store_read_close(store_reader *r)
{
    if (!r)
        return;
    eng_iter_close(r->it);
    if (r->pinned && store_pin_remove(r->s, &r->pin)) {
        int rc = store_blob_drop(r->s, &r->pin.blob); /* invariant (3) */
        if (rc)
            log_warn("store: could not drop a released blob: %s; left as an orphan",
                     cf_err_str(rc));
    }
    buf_free(&r->pk);
    buf_free(&r->lo);
    buf_free(&r->hi);
    free(r);
}
