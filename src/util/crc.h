/*
 * crc.h -- the CRCs coffer computes: CRC32C (Castagnoli), the checksum of
 * every coffer record and block, and the S3 checksum algorithms CRC32 (IEEE)
 * and CRC64NVME.
 *
 * CRC32C and CRC32 are backed by ISA-L (crc32_iscsi, crc32_gzip_refl: SSE4.2
 * and PCLMUL). CRC64NVME (CRC-64/NVME, reflected polynomial
 * 0x9A6C9329AC4BC9B5, init and xorout all ones) is not in Debian's ISA-L
 * 2.30, so it is a slice-by-8 table implementation here.
 * Check values for "123456789": crc32c 0xE3069283, crc32 0xCBF43926,
 * crc64nvme 0xAE8B14860A799888. Each *_extend continues a finished value:
 * x_extend(x(a), b) == x(a || b).
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

uint32_t crc32_ieee_extend(uint32_t crc, const void *buf, size_t len);
uint64_t crc64nvme_extend(uint64_t crc, const void *buf, size_t len);

#endif
