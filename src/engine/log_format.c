/*
 * log_format.c -- checksum, parse and search of framed log records.
 *
 * The framing is defined in log_format.h and documented in doc/formats.md
 * ("Log record"). Used by the commitlog (file_id = segment seq) and the
 * manifest (file_id = manifest number). The parser never allocates; neither
 * it nor the search (which allocates its checkpoints) reads outside
 * buf[0..size).
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

#include <stdlib.h>

#include "engine/config.h"
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

/* prefix_crc -- crc32c(buf[from..x)), from the checkpoint at or before x. */
static uint32_t prefix_crc(const uint32_t *cp, const uint8_t *buf, size_t from, size_t x)
{
    size_t i = (x - from) / ENG_LOG_FIND_STRIDE;
    size_t start = from + i * ENG_LOG_FIND_STRIDE;
    return crc32c_extend(cp[i], buf + start, x - start);
}

/*
 * The crc a record at q would need is CRC32C(pre || Y), pre = file_id || len
 * and Y = buf[a..b) its payload. With P(x) = crc32c(buf[from..x)) and the
 * identity crc(X || Y) = crc(X) * x^(8|Y|) + crc(Y) (crc.c, crc32c_combine):
 *   crc(Y)       = P(b) + P(a) * x^(8|Y|)
 *   crc(pre || Y) = (crc(pre) + P(a)) * x^(8|Y|) + P(b)
 *                = crc32c_combine(crc(pre) ^ P(a), P(b), |Y|)
 * so a candidate costs two short hashes from checkpoints and one combine,
 * not a pass over its payload. A match is confirmed by the parser itself.
 */
int eng_log_record_find(uint64_t file_id, const uint8_t *buf, size_t size, size_t from, size_t *at)
{
    *at = 0;
    if (from >= size || size - from <= ENG_LOG_HEADER_BYTES)
        return 0; /* no room for a header and a payload byte */
    size_t ncp = (size - from) / ENG_LOG_FIND_STRIDE + 1;
    uint32_t *cp = malloc(ncp * sizeof *cp);
    if (!cp)
        return CF_ENOMEM;
    cp[0] = 0; /* crc32c of nothing */
    for (size_t i = 1; i < ncp; i++)
        cp[i] = crc32c_extend(cp[i - 1], buf + from + (i - 1) * ENG_LOG_FIND_STRIDE,
                              ENG_LOG_FIND_STRIDE);
    int found = 0;
    for (size_t q = from; !found && size - q > ENG_LOG_HEADER_BYTES; q++) {
        uint32_t n = get_u32(buf + q);
        if (n == 0 || n > ENG_CLOG_MAX_RECORD_BYTES || size - q - ENG_LOG_HEADER_BYTES < n)
            continue;
        size_t a = q + ENG_LOG_HEADER_BYTES;
        uint8_t pre[12];
        put_u64(pre, file_id);
        put_u32(pre + 8, n);
        uint32_t want = crc32c_combine(crc32c(pre, sizeof pre) ^ prefix_crc(cp, buf, from, a),
                                       prefix_crc(cp, buf, from, a + n), n);
        const uint8_t *p;
        uint32_t len;
        if (want == get_u32(buf + q + 4) &&
            eng_log_record_parse(file_id, buf, size, q, &p, &len) > 0) {
            *at = q;
            found = 1;
        }
    }
    free(cp);
    return found;
}
