/*
 * post_policy.h -- the POST policy of a browser upload (S3 POST Object): the
 * base64 JSON document parsed into a bounded list of conditions, and the
 * check of a form's fields against it. Internal to src/s3/ (post_object.c
 * calls it; tests and fuzz/s3_post_policy_fuzz.c pin it).
 *
 * The document (doc/formats.md, "POST Object: the form and its policy"):
 *   {"expiration": "2030-01-01T00:00:00.000Z",
 *    "conditions": [{"bucket": "b"}, ["starts-with", "$key", "user/"],
 *                   ["eq", "$x-amz-meta-a", "1"], ["content-length-range", 1, 1048576]]}
 * Member names are case-sensitive; operators, and the field names they
 * test, are not; values are compared byte for byte.
 *
 * Invariants:
 *  (1) a parse is bounded: the decoded document is at most
 *      S3_POST_POLICY_MAX_BYTES, the conditions at most
 *      S3_POST_POLICY_MAX_CONDITIONS, and every string a condition keeps is
 *      copied into p->text, which is as large as the document (a JSON string
 *      never decodes longer than it is written);
 *  (2) the JSON library's objects live only inside s3_post_policy_parse: a
 *      parsed policy holds plain offsets into p->text, nothing to free;
 *  (3) every message written is NUL-terminated within its buffer, truncated
 *      if need be, and is one of S3's texts (doc/formats.md lists them).
 */
#ifndef S3_POST_POLICY_H
#define S3_POST_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s3/errors.h"
#include "util/slice.h"

/* The decoded document: the form's fields are at most 20 KiB, so its base64 at most
 * 15 KiB of JSON; 16 KiB bounds what this parser will look at from anyone. */
#define S3_POST_POLICY_MAX_BYTES 16384u
/* Conditions in one document: a form has at most HTTP_FORM_MAX_PARTS fields, each
 * usually tested once; 256 leaves room for several tests of each. */
#define S3_POST_POLICY_MAX_CONDITIONS 256u
/* Room for an error message: the longest is a failed condition quoted back. */
#define S3_POST_POLICY_MESSAGE_BYTES 1024u

enum { S3_POST_EQ = 1, S3_POST_STARTS_WITH = 2, S3_POST_RANGE = 3 };

typedef struct s3_post_cond {
    uint8_t op;            /* S3_POST_EQ, S3_POST_STARTS_WITH or S3_POST_RANGE */
    bool simple;           /* written {"name": "value"}: the name has no '$' */
    bool a_str, b_str;     /* RANGE: the operand was a JSON string (else a number) */
    uint32_t a_off, a_len; /* in text: the field operand as written ("$key"), or min */
    uint32_t b_off, b_len; /* in text: the value, or max */
} s3_post_cond;

typedef struct s3_post_policy {
    int64_t expiration_s; /* Unix seconds; the policy is valid up to and including it */
    size_t n_conds;
    s3_post_cond conds[S3_POST_POLICY_MAX_CONDITIONS];
    uint32_t text_len;
    char text[S3_POST_POLICY_MAX_BYTES]; /* the conditions' strings, decoded */
    char json[S3_POST_POLICY_MAX_BYTES + 4]; /* scratch: the decoded document */
} s3_post_policy;

/* One form field: a name (any case) and its value as the form sent it. */
typedef struct s3_post_field {
    cf_slice name;
    cf_slice value;
} s3_post_field;

/*
 * s3_post_policy_parse -- decodes the base64 policy (whitespace is
 * skipped) and parses it into *p (reset first). S3_ERR_NONE, or
 * S3_ERR_INVALID_POLICY_DOCUMENT with S3's reason in msg ("Invalid Policy:
 * Invalid JSON.", "Invalid Policy: Policy missing expiration.", ...).
 * Strict JSON (RFC 8259, UTF-8): no single quotes, trailing commas, or
 * escapes JSON lacks. msg (cap bytes) is written on every path.
 */
s3_err_code s3_post_policy_parse(cf_slice b64, s3_post_policy *p, char *msg, size_t cap);

/*
 * s3_post_policy_check -- checks a form against p at now_s: the expiration
 * (AccessDenied "Invalid according to Policy: Policy expired."), every
 * condition in order (AccessDenied "Invalid according to Policy: Policy
 * Condition failed: [...]", the condition quoted back), then that every
 * field but the exempt ones is named by a condition (AccessDenied "Invalid
 * according to Policy: Extra input fields: <name>"). Exempt: policy,
 * x-amz-signature, file, x-ignore-*, and with sigv2 AWSAccessKeyId and
 * signature. fields[0..n) have distinct names (the caller joins repeats
 * with ','); "$bucket" tests the bucket argument, the bucket posted to. A
 * condition on a field the form lacks fails, even starts-with "". A
 * starts-with on Content-Type holds if every comma-separated element of
 * the value starts with the prefix. *min_len, *max_len: the
 * content-length-range (the tightest of several; 0 and UINT64_MAX without
 * one), set on every path. msg (cap bytes) is written on every path.
 */
s3_err_code s3_post_policy_check(const s3_post_policy *p, int64_t now_s, cf_slice bucket,
                                 const s3_post_field *fields, size_t n, bool sigv2,
                                 uint64_t *min_len, uint64_t *max_len, char *msg, size_t cap);

#endif
