/*
 * iter.h -- the engine's internal iterator: one read interface for every source.
 *
 * Memtables, SSTables and merges all yield entries in eng_ikey_cmp order
 * through this vtable. A source implements it by embedding eng_iiter as its
 * first member.
 *
 * Contract, for every implementation:
 *  - a new iterator is not valid until seek_first() or seek();
 *  - seek(target) positions at the first entry whose key >= target;
 *  - entry() may be called only while valid(); the entry's slices stay valid
 *    until the next seek/next/close on the iterator;
 *  - on an I/O or corruption error the iterator becomes invalid and status()
 *    returns the code (otherwise 0); an exhausted iterator has status 0.
 *  - all calls on one iterator come from one thread at a time.
 */
#ifndef ENG_ITER_H
#define ENG_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/entry.h"
#include "util/err.h"

typedef struct eng_iiter eng_iiter;

typedef struct eng_iiter_ops {
    void (*seek_first)(eng_iiter *it);
    void (*seek)(eng_iiter *it, const eng_ikey *target);
    bool (*valid)(const eng_iiter *it);
    void (*next)(eng_iiter *it);
    const eng_entry *(*entry)(const eng_iiter *it);
    int (*status)(const eng_iiter *it);
    void (*close)(eng_iiter *it);
    /*
     * value_file -- where the current entry's value bytes lie in a file: 0
     * and *fd, *off (the fd stays open while the iterator lives) and
     * *mapped, the whole file mapped read-only (or NULL), or CF_ENOTFOUND
     * when they are only in memory. NULL: never in a file.
     */
    int (*value_file)(const eng_iiter *it, int *fd, uint64_t *off, const uint8_t **mapped);
} eng_iiter_ops;

struct eng_iiter {
    const eng_iiter_ops *ops;
};

static inline void eng_iiter_seek_first(eng_iiter *it) { it->ops->seek_first(it); }
static inline void eng_iiter_seek(eng_iiter *it, const eng_ikey *k) { it->ops->seek(it, k); }
static inline bool eng_iiter_valid(const eng_iiter *it) { return it->ops->valid(it); }
static inline void eng_iiter_next(eng_iiter *it) { it->ops->next(it); }
static inline const eng_entry *eng_iiter_entry(const eng_iiter *it) { return it->ops->entry(it); }
static inline int eng_iiter_status(const eng_iiter *it) { return it->ops->status(it); }

static inline int eng_iiter_value_file(const eng_iiter *it, int *fd, uint64_t *off,
                                       const uint8_t **mapped)
{
    *fd = -1;
    *off = 0;
    *mapped = NULL;
    return it->ops->value_file ? it->ops->value_file(it, fd, off, mapped) : CF_ENOTFOUND;
}

/* eng_iiter_close -- frees the iterator; NULL is a no-op. */
static inline void eng_iiter_close(eng_iiter *it)
{
    if (it)
        it->ops->close(it);
}

/*
 * eng_merge_iter_new -- an iterator over the union of n children in key
 * order. Where several children hold the same key, only the winner by
 * eng_entry_newer() is yielded (invariant (1) of entry.h). Takes ownership of
 * the children (closed with the merge iterator, or on failure); the array
 * itself is copied. CF_ENOMEM on failure.
 */
int eng_merge_iter_new(eng_iiter **children, size_t n, eng_iiter **out);

#endif
