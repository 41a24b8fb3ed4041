/*
 * fileio.h -- whole-buffer file I/O and the durable-rename sequence.
 *
 * These wrap the POSIX calls that can return short counts or EINTR, and map
 * errno to cf_err codes. fsync failures are returned, never retried: the
 * caller enters its sticky error state (STYLE 9).
 *
 * Every failed write, fsync or rename is CF_ENOSPC when the device (or the
 * quota) is full and CF_EIO otherwise (file_err), so a full disk reaches the
 * client as "no space" (S3 507 InsufficientStorage), not as a generic fault.
 */
#ifndef CF_FILEIO_H
#define CF_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* file_err -- the code of a failed write, fsync or rename: CF_ENOSPC for ENOSPC or EDQUOT,
 * else CF_EIO. */
int file_err(int errnum);

/* file_write_all -- writes all n bytes at the file position. 0 or CF_EIO/CF_ENOSPC. */
int file_write_all(int fd, const void *p, size_t n);

/* file_pwrite_all -- writes all n bytes at off. 0 or CF_EIO/CF_ENOSPC. */
int file_pwrite_all(int fd, const void *p, size_t n, uint64_t off);

/*
 * file_pread_all -- reads exactly n bytes at off. Returns 0, CF_ECORRUPT if
 * the file ends first (a truncated file), or CF_EIO.
 */
int file_pread_all(int fd, void *p, size_t n, uint64_t off);

/* file_fsync_dir -- fsyncs the directory at path, making renames in it durable. 0 or file_err(). */
int file_fsync_dir(const char *path);

/*
 * file_rename_durable -- fsyncs fd (the file at from), renames from to to,
 * and fsyncs dir. After 0, the file under its new name survives a crash.
 * Otherwise file_err() of the step that failed.
 */
int file_rename_durable(int fd, const char *from, const char *to, const char *dir);

/* file_mkdir_p -- creates path and its parents (mode 0755); existing is fine. */
int file_mkdir_p(const char *path);

#endif
