/*
 * memtable.h -- the sorted in-memory table that takes every write first.
 *
 * A memtable is a skiplist of entries (entry.h) in eng_ikey_cmp order, with
 * its bytes in an arena owned by the memtable. Writers are serialised by a
 * mutex inside the memtable; readers take no lock (they follow pointers
 * published with release stores), so a scan never blocks a write.
 *
 * Invariants:
 *  (1) one node per internal key; adding an entry for a key already present
 *      keeps whichever wins by eng_entry_newer() (entry.h invariant (1)); the
 *      loser's bytes stay in the arena until the memtable is freed.
 *  (2) a node, once linked, is never unlinked or moved, so an iterator stays
 *      valid across concurrent adds (it may or may not see entries added
 *      after it was positioned).
 *  (3) bytes_used() counts every arena byte, including replaced versions;
 *      it is what the flush threshold compares against.
 */
#ifndef ENG_MEMTABLE_H
#define ENG_MEMTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/entry.h"
#include "engine/iter.h"

typedef struct eng_memtable eng_memtable;

/* eng_memtable_new -- an empty memtable with refcount 1. CF_ENOMEM on failure. */
int eng_memtable_new(eng_memtable **out);

/*
 * eng_memtable_add -- copies e into the memtable (invariant (1)).
 * Thread-safe against other adds and readers. CF_ENOMEM on failure;
 * CF_EINVAL for a key part or value of 4 GiB or more (lengths are stored in
 * 32 bits; a commitlog record is far smaller anyway).
 */
int eng_memtable_add(eng_memtable *mt, const eng_entry *e);

/* eng_memtable_bytes -- arena bytes in use (invariant (3)). */
size_t eng_memtable_bytes(const eng_memtable *mt);

/* eng_memtable_count -- number of distinct keys. */
size_t eng_memtable_count(const eng_memtable *mt);

/* eng_memtable_min_ts -- smallest entry timestamp added, INT64_MAX if empty. */
int64_t eng_memtable_min_ts(const eng_memtable *mt);

/*
 * eng_memtable_iter_new -- an iterator over the memtable (iter.h contract).
 * The iterator holds a reference on mt until closed.
 */
int eng_memtable_iter_new(eng_memtable *mt, eng_iiter **out);

/* eng_memtable_ref / eng_memtable_unref -- the last unref frees; NULL is a no-op. */
void eng_memtable_ref(eng_memtable *mt);
void eng_memtable_unref(eng_memtable *mt);

#endif
