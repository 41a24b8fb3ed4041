/*
 * list.c -- listing a bucket's keys: prefix, start-after, delimiter folding
 * and paging, at a cost proportional to the page.
 *
 * A listing is a scan of the bucket's objects partition (or, for the
 * uploads in progress, of its uploads partition, keyed the same way with
 * one cell per upload), whose clustering
 * keys are the raw object keys (store_format.h), bounded below by the
 * prefix or start_after and above by the prefix's successor. Each key k
 * maps to an entry: k itself, or, if the delimiter occurs in k after the
 * prefix, the common prefix CP = k up to and including that delimiter.
 * The answer is the distinct entries greater than start_after, in byte
 * order, the first max_keys of them. In an uploads listing each upload of
 * a key is an entry, in upload id order (which is initiation order).
 *
 * Invariants:
 *  (1) entries come out in byte order and each once: the keys that start
 *      with CP are contiguous, and CP sorts before all of them, so after
 *      emitting CP the scan resumes at successor(CP), the first key that
 *      does not start with CP.
 *  (2) a common prefix is emitted only if it is greater than start_after:
 *      a page that ended on CP resumes with start_after = CP and so skips
 *      CP's keys instead of folding them into CP again.
 *  (3) rows visited are bounded by the page: per emitted entry at most
 *      STORE_LIST_STEPS_BEFORE_SEEK + 1 rows before a seek (a new iterator
 *      at successor(CP)), plus one row to decide truncation, plus the skip
 *      of the one common prefix that may contain start_after.
 */
#include "store/store_int.h"

bool store_key_successor(cf_buf *k)
{
    while (k->len > 0 && k->data[k->len - 1] == 0xFF)
        k->len--;
    if (k->len == 0)
        return false;
    k->data[k->len - 1]++;
    return true;
}

static bool has_prefix(cf_slice k, cf_slice p)
{
    return k.len >= p.len && (p.len == 0 || memcmp(k.ptr, p.ptr, p.len) == 0);
}

/* The state of one listing. */
typedef struct lister {
    store *s;
    eng_table *t; /* objects, or uploads */
    const uint8_t *after_id; /* uploads: resume inside key start_after after this id */
    uint8_t *next_id;        /* uploads: the id of the last upload returned */
    const store_list_req *req;
    const store_list_cb *cb;
    cf_buf opk;  /* the objects partition of the bucket */
    cf_buf from; /* where the current iterator starts */
    uint8_t from_kind;
    cf_buf to; /* successor of the prefix: exclusive end, if has_to */
    bool has_to;
    cf_buf cp; /* the common prefix being skipped */
    eng_iter *it;
    uint32_t emitted;
} lister;

/* seek -- (re)opens the iterator at l->from. */
static int seek(lister *l)
{
    eng_iter_close(l->it);
    l->it = NULL;
    eng_query q = {0};
    q.pk_start = (eng_bound){buf_slice(&l->opk), ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    q.ck_start = (eng_bound){buf_slice(&l->from), l->from_kind};
    if (l->has_to)
        q.ck_end = (eng_bound){buf_slice(&l->to), ENG_BOUND_EXCL};
    atomic_fetch_add_explicit(&l->s->list_seeks, 1, memory_order_relaxed);
    return eng_iter_new(l->t, &q, &l->it);
}

static int next(lister *l)
{
    return eng_iter_next(l->it);
}

/*
 * skip_prefix -- moves the iterator to the first key not starting with
 * l->cp: a few steps, then a seek to successor(cp) (invariants (1), (3)).
 * *done if no such key can exist (cp is all 0xFF).
 */
static int skip_prefix(lister *l, bool *done)
{
    *done = false;
    cf_slice cp = buf_slice(&l->cp);
    for (uint32_t i = 0; i < STORE_LIST_STEPS_BEFORE_SEEK; i++) {
        int rc = next(l);
        if (rc || !eng_iter_valid(l->it))
            return rc;
        if (!has_prefix(eng_iter_ck(l->it), cp))
            return 0; /* the caller's loop counts this row */
        atomic_fetch_add_explicit(&l->s->list_rows, 1, memory_order_relaxed);
    }
    buf_clear(&l->from);
    int rc = buf_append(&l->from, l->cp.data, l->cp.len);
    if (rc)
        return rc;
    if (!store_key_successor(&l->from)) {
        *done = true;
        return 0;
    }
    l->from_kind = ENG_BOUND_INCL;
    return seek(l);
}

/*
 * emit_uploads -- the uploads of the row at the iterator (key k), each an
 * entry; inside key start_after only those after l->after_id.
 */
static int emit_uploads(lister *l, cf_slice k, bool *truncated, cf_buf *last, bool *done)
{
    bool resume = l->after_id && slice_eq(k, l->req->start_after);
    for (size_t i = 0; i < eng_iter_cell_count(l->it); i++) {
        eng_cell_view v = eng_iter_cell(l->it, i);
        store_meta m;
        if (v.col.len != STORE_UPLOAD_ID_BYTES)
            return CF_ECORRUPT;
        if (resume && memcmp(v.col.ptr, l->after_id, STORE_UPLOAD_ID_BYTES) <= 0)
            continue;
        if (l->emitted == l->req->max_keys) {
            *truncated = *done = true;
            return 0;
        }
        int rc = store_meta_decode(v.value, &m);
        if (!rc)
            rc = l->cb->upload(l->cb->arg, k, v.col.ptr, &m);
        if (!rc) {
            buf_clear(last);
            rc = buf_append(last, k.ptr, k.len);
        }
        if (rc)
            return rc;
        memcpy(l->next_id, v.col.ptr, STORE_UPLOAD_ID_BYTES);
        l->emitted++;
    }
    return next(l);
}

/*
 * step -- handles the row at the iterator: emits its entry (or finds the
 * page full: *truncated) and moves on. *done ends the listing.
 */
static int step(lister *l, bool *truncated, cf_buf *last, bool *done)
{
    const store_list_req *req = l->req;
    cf_slice k = eng_iter_ck(l->it);
    const uint8_t *d = NULL;
    if (!has_prefix(k, req->prefix)) {
        *done = true; /* past the prefix (only when it has no successor bound) */
        return 0;
    }
    if (req->delimiter.len > 0)
        d = memmem(k.ptr + req->prefix.len, k.len - req->prefix.len, req->delimiter.ptr,
                   req->delimiter.len);
    if (!d && l->next_id)
        return emit_uploads(l, k, truncated, last, done);
    if (!d) {
        if (l->emitted == req->max_keys) {
            *truncated = *done = true;
            return 0;
        }
        store_meta m;
        int rc = store_meta_row(l->it, &m);
        if (!rc)
            rc = l->cb->object(l->cb->arg, k, &m);
        if (!rc) {
            buf_clear(last);
            rc = buf_append(last, k.ptr, k.len);
        }
        l->emitted++;
        return rc ? rc : next(l);
    }
    buf_clear(&l->cp);
    int rc = buf_append(&l->cp, k.ptr, (size_t)(d - k.ptr) + req->delimiter.len);
    if (rc)
        return rc;
    if (slice_cmp(buf_slice(&l->cp), req->start_after) > 0) { /* invariant (2) */
        if (l->emitted == req->max_keys) {
            *truncated = *done = true;
            return 0;
        }
        rc = l->cb->prefix(l->cb->arg, buf_slice(&l->cp));
        if (!rc) {
            buf_clear(last);
            rc = buf_append(last, l->cp.data, l->cp.len);
        }
        if (l->next_id)
            memset(l->next_id, 0, STORE_UPLOAD_ID_BYTES);
        l->emitted++;
        if (rc)
            return rc;
    }
    return skip_prefix(l, done);
}

/* list -- store_list over table t; with next_id, an uploads listing. */
static int list(store *s, eng_table *t, cf_slice bucket, const store_list_req *req,
                const uint8_t *after_id, const store_list_cb *cb, bool *truncated, cf_buf *next_key,
                uint8_t *next_id)
{
    *truncated = false;
    buf_clear(next_key);
    if (next_id)
        memset(next_id, 0, STORE_UPLOAD_ID_BYTES);
    if (req->max_keys > 1000)
        return CF_EINVAL;
    lister l = {.s = s, .t = t, .after_id = after_id, .next_id = next_id, .req = req, .cb = cb};
    int rc = store_bucket_check(s, bucket);
    if (!rc)
        rc = store_objects_pk(&l.opk, bucket);
    if (!rc && req->prefix.len > 0) {
        rc = buf_append(&l.to, req->prefix.ptr, req->prefix.len);
        l.has_to = store_key_successor(&l.to);
    }
    /* Start at the prefix, or just after start_after if that is further
     * (at start_after itself when resuming inside its uploads). */
    bool after = slice_cmp(req->start_after, req->prefix) >= 0 && req->start_after.len > 0;
    cf_slice from = after ? req->start_after : req->prefix;
    l.from_kind = after && !after_id ? ENG_BOUND_EXCL : ENG_BOUND_INCL;
    if (!rc)
        rc = buf_append(&l.from, from.ptr, from.len);
    if (!rc)
        rc = seek(&l);
    bool done = false;
    while (!rc && !done && eng_iter_valid(l.it)) {
        atomic_fetch_add_explicit(&s->list_rows, 1, memory_order_relaxed);
        rc = step(&l, truncated, next_key, &done);
    }
    if (!rc && l.it)
        rc = eng_iter_status(l.it);
    eng_iter_close(l.it);
    buf_free(&l.opk);
    buf_free(&l.from);
    buf_free(&l.to);
    buf_free(&l.cp);
    if (rc) {
        *truncated = false;
        buf_clear(next_key);
    }
    return rc;
}

int store_list(store *s, cf_slice bucket, const store_list_req *req, const store_list_cb *cb,
               bool *truncated, cf_buf *next_key)
{
    return list(s, s->objects, bucket, req, NULL, cb, truncated, next_key, NULL);
}

int store_list_uploads(store *s, cf_slice bucket, const store_list_req *req,
                       const uint8_t *after_id, const store_list_cb *cb, bool *truncated,
                       cf_buf *next, uint8_t *next_id)
{
    return list(s, s->uploads, bucket, req, after_id, cb, truncated, next, next_id);
}
