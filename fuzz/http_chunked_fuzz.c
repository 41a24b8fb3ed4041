/*
 * http_chunked_fuzz.c -- libFuzzer target for http_chunked_feed.
 *
 * The input is decoded three ways: whole, in two pieces split where the
 * first byte says, and (up to 4 KiB) one byte at a time. The payload, the
 * bytes consumed, done and the error must agree, every call must make
 * progress, and payload must lie among the bytes a call consumed.
 * Build and run: fuzz/run.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

typedef struct result {
    int rc;
    size_t used;
    bool done;
    cf_buf payload;
} result;

static void require(bool ok)
{
    if (!ok)
        abort();
}

static void decode(const uint8_t *in, size_t len, size_t first, size_t step, result *r)
{
    http_chunked c = {0};
    buf_clear(&r->payload);
    r->rc = 0;
    r->done = false;
    size_t pos = 0, end = first < len ? first : len;
    for (;;) {
        while (pos < end && !r->done) {
            const uint8_t *data;
            size_t n;
            int rc = http_chunked_feed(&c, in + pos, end - pos, &data, &n, &r->done);
            if (rc < 0) {
                require(rc == CF_EINVAL || rc == CF_ELIMIT);
                r->rc = rc;
                r->used = 0;
                return;
            }
            require(rc > 0 || r->done);
            require((size_t)rc <= end - pos);
            require(n == 0 || (data >= in + pos && data + n <= in + pos + rc));
            buf_append(&r->payload, data, n);
            pos += (size_t)rc;
        }
        if (r->done || end == len)
            break;
        end = len - end < step ? len : end + step;
    }
    r->used = pos;
}

static bool same(const result *a, const result *b)
{
    return a->rc == b->rc && a->used == b->used && a->done == b->done &&
           (a->rc != 0 || (a->payload.len == b->payload.len &&
                           (a->payload.len == 0 ||
                            memcmp(a->payload.data, b->payload.data, a->payload.len) == 0)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static result whole, split;
    if (size == 0)
        return 0;
    size_t cut = data[0] % size;
    data++;
    size--;
    decode(data, size, size, size, &whole);
    require(whole.payload.len <= size);
    decode(data, size, cut, size, &split);
    require(same(&whole, &split));
    if (size <= 4096) {
        decode(data, size, 1, 1, &split);
        require(same(&whole, &split));
    }
    return 0;
}
