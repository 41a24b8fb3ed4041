/*
 * verify.c -- eng_db_verify: the engine's own consistency check, run by
 * `coffer check` and by the crash tests after every restart.
 *
 * For every open table it reads every entry of every SSTable of the current
 * version (holding a reference on the version, so flushes and compactions
 * may run meanwhile) and checks:
 *  (1) each data block's CRC32C, that every entry decodes, and that each
 *      block's last key equals the index's (the SSTable iterator's own
 *      checks, with values read eagerly: no lazy value escapes the CRC);
 *  (2) the internal keys of a file never go down (eng_ikey_cmp);
 *  (3) what was read matches the file's recorded stats: the number of
 *      entries, and the smallest and largest partition keys.
 * The memtables are not checked: they are rebuilt at open from commitlog
 * records that each passed their CRC. A failure is logged with the file's
 * name and reported as CF_ECORRUPT; the check goes on to the other files,
 * so one run reports every damaged file.
 */
#include <string.h>

#include "engine/db.h"
#include "engine/sstable.h"
#include "util/log.h"

/* The previous entry's key, copied out of the iterator's block buffer. */
typedef struct prev_key {
    cf_buf pk, ck, col;
    eng_ikey k;
} prev_key;

static int remember(prev_key *p, const eng_ikey *k)
{
    buf_clear(&p->pk);
    buf_clear(&p->ck);
    buf_clear(&p->col);
    int rc = buf_append(&p->pk, k->pk.ptr, k->pk.len);
    if (!rc)
        rc = buf_append(&p->ck, k->ck.ptr, k->ck.len);
    if (!rc)
        rc = buf_append(&p->col, k->col.ptr, k->col.len);
    p->k = (eng_ikey){buf_slice(&p->pk), k->sec, buf_slice(&p->ck), k->sub, buf_slice(&p->col)};
    return rc;
}

static bool same(cf_slice a, cf_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* verify_sst -- checks (1)-(3) on one file; 0, CF_ECORRUPT (logged) or CF_ENOMEM. */
static int verify_sst(eng_table *t, eng_sst *s, prev_key *prev, eng_verify_stats *out)
{
    const eng_sst_stats *st = eng_sst_get_stats(s);
    eng_iiter *it;
    int rc = eng_sst_iter_new(s, &it);
    if (rc < 0)
        return rc;
    uint64_t n = 0;
    const char *bad = NULL;
    cf_slice first_pk = {0};
    for (eng_iiter_seek_first(it); eng_iiter_valid(it) && !bad && !rc; eng_iiter_next(it)) {
        const eng_entry *e = eng_iiter_entry(it);
        if (n > 0 && eng_ikey_cmp(&prev->k, &e->key) > 0)
            bad = "keys out of order";
        rc = remember(prev, &e->key);
        if (n == 0 && !rc && same(e->key.pk, st->min_pk))
            first_pk = st->min_pk;
        out->bytes += eng_entry_size(e);
        n++;
    }
    if (!rc && !bad)
        rc = eng_iiter_status(it); /* (1): logged by the iterator */
    if (!rc && !bad && n != st->entries)
        bad = "entry count differs from the file's stats";
    if (!rc && !bad && n > 0 && (!first_pk.ptr || !same(prev->k.pk, st->max_pk)))
        bad = "partition key range differs from the file's stats";
    eng_iiter_close(it);
    if (bad) {
        log_error("verify: table %s, sstable %016llx: %s (after %llu entries)", t->name,
                  (unsigned long long)st->gen, bad, (unsigned long long)n);
        rc = CF_ECORRUPT;
    }
    out->files++;
    out->entries += n;
    return rc;
}

int eng_db_verify(eng_db *db, eng_verify_stats *out)
{
    memset(out, 0, sizeof *out);
    prev_key prev;
    memset(&prev, 0, sizeof prev);
    int result = 0;
    size_t n_tables = atomic_load(&db->n_tables);
    for (size_t i = 0; i < n_tables && result != CF_ENOMEM; i++) {
        eng_table *t = db->tables[i];
        pthread_mutex_lock(&t->mu);
        eng_version *v = t->version;
        eng_version_ref(v);
        pthread_mutex_unlock(&t->mu);
        for (size_t j = 0; j < v->n && result != CF_ENOMEM; j++) {
            int rc = verify_sst(t, v->ssts[j], &prev, out);
            if (rc == CF_ECORRUPT)
                out->corrupt_files++;
            if (rc < 0 && (result == 0 || rc == CF_ENOMEM))
                result = rc;
        }
        eng_version_unref(v);
        out->tables++;
    }
    buf_free(&prev.pk);
    buf_free(&prev.ck);
    buf_free(&prev.col);
    return result;
}
