/*
 * log_format.c -- checksum and parse of one framed log record.
 *
 * The framing is defined in log_format.h and documented in doc/formats.md
 * ("Log record"). Used by the commitlog (file_id = segment seq) and the
 * manifest (file_id = manifest number). The parser never allocates and never
 * reads outside buf[0..size).
 *
 * Invariants:
 *  (1) a record is accepted only if its whole header and payload lie inside
 *      buf[off..size) and its crc matches the one computed with file_id, so a
 *      record copied from another file (a stale one) is rejected.
 *  (2) a len field of 0, or fewer than ENG_LOG_HEADER_BYTES left, is the end
 *      of data, not corruption: the caller decides what the rest of the file
 *      means (the commitlog cuts it in its last segment).
 */
#include "engine/log_format.h"

#include "util/coding.h"
#include "util/crc.h"
#include "util/err.h"

uint32_t eng_log_record_crc(uint64_t file_id, const uint8_t *p, uint32_t len)
{
    uint8_t pre[12];
    put_u64(pre, file_id);
    put_u32(pre + 8, len);
    return crc32c_extend(crc32c(pre, sizeof pre), p, len);
}

int64_t eng_log_record_parse(uint64_t file_id, const uint8_t *buf, size_t size, size_t off,
                             const uint8_t **payload, uint32_t *len)
{
    *payload = NULL;
    *len = 0;
    if (off > size || size - off < ENG_LOG_HEADER_BYTES)
        return 0; /* invariant (2) */
    const uint8_t *h = buf + off;
    uint32_t n = get_u32(h);
    if (n == 0)
        return 0; /* invariant (2): the zero end marker */
    if (n > ENG_CLOG_MAX_RECORD_BYTES)
        return CF_ECORRUPT;
    if (size - off - ENG_LOG_HEADER_BYTES < n)
        return CF_ECORRUPT; /* cut short */
    const uint8_t *p = h + ENG_LOG_HEADER_BYTES;
    if (get_u32(h + 4) != eng_log_record_crc(file_id, p, n))
        return CF_ECORRUPT; /* invariant (1) */
    *payload = p;
    *len = n;
    return (int64_t)ENG_LOG_HEADER_BYTES + n;
}
