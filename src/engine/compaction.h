/*
 * compaction.h -- compaction strategies and the job that writes SSTables.
 *
 * A strategy is chosen per table and answers two questions:
 *   pick():          which of the table's SSTables to merge now, and which
 *                    to drop whole without reading them (OACS drops a dead
 *                    blob's files this way; STCS never does);
 *   split_before():  while writing a flush or a merge, whether to start a new
 *                    output file before the next entry (STCS and OACS: never,
 *                    the size bound alone splits).
 * Strategies are variants behind this small vtable (STYLE 4): stcs.c and
 * oacs.c.
 *
 * eng_compaction_write() is the one writer of SSTables from an iterator: a
 * flush passes a memtable iterator, a compaction passes a merge of its
 * inputs. It drops entries shadowed by tombstones in the same stream
 * (shadow.h), and drops a tombstone itself only when purging is safe:
 *
 *  (1) a tombstone is purged only if its ts < job->purge_before_ts (gc
 *      grace has passed) AND no SSTable outside the job (job->others) may
 *      hold its partition with data as old as the tombstone (key range,
 *      bloom filter and min_ts say so) AND its ts < job->memtable_min_ts.
 *      Otherwise it is written out, so no deleted data can come back.
 *  (2) outputs become visible only through the caller's manifest edit; on
 *      any error every output written so far is unlinked.
 */
#ifndef ENG_COMPACTION_H
#define ENG_COMPACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/entry.h"
#include "engine/iter.h"
#include "engine/sstable.h"

typedef struct eng_strategy eng_strategy;

typedef struct eng_compaction_pick {
    eng_sst **inputs; /* merge these (references owned by the pick) */
    size_t n_inputs;
    eng_sst **drops;  /* unlink these whole, unread (references owned by the pick) */
    size_t n_drops;
} eng_compaction_pick;

typedef struct eng_strategy_ops {
    const char *name;
    /*
     * pick -- ssts[0..n) are the table's SSTables not already being
     * compacted, oldest generation first. Fills *out (zeroed on entry); an
     * empty pick means nothing to do. Takes references for what it picks.
     */
    int (*pick)(eng_strategy *s, eng_sst *const *ssts, size_t n, eng_compaction_pick *out);
    /*
     * split_before -- true if the writer should close the current output and
     * start a new one before e. prev is the last entry written to the current
     * output (NULL if it is empty); cur_bytes is that output's size so far.
     */
    bool (*split_before)(eng_strategy *s, const eng_entry *prev, const eng_entry *e,
                         uint64_t cur_bytes);
    void (*free)(eng_strategy *s);
} eng_strategy_ops;

struct eng_strategy {
    const eng_strategy_ops *ops;
    size_t object_prefix; /* OACS: bytes of a partition key naming its object; 0 otherwise */
};

/*
 * eng_strategy_new -- the strategy called name: "stcs", or "oacs:N" (the
 * first N bytes of a partition key name the object), for jobs whose outputs
 * split at max_output_bytes (0: never). CF_EINVAL for an unknown name.
 * Caller frees with eng_strategy_free().
 */
int eng_strategy_new(const char *name, uint64_t max_output_bytes, eng_strategy **out);

/* eng_strategy_free -- NULL is a no-op. */
void eng_strategy_free(eng_strategy *s);

/* eng_compaction_pick_clear -- drops the pick's references and arrays; *p is zeroed. */
void eng_compaction_pick_clear(eng_compaction_pick *p);

/*
 * eng_oacs_new -- OACS (oacs.c) for objects named by the first prefix bytes
 * of a partition key; its shared files are tiered by an STCS for outputs of
 * max_output_bytes.
 */
int eng_oacs_new(size_t prefix, uint64_t max_output_bytes, eng_strategy **out);

/* STCS tunables (Cassandra's defaults). */
typedef struct eng_stcs_opts {
    uint32_t min_threshold; /* merge a bucket once it holds this many files (4) */
    uint32_t max_threshold; /* never merge more than this many at once (32) */
    double bucket_low;      /* a file joins a bucket if size >= avg * low (0.5) */
    double bucket_high;     /* ... and size <= avg * high (1.5) */
    uint64_t min_sstable_bytes; /* files smaller than this share one bucket (50 MiB) */
    uint64_t max_output_bytes;  /* the job splits outputs at this size (0: never); a merge
                                   that could not write fewer files than it reads is not
                                   picked (stcs.c invariant (2)) */
} eng_stcs_opts;

/* eng_stcs_opts_default -- Cassandra's defaults above, for outputs of max_output_bytes. */
void eng_stcs_opts_default(eng_stcs_opts *o, uint64_t max_output_bytes);

/*
 * eng_stcs_new -- an STCS strategy with o (eng_stcs_opts_default). CF_EINVAL if
 * min_threshold < 2, max_threshold < min_threshold or the bucket bounds are
 * not 0 < low <= high. Caller frees with eng_strategy_free().
 */
int eng_stcs_new(const eng_stcs_opts *o, eng_strategy **out);

typedef struct eng_compaction_job {
    const char *dir;               /* table directory: where outputs go */
    eng_sst_writer_opts wopts;     /* block size, bloom bits */
    eng_strategy *strategy;        /* asked split_before() for every entry */
    uint64_t max_output_bytes;     /* also split when an output reaches this (0: no bound) */
    eng_sst *const *others;        /* the table's SSTables outside the job (purge check) */
    size_t n_others;
    int64_t memtable_min_ts;       /* min ts of every live memtable, INT64_MAX if none */
    int64_t purge_before_ts;       /* INT64_MIN: never purge tombstones */
    uint64_t (*next_gen)(void *arg); /* allocates an output generation */
    void *next_gen_arg;
} eng_compaction_job;

typedef struct eng_compaction_result {
    eng_sst **outputs;      /* opened outputs, caller unrefs each and frees the array */
    size_t n_outputs;
    uint64_t bytes_written; /* sum of output file sizes */
    uint64_t entries_in;    /* entries read from src */
    uint64_t entries_out;   /* entries written */
} eng_compaction_result;

/*
 * eng_compaction_write -- reads src from its first entry to its end and
 * writes the surviving entries into new SSTables (invariants (1), (2)).
 * Does not close src. *res is zeroed on entry and set on success; on error
 * nothing is left on disk and res holds no outputs.
 */
int eng_compaction_write(const eng_compaction_job *job, eng_iiter *src,
                         eng_compaction_result *res);

/* eng_compaction_result_clear -- unrefs outputs and frees the array. */
void eng_compaction_result_clear(eng_compaction_result *res);

#endif
