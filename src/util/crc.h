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
 * x_extend(x(a), b) == x(a || b). Each *_combine joins two finished values
 * without the bytes: x_combine(x(a), x(b), len(b)) == x(a || b), which is
 * how a multipart object's full-object checksum is built from its parts'.
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

/*
 * crc32c_combine, crc32_ieee_combine, crc64nvme_combine -- the CRC of A || B
 * from crc_a = x(A), crc_b = x(B) and len_b = len(B) in bytes, both finished
 * values as returned by crc32c() or *_extend(0, ...). len_b may be any
 * uint64_t (0 returns crc_a ^ crc_b, i.e. crc_a when B is empty). Costs
 * O(log len_b) carry-less multiplications, no tables; pure, so thread-safe.
 */
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
uint32_t crc32_ieee_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
uint64_t crc64nvme_combine(uint64_t crc_a, uint64_t crc_b, uint64_t len_b);

#endif
