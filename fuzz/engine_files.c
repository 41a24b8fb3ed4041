/*
 * engine_files.c -- scratch files and log-record checksum fix-up for the
 * engine fuzz targets (engine_files.h).
 */
#include "engine_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/log_format.h"
#include "util/buf.h"
#include "util/coding.h"
#include "util/fileio.h"
#include "util/log.h"

static char scratch[PATH_MAX]; /* the directory, "" until made */

void fuzz_require(int ok)
{
    if (!ok)
        abort();
}

/* remove_scratch -- atexit: empties the directory (the targets make no subdirectories) and removes it. */
static void remove_scratch(void)
{
    DIR *d = opendir(scratch);
    for (struct dirent *de; d && (de = readdir(d));) {
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", scratch, de->d_name);
        if (de->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(scratch);
}

const char *fuzz_dir(void)
{
    if (scratch[0])
        return scratch;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/coffer-fuzz-XXXXXX", base ? base : "/tmp");
    fuzz_require(mkdtemp(scratch) != NULL);
    atexit(remove_scratch);
    return scratch;
}

void fuzz_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", fuzz_dir(), name);
}

void fuzz_file_put(const char *path, const uint8_t *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    fuzz_require(fd >= 0);
    fuzz_require(file_write_all(fd, p, n) == 0);
    close(fd);
}

long long fuzz_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int fuzz_log_fix_crcs(uint64_t file_id, uint8_t *p, size_t n)
{
    int changed = 0;
    size_t off = 0;
    while (n - off >= ENG_LOG_HEADER_BYTES) {
        uint32_t len = get_u32(p + off);
        if (len == 0 || len > ENG_CLOG_MAX_RECORD_BYTES || len > n - off - ENG_LOG_HEADER_BYTES)
            break;
        uint32_t crc = eng_log_record_crc(file_id, p + off + ENG_LOG_HEADER_BYTES, len);
        changed |= get_u32(p + off + 4) != crc;
        put_u32(p + off + 4, crc);
        off += ENG_LOG_HEADER_BYTES + len;
    }
    return changed;
}

uint8_t *fuzz_copy(const uint8_t *p, size_t n)
{
    static cf_buf copy;
    buf_clear(&copy);
    fuzz_require(buf_append(&copy, p, n) == 0);
    return copy.data;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR + 1); /* every rejected input logs an error */
    fuzz_dir();
    return 0;
}
