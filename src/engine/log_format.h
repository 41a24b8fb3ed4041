/*
 * log_format.h -- constants of the log record framing (doc/formats.md, "Log record").
 *
 * Shared by the commitlog segments and the manifest, which are both
 * append-only sequences of checksummed records:
 *
 *   OFFSET  SIZE  FIELD
 *   0       4     len      payload length, u32 LE, 1..ENG_CLOG_MAX_RECORD_BYTES
 *   4       4     crc      CRC32C of (file_id u64 LE || len u32 LE || payload)
 *   8       len   payload
 *
 * file_id is the segment sequence number (or the manifest number): a stale
 * record left in a reused file fails its checksum, and a zero len marks the
 * end of the written part of a preallocated file.
 */
#ifndef ENG_LOG_FORMAT_H
#define ENG_LOG_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define ENG_LOG_HEADER_BYTES 8
/* One batch record holds at most this much: a few 128 KiB chunks and metadata. */
#define ENG_CLOG_MAX_RECORD_BYTES (64u * 1024 * 1024)

/*
 * eng_log_record_crc -- the crc field for payload p[0..len) in file file_id.
 */
uint32_t eng_log_record_crc(uint64_t file_id, const uint8_t *p, uint32_t len);

/*
 * eng_log_record_parse -- checks the record at buf[off..size). Returns the
 * total record bytes (> 0) and sets *payload and *len when it is whole and its
 * checksum matches; 0 when the bytes at off are the zero end marker or too
 * short to hold a header (end of data); CF_ECORRUPT when a header is present
 * but the length is out of range, the record is cut short, or the checksum
 * fails.
 */
int64_t eng_log_record_parse(uint64_t file_id, const uint8_t *buf, size_t size, size_t off,
                             const uint8_t **payload, uint32_t *len);

/*
 * eng_log_record_find -- looks for a valid record (one eng_log_record_parse
 * accepts) starting at any offset in buf[from..size). Returns 1 and sets *at
 * to the lowest such offset, 0 if there is none (*at = 0), CF_ENOMEM.
 *
 * Every offset is tried, so a record is found whatever damage comes before it
 * (a damaged len field gives no hint where the next record starts). Readers
 * use it to tell damage that valid records follow from a torn tail. The cost
 * is linear in size - from whatever the bytes hold: one CRC32C pass, then per
 * offset whose len field fits at most 2 * ENG_LOG_FIND_STRIDE bytes hashed
 * and one crc32c_combine(), never a pass over the candidate's payload; the
 * memory is 4 bytes per ENG_LOG_FIND_STRIDE (engine/config.h) bytes searched.
 */
int eng_log_record_find(uint64_t file_id, const uint8_t *buf, size_t size, size_t from, size_t *at);

#endif
