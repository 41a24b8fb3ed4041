/*
 * entry.c -- internal key order, reconciliation and the self-contained entry encoding.
 *
 * The encoding (doc/formats.md, "Entry") is used inside batch records of the
 * commitlog; SSTable blocks use their own prefix-sharing form.
 */
#include "engine/entry.h"

#include "util/coding.h"
#include "util/err.h"

int eng_ikey_cmp(const eng_ikey *a, const eng_ikey *b)
{
    int c = slice_cmp(a->pk, b->pk);
    if (c)
        return c;
    if (a->sec != b->sec)
        return a->sec < b->sec ? -1 : 1;
    c = slice_cmp(a->ck, b->ck);
    if (c)
        return c;
    if (a->sub != b->sub)
        return a->sub < b->sub ? -1 : 1;
    return slice_cmp(a->col, b->col);
}

/* invariant (1): ts, then tombstone over live, then the larger value. */
bool eng_entry_newer(const eng_entry *a, const eng_entry *b)
{
    if (a->ts != b->ts)
        return a->ts > b->ts;
    bool ta = eng_entry_is_tombstone(a), tb = eng_entry_is_tombstone(b);
    if (ta != tb)
        return ta;
    if ((!a->value.ptr && a->value.len) || (!b->value.ptr && b->value.len))
        return false; /* a value left in its file (lazy read): take either */
    return slice_cmp(a->value, b->value) > 0;
}

bool eng_range_covers(const eng_ikey *r, cf_slice ck)
{
    int c = slice_cmp(ck, r->ck);
    if (c < 0 || (c == 0 && !(r->sub & ENG_RANGE_START_INCL)))
        return false;
    if (r->sub & ENG_RANGE_END_OPEN)
        return true;
    c = slice_cmp(ck, r->col);
    return c < 0 || (c == 0 && (r->sub & ENG_RANGE_END_INCL));
}

int eng_entry_encode(cf_buf *out, const eng_entry *e)
{
    size_t need = 3 + 5 * CODING_VARINT64_MAX_LEN + e->key.pk.len + e->key.ck.len +
                  e->key.col.len + e->value.len;
    int rc = buf_reserve(out, need);
    if (rc)
        return rc;
    uint8_t *p = out->data + out->len;
    *p++ = e->key.sec;
    *p++ = e->key.sub;
    *p++ = e->flags;
    p += put_varint(p, zigzag_enc(e->ts));
    const cf_slice parts[4] = {e->key.pk, e->key.ck, e->key.col, e->value};
    for (int i = 0; i < 4; i++) {
        p += put_varint(p, parts[i].len);
        if (parts[i].len)
            memcpy(p, parts[i].ptr, parts[i].len);
        p += parts[i].len;
    }
    out->len = (size_t)(p - out->data);
    return 0;
}

int eng_entry_decode(const uint8_t *p, const uint8_t *end, eng_entry *e)
{
    const uint8_t *start = p;
    memset(e, 0, sizeof *e);
    if (end - p < 3)
        return CF_ECORRUPT;
    e->key.sec = *p++;
    e->key.sub = *p++;
    e->flags = *p++;
    if (e->key.sec > ENG_SEC_ROW)
        return CF_ECORRUPT;
    uint64_t v;
    p = get_varint(p, end, &v);
    if (!p)
        return CF_ECORRUPT;
    e->ts = zigzag_dec(v);
    cf_slice *parts[4] = {&e->key.pk, &e->key.ck, &e->key.col, &e->value};
    for (int i = 0; i < 4; i++) {
        p = get_varint(p, end, &v);
        if (!p || v > (uint64_t)(end - p))
            return CF_ECORRUPT;
        *parts[i] = slice_make(p, (size_t)v);
        p += v;
    }
    if (p - start > INT32_MAX)
        return CF_ECORRUPT;
    return (int)(p - start);
}
