/*
 * blob_read.c -- the object reader: a byte range of an object, chunk by
 * verified chunk (store_read_open / next / close).
 *
 * The reader computes where each byte is (blob.c: chunk g = off /
 * chunk_bytes in partition g / partition_chunks) and, per partition it
 * crosses, opens one engine iterator bounded to exactly the chunks the
 * range needs; consecutive chunks then come from eng_iter_next instead of a
 * fresh lookup each. A piece handed out points into the iterator's row, so
 * no byte is copied by the store.
 *
 * A multipart object is read part by part: one seek in its layout finds the
 * part holding the first byte (layout.c), the next parts follow from the
 * same iterator, and within a part the arithmetic above applies to the
 * part's blob. No part list is ever loaded whole.
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
 *
 * Chunks that lie in an SSTable are taken by reference (eng_query
 * by_ref_min_bytes): the CRC32C is computed over a read-only mapping of the
 * file's page cache, and store_read_piece hands out the file range, so a GET
 * can sendfile() it; store_read_next copies such a chunk into the reader's
 * one-chunk buffer for callers that want memory.
 */
#include <stdlib.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/crc.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/hex.h"

struct store_reader {
    store *s;
    store_pin pin;    /* pin.blob is the object's blob, or its layout */
    bool pinned;      /* the pin is in the table */
    uint64_t off;     /* next byte of the object to hand out */
    uint64_t end_off; /* end of the range, exclusive */
    store_blob blob;  /* the blob being read: the object's, or the current part's */
    uint64_t base;    /* the object offset of blob's byte 0 */
    eng_iter *parts;  /* multipart: the layout, at the current part; else NULL */
    eng_iter *it;     /* rows of the current partition's needed chunks, or NULL */
    uint64_t expect;  /* chunk number (within the partition) the iterator must show next */
    int err;          /* sticky failure */
    cf_buf pk, lo, hi;
    cf_buf copy;      /* store_read_next: a chunk taken by reference, read into memory */
};

/* Chunks at least this big are read by reference when they lie in an SSTable
 * (a small last chunk is cheaper to copy than to map). */
#define BY_REF_MIN_BYTES (16u * 1024)

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
    r->blob = b;
    r->off = off;
    r->end_off = off + len;
    if (len > 0) {
        store_pin_add(s, &r->pin); /* invariant (3) */
        r->pinned = true;
    }
    *out = r;
    return 0;
}

/* open_partition -- an iterator over the chunks of the partition holding off that the range needs. */
static int open_partition(store_reader *r)
{
    const store_blob *b = &r->blob;
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    uint64_t off = r->off - r->base;
    uint64_t end = r->end_off - r->base < b->size ? r->end_off - r->base : b->size;
    uint64_t part = off / part_bytes;
    uint64_t part_end = (part + 1) * part_bytes;
    uint64_t last = (end < part_end ? end : part_end) - 1;
    r->expect = (off % part_bytes) / b->chunk_bytes;
    int rc = store_chunk_pk(&r->pk, b->id, part);
    if (!rc)
        rc = store_u64_key(&r->lo, r->expect);
    if (!rc)
        rc = store_u64_key(&r->hi, (last % part_bytes) / b->chunk_bytes);
    if (rc)
        return rc;
    eng_query q = {0};
    q.pk_start = (eng_bound){buf_slice(&r->pk), ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    q.ck_start = (eng_bound){buf_slice(&r->lo), ENG_BOUND_INCL};
    q.ck_end = (eng_bound){buf_slice(&r->hi), ENG_BOUND_INCL};
    q.by_ref_min_bytes = BY_REF_MIN_BYTES;
    return eng_iter_new(r->s->chunks, &q, &r->it);
}

/* missing -- the error for a chunk (or part) that is not there (invariant (2)). */
static int missing(store_reader *r, uint64_t g)
{
    bool referenced = true;
    int rc = store_blob_has_refs(r->s, r->pin.blob.id, &referenced);
    if (rc)
        return rc;
    if (!referenced)
        return CF_ENOTFOUND;
    char hex[2 * STORE_BLOB_ID_BYTES + 1];
    hex_encode(r->blob.id, STORE_BLOB_ID_BYTES, hex);
    log_error("store: blob %s: chunk %llu of a %llu-byte blob is missing", hex,
              (unsigned long long)g, (unsigned long long)r->blob.size);
    return CF_ECORRUPT;
}

/*
 * file_chunk_ok -- checks the stored chunk [off, off + len) of fd (CRC32C
 * then data): through the engine's long-lived mapping of the file when there
 * is one (no copy), else read into the reader's buffer.
 */
static bool file_chunk_ok(store_reader *r, int fd, uint64_t off, const uint8_t *mapped, size_t len)
{
    const uint8_t *p = mapped;
    if (!p) {
        buf_clear(&r->copy);
        if (buf_reserve(&r->copy, len) != 0 || file_pread_all(fd, r->copy.data, len, off) != 0)
            return false;
        p = r->copy.data;
    }
    return crc32c(p + STORE_CRC_BYTES, len - STORE_CRC_BYTES) == get_u32(p);
}

/*
 * current_chunk -- the verified chunk g at the iterator (invariants (1),
 * (2)): its data in memory (piece->p) or in a file (piece->fd).
 */
static int current_chunk(store_reader *r, uint64_t g, store_piece *piece)
{
    const store_blob *b = &r->blob;
    int rc = eng_iter_status(r->it);
    if (rc)
        return rc;
    uint64_t no = 0;
    cf_slice ck = eng_iter_valid(r->it) ? eng_iter_ck(r->it) : slice_make(NULL, 0);
    if (!eng_iter_valid(r->it) || eng_key_get_u64(&ck, &no) != 0 || no != r->expect)
        return missing(r, g);
    uint64_t start = g * b->chunk_bytes;
    uint64_t want = b->size - start < b->chunk_bytes ? b->size - start : b->chunk_bytes;
    eng_cell_view v = {0};
    size_t i = 0;
    int fd = -1;
    uint64_t foff = 0;
    bool ok = false;
    for (; i < eng_iter_cell_count(r->it); i++) {
        v = eng_iter_cell(r->it, i);
        if (slice_eq(v.col, slice_str(STORE_C_DATA)))
            break;
    }
    if (i < eng_iter_cell_count(r->it) && v.value.len == STORE_CRC_BYTES + want) {
        const uint8_t *mapped;
        if (eng_iter_cell_file(r->it, i, &fd, &foff, &mapped) == 0) {
            ok = file_chunk_ok(r, fd, foff, mapped, v.value.len);
            /* checked: it goes out by sendfile from the page cache, not through us */
            eng_iter_cell_file_done(r->it, i);
        }
        else
            ok = crc32c(v.value.ptr + STORE_CRC_BYTES, want) == get_u32(v.value.ptr);
    }
    if (!ok) {
        char hex[2 * STORE_BLOB_ID_BYTES + 1];
        hex_encode(b->id, STORE_BLOB_ID_BYTES, hex);
        log_error("store: blob %s: chunk %llu fails its length or CRC32C check", hex,
                  (unsigned long long)g);
        return CF_ECORRUPT;
    }
    piece->len = (size_t)want;
    piece->fd = fd;
    piece->file_off = fd >= 0 ? foff + STORE_CRC_BYTES : 0;
    piece->p = fd >= 0 ? NULL : v.value.ptr + STORE_CRC_BYTES;
    return 0;
}

/*
 * next_part -- moves a multipart reader to the part holding r->off: the
 * first seek finds it in the layout, later ones step to the next row;
 * empty parts are stepped over. A layout row that is not there, or does
 * not start where the previous part ended, is missing().
 */
static int next_part(store_reader *r)
{
    eng_iter_close(r->it);
    r->it = NULL;
    int rc;
    if (!r->parts)
        rc = store_layout_seek(r->s, r->pin.blob.id, r->off + 1, 0, &r->parts);
    else
        rc = eng_iter_next(r->parts);
    store_part p = {0};
    while (!rc) {
        if (!eng_iter_valid(r->parts))
            return eng_iter_status(r->parts) ? eng_iter_status(r->parts) : missing(r, 0);
        rc = store_layout_part(r->parts, &p);
        if (rc || p.size > 0)
            break;
        rc = eng_iter_next(r->parts);
    }
    if (rc)
        return rc;
    if (p.offset > r->off || p.offset + p.size <= r->off)
        return missing(r, 0);
    store_blob_of_part(&p, &r->blob);
    r->base = p.offset;
    return 0;
}

int store_read_piece(store_reader *r, store_piece *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    if (r->err)
        return r->err;
    if (r->off == r->end_off)
        return 0;
    int rc = 0;
    if (r->pin.blob.parts > 0 && (!r->parts || r->off == r->base + r->blob.size))
        rc = next_part(r);
    if (rc) {
        r->err = rc;
        return rc;
    }
    const store_blob *b = &r->blob;
    uint64_t boff = r->off - r->base; /* offset within the blob */
    uint64_t g = boff / b->chunk_bytes;
    uint64_t part_bytes = (uint64_t)b->chunk_bytes * b->partition_chunks;
    if (r->it && boff % part_bytes == 0) {
        /* the last piece handed out was the end of the partition */
        eng_iter_close(r->it);
        r->it = NULL;
    }
    if (!r->it)
        rc = open_partition(r);
    else /* the row under the iterator was handed out by the last call */
        rc = eng_iter_next(r->it);
    store_piece chunk;
    if (!rc)
        rc = current_chunk(r, g, &chunk);
    if (rc) {
        r->err = rc;
        return rc;
    }
    atomic_fetch_add_explicit(&r->s->chunks_read, 1, memory_order_relaxed);
    uint64_t start = g * b->chunk_bytes;
    uint64_t skip = boff - start;
    uint64_t want_end = r->end_off - r->base;
    uint64_t stop = want_end - start < chunk.len ? want_end - start : chunk.len;
    *out = chunk;
    out->len = (size_t)(stop - skip);
    if (chunk.fd >= 0)
        out->file_off += skip;
    else
        out->p += skip;
    r->off = r->base + start + stop;
    r->expect++;
    return 1;
}

int store_read_next(store_reader *r, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    store_piece piece;
    int rc = store_read_piece(r, &piece);
    if (rc != 1)
        return rc;
    if (piece.fd >= 0) {
        buf_clear(&r->copy);
        rc = buf_reserve(&r->copy, piece.len);
        if (!rc)
            rc = file_pread_all(piece.fd, r->copy.data, piece.len, piece.file_off);
        if (rc) {
            r->err = rc;
            return rc;
        }
        piece.p = r->copy.data;
    }
    *p = piece.p;
    *len = piece.len;
    return 1;
}

void store_read_close(store_reader *r)
{
    if (!r)
        return;
    eng_iter_close(r->it);
    eng_iter_close(r->parts);
    if (r->pinned && store_pin_remove(r->s, &r->pin)) {
        int rc = store_blob_drop(r->s, &r->pin.blob); /* invariant (3) */
        if (rc)
            log_warn("store: could not drop a released blob: %s; left as an orphan",
                     cf_err_str(rc));
    }
    buf_free(&r->pk);
    buf_free(&r->lo);
    buf_free(&r->hi);
    buf_free(&r->copy);
    free(r);
}
