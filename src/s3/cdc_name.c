/*
 * cdc_name.c -- the names of the change log's windows in the view bucket
 * (doc/cdc.md "The view"): BUCKET/YYYY/MM/DD/HH-MM-SS.ndjson, the window's
 * start in UTC, so that names sort in time order within a bucket.
 *
 * Invariant: a name s3_cdc_window_parse accepts is exactly the one
 * s3_cdc_window_name makes of what it parsed (fuzz/s3_cdc_name_fuzz.c
 * checks the round trip), so one window has one name. The parser reads
 * network bytes (a GET's key): fixed-width fields, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "s3/s3_int.h"
#include "util/civil.h"

size_t s3_cdc_window_name(cf_slice bucket, int64_t start_us, char *out, size_t cap)
{
    int64_t s = start_us / 1000000, y;
    int m, d;
    civil_from_days(s / 86400, &y, &m, &d);
    int sod = (int)(s % 86400);
    char tail[40];
    int n = snprintf(tail, sizeof tail, "/%04d/%02d/%02d/%02d-%02d-%02d.ndjson", (int)(y % 10000),
                     m, d, sod / 3600, sod / 60 % 60, sod % 60);
    if (n < 0 || bucket.len + (size_t)n >= cap)
        return 0;
    memcpy(out, bucket.ptr, bucket.len); /* any bytes, NUL too: one window, one name */
    memcpy(out + bucket.len, tail, (size_t)n + 1);
    return bucket.len + (size_t)n;
}

/* num -- the n decimal digits at p (checked by the caller) as a number. */
static int num(const uint8_t *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* s3_cdc_window_parse -- no window starts before 1970: earlier years are not names. */
bool s3_cdc_window_parse(cf_slice key, cf_slice *bucket, int64_t *start_us)
{
    static const char shape[] = "/0000/00/00/00-00-00.ndjson";
    size_t n = sizeof shape - 1;
    if (key.len <= n)
        return false;
    const uint8_t *p = key.ptr + key.len - n;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == '0' ? p[i] < '0' || p[i] > '9' : p[i] != (uint8_t)shape[i])
            return false;
    int y = num(p + 1, 4), mo = num(p + 6, 2), d = num(p + 9, 2);
    int h = num(p + 12, 2), mi = num(p + 15, 2), s = num(p + 18, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month(y, mo) || h > 23 || mi > 59 ||
        s > 59)
        return false;
    *bucket = slice_make(key.ptr, key.len - n);
    *start_us = ((civil_days(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) * 1000000LL;
    return bucket->len > 0 && memchr(bucket->ptr, '/', bucket->len) == NULL;
}
