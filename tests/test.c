/*
 * test.c -- the unit-test harness: case runner, checks, temp dirs, seeded rng.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int case_failed;
static char tmp_root[256];
static int tmp_seq;
static uint64_t rng_state;

bool test_check(bool ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        fprintf(stderr, "  %s:%d: CHECK failed: %s\n", file, line, expr);
        case_failed = 1;
    }
    return ok;
}

bool test_check_int(long long a, long long b, const char *ea, const char *eb, const char *file,
                    int line)
{
    if (a != b) {
        fprintf(stderr, "  %s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", file, line, ea, a,
                eb, b);
        case_failed = 1;
    }
    return a == b;
}

bool test_check_mem(const void *a, size_t alen, const void *b, size_t blen, const char *ea,
                    const char *file, int line)
{
    bool ok = alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
    if (!ok) {
        fprintf(stderr, "  %s:%d: CHECK_MEM failed for %s (len %zu vs %zu)\n", file, line, ea,
                alen, blen);
        case_failed = 1;
    }
    return ok;
}

static void remove_tmp_root(void)
{
    if (tmp_root[0] && !getenv("TEST_KEEP_TMP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmp_root);
    }
}

const char *test_tmpdir(void)
{
    static char path[300];
    if (!tmp_root[0]) {
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmp_root, sizeof tmp_root, "%s/coffer-test-XXXXXX", base);
        if (!mkdtemp(tmp_root)) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(remove_tmp_root);
    }
    snprintf(path, sizeof path, "%s/%d", tmp_root, ++tmp_seq);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "mkdir %s failed\n", path);
        exit(2);
    }
    return path;
}

uint64_t test_rand(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

int test_main(const test_case *cases, size_t n)
{
    const char *seed = getenv("TEST_SEED");
    rng_state = seed ? strtoull(seed, NULL, 0) : 1;
    if (rng_state == 0)
        rng_state = 1;
    const char *only = getenv("TEST_ONLY");
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && !strstr(cases[i].name, only))
            continue;
        case_failed = 0;
        cases[i].fn();
        printf("%s %s\n", case_failed ? "FAIL" : "PASS", cases[i].name);
        fflush(stdout);
        if (case_failed)
            failed++;
        else
            passed++;
    }
    printf("RESULT: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
