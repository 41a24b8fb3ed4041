/*
 * shadow.h -- which entries are shadowed by a tombstone (entry.h invariant (2)).
 *
 * Readers and compaction feed a partition's entries in key order; the
 * tracker remembers the partition tombstone, the partition's range
 * tombstones (which come first, sec 1) and the current row's tombstone, and
 * says for each entry whether some deletion with a timestamp >= its own
 * covers it. Range tombstones are kept in a list per partition: memory is
 * proportional to the range tombstones of one partition, not to its rows.
 *
 * A tombstone is itself shadowed when a wider one at least as new covers it
 * (a row tombstone under a newer partition tombstone), so compaction may drop
 * it as long as it keeps the wider one.
 */
#ifndef ENG_SHADOW_H
#define ENG_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/entry.h"
#include "util/buf.h"

typedef struct eng_shadow_range {
    size_t off;    /* start bound at bytes.data + off */
    size_t len;
    size_t end_off; /* end bound at bytes.data + end_off */
    size_t end_len;
    uint8_t bounds; /* ENG_RANGE_* bits */
    int64_t ts;
} eng_shadow_range;

typedef struct eng_shadow {
    cf_buf pk;              /* current partition key (copy) */
    bool have_pk;
    int64_t partition_ts;   /* partition tombstone ts, INT64_MIN if none */
    cf_buf row_ck;          /* clustering key of the current row (copy) */
    bool have_row;
    int64_t row_ts;         /* newest deletion covering the current row: its row tombstone,
                               the partition or a range tombstone; INT64_MIN if none */
    cf_buf bytes;           /* range bounds, copied */
    eng_shadow_range *ranges;
    size_t n_ranges, cap_ranges;
} eng_shadow;

void eng_shadow_init(eng_shadow *s);
void eng_shadow_free(eng_shadow *s);

/*
 * eng_shadow_feed -- takes the next entry in key order and sets *shadowed.
 * A tombstone that is not shadowed is remembered for the entries after it.
 * CF_ENOMEM on failure. Entries of a new partition reset the state.
 */
int eng_shadow_feed(eng_shadow *s, const eng_entry *e, bool *shadowed);

/*
 * eng_shadow_deletion_ts -- the newest deletion covering clustering key ck in
 * the current partition (partition and range tombstones, plus the row
 * tombstone if ck is the current row), INT64_MIN if none.
 */
int64_t eng_shadow_deletion_ts(const eng_shadow *s, cf_slice ck);

#endif
