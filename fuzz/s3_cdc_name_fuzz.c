/*
 * s3_cdc_name_fuzz.c -- libFuzzer target for the change log view's window
 * names (src/s3/cdc_name.c), which GET requests name as their key.
 *
 * Checks beyond "no crash, no UB": a key the parser accepts names a bucket
 * without '/' and a start at or after 1970, and printing that window's name
 * gives the key back byte for byte (one window, one name).
 *
 * Sources and libraries (fuzz/run.sh reads these two lines):
 * FUZZ_SRCS: src/s3/cdc_name.c
 * FUZZ_LIBS:
 */
#include <stdlib.h>
#include <string.h>

#include "s3/s3_int.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cf_slice key = slice_make(data, size), bucket;
    int64_t start = -1;
    if (!s3_cdc_window_parse(key, &bucket, &start))
        return 0;
    check(bucket.len > 0 && !memchr(bucket.ptr, '/', bucket.len) && start >= 0);
    check(start % 1000000 == 0);
    char *name = malloc(size + 1);
    check(name != NULL);
    size_t n = s3_cdc_window_name(bucket, start, name, size + 1);
    check(n == size && memcmp(name, data, size) == 0 && name[size] == '\0');
    check(s3_cdc_window_name(bucket, start, name, size) == 0); /* one byte short: refused */
    free(name);
    return 0;
}
