/*
 * keycodec.c -- order-preserving encoding of composite keys (engine.h, "composite keys").
 *
 * A bytes component is written with every 0x00 escaped as 0x00 0xFF and is
 * terminated by 0x00 0x01. The terminator sorts below any escaped byte and
 * any continuation, so a component that is a proper prefix of another sorts
 * first, and memcmp of two encodings compares the first differing component
 * the way slice_cmp would. A u64 is 8 bytes big-endian. Format and worked
 * example: doc/formats.md ("Composite keys").
 */
#include "engine/engine.h"

int eng_key_put_bytes(cf_buf *out, cf_slice c)
{
    int rc = buf_reserve(out, c.len * 2 + 2);
    if (rc)
        return rc;
    uint8_t *p = out->data + out->len;
    for (size_t i = 0; i < c.len; i++) {
        *p++ = c.ptr[i];
        if (c.ptr[i] == 0x00)
            *p++ = 0xFF;
    }
    *p++ = 0x00;
    *p++ = 0x01;
    out->len = (size_t)(p - out->data);
    return 0;
}

int eng_key_put_u64(cf_buf *out, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    return buf_append(out, b, 8);
}

int eng_key_get_bytes(cf_slice *p, cf_buf *out)
{
    buf_clear(out);
    size_t i = 0;
    while (i + 1 < p->len) {
        uint8_t b = p->ptr[i];
        if (b != 0x00) {
            int rc = buf_append(out, &b, 1);
            if (rc)
                return rc;
            i++;
            continue;
        }
        uint8_t next = p->ptr[i + 1];
        if (next == 0x01) {
            p->ptr += i + 2;
            p->len -= i + 2;
            return 0;
        }
        if (next != 0xFF)
            return CF_ECORRUPT;
        int rc = buf_append(out, &b, 1);
        if (rc)
            return rc;
        i += 2;
    }
    return CF_ECORRUPT;
}

int eng_key_get_u64(cf_slice *p, uint64_t *v)
{
    *v = 0;
    if (p->len < 8)
        return CF_ECORRUPT;
    for (int i = 0; i < 8; i++)
        *v = (*v << 8) | p->ptr[i];
    p->ptr += 8;
    p->len -= 8;
    return 0;
}
