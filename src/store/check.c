/*
 * check.c -- store_check: the store's own consistency check, run by
 * `coffer check` and by the crash tests after every restart.
 *
 * Every object of every bucket is read whole, the way a GET reads it, and:
 *  (1) every chunk passes its CRC32C and the bytes add up to the object's
 *      size (the reader's own checks: a missing chunk or a short blob is
 *      CF_ECORRUPT or CF_ENOTFOUND);
 *  (2) a single-blob object's MD5 equals its ETag;
 *  (3) a multipart object's layout rows tile it: each part starts where the
 *      one before ended, the last ends at the size, the count is the meta's;
 *      each part's MD5 equals the part's ETag, and the MD5 of those MD5s,
 *      "-N", is the object's ETag;
 *  (4) the layer above judges what only it can read (store_check_hooks):
 *      each bucket's access attributes and each object's ACL line decode;
 *  (5) every user row decodes and has a secret (users.c).
 *  (6) every change log window's records are in time and sequence order, each one
 *      line of JSON, and its cdc_windows row, once closed, agrees with them (cdc_read.c).
 * So an object that passes is byte-for-byte the object that was
 * acknowledged. A failure is logged with the bucket, key and reason; the
 * check goes on, so one run reports every damaged object. Objects written
 * during the check may or may not be seen; it is meant for a store that is
 * not serving (and holds one key page of 1,000 keys in memory at a time).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/coding.h"
#include "util/hex.h"
#include "util/log.h"

#define CHECK_PAGE_KEYS 1000u

/* md5_range -- MD5 of [off, off + len) of the object m, read and verified as a GET reads it. */
static int md5_range(store *s, const store_meta *m, uint64_t off, uint64_t len, uint8_t md[16],
                     uint64_t *bytes)
{
    store_reader *r;
    int rc = store_read_open(s, m, off, len, &r);
    if (rc < 0)
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
        rc = CF_ENOMEM;
    uint64_t got = 0;
    const uint8_t *p;
    size_t n;
    while (!rc && (rc = store_read_next(r, &p, &n)) == 1) {
        EVP_DigestUpdate(ctx, p, n);
        got += n;
        rc = 0;
    }
    store_read_close(r);
    if (!rc && got != len)
        rc = CF_ECORRUPT;
    if (!rc)
        EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    *bytes += got;
    return rc;
}

/* check_parts -- (3) for the multipart object m: NULL if it holds, else what failed. */
static const char *check_parts(store *s, const store_meta *m, store_check_stats *st, int *rc)
{
    eng_iter *it;
    *rc = store_layout_seek(s, m->blob_id, 0, 0, &it);
    if (*rc < 0)
        return "cannot read the layout";
    EVP_MD_CTX *all = EVP_MD_CTX_new();
    const char *bad = NULL;
    if (!all || !EVP_DigestInit_ex(all, EVP_md5(), NULL)) {
        *rc = CF_ENOMEM;
        bad = "out of memory";
    }
    uint64_t at = 0;
    uint32_t count = 0;
    for (; !bad && eng_iter_valid(it); eng_iter_next(it)) {
        store_part p;
        uint8_t md[16];
        char md_hex[33];
        if ((*rc = store_layout_part(it, &p)) < 0) {
            bad = "malformed layout row";
        } else if (p.offset != at) {
            bad = "parts do not tile the object";
        } else if ((*rc = md5_range(s, m, p.offset, p.size, md, &st->bytes)) < 0) {
            bad = "a part's bytes cannot be read";
        } else {
            hex_encode(md, 16, md_hex);
            if (strcmp(md_hex, p.etag) != 0)
                bad = "a part's MD5 differs from its ETag";
            EVP_DigestUpdate(all, md, 16);
            at += p.size;
            count++;
            st->parts++;
        }
    }
    if (!bad && (*rc = eng_iter_status(it)) < 0)
        bad = "cannot read the layout";
    eng_iter_close(it);
    if (!bad && (count != m->parts || at != m->size))
        bad = "the layout's parts do not add up to the object";
    if (!bad) {
        uint8_t md[16];
        char etag[80];
        EVP_DigestFinal_ex(all, md, NULL);
        hex_encode(md, 16, etag);
        snprintf(etag + 32, sizeof etag - 32, "-%u", count);
        if (strcmp(etag, m->etag) != 0)
            bad = "the MD5 of the parts' MD5s differs from the ETag";
    }
    EVP_MD_CTX_free(all);
    return bad;
}

/* check_object -- (1)-(3) for one key; 0, or CF_ENOMEM (a failed object is counted and logged). */
static int check_object(store *s, const store_bucket *b, cf_slice key,
                        const store_check_hooks *hooks, store_check_stats *st)
{
    const char *bucket = b->name;
    store_meta *m = malloc(sizeof *m);
    if (!m)
        return CF_ENOMEM;
    int rc = store_head(s, slice_str(bucket), key, m);
    const char *bad = NULL;
    if (rc == CF_ENOTFOUND) {
        free(m); /* deleted since it was listed */
        return 0;
    }
    if (rc < 0) {
        bad = "cannot read its metadata";
    } else if (m->parts > 0) {
        bad = check_parts(s, m, st, &rc);
        st->multipart_objects++;
    } else {
        uint8_t md[16];
        char md_hex[33];
        rc = md5_range(s, m, 0, m->size, md, &st->bytes);
        if (rc < 0)
            bad = "its bytes cannot be read";
        else if (hex_encode(md, 16, md_hex), strcmp(md_hex, m->etag) != 0)
            bad = "its MD5 differs from its ETag";
    }
    if (!bad && rc >= 0 && hooks && hooks->object) /* (4) */
        bad = hooks->object(hooks->arg, b, key, m);
    st->objects++;
    if (bad) {
        st->bad_objects++;
        log_error("check: %s/%.*s: %s (%s)", bucket, (int)key.len, (const char *)key.ptr, bad,
                  cf_err_str(rc));
    }
    free(m);
    return rc == CF_ENOMEM ? rc : 0;
}

/* A page of keys, copied out of the listing callback. */
typedef struct key_page {
    cf_buf keys; /* each key: varint length, bytes */
    uint32_t n;
} key_page;

static int add_key(void *arg, cf_slice key, const store_meta *m)
{
    (void)m;
    key_page *pg = arg;
    pg->n++;
    int rc = buf_append_varint(&pg->keys, key.len);
    return rc ? rc : buf_append(&pg->keys, key.ptr, key.len);
}

static int check_bucket(store *s, const store_bucket *b, const store_check_hooks *hooks,
                        store_check_stats *st)
{
    const char *bucket = b->name;
    key_page pg = {0};
    cf_buf next = {0}, after = {0};
    bool more = true;
    int rc = 0;
    while (!rc && more) {
        buf_clear(&pg.keys);
        pg.n = 0;
        store_list_req req = {.start_after = buf_slice(&after), .max_keys = CHECK_PAGE_KEYS};
        store_list_cb cb = {.arg = &pg, .object = add_key};
        buf_clear(&next);
        rc = store_list(s, slice_str(bucket), &req, &cb, &more, &next);
        const uint8_t *p = pg.keys.data, *end = pg.keys.data + pg.keys.len;
        for (uint32_t i = 0; !rc && i < pg.n; i++) {
            uint64_t len = 0;
            p = get_varint(p, end, &len); /* written by add_key: never truncated */
            rc = check_object(s, b, (cf_slice){p, (size_t)len}, hooks, st);
            p += len;
        }
        buf_clear(&after);
        if (!rc)
            rc = buf_append(&after, next.data, next.len);
    }
    buf_free(&pg.keys);
    buf_free(&next);
    buf_free(&after);
    return rc;
}

/* A list of bucket names, copied out of the bucket listing callback. */
typedef struct name_list {
    char (*names)[64];
    size_t n, cap;
} name_list;

static int add_bucket(void *arg, const store_bucket *b)
{
    name_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        void *p = realloc(l->names, cap * sizeof *l->names);
        if (!p)
            return CF_ENOMEM;
        l->names = p;
        l->cap = cap;
    }
    memcpy(l->names[l->n++], b->name, sizeof b->name);
    return 0;
}

int store_check(store *s, const store_check_hooks *hooks, store_check_stats *out)
{
    memset(out, 0, sizeof *out);
    name_list l = {0};
    store_bucket *b = malloc(sizeof *b);
    int rc = b ? store_bucket_list(s, add_bucket, &l) : CF_ENOMEM;
    for (size_t i = 0; !rc && i < l.n; i++) {
        rc = store_bucket_get(s, slice_str(l.names[i]), b);
        if (rc == CF_ENOTFOUND) { /* deleted since it was listed */
            rc = 0;
            continue;
        }
        const char *bad = !rc && hooks && hooks->bucket ? hooks->bucket(hooks->arg, b) : NULL;
        if (bad) { /* (4) */
            out->bad_buckets++;
            log_error("check: bucket %s: %s", b->name, bad);
        }
        if (!rc)
            rc = check_bucket(s, b, hooks, out);
        out->buckets++;
    }
    free(l.names);
    free(b);
    if (!rc)
        rc = store_check_users(s, out); /* (5) */
    if (!rc)
        rc = store_check_cdc(s, out); /* (6) */
    if (!rc && (out->bad_objects || out->bad_buckets || out->bad_users || out->bad_cdc_windows))
        rc = CF_ECORRUPT;
    return rc;
}
