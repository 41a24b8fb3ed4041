/*
 * s3_range_fuzz.c -- libFuzzer target for the header values of range.h:
 * Range, x-amz-copy-source-range, the If-* conditionals.
 *
 * Checks beyond "no crash, no UB": a range the parsers accept lies inside
 * the object (off + len <= size, len >= 1); an unsatisfiable or malformed
 * answer sets off and len to 0; the conditional evaluation returns one of
 * its three answers.
 *
 * The first 8 bytes of the input are the object size, the rest the value.
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/range.c src/http/date.c src/util/[a-z]*.c
 * FUZZ_LIBS: -lisal -lpthread
 */
#include <stdlib.h>
#include <string.h>

#include "s3/range.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t obj = 0;
    if (size >= 8) {
        memcpy(&obj, data, 8);
        data += 8;
        size -= 8;
        obj >>= (obj & 63); /* small sizes as often as huge ones */
    }
    cf_slice v = slice_make(data, size);
    uint64_t off, len;
    int rr = s3_range_parse(v, obj, &off, &len);
    check(rr == S3_RANGE_NONE || rr == S3_RANGE_OK || rr == S3_RANGE_UNSATISFIABLE);
    if (rr == S3_RANGE_OK)
        check(len >= 1 && off < obj && len <= obj - off);
    else
        check(off == 0 && len == 0);
    rr = s3_copy_range_parse(v, obj, &off, &len);
    check(rr == -1 || rr == S3_RANGE_OK || rr == S3_RANGE_UNSATISFIABLE);
    if (rr == S3_RANGE_OK)
        check(len >= 1 && off < obj && len <= obj - off);
    else
        check(off == 0 && len == 0);
    /* the same bytes as every conditional header at once */
    s3_cond_headers h = {v, v, v, v};
    int c = s3_cond_eval(&h, "0123456789abcdef0123456789abcdef", (int64_t)(obj >> 1));
    check(c == S3_COND_OK || c == S3_COND_NOT_MODIFIED || c == S3_COND_FAILED);
    (void)s3_etag_matches(v, "etag");
    return 0;
}
