/*
 * test.h -- the tiny unit-test harness every coffer test binary uses.
 *
 * A test file defines static void functions and a table of them, then
 * `int main(void) { return test_main(cases, TEST_COUNT(cases)); }`. CHECK()
 * records a failure with file and line and returns the condition, so a test
 * can stop early with an explicit `if (!CHECK(x)) return;` (no hidden
 * returns). Each case runs in order; the binary prints one PASS/FAIL line per
 * case and ends with "RESULT: N passed, N failed", which tests/run.sh sums. A
 * case the machine cannot run calls test_skip(): it prints SKIP, counts as
 * neither, and the line then ends with ", N skipped".
 */
#ifndef COFFER_TEST_H
#define COFFER_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case;

#define TEST_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TEST(fn) {#fn, fn}

bool test_check(bool ok, const char *expr, const char *file, int line);
bool test_check_int(long long a, long long b, const char *ea, const char *eb, const char *file,
                    int line);
bool test_check_mem(const void *a, size_t alen, const void *b, size_t blen, const char *ea,
                    const char *file, int line);

#define CHECK(cond) test_check((cond), #cond, __FILE__, __LINE__)
/* CHECK_EQ -- integer equality, printing both values on failure. */
#define CHECK_EQ(a, b) test_check_int((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
/* CHECK_MEM -- byte-exact equality of two (ptr, len) ranges. */
#define CHECK_MEM(a, alen, b, blen) test_check_mem((a), (alen), (b), (blen), #a, __FILE__, __LINE__)

/* test_doc_has_line -- file doc (a path from the repository root, where tests run) holds
 * line[0..n) as a line of its own: a worked example of the docs checked byte for byte. */
bool test_doc_has_line(const char *doc, const char *line, size_t n);

/* test_tmpdir -- a fresh empty directory under $TMPDIR for this case; removed at exit. */
const char *test_tmpdir(void);

/*
 * test_tmpfs -- a fresh empty directory on its own tmpfs of size_bytes (a
 * real small disk that fills: ENOSPC), in a mount namespace private to the
 * process (so it is gone at exit, even a killed one); NULL if this process
 * may not mount one (not root): the case then calls test_skip().
 */
const char *test_tmpfs(size_t size_bytes);

/* test_fill -- creates the file path and grows it until its disk is full (ENOSPC); unlink it
 * to give the space back. */
void test_fill(const char *path);

/* test_skip -- marks the running case skipped (the machine cannot run it), why printed. */
void test_skip(const char *why);

/* test_rand -- a deterministic xorshift generator seeded by TEST_SEED (default 1). */
uint64_t test_rand(void);

/* test_pattern -- fills p[0..len) with content number id: a xorshift stream seeded by id,
 * the same for the same id, to write and regenerate for comparison. */
void test_pattern(uint8_t *p, size_t len, uint64_t id);

int test_main(const test_case *cases, size_t n);

#endif
