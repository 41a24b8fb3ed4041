/*
 * fileio.c -- whole-buffer file I/O and the durable-rename sequence.
 */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

int file_err(int errnum)
{
    return cf_err_from_errno(errnum) == CF_ENOSPC ? CF_ENOSPC : CF_EIO;
}

int file_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return file_err(errno);
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int file_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return file_err(errno);
        b += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

int file_pread_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return CF_EIO;
        if (r == 0)
            return CF_ECORRUPT;
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int file_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return CF_EIO;
    int rc = fsync(fd) == 0 ? 0 : file_err(errno);
    close(fd);
    return rc;
}

int file_rename_durable(int fd, const char *from, const char *to, const char *dir)
{
    if (fsync(fd) != 0)
        return file_err(errno);
    if (rename(from, to) != 0)
        return file_err(errno);
    return file_fsync_dir(dir);
}

int file_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return CF_EINVAL;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return cf_err_from_errno(errno);
        tmp[i] = c;
    }
    return 0;
}
