/*
 * engine_files.h -- what the engine fuzz targets share: a scratch directory,
 * writing an input as a file, and the log-record checksum fix-up.
 *
 * The engine's readers take paths, not buffers, so each target writes its
 * input to a file in one scratch directory per process and opens it with the
 * real open or replay function. The directory is on tmpfs (/dev/shm) when
 * there is one: the manifest and commitlog paths fsync, which costs nothing
 * there and milliseconds on a disk. It is emptied and removed at exit (a
 * crash leaves it behind: /dev/shm/coffer-fuzz-*, one input's files).
 *
 * Most mutations of a file break a CRC32C and stop the reader at its first
 * check; the targets therefore run each input twice, as given and with its
 * checksums recomputed, so the decoders behind the checks see mutated bytes
 * too. Built into the engine_* targets through their FUZZ_SRCS lines; it
 * also holds their common LLVMFuzzerInitialize (errors not logged, the
 * scratch directory made).
 */
#ifndef FUZZ_ENGINE_FILES_H
#define FUZZ_ENGINE_FILES_H

#include <stddef.h>
#include <stdint.h>

/* fuzz_require -- aborts (a finding) unless ok. */
void fuzz_require(int ok);

/* fuzz_dir -- the scratch directory, made on the first call; removed at exit. */
const char *fuzz_dir(void);

/* fuzz_path -- formats fuzz_dir() "/" name into out (cap bytes). */
void fuzz_path(char *out, size_t cap, const char *name);

/* fuzz_file_put -- (re)writes the file at path with p[0..n); aborts on an I/O error. */
void fuzz_file_put(const char *path, const uint8_t *p, size_t n);

/* fuzz_file_size -- the size of the file at path; -1 if it does not exist. */
long long fuzz_file_size(const char *path);

/* fuzz_copy -- p[0..n) copied into a buffer every call reuses (for a checksum fix-up). */
uint8_t *fuzz_copy(const uint8_t *p, size_t n);

/*
 * fuzz_log_fix_crcs -- rewrites the crc of every log record (log_format.h)
 * in p[0..n), read as the file with id file_id, from the start to the first
 * header whose length is 0, out of range or past the end. Returns whether a
 * byte changed.
 */
int fuzz_log_fix_crcs(uint64_t file_id, uint8_t *p, size_t n);

#endif
