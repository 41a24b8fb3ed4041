/*
 * range.h -- the Range header of GET/HEAD object and the conditional headers.
 *
 * Range: one "bytes=" range of the forms a-b, a-, -n (RFC 9110 14.1.2); S3
 * serves a single range, so several ranges or a malformed value are ignored
 * (the whole object is sent, as S3 does). A syntactically valid range that
 * starts at or past the end of a non-empty object is unsatisfiable (416).
 *
 * Conditionals (RFC 9110 13.2.2 order): If-Match, else If-Unmodified-Since;
 * then If-None-Match, else If-Modified-Since. A failed If-Match /
 * If-Unmodified-Since is 412; a failed If-None-Match / If-Modified-Since is
 * 304 for GET and HEAD. Then If-Range (RFC 9110 13.1.5): the Range applies
 * only if its validator is the object's, else the whole object is sent (200).
 * A browser asks with If-Range for the rest of a video it holds in part; a
 * range of a replaced object would be spliced into the old bytes it has.
 */
#ifndef S3_RANGE_H
#define S3_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/slice.h"

enum { S3_RANGE_NONE = 0, S3_RANGE_OK = 1, S3_RANGE_UNSATISFIABLE = 2 };

/*
 * s3_range_parse -- evaluates header value v (ptr NULL: no header) against
 * an object of size bytes. S3_RANGE_OK sets *off and *len (len >= 1).
 */
int s3_range_parse(cf_slice v, uint64_t size, uint64_t *off, uint64_t *len);

/*
 * s3_copy_range_parse -- x-amz-copy-source-range "bytes=first-last" (both
 * given, first <= last) against a source of size bytes: S3_RANGE_OK with
 * *off, *len; S3_RANGE_UNSATISFIABLE if last is past the end; -1 if v is
 * malformed.
 */
int s3_copy_range_parse(cf_slice v, uint64_t size, uint64_t *off, uint64_t *len);

/* s3_etag_matches -- does an If-Match / If-None-Match list (or "*") match etag (unquoted)? */
bool s3_etag_matches(cf_slice list, const char *etag);

enum { S3_COND_OK = 0, S3_COND_NOT_MODIFIED = 304, S3_COND_FAILED = 412 };

typedef struct s3_cond_headers {
    cf_slice if_match, if_none_match, if_modified_since, if_unmodified_since; /* ptr NULL: absent */
} s3_cond_headers;

/* s3_cond_eval -- S3_COND_* for an object with etag and mtime (seconds). */
int s3_cond_eval(const s3_cond_headers *h, const char *etag, int64_t mtime_s);

/*
 * s3_if_range_holds -- may the Range be served, given If-Range value v (ptr NULL: absent)?
 * True when absent, when v is the object's etag (strong comparison: a weak "W/" tag never
 * matches), or when v is an HTTP date equal to its mtime (seconds, as Last-Modified says).
 */
bool s3_if_range_holds(cf_slice v, const char *etag, int64_t mtime_s);

#endif
