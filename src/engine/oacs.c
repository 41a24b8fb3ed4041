/*
 * oacs.c -- the Object-Aware Compaction Strategy: a table whose partition
 * keys begin with an object id (the store's chunks table: blob id, then the
 * partition number) keeps each large object in files of its own, written
 * once and dropped whole.
 *
 * Where an object's bytes go:
 *   large objects   stream into their own SSTables through an ingest
 *                   (ingest.c): no commitlog, no memtable, written once;
 *                   such a file holds one object only (its keys share the
 *                   prefix), and compaction never reads or rewrites it. A
 *                   deleted object's files are unlinked whole
 *                   (eng_table_drop_prefix) once its partition tombstones
 *                   are durable.
 *   small objects   (of one row: the store's one-chunk blobs) pass through
 *                   the memtable; a flush packs them into shared files,
 *                   compacted size-tiered (stcs.c), which reclaims deleted
 *                   ones. Outputs split only at the job's size bound,
 *                   as in STCS: a split at a smaller size would give a merge
 *                   of N small files N outputs of the same size again, which
 *                   STCS would pick again, forever (bench/oacs found it).
 * Why small objects share files: one file per 4 KiB object would cost a
 * file, an index, a bloom filter and a mapping each (Linux allows 65,530
 * mappings per process by default), for a few KiB of data; a million small
 * objects would exhaust the mappings. The issue asked for per-blob files
 * even for small blobs; this is the deliberate exception.
 *
 * Invariants:
 *  (1) pick() never selects a file whose smallest and largest partition key
 *      share the object prefix and that holds no tombstone: an object's own
 *      files are never merged, so their bytes are never rewritten.
 *  (2) split_before() never splits: the job's size bound is the only
 *      reason for a new output, and the tiering STCS picks only merges
 *      whose outputs are fewer than their inputs (stcs.c (2)), so tiering
 *      converges.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/compaction.h"
#include "util/err.h"

typedef struct oacs {
    eng_strategy base;
    size_t prefix;       /* bytes of the partition key that name the object */
    eng_strategy *tiered; /* the STCS that compacts the shared files */
} oacs;

static bool same_object(const oacs *o, cf_slice a, cf_slice b)
{
    return a.len >= o->prefix && b.len >= o->prefix && memcmp(a.ptr, b.ptr, o->prefix) == 0;
}

static int oacs_pick(eng_strategy *s, eng_sst *const *ssts, size_t n, eng_compaction_pick *out)
{
    oacs *o = (oacs *)s;
    eng_sst **shared = calloc(n + 1, sizeof *shared);
    if (!shared)
        return CF_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const eng_sst_stats *st = eng_sst_get_stats(ssts[i]);
        bool tombstones = st->partition_tombstones + st->range_tombstones + st->row_tombstones +
                              st->cell_tombstones > 0;
        if (!same_object(o, st->min_pk, st->max_pk) || tombstones) /* invariant (1) */
            shared[k++] = ssts[i];
    }
    int rc = o->tiered->ops->pick(o->tiered, shared, k, out);
    free(shared);
    return rc;
}

static bool oacs_split_before(eng_strategy *s, const eng_entry *prev, const eng_entry *e,
                              uint64_t cur_bytes)
{
    return false; /* invariant (2) */
}

static void oacs_free(eng_strategy *s)
{
    oacs *o = (oacs *)s;
    eng_strategy_free(o->tiered);
    free(o);
}

static const eng_strategy_ops oacs_ops = {
    .name = "oacs",
    .pick = oacs_pick,
    .split_before = oacs_split_before,
    .free = oacs_free,
};

int eng_oacs_new(size_t prefix, uint64_t max_output_bytes, eng_strategy **out)
{
    *out = NULL;
    if (prefix == 0 || prefix > 255)
        return CF_EINVAL;
    oacs *o = calloc(1, sizeof *o);
    if (!o)
        return CF_ENOMEM;
    eng_stcs_opts so;
    eng_stcs_opts_default(&so, max_output_bytes);
    int rc = eng_stcs_new(&so, &o->tiered);
    if (rc) {
        free(o);
        return rc;
    }
    o->base.ops = &oacs_ops;
    o->base.object_prefix = prefix;
    o->prefix = prefix;
    *out = &o->base;
    return 0;
}
