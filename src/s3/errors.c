/*
 * errors.c -- the S3 error table (one row per code coffer sends) and the
 * error body renderer.
 *
 * Rows are indexed by s3_err_code with designated initializers, so a row can
 * never drift to another code; errors_test.c checks that every code has a
 * row (invariant (1) of errors.h). Statuses and code strings are those of
 * the S3 API reference ("Error responses"); messages are S3's where clients
 * are known to show them, otherwise a plain sentence.
 *
 * InsufficientStorage (507) is coffer's answer to a full disk: S3 itself
 * never runs out, and 507 (unlike 503) tells SDKs not to retry in a loop.
 */
#include "s3/errors.h"

#include <json-c/json.h>
#include <string.h>

#include "s3/xml.h"
#include "util/err.h"

typedef struct err_row {
    const char *name;
    int status;
    const char *message;
} err_row;

static const err_row rows[S3_ERR_COUNT] = {
    [S3_ERR_INVALID_BUCKET_ACL_WITH_OBJECT_OWNERSHIP] = {"InvalidBucketAclWithObjectOwnership", 400,
                                                         "Bucket cannot have ACLs set with "
                                                         "ObjectOwnership's BucketOwnerEnforced "
                                                         "setting"},
    [S3_ERR_MALFORMED_ACL_ERROR] = {"MalformedACLError", 400,
                                    "The XML you provided was not well-formed or did not "
                                    "validate against our published schema"},
    [S3_ERR_MALFORMED_POLICY] = {"MalformedPolicy", 400, "Policies must be valid JSON"},
    [S3_ERR_NO_SUCH_OWNERSHIP_CONTROLS] = {"OwnershipControlsNotFoundError", 404,
                                           "The bucket ownership controls were not found"},
    [S3_ERR_NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION] = {"NoSuchPublicAccessBlockConfiguration",
                                                          404,
                                                          "The public access block configuration "
                                                          "was not found"},
    [S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS] = {"UnresolvableGrantByEmailAddress", 400,
                                                    "The email address you provided does not "
                                                    "match any account on record."},
    [S3_ERR_USER_ALREADY_EXISTS] = {"UserAlreadyExists", 409,
                                    "A user with this access key already exists."},
    [S3_ERR_ACCESS_DENIED] = {"AccessDenied", 403, "Access Denied"},
    /* a preflight no CORS rule allows; S3's text, its typo included */
    [S3_ERR_ACCESS_FORBIDDEN] = {"AccessForbidden", 403,
                                 "CORSResponse: This CORS request is not allowed. This is usually "
                                 "because the evalution of Origin, request method / "
                                 "Access-Control-Request-Method or Access-Control-Request-Headers "
                                 "are not whitelisted by the resource's CORS spec."},
    [S3_ERR_CORS_RESPONSE] = {"CORSResponse", 403, "CORSResponse: Bucket not found"},
    [S3_ERR_ACCESS_CONTROL_LIST_NOT_SUPPORTED] = {"AccessControlListNotSupported", 400,
                                                  "The bucket does not allow ACLs"},
    [S3_ERR_AUTHORIZATION_HEADER_MALFORMED] = {"AuthorizationHeaderMalformed", 400,
                                               "The authorization header is malformed"},
    [S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR] = {"AuthorizationQueryParametersError", 400,
                                                     "The query-string authentication parameters "
                                                     "are malformed"},
    [S3_ERR_BAD_DIGEST] = {"BadDigest", 400,
                           "The Content-MD5 or checksum you specified did not match what we "
                           "received."},
    [S3_ERR_BAD_REQUEST] = {"BadRequest", 400, "Bad Request"},
    [S3_ERR_BUCKET_ALREADY_EXISTS] = {"BucketAlreadyExists", 409,
                                      "The requested bucket name is not available. The bucket "
                                      "namespace is shared by all users of the system. Please "
                                      "select a different name and try again."},
    [S3_ERR_BUCKET_ALREADY_OWNED_BY_YOU] = {"BucketAlreadyOwnedByYou", 409,
                                            "Your previous request to create the named bucket "
                                            "succeeded and you already own it."},
    [S3_ERR_BUCKET_NOT_EMPTY] = {"BucketNotEmpty", 409,
                                 "The bucket you tried to delete is not empty"},
    [S3_ERR_CONFLICT] = {"Conflict", 409, "The change conflicts with the current state."},
    [S3_ERR_CONDITIONAL_REQUEST_CONFLICT] = {"ConditionalRequestConflict", 409,
                                             "A conflicting conditional operation is currently "
                                             "in progress against this resource. Please try "
                                             "again."},
    [S3_ERR_ENTITY_TOO_LARGE] = {"EntityTooLarge", 400,
                                 "Your proposed upload exceeds the maximum allowed object size."},
    [S3_ERR_ENTITY_TOO_SMALL] = {"EntityTooSmall", 400,
                                 "Your proposed upload is smaller than the minimum allowed "
                                 "object size."},
    [S3_ERR_ILLEGAL_LOCATION_CONSTRAINT] = {"IllegalLocationConstraintException", 400,
                                            "The specified location-constraint is not valid for "
                                            "this endpoint."},
    [S3_ERR_INCOMPLETE_BODY] = {"IncompleteBody", 400,
                                "You did not provide the number of bytes specified by the "
                                "Content-Length HTTP header."},
    [S3_ERR_INCORRECT_NUMBER_OF_FILES_IN_POST_REQUEST] = {"IncorrectNumberOfFilesInPostRequest",
                                                          400,
                                                          "POST requires exactly one file upload "
                                                          "per request."},
    [S3_ERR_INSUFFICIENT_STORAGE] = {"InsufficientStorage", 507,
                                     "The server has no space left to store this request."},
    [S3_ERR_INTERNAL_ERROR] = {"InternalError", 500,
                               "We encountered an internal error. Please try again."},
    [S3_ERR_INVALID_ACCESS_KEY_ID] = {"InvalidAccessKeyId", 403,
                                      "The AWS Access Key Id you provided does not exist in our "
                                      "records."},
    [S3_ERR_INVALID_ARGUMENT] = {"InvalidArgument", 400, "Invalid Argument"},
    [S3_ERR_INVALID_BUCKET_NAME] = {"InvalidBucketName", 400, "The specified bucket is not valid."},
    [S3_ERR_INVALID_BUCKET_STATE] = {"InvalidBucketState", 409,
                                     "The request is not valid with the current state of the "
                                     "bucket."},
    [S3_ERR_INVALID_CHUNK_SIZE] = {"InvalidChunkSizeError", 403,
                                   "Only the last chunk is allowed to have a size less than "
                                   "8192 bytes"},
    [S3_ERR_INVALID_DIGEST] = {"InvalidDigest", 400,
                               "The Content-MD5 or checksum you specified is not valid."},
    [S3_ERR_INVALID_LOCATION_CONSTRAINT] = {"InvalidLocationConstraint", 400,
                                            "The specified location constraint is not valid."},
    [S3_ERR_INVALID_OBJECT_STATE] = {"InvalidObjectState", 403,
                                     "The operation is not valid for the object's state."},
    [S3_ERR_INVALID_PART] = {"InvalidPart", 400,
                             "One or more of the specified parts could not be found. The part "
                             "may not have been uploaded, or the specified entity tag may not "
                             "match the part's entity tag."},
    [S3_ERR_INVALID_PART_NUMBER] = {"InvalidPartNumber", 416,
                                    "The requested partnumber is not satisfiable"},
    [S3_ERR_INVALID_PART_ORDER] = {"InvalidPartOrder", 400,
                                   "The list of parts was not in ascending order. Parts must be "
                                   "ordered by part number."},
    [S3_ERR_INVALID_POLICY_DOCUMENT] = {"InvalidPolicyDocument", 400,
                                        "The content of the form does not meet the conditions "
                                        "specified in the policy document."},
    [S3_ERR_INVALID_RANGE] = {"InvalidRange", 416, "The requested range is not satisfiable"},
    [S3_ERR_INVALID_REQUEST] = {"InvalidRequest", 400, "Invalid Request"},
    [S3_ERR_INVALID_STORAGE_CLASS] = {"InvalidStorageClass", 400,
                                      "The storage class you specified is not valid"},
    [S3_ERR_INVALID_TAG] = {"InvalidTag", 400, "The tag provided was not a valid tag."},
    [S3_ERR_INVALID_TOKEN] = {"InvalidToken", 400,
                              "The provided token is malformed or otherwise invalid."},
    [S3_ERR_INVALID_URI] = {"InvalidURI", 400, "Couldn't parse the specified URI."},
    [S3_ERR_KEY_TOO_LONG] = {"KeyTooLongError", 400, "Your key is too long"},
    [S3_ERR_MALFORMED_POST_REQUEST] = {"MalformedPOSTRequest", 400,
                                       "The body of your POST request is not well-formed "
                                       "multipart/form-data."},
    [S3_ERR_MALFORMED_JSON] = {"MalformedJSON", 400,
                               "The JSON you provided was not well-formed or did not validate "
                               "against the admin API's schema"},
    [S3_ERR_MALFORMED_XML] = {"MalformedXML", 400,
                              "The XML you provided was not well-formed or did not validate "
                              "against our published schema"},
    [S3_ERR_MAX_MESSAGE_LENGTH_EXCEEDED] = {"MaxMessageLengthExceeded", 400,
                                            "Your request was too big."},
    /* S3 sends this code without the "Error" its table shows, and this message (sic) */
    [S3_ERR_MAX_POST_PRE_DATA_LENGTH_EXCEEDED] = {"MaxPostPreDataLengthExceeded", 400,
                                                  "Your POST request fields preceeding the upload "
                                                  "file was too large."},
    [S3_ERR_METADATA_TOO_LARGE] = {"MetadataTooLarge", 400,
                                   "Your metadata headers exceed the maximum allowed metadata "
                                   "size."},
    [S3_ERR_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405,
                                   "The specified method is not allowed against this resource."},
    [S3_ERR_MISSING_CONTENT_LENGTH] = {"MissingContentLength", 411,
                                       "You must provide the Content-Length HTTP header."},
    [S3_ERR_MISSING_REQUEST_BODY] = {"MissingRequestBodyError", 400, "Request Body is empty"},
    [S3_ERR_NO_SUCH_BUCKET] = {"NoSuchBucket", 404, "The specified bucket does not exist"},
    [S3_ERR_NO_SUCH_BUCKET_POLICY] = {"NoSuchBucketPolicy", 404,
                                      "The bucket policy does not exist"},
    [S3_ERR_NO_SUCH_CORS_CONFIGURATION] = {"NoSuchCORSConfiguration", 404,
                                           "The CORS configuration does not exist"},
    [S3_ERR_NO_SUCH_KEY] = {"NoSuchKey", 404, "The specified key does not exist."},
    [S3_ERR_NO_SUCH_LIFECYCLE_CONFIGURATION] = {"NoSuchLifecycleConfiguration", 404,
                                                "The lifecycle configuration does not exist"},
    [S3_ERR_NO_SUCH_TAG_SET] = {"NoSuchTagSet", 404, "The TagSet does not exist"},
    [S3_ERR_NO_SUCH_USER] = {"NoSuchUser", 404, "The specified user does not exist."},
    [S3_ERR_NO_SUCH_UPLOAD] = {"NoSuchUpload", 404,
                               "The specified multipart upload does not exist. The upload ID "
                               "may be invalid, or the upload may have been aborted or "
                               "completed."},
    [S3_ERR_NO_SUCH_VERSION] = {"NoSuchVersion", 404, "The specified version does not exist."},
    [S3_ERR_NO_SUCH_WEBSITE_CONFIGURATION] = {"NoSuchWebsiteConfiguration", 404,
                                              "The specified bucket does not have a website "
                                              "configuration"},
    [S3_ERR_NOT_IMPLEMENTED] = {"NotImplemented", 501,
                                "A header you provided implies functionality that is not "
                                "implemented"},
    [S3_ERR_NOT_MODIFIED] = {"NotModified", 304, "Not Modified"},
    [S3_ERR_OBJECT_LOCK_CONFIGURATION_NOT_FOUND] = {"ObjectLockConfigurationNotFoundError", 404,
                                                    "Object Lock configuration does not exist "
                                                    "for this bucket"},
    [S3_ERR_PRECONDITION_FAILED] = {"PreconditionFailed", 412,
                                    "At least one of the pre-conditions you specified did not "
                                    "hold"},
    [S3_ERR_REQUEST_HEADER_SECTION_TOO_LARGE] = {"RequestHeaderSectionTooLarge", 431,
                                                 "Your request header section exceeds the "
                                                 "maximum allowed size."},
    [S3_ERR_REQUEST_TIME_TOO_SKEWED] = {"RequestTimeTooSkewed", 403,
                                        "The difference between the request time and the "
                                        "current time is too large."},
    [S3_ERR_REQUEST_TIMEOUT] = {"RequestTimeout", 400,
                                "Your socket connection to the server was not read from or "
                                "written to within the timeout period."},
    [S3_ERR_SERVER_SIDE_ENCRYPTION_CONFIGURATION_NOT_FOUND] =
        {"ServerSideEncryptionConfigurationNotFoundError", 404,
         "The server side encryption configuration was not found"},
    [S3_ERR_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, "Please reduce your request rate."},
    [S3_ERR_SIGNATURE_DOES_NOT_MATCH] = {"SignatureDoesNotMatch", 403,
                                         "The request signature we calculated does not match "
                                         "the signature you provided. Check your key and "
                                         "signing method."},
    [S3_ERR_SLOW_DOWN] = {"SlowDown", 503, "Please reduce your request rate."},
    [S3_ERR_TOO_MANY_BUCKETS] = {"TooManyBuckets", 400,
                                 "You have attempted to create more buckets than allowed"},
    [S3_ERR_X_AMZ_CONTENT_SHA256_MISMATCH] = {"XAmzContentSHA256Mismatch", 400,
                                              "The provided 'x-amz-content-sha256' header does "
                                              "not match what was computed."},
};

static const err_row *row_of(s3_err_code code)
{
    if ((int)code <= (int)S3_ERR_NONE || (int)code >= (int)S3_ERR_COUNT)
        return NULL;
    return &rows[code];
}

const char *s3_err_name(s3_err_code code)
{
    const err_row *r = row_of(code);
    return r ? r->name : rows[S3_ERR_INTERNAL_ERROR].name;
}

int s3_err_status(s3_err_code code)
{
    const err_row *r = row_of(code);
    return r ? r->status : 500;
}

const char *s3_err_message(s3_err_code code)
{
    const err_row *r = row_of(code);
    return r ? r->message : rows[S3_ERR_INTERNAL_ERROR].message;
}

int s3_err_render(cf_buf *out, s3_err_code code, const char *message, cf_slice resource,
                  cf_slice request_id, const s3_err_field *extra, size_t n_extra)
{
    const err_row *r = row_of(code);
    if (!r)
        return CF_EINVAL;
    size_t start = out->len;
    s3_xml_writer w;
    s3_xml_writer_init(&w, out);
    s3_xml_decl(&w);
    s3_xml_open(&w, "Error");
    s3_xml_elem_str(&w, "Code", r->name);
    s3_xml_elem_str(&w, "Message", message ? message : r->message);
    for (size_t i = 0; i < n_extra; i++)
        s3_xml_elem(&w, extra[i].name, extra[i].value);
    if (resource.len)
        s3_xml_elem(&w, "Resource", resource);
    if (request_id.len)
        s3_xml_elem(&w, "RequestId", request_id);
    s3_xml_close(&w);
    int rc = s3_xml_writer_finish(&w);
    if (rc)
        out->len = start;
    return rc;
}

int s3_err_render_json(cf_buf *out, s3_err_code code, const char *message, cf_slice request_id)
{
    const err_row *r = row_of(code);
    if (!r)
        return CF_EINVAL;
    /* json-c escapes the strings; an add only fails when memory does, and
     * then the rendered text is missing a member, never malformed */
    json_object *e = json_object_new_object();
    json_object_object_add(e, "code", json_object_new_string(r->name));
    json_object_object_add(e, "message", json_object_new_string(message ? message : r->message));
    json_object_object_add(e, "request_id", json_object_new_string_len(
                                                (const char *)request_id.ptr, (int)request_id.len));
    json_object *top = json_object_new_object();
    json_object_object_add(top, "error", e);
    const char *text = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN);
    int rc = text && buf_append(out, text, strlen(text)) == 0 && buf_append(out, "\n", 1) == 0
                 ? 0
                 : CF_ENOMEM;
    json_object_put(top);
    return rc;
}
