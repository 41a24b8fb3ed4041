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

int store_chunk_ck(cf_buf *out, uint64_t chunk)
{
    buf_clear(out);
    return eng_key_put_u64(out, chunk);
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
    uint64_t size, cb, pc, mt;
    if (v.len < 1 || p[0] != STORE_META_VERSION)
        return CF_ECORRUPT;
    p++;
    p = get_varint(p, end, &size);
    p = p ? get_varint(p, end, &cb) : NULL;
    p = p ? get_varint(p, end, &pc) : NULL;
    if (!p || end - p < (ptrdiff_t)STORE_BLOB_ID_BYTES)
        return CF_ECORRUPT;
    memcpy(out->blob_id, p, STORE_BLOB_ID_BYTES);
    p = get_varint(p + STORE_BLOB_ID_BYTES, end, &mt);
    p = get_str(p, end, out->etag, sizeof out->etag);
    p = get_str(p, end, out->content_type, sizeof out->content_type);
    p = get_str(p, end, out->headers, sizeof out->headers);
    if (!p || p != end || size > STORE_MAX_OBJECT_BYTES || cb == 0 || cb > STORE_MAX_CHUNK_BYTES ||
        pc == 0 || pc > STORE_MAX_PARTITION_CHUNKS) {
        memset(out, 0, sizeof *out);
        return CF_ECORRUPT;
    }
    out->size = size;
    out->chunk_bytes = (uint32_t)cb;
    out->partition_chunks = (uint32_t)pc;
    out->mtime_us = zigzag_dec(mt);
    return 0;
}
