/*
 * layout.c -- the layout of a completed multipart object: its object_parts
 * rows, and finding a part by offset or by number.
 *
 * A layout is the partition (upload id) of table object_parts with one row
 * per part, keyed (u64 end offset, u64 part number) (store_format.h). The
 * key is the part's end, not its start, because the engine iterates
 * forward: the part holding byte o is the first row whose end is > o, one
 * seek to (o + 1, 0). Part numbers ascend with offsets (completion checks
 * it), so the number breaks the tie only between a part and the empty
 * parts that end where it ends.
 *
 * Invariant: a row's offset is derived (end - size), never stored, so a
 * layout cannot disagree with itself about where a part starts.
 */
#include "store/store_int.h"

int store_layout_seek(store *s, const uint8_t *id, uint64_t end, uint32_t number, eng_iter **out)
{
    cf_buf ck = {0};
    int rc = store_layout_ck(&ck, end, number);
    if (!rc) {
        eng_query q = {0};
        q.pk_start = (eng_bound){store_id(id), ENG_BOUND_INCL};
        q.pk_end = q.pk_start;
        q.ck_start = (eng_bound){buf_slice(&ck), ENG_BOUND_INCL};
        rc = eng_iter_new(s->oparts, &q, out);
    }
    buf_free(&ck);
    return rc;
}

int store_layout_part(eng_iter *it, store_part *out)
{
    uint64_t end = 0, number = 0;
    cf_slice ck = eng_iter_ck(it);
    int rc = store_part_row(it, out);
    if (!rc && (eng_key_get_u64(&ck, &end) != 0 || eng_key_get_u64(&ck, &number) != 0 ||
                ck.len != 0 || number != out->number || out->size > end))
        rc = CF_ECORRUPT;
    if (!rc)
        out->offset = end - out->size;
    return rc;
}

/* part_at -- the first part of layout id at or after key (end, 0); CF_ENOTFOUND past the last. */
static int part_at(store *s, const uint8_t *id, uint64_t end, store_part *out)
{
    eng_iter *it = NULL;
    int rc = store_layout_seek(s, id, end, 0, &it);
    if (!rc)
        rc = eng_iter_valid(it) ? store_layout_part(it, out) : eng_iter_status(it);
    if (!rc && !eng_iter_valid(it))
        rc = CF_ENOTFOUND;
    eng_iter_close(it);
    return rc;
}

/*
 * store_part_find -- a binary search over the object's bytes: the part
 * holding byte mid tells by its number which side the wanted part is on,
 * and the search continues past that part's end or before its start, so
 * each probe (one seek) rules out at least one part. Empty parts hold no
 * byte: a last look at the rows ending where the search stopped finds one.
 */
int store_part_find(store *s, const store_meta *m, uint32_t number, store_part *out)
{
    memset(out, 0, sizeof *out);
    if (m->parts == 0) {
        if (number != 1)
            return CF_ENOTFOUND;
        out->number = 1;
        out->size = m->size;
        return 0;
    }
    if (number == 0 || number > STORE_MAX_PARTS)
        return CF_ENOTFOUND;
    uint64_t lo = 0, hi = m->size;
    int rc = 0;
    eng_iter *it = NULL;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        rc = part_at(s, m->blob_id, mid + 1, out);
        if (rc || out->number == number)
            goto done;
        if (out->number < number)
            lo = out->offset + out->size;
        else
            hi = out->offset;
    }
    /* the wanted part may be empty: one of the rows that end at lo */
    rc = store_layout_seek(s, m->blob_id, lo, 0, &it);
    while (!rc && eng_iter_valid(it)) {
        rc = store_layout_part(it, out);
        if (rc || out->offset + out->size != lo || out->number >= number)
            break;
        rc = eng_iter_next(it);
    }
    if (!rc && !eng_iter_valid(it))
        rc = eng_iter_status(it) ? eng_iter_status(it) : CF_ENOTFOUND;
    eng_iter_close(it);
done:
    if (!rc && out->number != number)
        rc = CF_ENOTFOUND;
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
