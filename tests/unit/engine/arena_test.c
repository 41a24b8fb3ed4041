/*
 * arena_test.c -- tests of the memtable's bump allocator (engine/arena.h).
 *
 * Byte counts are asserted exactly against invariant (3): used = malloc'ed
 * block bytes (8-byte headers included) minus the free tail of the current
 * block.
 */
#include <stdint.h>
#include <string.h>

#include "engine/arena.h"
#include "test.h"

#define HDR 8 /* the block header arena.c puts before each block's data */

static void test_arena_empty_holds_nothing(void)
{
    eng_arena a;
    eng_arena_init(&a);
    CHECK_EQ(eng_arena_bytes(&a), 0);
    eng_arena_free(&a);
    CHECK_EQ(eng_arena_bytes(&a), 0);
}

static void test_arena_every_size_is_aligned_and_disjoint(void)
{
    eng_arena a;
    eng_arena_init(&a);
    uint8_t *ptrs[200];
    for (size_t n = 1; n <= 200; n++) {
        ptrs[n - 1] = eng_arena_alloc(&a, n);
        if (!CHECK(ptrs[n - 1] != NULL))
            break;
        CHECK_EQ((uintptr_t)ptrs[n - 1] % ENG_ARENA_ALIGN, 0);
        memset(ptrs[n - 1], (int)n, n);
    }
    for (size_t n = 1; n <= 200; n++) {
        uint8_t want[200];
        memset(want, (int)n, n);
        CHECK_MEM(ptrs[n - 1], n, want, n);
    }
    /* Sizes 1..200 rounded up to 8: 8 * (sum of ceil(n / 8)) = 8 * 8 * (1 + ... + 25). */
    CHECK_EQ(eng_arena_bytes(&a), HDR + 8 * 8 * (25 * 26 / 2));
    eng_arena_free(&a);
}

static void test_arena_large_alloc_that_fits_shares_the_block(void)
{
    eng_arena a;
    eng_arena_init(&a);
    uint8_t *small = eng_arena_alloc(&a, 1);
    uint8_t *big = eng_arena_alloc(&a, 900 * 1024);
    if (!CHECK(small && big))
        goto out;
    CHECK(big == small + 8);
    CHECK_EQ(eng_arena_bytes(&a), HDR + 8 + 900 * 1024);
out:
    eng_arena_free(&a);
}

static void test_arena_large_first_alloc_gets_own_block(void)
{
    eng_arena a;
    eng_arena_init(&a);
    uint8_t *big = eng_arena_alloc(&a, 900 * 1024);
    CHECK_EQ(eng_arena_bytes(&a), HDR + 900 * 1024);
    /* No shared block was opened: the next small request opens one. */
    uint8_t *small = eng_arena_alloc(&a, 1);
    CHECK(big && small);
    CHECK_EQ(eng_arena_bytes(&a), HDR + 900 * 1024 + HDR + 8);
    eng_arena_free(&a);
}

static void test_arena_large_alloc_gets_own_block_and_keeps_current(void)
{
    eng_arena a;
    eng_arena_init(&a);
    /* A shared block with 1 MiB - 8 - 8 - 900 KiB = 126960 bytes left. */
    uint8_t *small = eng_arena_alloc(&a, 8);
    uint8_t *first = eng_arena_alloc(&a, 900 * 1024);
    size_t big_n = ENG_ARENA_BLOCK_BYTES / 4 + 1;
    uint8_t *big = eng_arena_alloc(&a, big_n);
    if (!CHECK(small && first && big))
        goto out;
    size_t big_rounded = ENG_ARENA_BLOCK_BYTES / 4 + 8;
    CHECK_EQ(eng_arena_bytes(&a), HDR + 8 + 900 * 1024 + HDR + big_rounded);
    memset(big, 0xab, big_n);
    /* The shared block still serves requests right after the first one. */
    uint8_t *next = eng_arena_alloc(&a, 8);
    CHECK(next == first + 900 * 1024);
    CHECK_EQ(eng_arena_bytes(&a), HDR + 16 + 900 * 1024 + HDR + big_rounded);
    /* 126952 bytes are left: filling them exactly still shares the block. */
    uint8_t *rest = eng_arena_alloc(&a, 126952);
    CHECK(rest == next + 8);
    CHECK_EQ(eng_arena_bytes(&a), ENG_ARENA_BLOCK_BYTES + HDR + big_rounded);
out:
    eng_arena_free(&a);
}

static void test_arena_full_block_tail_is_counted(void)
{
    eng_arena a;
    eng_arena_init(&a);
    size_t n = 200 * 1024;
    uint8_t *p[6];
    for (int i = 0; i < 5; i++)
        p[i] = eng_arena_alloc(&a, n);
    CHECK_EQ(eng_arena_bytes(&a), HDR + 5 * n);
    /* 1 MiB - 8 - 5 * 200 KiB = 24568 bytes left: the sixth does not fit. */
    p[5] = eng_arena_alloc(&a, n);
    if (!CHECK(p[5] != NULL))
        goto out;
    CHECK_EQ(eng_arena_bytes(&a), ENG_ARENA_BLOCK_BYTES + HDR + n);
    for (int i = 0; i < 6; i++)
        memset(p[i], i, n);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(p[i][n - 1], i);
out:
    eng_arena_free(&a);
    CHECK_EQ(eng_arena_bytes(&a), 0);
}

static void test_arena_reusable_after_free(void)
{
    eng_arena a;
    eng_arena_init(&a);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 3000; i++) {
            uint8_t *p = eng_arena_alloc(&a, 1000);
            if (!CHECK(p != NULL))
                break;
            memset(p, round, 1000);
        }
        /* 1048 allocations of 1000 bytes fit a block (1048 * 1000 <= 1 MiB - 8). */
        CHECK_EQ(eng_arena_bytes(&a), 2 * ENG_ARENA_BLOCK_BYTES + HDR + (3000 - 2 * 1048) * 1000);
        eng_arena_free(&a);
        CHECK_EQ(eng_arena_bytes(&a), 0);
    }
}

static void test_arena_impossible_size_is_null(void)
{
    eng_arena a;
    eng_arena_init(&a);
    CHECK(eng_arena_alloc(&a, SIZE_MAX) == NULL);
    CHECK(eng_arena_alloc(&a, SIZE_MAX - 3) == NULL); /* overflows when rounded up */
    CHECK_EQ(eng_arena_bytes(&a), 0);
    eng_arena_free(&a);
}

static const test_case cases[] = {
    TEST(test_arena_empty_holds_nothing),
    TEST(test_arena_every_size_is_aligned_and_disjoint),
    TEST(test_arena_large_alloc_that_fits_shares_the_block),
    TEST(test_arena_large_first_alloc_gets_own_block),
    TEST(test_arena_large_alloc_gets_own_block_and_keeps_current),
    TEST(test_arena_full_block_tail_is_counted),
    TEST(test_arena_reusable_after_free),
    TEST(test_arena_impossible_size_is_null),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
