/*
 * format.c -- encoders and decoders of the store's row keys and of the
 * object meta cell (store_format.h; doc/formats.md "Store rows").
 *
 * Keys go through the engine's composite codec so their memcmp order is the
 * tuple order. The meta decoder trusts nothing: every length is checked
 * against the bytes left and against the store_meta field it fills, so a
 * damaged row is CF_ECORRUPT, never an overrun.
 */
#include <string.h>

#include "store/store_int.h"
#include "util/coding.h"

int store_objects_pk(cf_buf *out, cf_slice bucket)
{
    buf_clear(out);
    int rc = eng_key_put_bytes(out, bucket);
    return rc ? rc : eng_key_put_u64(out, STORE_SHARD);
}

int store_ref_ck(cf_buf *out, cf_slice bucket, cf_slice key)
{
    buf_clear(out);
    int rc = eng_key_put_bytes(out, bucket);
    return rc ? rc : eng_key_put_bytes(out, key);
}

int store_chunk_pk(cf_buf *out, const uint8_t *id, uint64_t partition)
{
    buf_clear(out);
    int rc = buf_append(out, id, STORE_BLOB_ID_BYTES);
    return rc ? rc : eng_key_put_u64(out, partition);
}

int store_u64_key(cf_buf *out, uint64_t v)
{
    buf_clear(out);
    return eng_key_put_u64(out, v);
}

int store_part_ref_ck(cf_buf *out, const uint8_t *upload_id, uint32_t number)
{
    buf_clear(out);
    int rc = eng_key_put_bytes(out, slice_make(NULL, 0));
    if (!rc)
        rc = buf_append(out, upload_id, STORE_UPLOAD_ID_BYTES);
    return rc ? rc : eng_key_put_u64(out, number);
}

int store_layout_ck(cf_buf *out, uint64_t end, uint32_t number)
{
    buf_clear(out);
    int rc = eng_key_put_u64(out, end);
    return rc ? rc : eng_key_put_u64(out, number);
}

/* put_str -- appends varint length + the bytes of a NUL-terminated field of cap bytes. */
static int put_str(cf_buf *out, const char *f, size_t cap)
{
    size_t n = strnlen(f, cap);
    if (n == cap)
        return CF_EINVAL;
    int rc = buf_append_varint(out, n);
    return rc ? rc : buf_append(out, f, n);
}

int store_meta_encode(cf_buf *out, const store_meta *m)
{
    buf_clear(out);
    uint8_t version = STORE_META_VERSION;
    int rc = buf_append(out, &version, 1);
    if (!rc)
        rc = buf_append_varint(out, m->size);
    if (!rc)
        rc = buf_append_varint(out, m->chunk_bytes);
    if (!rc)
        rc = buf_append_varint(out, m->partition_chunks);
    if (!rc)
        rc = buf_append_varint(out, m->parts);
    if (!rc)
        rc = buf_append(out, m->blob_id, STORE_BLOB_ID_BYTES);
    if (!rc)
        rc = buf_append_varint(out, zigzag_enc(m->mtime_us));
    if (!rc)
        rc = put_str(out, m->etag, sizeof m->etag);
    if (!rc)
        rc = put_str(out, m->content_type, sizeof m->content_type);
    if (!rc)
        rc = put_str(out, m->headers, sizeof m->headers);
    return rc;
}

/* get_str -- reads varint length + bytes into f (cap bytes with the NUL); NULL if it does not fit.
 */
static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, char *f, size_t cap)
{
    uint64_t n;
    p = p ? get_varint(p, end, &n) : NULL;
    if (!p || n >= cap || n > (uint64_t)(end - p))
        return NULL;
    memcpy(f, p, (size_t)n);
    f[n] = '\0';
    return p + n;
}

int store_meta_decode(cf_slice v, store_meta *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = v.ptr, *end = v.ptr + v.len;
    uint64_t size = 0, cb = 0, pc = 0, parts = 0, mt = 0;
    if (v.len < 1 || p[0] < 1 || p[0] > STORE_META_VERSION)
        return CF_ECORRUPT;
    bool v1 = *p++ == 1; /* version 1 has no part count */
    p = get_varint(p, end, &size);
    p = p ? get_varint(p, end, &cb) : NULL;
    p = p ? get_varint(p, end, &pc) : NULL;
    p = p && !v1 ? get_varint(p, end, &parts) : p;
    if (!p || end - p < (ptrdiff_t)STORE_BLOB_ID_BYTES)
        return CF_ECORRUPT;
    memcpy(out->blob_id, p, STORE_BLOB_ID_BYTES);
    p = get_varint(p + STORE_BLOB_ID_BYTES, end, &mt);
    p = get_str(p, end, out->etag, sizeof out->etag);
    p = get_str(p, end, out->content_type, sizeof out->content_type);
    p = get_str(p, end, out->headers, sizeof out->headers);
    if (!p || p != end || size > STORE_MAX_OBJECT_BYTES || cb == 0 || cb > STORE_MAX_CHUNK_BYTES ||
        pc == 0 || pc > STORE_MAX_PARTITION_CHUNKS || parts > STORE_MAX_PARTS) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    out->parts = (uint32_t)parts;
    out->size = size;
    out->chunk_bytes = (uint32_t)cb;
    out->partition_chunks = (uint32_t)pc;
    out->mtime_us = zigzag_dec(mt);
    return 0;
}

int store_meta_row(const eng_iter *it, store_meta *out)
{
    eng_cell_view v;
    if (eng_iter_find(it, slice_str(STORE_C_META), &v) != 0) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    return store_meta_decode(v.value, out);
}

int store_part_row(const eng_iter *it, store_part *out)
{
    eng_cell_view v;
    if (eng_iter_find(it, slice_str(STORE_C_PART), &v) != 0) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    return store_part_decode(v.value, out);
}

int store_part_encode(cf_buf *out, const store_part *p)
{
    buf_clear(out);
    uint8_t version = STORE_PART_VERSION;
    int rc = buf_append(out, &version, 1);
    if (!rc)
        rc = buf_append_varint(out, p->number);
    if (!rc)
        rc = buf_append_varint(out, p->size);
    if (!rc)
        rc = buf_append_varint(out, p->chunk_bytes);
    if (!rc)
        rc = buf_append_varint(out, p->partition_chunks);
    if (!rc)
        rc = buf_append(out, p->blob_id, STORE_BLOB_ID_BYTES);
    if (!rc)
        rc = buf_append_varint(out, zigzag_enc(p->mtime_us));
    if (!rc)
        rc = put_str(out, p->etag, sizeof p->etag);
    if (!rc && p->checksum_len > sizeof p->checksum)
        rc = CF_EINVAL;
    if (!rc)
        rc = buf_append_varint(out, p->checksum_len);
    return rc ? rc : buf_append(out, p->checksum, p->checksum_len);
}

int store_part_decode(cf_slice v, store_part *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = v.ptr, *end = v.ptr + v.len;
    uint64_t number = 0, size = 0, cb = 0, pc = 0, mt = 0, ck_len = 0;
    if (v.len < 1 || p[0] != STORE_PART_VERSION)
        return CF_ECORRUPT;
    p = get_varint(p + 1, end, &number);
    p = p ? get_varint(p, end, &size) : NULL;
    p = p ? get_varint(p, end, &cb) : NULL;
    p = p ? get_varint(p, end, &pc) : NULL;
    if (!p || end - p < (ptrdiff_t)STORE_BLOB_ID_BYTES)
        return CF_ECORRUPT;
    memcpy(out->blob_id, p, STORE_BLOB_ID_BYTES);
    p = get_varint(p + STORE_BLOB_ID_BYTES, end, &mt);
    p = get_str(p, end, out->etag, sizeof out->etag);
    p = p ? get_varint(p, end, &ck_len) : NULL;
    if (!p || ck_len > sizeof out->checksum || ck_len != (uint64_t)(end - p) || number == 0 ||
        number > STORE_MAX_PARTS || size > STORE_MAX_OBJECT_BYTES || cb == 0 ||
        cb > STORE_MAX_CHUNK_BYTES || pc == 0 || pc > STORE_MAX_PARTITION_CHUNKS) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    memcpy(out->checksum, p, (size_t)ck_len);
    out->checksum_len = (uint8_t)ck_len;
    out->number = (uint32_t)number;
    out->size = size;
    out->chunk_bytes = (uint32_t)cb;
    out->partition_chunks = (uint32_t)pc;
    out->mtime_us = zigzag_dec(mt);
    return 0;
}
