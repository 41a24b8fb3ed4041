/*
 * checksum.h -- the checksums S3 speaks: MD5 (ETag, Content-MD5) and the
 * x-amz-checksum-* algorithms CRC32, CRC32C, CRC64NVME, SHA1, SHA256.
 *
 * An s3_hasher computes any subset in one pass over streamed bytes, so a PUT
 * body is read once whatever the client asked to verify. Values travel in
 * headers as base64 of the big-endian digest (CRCs) or the raw digest.
 */
#ifndef S3_CHECKSUM_H
#define S3_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/slice.h"

typedef enum s3_ck_alg {
    S3_CK_MD5 = 0,
    S3_CK_CRC32 = 1,
    S3_CK_CRC32C = 2,
    S3_CK_CRC64NVME = 3,
    S3_CK_SHA1 = 4,
    S3_CK_SHA256 = 5,
    S3_CK_COUNT = 6
} s3_ck_alg;

#define S3_CK_MAX_DIGEST 32

typedef struct s3_hasher {
    unsigned algs; /* bit (1 << alg) per algorithm computed */
    void *md[S3_CK_COUNT]; /* EVP_MD_CTX for MD5, SHA1, SHA256 */
    uint32_t crc32, crc32c;
    uint64_t crc64;
} s3_hasher;

/* s3_hasher_init -- starts the algorithms in algs. CF_ENOMEM on failure. */
int s3_hasher_init(s3_hasher *h, unsigned algs);
void s3_hasher_update(s3_hasher *h, const void *p, size_t len);
/* s3_hasher_final -- the digest of alg into out (S3_CK_MAX_DIGEST bytes); returns its length. */
size_t s3_hasher_final(s3_hasher *h, s3_ck_alg alg, uint8_t *out);
void s3_hasher_free(s3_hasher *h);

/* s3_ck_header -- "x-amz-checksum-crc32" ... ("content-md5" for MD5). */
const char *s3_ck_header(s3_ck_alg alg);
/* s3_ck_name -- "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "MD5". */
const char *s3_ck_name(s3_ck_alg alg);
/* s3_ck_from_name -- parses a name as above (case-insensitive); -1 if unknown. */
int s3_ck_from_name(cf_slice name);

/* s3_base64 -- encodes n bytes into out (NUL-terminated, cap >= 4 * ceil(n / 3) + 1). */
void s3_base64(const uint8_t *p, size_t n, char *out, size_t cap);
/* s3_unbase64 -- decodes standard base64 into out; returns bytes or -1 if invalid or > cap. */
int s3_unbase64(cf_slice in, uint8_t *out, size_t cap);

#endif
