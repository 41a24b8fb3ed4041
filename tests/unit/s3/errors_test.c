/*
 * errors_test.c -- the S3 error table has a row for every code, with the
 * code strings and statuses S3 clients expect, the error body is byte
 * exact, escaped, and leaves out what is empty, and store errors map to the
 * rows they should (a full disk: 507 InsufficientStorage); the admin API's
 * JSON form is the line doc/formats.md shows.
 */
#include <stdio.h>
#include <string.h>

#include "s3/errors.h"
#include "s3/s3_int.h"
#include "test.h"
#include "util/err.h"

static void test_every_code_has_a_unique_row(void)
{
    for (int c = S3_ERR_NONE + 1; c < S3_ERR_COUNT; c++) {
        const char *name = s3_err_name((s3_err_code)c);
        int status = s3_err_status((s3_err_code)c);
        const char *msg = s3_err_message((s3_err_code)c);
        if (!CHECK(name && msg && name[0] && msg[0]))
            continue;
        CHECK(status >= 300 && status <= 599);
        for (int d = c + 1; d < S3_ERR_COUNT; d++)
            CHECK(strcmp(name, s3_err_name((s3_err_code)d)) != 0);
    }
}

static void test_codes_and_statuses_match_s3(void)
{
    static const struct {
        s3_err_code code;
        const char *name;
        int status;
    } want[] = {
        {S3_ERR_ACCESS_DENIED, "AccessDenied", 403},
        {S3_ERR_AUTHORIZATION_HEADER_MALFORMED, "AuthorizationHeaderMalformed", 400},
        {S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR, "AuthorizationQueryParametersError", 400},
        {S3_ERR_BAD_DIGEST, "BadDigest", 400},
        {S3_ERR_BUCKET_ALREADY_EXISTS, "BucketAlreadyExists", 409},
        {S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU, "BucketAlreadyOwnedByYou", 409},
        {S3_ERR_BUCKET_NOT_EMPTY, "BucketNotEmpty", 409},
        {S3_ERR_ENTITY_TOO_LARGE, "EntityTooLarge", 400},
        {S3_ERR_ENTITY_TOO_SMALL, "EntityTooSmall", 400},
        {S3_ERR_INCOMPLETE_BODY, "IncompleteBody", 400},
        {S3_ERR_INTERNAL_ERROR, "InternalError", 500},
        {S3_ERR_INVALID_ACCESS_KEY_ID, "InvalidAccessKeyId", 403},
        {S3_ERR_INVALID_ARGUMENT, "InvalidArgument", 400},
        {S3_ERR_INVALID_BUCKET_NAME, "InvalidBucketName", 400},
        {S3_ERR_INVALID_DIGEST, "InvalidDigest", 400},
        {S3_ERR_INVALID_PART, "InvalidPart", 400},
        {S3_ERR_INVALID_PART_ORDER, "InvalidPartOrder", 400},
        {S3_ERR_INVALID_RANGE, "InvalidRange", 416},
        {S3_ERR_INVALID_REQUEST, "InvalidRequest", 400},
        {S3_ERR_INVALID_STORAGE_CLASS, "InvalidStorageClass", 400},
        {S3_ERR_KEY_TOO_LONG, "KeyTooLongError", 400},
        {S3_ERR_MALFORMED_XML, "MalformedXML", 400},
        {S3_ERR_METADATA_TOO_LARGE, "MetadataTooLarge", 400},
        {S3_ERR_METHOD_NOT_ALLOWED, "MethodNotAllowed", 405},
        {S3_ERR_MISSING_CONTENT_LENGTH, "MissingContentLength", 411},
        {S3_ERR_NO_SUCH_BUCKET, "NoSuchBucket", 404},
        {S3_ERR_NO_SUCH_KEY, "NoSuchKey", 404},
        {S3_ERR_NO_SUCH_UPLOAD, "NoSuchUpload", 404},
        {S3_ERR_NOT_IMPLEMENTED, "NotImplemented", 501},
        {S3_ERR_PRECONDITION_FAILED, "PreconditionFailed", 412},
        {S3_ERR_CONDITIONAL_REQUEST_CONFLICT, "ConditionalRequestConflict", 409},
        {S3_ERR_REQUEST_TIME_TOO_SKEWED, "RequestTimeTooSkewed", 403},
        {S3_ERR_SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch", 403},
        {S3_ERR_SLOW_DOWN, "SlowDown", 503},
        {S3_ERR_SERVICE_UNAVAILABLE, "ServiceUnavailable", 503},
        {S3_ERR_INSUFFICIENT_STORAGE, "InsufficientStorage", 507},
        {S3_ERR_X_AMZ_CONTENT_SHA256_MISMATCH, "XAmzContentSHA256Mismatch", 400},
        {S3_ERR_INVALID_OBJECT_STATE, "InvalidObjectState", 403},
        {S3_ERR_NO_SUCH_TAG_SET, "NoSuchTagSet", 404},
        {S3_ERR_BAD_REQUEST, "BadRequest", 400},
        {S3_ERR_REQUEST_HEADER_SECTION_TOO_LARGE, "RequestHeaderSectionTooLarge", 431},
        {S3_ERR_NO_SUCH_CORS_CONFIGURATION, "NoSuchCORSConfiguration", 404},
        {S3_ERR_INVALID_TAG, "InvalidTag", 400},
        {S3_ERR_INVALID_TOKEN, "InvalidToken", 400},
        {S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED, "MaxMessageLengthExceeded", 400},
        {S3_ERR_MALFORMED_POST_REQUEST, "MalformedPOSTRequest", 400},
        {S3_ERR_INVALID_POLICY_DOCUMENT, "InvalidPolicyDocument", 400},
        {S3_ERR_MAX_POST_PRE_DATA_LENGTH_EXCEEDED, "MaxPostPreDataLengthExceeded", 400},
        {S3_ERR_INCORRECT_NUMBER_OF_FILES_IN_POST_REQUEST, "IncorrectNumberOfFilesInPostRequest",
         400},
        {S3_ERR_NOT_MODIFIED, "NotModified", 304},
    };
    for (size_t i = 0; i < TEST_COUNT(want); i++) {
        CHECK(strcmp(s3_err_name(want[i].code), want[i].name) == 0);
        CHECK_EQ(s3_err_status(want[i].code), want[i].status);
    }
    CHECK(strcmp(s3_err_name(S3_ERR_COUNT), "InternalError") == 0);
    CHECK_EQ(s3_err_status((s3_err_code)-3), 500);
}

static void test_render_exact_bytes(void)
{
    cf_buf b = {0};
    CHECK_EQ(s3_err_render(&b, S3_ERR_NO_SUCH_KEY, NULL, slice_str("/mybucket/myfoto.jpg"),
                           slice_str("4442587FB7D0A2F9"), NULL, 0),
             0);
    const char *want = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                       "<Message>The specified key does not exist.</Message>"
                       "<Resource>/mybucket/myfoto.jpg</Resource>"
                       "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    buf_free(&b);
}

static void test_render_override_extras_and_escaping(void)
{
    cf_buf b = {0};
    buf_append(&b, "prefix", 6); /* render appends */
    s3_err_field extra[] = {{"Region", slice_str("eu-west-1")}, {"Key", slice_str("a&b<c>")}};
    CHECK_EQ(s3_err_render(&b, S3_ERR_AUTHORIZATION_HEADER_MALFORMED, "the region 'x\"y' is wrong",
                           slice_str("/b/k'1"), slice_make(NULL, 0), extra, 2),
             0);
    const char *want = "prefix<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
                       "<Code>AuthorizationHeaderMalformed</Code>"
                       "<Message>the region &apos;x&quot;y&apos; is wrong</Message>"
                       "<Region>eu-west-1</Region><Key>a&amp;b&lt;c&gt;</Key>"
                       "<Resource>/b/k&apos;1</Resource></Error>";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    buf_clear(&b);
    CHECK_EQ(s3_err_render(&b, S3_ERR_SLOW_DOWN, NULL, slice_make(NULL, 0), slice_make(NULL, 0),
                           NULL, 0),
             0);
    want = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
           "<Message>Please reduce your request rate.</Message></Error>";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    buf_free(&b);
}

static void test_render_rejects_none_and_out_of_range(void)
{
    cf_buf b = {0};
    buf_append(&b, "x", 1);
    CHECK_EQ(s3_err_render(&b, S3_ERR_NONE, NULL, slice_str("/"), slice_str("1"), NULL, 0),
             CF_EINVAL);
    CHECK_EQ(s3_err_render(&b, S3_ERR_COUNT, NULL, slice_str("/"), slice_str("1"), NULL, 0),
             CF_EINVAL);
    CHECK_EQ(b.len, 1);
    buf_free(&b);
}

/* s3_err_of: a full disk (CF_ENOSPC, whatever write path met it) is 507, never 500 */
static void test_render_json_is_the_documented_line_and_escapes(void)
{
    cf_buf b = {0};
    CHECK_EQ(s3_err_render_json(&b, S3_ERR_NO_SUCH_USER, NULL, slice_str("4442587FB7D0A2F9")), 0);
    CHECK(b.len > 1 && b.data[b.len - 1] == '\n');
    CHECK(test_doc_has_line("doc/formats.md", (const char *)b.data, b.len - 1)); /* "Admin API" */
    buf_clear(&b);
    CHECK_EQ(s3_err_render_json(&b, S3_ERR_MALFORMED_JSON, "a \"quote\"\n\x01", slice_str("")), 0);
    const char *want = "{\"error\":{\"code\":\"MalformedJSON\",\"message\":\"a \\\"quote\\\"\\n"
                       "\\u0001\",\"request_id\":\"\"}}\n";
    CHECK_MEM(b.data, b.len, want, strlen(want));
    CHECK_EQ(s3_err_render_json(&b, S3_ERR_NONE, NULL, slice_str("")), CF_EINVAL);
    buf_free(&b);
}

static void test_store_errors_map_to_their_rows_enospc_is_507(void)
{
    CHECK_EQ(s3_err_of(CF_ENOSPC, S3_ERR_NO_SUCH_KEY), S3_ERR_INSUFFICIENT_STORAGE);
    CHECK_EQ(s3_err_status(S3_ERR_INSUFFICIENT_STORAGE), 507);
    CHECK(strcmp(s3_err_name(S3_ERR_INSUFFICIENT_STORAGE), "InsufficientStorage") == 0);
    CHECK_EQ(s3_err_of(CF_ENOTFOUND, S3_ERR_NO_SUCH_UPLOAD), S3_ERR_NO_SUCH_UPLOAD);
    CHECK_EQ(s3_err_of(CF_EIO, S3_ERR_NO_SUCH_KEY), S3_ERR_INTERNAL_ERROR);
    CHECK_EQ(s3_err_of(CF_ELIMIT, S3_ERR_NO_SUCH_KEY), S3_ERR_ENTITY_TOO_LARGE);
    CHECK_EQ(s3_err_of(CF_EEXIST, S3_ERR_NO_SUCH_KEY), S3_ERR_PRECONDITION_FAILED);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_every_code_has_a_unique_row),
        TEST(test_codes_and_statuses_match_s3),
        TEST(test_render_exact_bytes),
        TEST(test_render_override_extras_and_escaping),
        TEST(test_render_rejects_none_and_out_of_range),
        TEST(test_render_json_is_the_documented_line_and_escapes),
        TEST(test_store_errors_map_to_their_rows_enospc_is_507),
    };
    return test_main(cases, TEST_COUNT(cases));
}
