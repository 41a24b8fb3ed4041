/*
 * stcs.c -- size-tiered compaction (Cassandra's STCS) behind the strategy vtable.
 *
 * pick() groups the SSTables into buckets of similar size and merges the
 * fullest bucket, so each byte is rewritten about log(table size / flush
 * size) times. The bucketing follows Cassandra's
 * SizeTieredCompactionStrategy.getBuckets(): files are visited smallest
 * first; a file joins the first bucket whose average size avg satisfies
 * avg * bucket_low <= size <= avg * bucket_high, or the bucket of small files
 * when both it and the bucket's average are under min_sstable_bytes;
 * otherwise it opens a new bucket. Unlike Cassandra, which ranks buckets by
 * read hotness, the bucket chosen is the one with the most files (ties: the
 * smallest average), because this engine keeps no per-file read counts.
 *
 * split_before() never splits: the size bound of the job
 * (max_output_bytes) is the only reason to start a new output.
 *
 * Invariants:
 *  (1) a pick holds between min_threshold and max_threshold inputs, all from
 *      one bucket and the smallest files of it, or is empty; it never drops
 *      files whole.
 *  (2) with outputs split at max_output_bytes M, a merge of k files of S
 *      bytes in all writes about ceil(S / M) files; a bucket for which that
 *      is not fewer than k is passed over (the next best one is taken).
 *      Without this, k files near M merged into k files near M, which
 *      formed the same bucket again: the table was rewritten without end
 *      (db_test: test_compaction_of_files_at_the_size_bound_converges).
 *      The price: data deleted from such files is reclaimed only when a
 *      merge that does lower the count includes them.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/compaction.h"
#include "util/err.h"

typedef struct stcs {
    eng_strategy base;
    eng_stcs_opts o;
} stcs;

typedef struct sized {
    eng_sst *sst;
    uint64_t bytes;
} sized;

typedef struct bucket {
    size_t first; /* files sorted[first .. first + n) after grouping */
    size_t n;
    double avg_bytes; /* average file size of the bucket */
} bucket;

static const eng_stcs_opts stcs_defaults = {
    .min_threshold = 4,
    .max_threshold = 32,
    .bucket_low = 0.5,
    .bucket_high = 1.5,
    .min_sstable_bytes = 50ull << 20,
    .max_output_bytes = 0,
};

void eng_stcs_opts_default(eng_stcs_opts *o, uint64_t max_output_bytes)
{
    *o = stcs_defaults;
    o->max_output_bytes = max_output_bytes;
}

static int sized_cmp(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    return (x->bytes > y->bytes) - (x->bytes < y->bytes);
}

/*
 * Assigns each file (sorted by size) a bucket number in which[]; returns the
 * number of buckets. Buckets are filled in size order, so each bucket's
 * files are its smallest first.
 */
static size_t group(const eng_stcs_opts *o, const sized *f, size_t n, bucket *b, size_t *which)
{
    size_t nb = 0;
    for (size_t i = 0; i < n; i++) {
        double size = (double)f[i].bytes;
        size_t j = 0;
        for (; j < nb; j++) {
            bool similar =
                size >= b[j].avg_bytes * o->bucket_low && size <= b[j].avg_bytes * o->bucket_high;
            bool both_small =
                f[i].bytes < o->min_sstable_bytes && b[j].avg_bytes < (double)o->min_sstable_bytes;
            if (similar || both_small)
                break;
        }
        if (j == nb)
            b[nb++] = (bucket){.first = i, .n = 0, .avg_bytes = size};
        b[j].avg_bytes = (b[j].avg_bytes * (double)b[j].n + size) / (double)(b[j].n + 1);
        b[j].n++;
        which[i] = j;
    }
    return nb;
}

/* pick_count -- how many of bucket b's files a merge of it takes. */
static size_t pick_count(const eng_stcs_opts *o, const bucket *b)
{
    return b->n < o->max_threshold ? b->n : o->max_threshold;
}

/*
 * lowers_file_count -- invariant (2): would merging bucket j (its smallest
 * pick_count() files) write fewer files than it reads?
 */
static bool lowers_file_count(const eng_stcs_opts *o, const sized *f, const size_t *which,
                              const bucket *b, size_t j)
{
    if (o->max_output_bytes == 0)
        return true; /* one output, from at least min_threshold >= 2 inputs */
    size_t take = pick_count(o, b), seen = 0;
    uint64_t bytes = 0;
    for (size_t i = b->first; seen < take; i++) {
        if (which[i] != j)
            continue;
        bytes += f[i].bytes;
        seen++;
    }
    uint64_t outputs = bytes / o->max_output_bytes + (bytes % o->max_output_bytes != 0);
    return outputs < take;
}

static int stcs_pick(eng_strategy *s, eng_sst *const *ssts, size_t n, eng_compaction_pick *out)
{
    const eng_stcs_opts *o = &((stcs *)s)->o;
    memset(out, 0, sizeof *out);
    int rc = CF_ENOMEM;
    size_t slots = n ? n : 1;
    sized *f = malloc(slots * sizeof *f);
    bucket *b = malloc(slots * sizeof *b);
    size_t *which = malloc(slots * sizeof *which);
    if (!f || !b || !which)
        goto out;
    for (size_t i = 0; i < n; i++)
        f[i] = (sized){ssts[i], eng_sst_get_stats(ssts[i])->file_bytes};
    qsort(f, n, sizeof *f, sized_cmp);
    size_t nb = group(o, f, n, b, which);

    size_t best = nb;
    for (size_t j = 0; j < nb; j++) {
        if (b[j].n < o->min_threshold || !lowers_file_count(o, f, which, &b[j], j))
            continue;
        if (best == nb || b[j].n > b[best].n ||
            (b[j].n == b[best].n && b[j].avg_bytes < b[best].avg_bytes))
            best = j;
    }
    rc = 0;
    if (best == nb)
        goto out;
    size_t take = pick_count(o, &b[best]);
    out->inputs = malloc(take * sizeof *out->inputs);
    if (!out->inputs) {
        rc = CF_ENOMEM;
        goto out;
    }
    for (size_t i = b[best].first; out->n_inputs < take; i++) {
        if (which[i] != best)
            continue;
        eng_sst_ref(f[i].sst);
        out->inputs[out->n_inputs++] = f[i].sst; /* invariant (1): smallest first */
    }

out:
    free(which);
    free(b);
    free(f);
    return rc;
}

static bool stcs_split_before(eng_strategy *s, const eng_entry *prev, const eng_entry *e,
                              uint64_t cur_bytes)
{
    return false;
}

static void stcs_free(eng_strategy *s)
{
    free(s);
}

static const eng_strategy_ops stcs_ops = {
    .name = "stcs",
    .pick = stcs_pick,
    .split_before = stcs_split_before,
    .free = stcs_free,
};

int eng_stcs_new(const eng_stcs_opts *o, eng_strategy **out)
{
    *out = NULL;
    if (o->min_threshold < 2 || o->max_threshold < o->min_threshold || !(o->bucket_low > 0) ||
        !(o->bucket_high >= o->bucket_low))
        return CF_EINVAL;
    stcs *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->base.ops = &stcs_ops;
    s->o = *o;
    *out = &s->base;
    return 0;
}
