/*
 * arena.h -- a bump allocator whose memory is freed all at once (engine-internal).
 *
 * The memtable copies every entry into an arena, so an add costs one pointer
 * bump instead of a malloc, and dropping a flushed memtable is one walk over
 * its blocks. Memory comes in blocks of ENG_ARENA_BLOCK_BYTES. An allocation
 * that does not fit in the rest of the current block gets a block of its own
 * if it is bigger than a quarter block (the current block keeps serving), and
 * otherwise opens a new shared block, abandoning a tail smaller than itself:
 * at most a quarter of each block is ever wasted.
 *
 * Blocks are plain malloc() memory and no pool keeps them: a pool would be
 * either global mutable state or a new argument through the memtable
 * contract, and glibc mostly behaves like one here: freeing a 1 MiB mmap'ed
 * chunk raises its mmap threshold past 1 MiB, so later blocks come from the
 * heap, where the blocks of a freed memtable are reused.
 *
 * Invariants:
 *  (1) every pointer returned is aligned to ENG_ARENA_ALIGN, which is enough
 *      for pointers, C11 atomic pointers and int64_t;
 *  (2) memory handed out stays valid and never moves until eng_arena_free();
 *  (3) used_bytes = bytes of all blocks malloc'ed (headers included) minus
 *      the bytes still free at the end of the current block: it counts what
 *      was handed out, its alignment padding and the tails abandoned when a
 *      block filled up, so it tracks the memory the arena really holds.
 *
 * One thread at a time may allocate or free (the memtable serialises its
 * writers); eng_arena_bytes() may be called from any thread concurrently.
 */
#ifndef ENG_ARENA_H
#define ENG_ARENA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* 1 MiB blocks: few enough mallocs that their cost vanishes per entry, small
 * enough that an almost empty memtable does not hold much. */
#define ENG_ARENA_BLOCK_BYTES ((size_t)1 << 20)

/* Every allocation is rounded up to and aligned on 8 bytes (invariant (1)). */
#define ENG_ARENA_ALIGN ((size_t)8)

struct eng_arena_block;

typedef struct eng_arena {
    uint8_t *ptr;                   /* next free byte of the current block */
    size_t left_bytes;              /* free bytes at ptr */
    struct eng_arena_block *blocks; /* every block, newest first */
    size_t reserved_bytes;          /* sum of the malloc sizes of blocks */
    atomic_size_t used_bytes;       /* invariant (3); read by any thread */
} eng_arena;

/* eng_arena_init -- an empty arena; it holds no memory until the first alloc. */
void eng_arena_init(eng_arena *a);

/*
 * eng_arena_alloc -- n bytes aligned to ENG_ARENA_ALIGN (invariant (1)), not
 * zeroed, valid until eng_arena_free(). Returns NULL when out of memory, as
 * malloc does: the caller maps that to CF_ENOMEM.
 * REQUIRES: n > 0; no other thread allocates or frees at the same time.
 */
void *eng_arena_alloc(eng_arena *a, size_t n);

/* eng_arena_bytes -- used_bytes (invariant (3)); safe from any thread. */
size_t eng_arena_bytes(const eng_arena *a);

/*
 * eng_arena_free -- releases every block; the arena is left empty and may be
 * used again. Every pointer it handed out becomes invalid.
 */
void eng_arena_free(eng_arena *a);

#endif
