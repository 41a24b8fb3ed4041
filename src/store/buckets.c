/*
 * buckets.c -- bucket names, creation, lookup, deletion and listing.
 *
 * A bucket is one row of table buckets (pk = name, empty ck; cells owner,
 * created_us, shards, and the optional access attributes acl, own, pab,
 * policy with policy_us, cors, and the change log's cdc, cdcsink,
 * cdcsinkpos: store_format.h, store.h). Its objects are the rows
 * of the objects partition (bucket, shard 0).
 *
 * Invariants:
 *  (1) create and delete hold bucket_lock exclusively, and every writer of
 *      an object row holds it shared while it checks the bucket and writes
 *      (objects.c); so a delete that found the bucket empty cannot race a
 *      commit into it, and no object row outlives its bucket.
 *  (2) a delete also tombstones the bucket's objects partition, so a bucket
 *      created again under the same name starts with nothing of the old one,
 *      not even row tombstones to skip when listing.
 *  (3) attributes are written under bucket_lock exclusively after the bucket
 *      was found, so an attribute never outlives (or recreates part of) a
 *      deleted bucket's row; policy_us only grows for a bucket (a cache of
 *      parsed policies keyed by it never serves a replaced policy).
 */

#include <stdlib.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/clock.h"

bool store_bucket_name_valid(cf_slice n)
{
    static const char *const bad_prefix[] = {"xn--", "sthree-", "amzn-s3-demo-"};
    static const char *const bad_suffix[] = {"-s3alias", "--ol-s3", ".mrap", "--x-s3",
                                             "--table-s3"};
    if (n.len < 3 || n.len > 63)
        return false;
    size_t dots = 0, digits = 0;
    for (size_t i = 0; i < n.len; i++) {
        uint8_t c = n.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-')
            return false;
        if ((i == 0 || i == n.len - 1) && !alnum)
            return false;
        if (c == '.' && n.ptr[i - 1] == '.')
            return false;
        dots += c == '.';
        digits += c >= '0' && c <= '9';
    }
    /* "formatted as an IP address": four dot-separated runs of digits
     * (no empty run: the adjacency and end checks above saw to that) */
    if (dots == 3 && dots + digits == n.len)
        return false;
    for (size_t i = 0; i < sizeof bad_prefix / sizeof bad_prefix[0]; i++) {
        size_t l = strlen(bad_prefix[i]);
        if (n.len >= l && memcmp(n.ptr, bad_prefix[i], l) == 0)
            return false;
    }
    for (size_t i = 0; i < sizeof bad_suffix / sizeof bad_suffix[0]; i++) {
        size_t l = strlen(bad_suffix[i]);
        if (n.len >= l && memcmp(n.ptr + n.len - l, bad_suffix[i], l) == 0)
            return false;
    }
    return true;
}

static cf_slice no_ck(void)
{
    return slice_make(NULL, 0);
}

/* copy_attr -- the optional cell col into dst[cap] (NUL-terminated); CF_ECORRUPT if too long. */
static int copy_attr(eng_iter *it, const char *col, char *dst, size_t cap)
{
    eng_cell_view v;
    dst[0] = '\0';
    if (eng_iter_find(it, slice_str(col), &v) != 0)
        return 0;
    if (v.value.len >= cap)
        return CF_ECORRUPT;
    memcpy(dst, v.value.ptr, v.value.len);
    dst[v.value.len] = '\0';
    return 0;
}

/* decode -- the bucket row at it into *out. */
static int decode(eng_iter *it, store_bucket *out)
{
    cf_slice name = eng_iter_pk(it);
    eng_cell_view owner, created, shards, policy_us;
    if (name.len >= sizeof out->name || eng_iter_find(it, slice_str(STORE_C_OWNER), &owner) != 0 ||
        owner.value.len >= sizeof out->owner ||
        eng_iter_find(it, slice_str(STORE_C_CREATED), &created) != 0 || created.value.len != 8 ||
        eng_iter_find(it, slice_str(STORE_C_SHARDS), &shards) != 0 || shards.value.len != 4 ||
        get_u32(shards.value.ptr) != STORE_SHARDS)
        return CF_ECORRUPT;
    memcpy(out->name, name.ptr, name.len);
    out->name[name.len] = '\0';
    memcpy(out->owner, owner.value.ptr, owner.value.len);
    out->owner[owner.value.len] = '\0';
    out->created_us = (int64_t)get_u64(created.value.ptr);
    int rc = copy_attr(it, STORE_BUCKET_ACL, out->acl, sizeof out->acl);
    if (!rc)
        rc = copy_attr(it, STORE_BUCKET_OWNERSHIP, out->ownership, sizeof out->ownership);
    if (!rc)
        rc = copy_attr(it, STORE_BUCKET_BLOCK, out->block, sizeof out->block);
    if (!rc)
        rc = store_cdc_config_decode(it, &out->cdc);
    eng_cell_view cors, sink;
    out->has_cors = eng_iter_find(it, slice_str(STORE_BUCKET_CORS), &cors) == 0;
    out->has_cdc_sink = eng_iter_find(it, slice_str(STORE_BUCKET_CDC_SINK), &sink) == 0;
    if (!rc && eng_iter_find(it, slice_str(STORE_C_POLICY_US), &policy_us) == 0) {
        if (policy_us.value.len != 8)
            return CF_ECORRUPT;
        out->policy_us = (int64_t)get_u64(policy_us.value.ptr);
    }
    return rc;
}

int store_bucket_get(store *s, cf_slice name, store_bucket *out)
{
    memset(out, 0, sizeof *out);
    eng_iter *it = NULL;
    int rc = eng_get(s->buckets, name, no_ck(), &it);
    if (!rc)
        rc = decode(it, out);
    eng_iter_close(it);
    return rc;
}

int store_bucket_check(store *s, cf_slice name)
{
    eng_iter *it = NULL;
    int rc = eng_get(s->buckets, name, no_ck(), &it);
    eng_iter_close(it);
    return rc;
}

/* attr_cap -- the largest value attribute name may hold; 0 for a name the store does not know. */
static size_t attr_cap(const char *name)
{
    if (strcmp(name, STORE_BUCKET_ACL) == 0)
        return STORE_MAX_ACL_BYTES;
    if (strcmp(name, STORE_BUCKET_OWNERSHIP) == 0)
        return sizeof ((store_bucket *)0)->ownership - 1;
    if (strcmp(name, STORE_BUCKET_BLOCK) == 0)
        return sizeof ((store_bucket *)0)->block - 1;
    if (strcmp(name, STORE_BUCKET_POLICY) == 0)
        return STORE_MAX_ATTR_BYTES;
    if (strcmp(name, STORE_C_CDC) == 0)
        return STORE_CDC_CONFIG_BYTES;
    if (strcmp(name, STORE_BUCKET_CORS) == 0)
        return STORE_MAX_CORS_BYTES;
    if (strcmp(name, STORE_BUCKET_CDC_SINK) == 0)
        return STORE_MAX_CDC_SINK_BYTES;
    if (strcmp(name, STORE_BUCKET_CDC_SINK_POS) == 0)
        return STORE_MAX_CDC_SINK_POS_BYTES;
    return 0;
}

/*
 * stage_attrs -- adds the puts and removals of attrs to b for bucket name
 * (whose current row is cur, or NULL for a new one); a change of the policy
 * also writes policy_us (invariant (3)), which is *policy_us' storage.
 */
static int stage_attrs(eng_batch *b, store *s, cf_slice name, const store_bucket *cur,
                       const store_attr *attrs, size_t n, uint8_t *policy_us)
{
    int rc = 0;
    bool policy = false;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t cap = attr_cap(attrs[i].name);
        if (cap == 0 || attrs[i].value.len > cap)
            return CF_EINVAL;
        policy = policy || strcmp(attrs[i].name, STORE_BUCKET_POLICY) == 0;
        if (attrs[i].value.ptr) {
            eng_cell c = {slice_str(attrs[i].name), attrs[i].value};
            rc = eng_batch_put(b, s->buckets, name, no_ck(), &c, 1);
        } else {
            rc = eng_batch_delete_cell(b, s->buckets, name, no_ck(), slice_str(attrs[i].name));
        }
    }
    if (!rc && policy) {
        int64_t now = clock_now_us();
        if (cur && now <= cur->policy_us)
            now = cur->policy_us + 1;
        put_u64(policy_us, (uint64_t)now);
        eng_cell c = {slice_str(STORE_C_POLICY_US), slice_make(policy_us, 8)};
        rc = eng_batch_put(b, s->buckets, name, no_ck(), &c, 1);
    }
    return rc;
}

int store_bucket_create(store *s, cf_slice name, cf_slice owner, const store_attr *attrs,
                        size_t n, store_bucket *out)
{
    store_bucket *tmp = NULL;
    if (!out)
        out = tmp = malloc(sizeof *out);
    if (!out)
        return CF_ENOMEM;
    memset(out, 0, sizeof *out);
    if (!store_bucket_name_valid(name) || owner.len >= sizeof out->owner) {
        free(tmp);
        return CF_EINVAL;
    }
    pthread_rwlock_wrlock(&s->bucket_lock); /* invariant (1) */
    eng_batch *b = NULL;
    int rc = store_bucket_get(s, name, out);
    if (rc == 0) {
        rc = CF_EEXIST;
        goto out;
    }
    if (rc != CF_ENOTFOUND)
        goto out;
    int64_t now = clock_now_us();
    uint8_t created[8], shards[4], policy_us[8];
    put_u64(created, (uint64_t)now);
    put_u32(shards, STORE_SHARDS);
    eng_cell cells[3] = {
        {slice_str(STORE_C_OWNER), owner},
        {slice_str(STORE_C_CREATED), slice_make(created, 8)},
        {slice_str(STORE_C_SHARDS), slice_make(shards, 4)},
    };
    rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_put(b, s->buckets, name, no_ck(), cells, 3);
    if (!rc)
        rc = stage_attrs(b, s, name, NULL, attrs, n, policy_us);
    if (!rc)
        rc = eng_db_write(s->db, b);
    if (!rc)
        rc = store_bucket_get(s, name, out);
out:
    pthread_rwlock_unlock(&s->bucket_lock);
    eng_batch_free(b);
    free(tmp);
    return rc;
}

int store_bucket_set(store *s, cf_slice name, const store_attr *attrs, size_t n)
{
    store_bucket *cur = malloc(sizeof *cur);
    if (!cur)
        return CF_ENOMEM;
    eng_batch *b = NULL;
    uint8_t policy_us[8];
    pthread_rwlock_wrlock(&s->bucket_lock); /* invariant (3) */
    int rc = store_bucket_get(s, name, cur);
    if (!rc)
        rc = eng_batch_new(&b);
    if (!rc)
        rc = stage_attrs(b, s, name, cur, attrs, n, policy_us);
    if (!rc)
        rc = eng_db_write(s->db, b);
    pthread_rwlock_unlock(&s->bucket_lock);
    eng_batch_free(b);
    free(cur);
    return rc;
}

/* read_attr -- the bucket's cell col into out (cleared first); CF_ENOTFOUND if absent. */
static int read_attr(store *s, cf_slice name, const char *col, cf_buf *out)
{
    buf_clear(out);
    eng_iter *it = NULL;
    eng_cell_view v;
    int rc = eng_get(s->buckets, name, no_ck(), &it);
    if (!rc && eng_iter_find(it, slice_str(col), &v) != 0)
        rc = CF_ENOTFOUND;
    if (!rc)
        rc = buf_append(out, v.value.ptr, v.value.len);
    eng_iter_close(it);
    return rc;
}

int store_bucket_attr(store *s, cf_slice name, const char *attr, cf_buf *out)
{
    return read_attr(s, name, attr, out);
}

int store_bucket_policy(store *s, cf_slice name, cf_buf *out)
{
    return read_attr(s, name, STORE_BUCKET_POLICY, out);
}

int store_bucket_cors(store *s, cf_slice name, cf_buf *out)
{
    return read_attr(s, name, STORE_BUCKET_CORS, out);
}

/* objects_empty -- *empty = whether the bucket's objects partition has no live row. */
static int objects_empty(store *s, cf_slice opk, bool *empty)
{
    eng_query q = {0};
    q.pk_start = (eng_bound){opk, ENG_BOUND_INCL};
    q.pk_end = q.pk_start;
    eng_iter *it = NULL;
    int rc = eng_iter_new(s->objects, &q, &it);
    if (!rc) {
        *empty = !eng_iter_valid(it);
        rc = eng_iter_status(it);
    }
    eng_iter_close(it);
    return rc;
}

int store_bucket_delete(store *s, cf_slice name)
{
    eng_batch *b = NULL;
    cf_buf opk = {0};
    bool empty = false;
    pthread_rwlock_wrlock(&s->bucket_lock); /* invariant (1) */
    int rc = store_bucket_check(s, name);
    if (!rc)
        rc = store_objects_pk(&opk, name);
    if (!rc)
        rc = objects_empty(s, buf_slice(&opk), &empty);
    if (!rc && !empty)
        rc = CF_ENOTEMPTY;
    if (!rc) /* uploads in progress go with the bucket (S3 does the same) */
        rc = store_uploads_abort_bucket(s, buf_slice(&opk));
    if (!rc)
        rc = eng_batch_new(&b);
    if (!rc)
        rc = eng_batch_delete_row(b, s->buckets, name, no_ck());
    if (!rc) /* invariant (2) */
        rc = eng_batch_delete_partition(b, s->objects, buf_slice(&opk));
    if (!rc)
        rc = eng_db_write(s->db, b);
    if (!rc) /* its log goes with it: keyed by created_us, dropped by store_cdc_expire */
        store_cdc_forget(s, name);
    pthread_rwlock_unlock(&s->bucket_lock);
    eng_batch_free(b);
    buf_free(&opk);
    return rc;
}

typedef struct bucket_list_arg {
    int (*fn)(void *arg, const store_bucket *b);
    void *arg;
} bucket_list_arg;

static int bucket_row(void *arg, eng_iter *it)
{
    bucket_list_arg *a = arg;
    store_bucket b;
    memset(&b, 0, sizeof b);
    int rc = decode(it, &b);
    return rc ? rc : a->fn(a->arg, &b);
}

int store_bucket_list(store *s, int (*fn)(void *arg, const store_bucket *b), void *arg)
{
    bucket_list_arg a = {fn, arg};
    return store_scan(s->buckets, bucket_row, &a);
}
