/*
 * errors.h -- the one table of S3 errors coffer sends: code string, HTTP
 * status and default message per row, and the renderer of the error body.
 *
 * Handlers name a row (S3_ERR_NO_SUCH_KEY); they never spell out a status
 * number or a code string (STYLE 10). The table lives in errors.c; the body
 * format is in doc/formats.md ("S3 wire formats").
 *
 * Invariants:
 *  (1) every s3_err_code other than S3_ERR_NONE has exactly one row, with a
 *      code string that S3 clients recognise and a status in 3xx..5xx.
 *  (2) the rendered body is well-formed XML whatever bytes the message,
 *      resource or extra fields hold (they are escaped by the xml writer).
 */
#ifndef S3_ERRORS_H
#define S3_ERRORS_H

#include <stddef.h>

#include "util/buf.h"
#include "util/slice.h"

typedef enum s3_err_code {
    S3_ERR_NONE = 0, /* not an error: success */
    S3_ERR_ACCESS_DENIED,
    S3_ERR_ACCESS_FORBIDDEN,
    S3_ERR_ACCESS_CONTROL_LIST_NOT_SUPPORTED,
    S3_ERR_AUTHORIZATION_HEADER_MALFORMED,
    S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR,
    S3_ERR_BAD_DIGEST,
    S3_ERR_BAD_REQUEST,
    S3_ERR_BUCKET_ALREADY_EXISTS,
    S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU,
    S3_ERR_BUCKET_NOT_EMPTY,
    S3_ERR_CONFLICT, /* admin API: the change would break an invariant (locking yourself out) */
    S3_ERR_CONDITIONAL_REQUEST_CONFLICT,
    S3_ERR_CORS_RESPONSE,
    S3_ERR_ENTITY_TOO_LARGE,
    S3_ERR_ENTITY_TOO_SMALL,
    S3_ERR_ILLEGAL_LOCATION_CONSTRAINT,
    S3_ERR_INCOMPLETE_BODY,
    S3_ERR_INCORRECT_NUMBER_OF_FILES_IN_POST_REQUEST,
    S3_ERR_INSUFFICIENT_STORAGE,
    S3_ERR_INTERNAL_ERROR,
    S3_ERR_INVALID_ACCESS_KEY_ID,
    S3_ERR_INVALID_ARGUMENT,
    S3_ERR_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP,
    S3_ERR_INVALID_BUCKET_NAME,
    S3_ERR_INVALID_BUCKET_STATE,
    S3_ERR_INVALID_CHUNK_SIZE,
    S3_ERR_INVALID_DIGEST,
    S3_ERR_INVALID_LOCATION_CONSTRAINT,
    S3_ERR_INVALID_OBJECT_STATE,
    S3_ERR_INVALID_PART,
    S3_ERR_INVALID_PART_NUMBER,
    S3_ERR_INVALID_PART_ORDER,
    S3_ERR_INVALID_POLICY_DOCUMENT,
    S3_ERR_INVALID_RANGE,
    S3_ERR_INVALID_REQUEST,
    S3_ERR_INVALID_STORAGE_CLASS,
    S3_ERR_INVALID_TAG,
    S3_ERR_INVALID_TOKEN,
    S3_ERR_INVALID_URI,
    S3_ERR_KEY_TOO_LONG,
    S3_ERR_MALFORMED_ACL_ERROR,
    S3_ERR_MALFORMED_POLICY,
    S3_ERR_MALFORMED_POST_REQUEST,
    S3_ERR_MALFORMED_JSON, /* admin API (doc/admin.md) */
    S3_ERR_MALFORMED_XML,
    S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED,
    S3_ERR_MAX_POST_PRE_DATA_LENGTH_EXCEEDED,
    S3_ERR_METADATA_TOO_LARGE,
    S3_ERR_METHOD_NOT_ALLOWED,
    S3_ERR_MISSING_CONTENT_LENGTH,
    S3_ERR_MISSING_REQUEST_BODY,
    S3_ERR_NO_SUCH_BUCKET,
    S3_ERR_NO_SUCH_BUCKET_POLICY,
    S3_ERR_NO_SUCH_CORS_CONFIGURATION,
    S3_ERR_NO_SUCH_KEY,
    S3_ERR_NO_SUCH_LIFECYCLE_CONFIGURATION,
    S3_ERR_NO_SUCH_OWNERSHIP_CONTROLS,
    S3_ERR_NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION,
    S3_ERR_NO_SUCH_TAG_SET,
    S3_ERR_NO_SUCH_UPLOAD,
    S3_ERR_NO_SUCH_USER, /* admin API */
    S3_ERR_NO_SUCH_VERSION,
    S3_ERR_NO_SUCH_WEBSITE_CONFIGURATION,
    S3_ERR_NOT_IMPLEMENTED,
    S3_ERR_NOT_MODIFIED,
    S3_ERR_OBJECT_LOCK_CONFIGURATION_NOT_FOUND,
    S3_ERR_PRECONDITION_FAILED,
    S3_ERR_REQUEST_HEADER_SECTION_TOO_LARGE,
    S3_ERR_REQUEST_TIME_TOO_SKEWED,
    S3_ERR_REQUEST_TIMEOUT,
    S3_ERR_SERVER_SIDE_ENCRYPTION_CONFIGURATION_NOT_FOUND,
    S3_ERR_SERVICE_UNAVAILABLE,
    S3_ERR_SIGNATURE_DOES_NOT_MATCH,
    S3_ERR_SLOW_DOWN,
    S3_ERR_TOO_MANY_BUCKETS,
    S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS,
    S3_ERR_USER_ALREADY_EXISTS, /* admin API */
    S3_ERR_X_AMZ_CONTENT_SHA256_MISMATCH,
    S3_ERR_COUNT /* number of codes; not a code */
} s3_err_code;

/* s3_err_name -- the S3 code string ("NoSuchKey"); "InternalError" for a value out of range. */
const char *s3_err_name(s3_err_code code);

/* s3_err_status -- the HTTP status of code (404 for NoSuchKey); 500 for a value out of range. */
int s3_err_status(s3_err_code code);

/* s3_err_message -- the default human-readable message of code. */
const char *s3_err_message(s3_err_code code);

/* An extra child of <Error>, such as <Region> or <BucketName>. */
typedef struct s3_err_field {
    const char *name; /* element name: a constant, not escaped */
    cf_slice value;   /* element text: escaped */
} s3_err_field;

/*
 * s3_err_render -- appends the error body to out:
 *   <?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>C</Code>
 *   <Message>M</Message>[extra...]<Resource>R</Resource><RequestId>I</RequestId></Error>
 * (one line). message NULL means the row's default. Resource and RequestId
 * are left out when empty. Returns 0, CF_ENOMEM, or CF_EINVAL when code is
 * S3_ERR_NONE or out of range (out unchanged then).
 */
int s3_err_render(cf_buf *out, s3_err_code code, const char *message, cf_slice resource,
                  cf_slice request_id, const s3_err_field *extra, size_t n_extra);
/*
 * s3_err_render_json -- the admin API's form of the same error (doc/admin.md):
 *   {"error":{"code":"C","message":"M","request_id":"I"}}
 * Same returns as s3_err_render.
 */
int s3_err_render_json(cf_buf *out, s3_err_code code, const char *message, cf_slice request_id);

#endif
