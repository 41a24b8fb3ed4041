/*
 * test.c -- the unit-test harness: case runner, checks, temp dirs, small
 * tmpfs disks, skips, seeded rng.
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#define MAX_TMPFS 16

static int case_failed;
static const char *case_skipped; /* why, once test_skip() was called */
static char tmpfs_dirs[MAX_TMPFS][300];
static int n_tmpfs;
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

bool test_doc_has_line(const char *doc, const char *line, size_t n)
{
    FILE *f = fopen(doc, "r");
    char got[4096];
    bool found = false;
    if (!f) {
        fprintf(stderr, "  %s not found: run from the repository root\n", doc);
        return false;
    }
    while (!found && fgets(got, sizeof got, f))
        found = strlen(got) == n + 1 && memcmp(got, line, n) == 0 && got[n] == '\n';
    fclose(f);
    return found;
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

/* unmount_tmpfs -- at exit, before remove_tmp_root (registered earlier, so it runs later). */
static void unmount_tmpfs(void)
{
    for (int i = 0; i < n_tmpfs; i++)
        if (umount2(tmpfs_dirs[i], MNT_DETACH) != 0)
            fprintf(stderr, "could not unmount %s: %s\n", tmpfs_dirs[i], strerror(errno));
}

/*
 * The mounts go into a mount namespace of this process's own (made at the
 * first call, while no other thread runs), so they vanish with it even if
 * the test is killed; nobody else sees them.
 */
const char *test_tmpfs(size_t size_bytes)
{
    static bool own_ns;
    if (!own_ns && (unshare(CLONE_NEWNS) != 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0))
        return NULL;
    own_ns = true;
    const char *dir = test_tmpdir(); /* registers remove_tmp_root first */
    char opts[64];
    snprintf(opts, sizeof opts, "size=%zu", size_bytes);
    if (n_tmpfs == MAX_TMPFS || mount("tmpfs", dir, "tmpfs", 0, opts) != 0)
        return NULL;
    if (n_tmpfs == 0)
        atexit(unmount_tmpfs);
    snprintf(tmpfs_dirs[n_tmpfs++], sizeof tmpfs_dirs[0], "%s", dir);
    return dir;
}

void test_fill(const char *path)
{
    static const char block[4096];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "test_fill: cannot create %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while (write(fd, block, sizeof block) > 0)
        ;
    while (write(fd, block, 1) > 0) /* the last partial page, if the size allows one */
        ;
    close(fd);
}

void test_skip(const char *why)
{
    case_skipped = why;
}

/* xorshift -- one step of the generator behind test_rand and test_pattern. */
static uint64_t xorshift(uint64_t x)
{
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

uint64_t test_rand(void)
{
    rng_state = xorshift(rng_state);
    return rng_state;
}

void test_pattern(uint8_t *p, size_t len, uint64_t id)
{
    uint64_t x = id * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < len; i++) {
        x = xorshift(x);
        p[i] = (uint8_t)(x >> 24);
    }
}

int test_main(const test_case *cases, size_t n)
{
    const char *seed = getenv("TEST_SEED");
    rng_state = seed ? strtoull(seed, NULL, 0) : 1;
    if (rng_state == 0)
        rng_state = 1;
    const char *only = getenv("TEST_ONLY");
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && !strstr(cases[i].name, only))
            continue;
        case_failed = 0;
        case_skipped = NULL;
        cases[i].fn();
        if (case_skipped && !case_failed) {
            printf("SKIP %s: %s\n", cases[i].name, case_skipped);
            skipped++;
        } else {
            printf("%s %s\n", case_failed ? "FAIL" : "PASS", cases[i].name);
            if (case_failed)
                failed++;
            else
                passed++;
        }
        fflush(stdout);
    }
    if (skipped)
        printf("RESULT: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else
        printf("RESULT: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
