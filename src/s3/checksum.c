/*
 * checksum.c -- one-pass MD5/SHA (OpenSSL EVP) and CRC32/CRC32C/CRC64NVME
 * (util/crc.h) over streamed bytes, and the encodings S3 uses for them.
 */
#include "s3/checksum.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "util/crc.h"
#include "util/err.h"

static const EVP_MD *md_of(s3_ck_alg alg)
{
    switch (alg) {
    case S3_CK_MD5: return EVP_md5();
    case S3_CK_SHA1: return EVP_sha1();
    case S3_CK_SHA256: return EVP_sha256();
    default: return NULL;
    }
}

int s3_hasher_init(s3_hasher *h, unsigned algs)
{
    memset(h, 0, sizeof *h);
    h->algs = algs;
    for (int a = 0; a < S3_CK_COUNT; a++) {
        const EVP_MD *md = md_of((s3_ck_alg)a);
        if (!md || !(algs & (1u << a)))
            continue;
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (!c || EVP_DigestInit_ex(c, md, NULL) != 1) {
            EVP_MD_CTX_free(c);
            s3_hasher_free(h);
            return CF_ENOMEM;
        }
        h->md[a] = c;
    }
    return 0;
}

void s3_hasher_update(s3_hasher *h, const void *p, size_t len)
{
    for (int a = 0; a < S3_CK_COUNT; a++)
        if (h->md[a])
            EVP_DigestUpdate(h->md[a], p, len);
    if (h->algs & (1u << S3_CK_CRC32))
        h->crc32 = crc32_ieee_extend(h->crc32, p, len);
    if (h->algs & (1u << S3_CK_CRC32C))
        h->crc32c = crc32c_extend(h->crc32c, p, len);
    if (h->algs & (1u << S3_CK_CRC64NVME))
        h->crc64 = crc64nvme_extend(h->crc64, p, len);
}

size_t s3_hasher_final(s3_hasher *h, s3_ck_alg alg, uint8_t *out)
{
    uint64_t v;
    size_t n;
    switch (alg) {
    case S3_CK_CRC32: v = h->crc32; n = 4; break;
    case S3_CK_CRC32C: v = h->crc32c; n = 4; break;
    case S3_CK_CRC64NVME: v = h->crc64; n = 8; break;
    default: {
        unsigned len = 0;
        if (!h->md[alg] || EVP_DigestFinal_ex(h->md[alg], out, &len) != 1)
            return 0;
        return len;
    }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i))); /* big-endian, as S3 sends CRCs */
    return n;
}

void s3_hasher_free(s3_hasher *h)
{
    for (int a = 0; a < S3_CK_COUNT; a++) {
        EVP_MD_CTX_free(h->md[a]);
        h->md[a] = NULL;
    }
}

static const char *const names[S3_CK_COUNT] = {"MD5", "CRC32", "CRC32C", "CRC64NVME", "SHA1",
                                                "SHA256"};
static const char *const headers[S3_CK_COUNT] = {
    "content-md5",           "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1",  "x-amz-checksum-sha256"};

const char *s3_ck_header(s3_ck_alg alg)
{
    return headers[alg];
}

const char *s3_ck_name(s3_ck_alg alg)
{
    return names[alg];
}

int s3_ck_from_name(cf_slice name)
{
    for (int a = 0; a < S3_CK_COUNT; a++)
        if (name.len == strlen(names[a]) && strncasecmp((const char *)name.ptr, names[a], name.len) == 0)
            return a;
    return -1;
}

void s3_base64(const uint8_t *p, size_t n, char *out, size_t cap)
{
    if (cap < 4 * ((n + 2) / 3) + 1) {
        if (cap)
            out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

int s3_unbase64(cf_slice in, uint8_t *out, size_t cap)
{
    if (in.len == 0 || in.len % 4 != 0 || in.len / 4 * 3 > cap + 2 || in.len > 1024)
        return -1;
    uint8_t tmp[800];
    int n = EVP_DecodeBlock(tmp, in.ptr, (int)in.len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts padding as zero bytes: take them off */
    if (in.ptr[in.len - 1] == '=')
        n--;
    if (in.ptr[in.len - 2] == '=')
        n--;
    if ((size_t)n > cap)
        return -1;
    memcpy(out, tmp, (size_t)n);
    return n;
}

