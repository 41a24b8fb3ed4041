/*
 * arena.c -- the memtable's bump allocator: 1 MiB blocks in a list, freed at once.
 *
 * Each block is one malloc: a header linking it into the arena's list, then
 * its data. The header is 8 bytes and malloc memory is at least 8-aligned,
 * so block data starts aligned, and since every size is rounded up to
 * ENG_ARENA_ALIGN the bump pointer stays aligned (invariant (1) of arena.h).
 */
#include "engine/arena.h"

#include <stdlib.h>

struct eng_arena_block {
    struct eng_arena_block *next; /* older block; the data follows this header */
};

_Static_assert(sizeof(struct eng_arena_block) % ENG_ARENA_ALIGN == 0,
               "block data must start aligned");
_Static_assert(_Alignof(int64_t) <= ENG_ARENA_ALIGN && _Alignof(void *) <= ENG_ARENA_ALIGN,
               "ENG_ARENA_ALIGN must fit pointers and int64_t");

/* Data bytes of a shared block: the block, header included, is one 1 MiB malloc. */
#define BLOCK_DATA_BYTES (ENG_ARENA_BLOCK_BYTES - sizeof(struct eng_arena_block))

void eng_arena_init(eng_arena *a)
{
    a->ptr = NULL;
    a->left_bytes = 0;
    a->blocks = NULL;
    a->reserved_bytes = 0;
    atomic_init(&a->used_bytes, 0);
}

/* new_block -- links a block with data_bytes of data; returns its data or NULL. */
static uint8_t *new_block(eng_arena *a, size_t data_bytes)
{
    if (data_bytes > SIZE_MAX - sizeof(struct eng_arena_block))
        return NULL;
    struct eng_arena_block *b = malloc(sizeof *b + data_bytes);
    if (!b)
        return NULL;
    b->next = a->blocks;
    a->blocks = b;
    a->reserved_bytes += sizeof *b + data_bytes;
    return (uint8_t *)(b + 1);
}

void *eng_arena_alloc(eng_arena *a, size_t n)
{
    if (n > SIZE_MAX - (ENG_ARENA_ALIGN - 1))
        return NULL;
    n = (n + ENG_ARENA_ALIGN - 1) & ~(ENG_ARENA_ALIGN - 1);
    uint8_t *p;
    if (n <= a->left_bytes) {
        p = a->ptr;
        a->ptr += n;
        a->left_bytes -= n;
    } else if (n > ENG_ARENA_BLOCK_BYTES / 4) {
        /* A block of its own; the current block keeps serving small requests. */
        p = new_block(a, n);
        if (!p)
            return NULL;
    } else {
        /* The current block's tail is abandoned; used_bytes keeps counting it. */
        p = new_block(a, BLOCK_DATA_BYTES);
        if (!p)
            return NULL;
        a->ptr = p + n;
        a->left_bytes = BLOCK_DATA_BYTES - n;
    }
    /* invariant (3) */
    atomic_store_explicit(&a->used_bytes, a->reserved_bytes - a->left_bytes, memory_order_relaxed);
    return p;
}

size_t eng_arena_bytes(const eng_arena *a)
{
    return atomic_load_explicit(&a->used_bytes, memory_order_relaxed);
}

void eng_arena_free(eng_arena *a)
{
    struct eng_arena_block *b = a->blocks;
    while (b) {
        struct eng_arena_block *next = b->next;
        free(b);
        b = next;
    }
    eng_arena_init(a);
}
