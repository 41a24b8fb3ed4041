/*
 * s3_meta_fuzz.c -- libFuzzer target for s3_meta_field (s3/meta.c), the filter
 * of the request headers a PUT keeps, fed a Content-Encoding value: the one
 * kept header whose value it rewrites (less the aws-chunked coding).
 *
 * Checks beyond "no crash, no UB": what is kept is nothing or exactly one
 * "content-encoding: V\n" line, V no longer than the input and holding no
 * aws-chunked coding, no empty coding and no CR or LF.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/meta.c src/util/[a-z]*.c
 * FUZZ_LIBS: -lisal -lpthread
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "s3/s3_int.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

/* meta.c's s3_meta_from_request reads headers through request.c, which would bring the
 * whole request layer in; the target never calls it, so this link stand-in must not run. */
cf_slice s3_header(const s3_req *r, const char *name)
{
    (void)r;
    (void)name;
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static store_meta m;
    memset(&m, 0, sizeof m);
    size_t user_bytes = 0;
    s3_err_code err = s3_meta_field(&m, slice_str("Content-Encoding"), slice_make(data, size),
                                    &user_bytes);
    check(err == S3_ERR_NONE || err == S3_ERR_METADATA_TOO_LARGE);
    size_t n = strlen(m.headers);
    if (err != S3_ERR_NONE || n == 0)
        return 0;
    const char *prefix = "content-encoding: ";
    check(n > strlen(prefix) && strncmp(m.headers, prefix, strlen(prefix)) == 0);
    check(m.headers[n - 1] == '\n');
    const char *v = m.headers + strlen(prefix), *end = m.headers + n - 1;
    check((size_t)(end - v) <= size && end > v);
    check(!memchr(v, '\n', (size_t)(end - v)) && !memchr(v, '\r', (size_t)(end - v)));
    for (const char *t = v; t <= end;) { /* every coding: non-empty, not aws-chunked */
        const char *c = memchr(t, ',', (size_t)(end - t));
        size_t len = (size_t)((c ? c : end) - t);
        check(len > 0 && !(len == 11 && strncasecmp(t, "aws-chunked", 11) == 0));
        t += len + 1;
    }
    return 0;
}
