/*
 * crc.h -- CRC32C (Castagnoli), the checksum of every coffer record and block.
 *
 * Backed by ISA-L's crc32_iscsi, which uses the SSE4.2/PCLMUL instructions.
 * crc32c() is the standard CRC-32C: crc32c("123456789") == 0xE3069283.
 * crc32c_extend() continues a checksum over more bytes, so
 * crc32c_extend(crc32c(a), b) == crc32c(a || b).
 */
#ifndef CF_CRC_H
#define CF_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c_extend(uint32_t crc, const void *buf, size_t len);

static inline uint32_t crc32c(const void *buf, size_t len)
{
    return crc32c_extend(0, buf, len);
}

#endif
