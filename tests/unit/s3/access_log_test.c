/*
 * access_log_test.c -- access log lines built from fixed inputs, byte for
 * byte: every field in S3's order, "-" for what is missing, client bytes
 * escaped (quotes, spaces, backslashes, CR/LF and other controls, non-ASCII)
 * so one request is one line, secret query values redacted whatever their
 * spelling, S3's operation names, and the two worked examples of
 * doc/formats.md ("Access log") rebuilt exactly from the inputs the doc
 * states (run from the repository root, as tests/run.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/s3_int.h"
#include "test.h"

/* line_is -- formats e and compares the line with want, printing both on a mismatch. */
static bool line_is(const s3_access_entry *e, const char *want)
{
    cf_buf b = {0};
    bool ok = CHECK_EQ(s3_access_log_format(&b, e), 0) &&
              CHECK_MEM(b.data, b.len, want, strlen(want));
    if (!ok)
        fprintf(stderr, "  got:  %.*s  want: %s", (int)b.len, (const char *)b.data, want);
    buf_free(&b);
    return ok;
}

/* The doc's first example: a ranged GET signed in the Authorization header. */
static s3_access_entry doc_example_get(void)
{
    return (s3_access_entry){
        .time_s = 1549411238, /* 2019-02-06T00:00:38Z */
        .bucket = slice_str("photos"),
        .remote = slice_str("192.0.2.3"),
        .requester = slice_str("CFEXAMPLEKEY00000001"),
        .request_id = slice_str("7A2C64F1D0B3E958"),
        .operation = "REST.GET.OBJECT",
        .key = slice_str("2019/cat pic.jpg"),
        .method = slice_str("GET"),
        .target = slice_str("/photos/2019/cat%20pic.jpg"),
        .minor_version = 1,
        .status = 206,
        .bytes_sent = 1024,
        .object_size = 48213,
        .total_ms = 3,
        .user_agent = slice_str("aws-cli/2.15.0 Python/3.11.6"),
        .sig_version = "SigV4",
        .auth_type = "AuthHeader",
        .host = slice_str("127.0.0.1:9000"),
    };
}

static const char doc_line_get[] =
    "- photos [06/Feb/2019:00:00:38 +0000] 192.0.2.3 CFEXAMPLEKEY00000001 7A2C64F1D0B3E958 "
    "REST.GET.OBJECT 2019/cat%20pic.jpg \"GET /photos/2019/cat%20pic.jpg HTTP/1.1\" 206 - 1024 "
    "48213 3 - \"-\" \"aws-cli/2.15.0 Python/3.11.6\" - - SigV4 - AuthHeader 127.0.0.1:9000 -\n";

/* The doc's second example: an expired presigned URL from an IPv6 client,
 * refused: anonymous, the signature redacted, the user agent escaped. */
static s3_access_entry doc_example_refused(void)
{
    return (s3_access_entry){
        .time_s = 1549411239,
        .bucket = slice_str("photos"),
        .remote = slice_str("2001:db8::7"),
        .request_id = slice_str("0F3A9B6C21D4E587"),
        .operation = "REST.GET.OBJECT",
        .key = slice_str("2019/cat pic.jpg"),
        .method = slice_str("GET"),
        .target = slice_str("/photos/2019/cat%20pic.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                            "&X-Amz-Credential=CFEXAMPLEKEY00000001%2F20190205%2Fus-east-1%2Fs3"
                            "%2Faws4_request&X-Amz-Date=20190205T235000Z&X-Amz-Expires=60"
                            "&X-Amz-SignedHeaders=host&X-Amz-Signature=9f2c0d1e8b7a6f5e4d3c2b1a"
                            "0f9e8d7c6b5a49382716f5e4d3c2b1a0f9e8d7c6"),
        .minor_version = 1,
        .status = 403,
        .error_code = "AccessDenied",
        .bytes_sent = 243,
        .object_size = -1,
        .total_ms = 0,
        .user_agent = slice_str("Mozilla/5.0 \"kiosk\" caf\xc3\xa9"),
        .host = slice_str("127.0.0.1:9000"),
    };
}

static const char doc_line_refused[] =
    "- photos [06/Feb/2019:00:00:39 +0000] 2001:db8::7 - 0F3A9B6C21D4E587 REST.GET.OBJECT "
    "2019/cat%20pic.jpg \"GET /photos/2019/cat%20pic.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=CFEXAMPLEKEY00000001%2F20190205%2Fus-east-1%2Fs3%2Faws4_request"
    "&X-Amz-Date=20190205T235000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=REDACTED HTTP/1.1\" 403 AccessDenied 243 - 0 - \"-\" "
    "\"Mozilla/5.0 \\x22kiosk\\x22 caf\\xC3\\xA9\" - - - - - 127.0.0.1:9000 -\n";

static void test_line_has_every_field_in_s3_order(void)
{
    s3_access_entry e = doc_example_get();
    line_is(&e, doc_line_get);
}

static void test_missing_values_are_dashes(void)
{
    s3_access_entry e = {.time_s = 0, .operation = "REST.GET.SERVICE", .method = slice_str("GET"),
                         .target = slice_str("/"), .minor_version = 0, .object_size = -1};
    line_is(&e, "- - [01/Jan/1970:00:00:00 +0000] - - - REST.GET.SERVICE - \"GET / HTTP/1.0\" - - "
                "- - 0 - \"-\" \"-\" - - - - - - -\n");
    /* bytes sent 0 is "-" as S3 logs it; an object size of 0 is a size */
    e.status = 200;
    e.object_size = 0;
    e.total_ms = 12345;
    line_is(&e, "- - [01/Jan/1970:00:00:00 +0000] - - - REST.GET.SERVICE - \"GET / HTTP/1.0\" 200 "
                "- - 0 12345 - \"-\" \"-\" - - - - - - -\n");
}

/* Quotes, spaces, backslashes, CR, LF, TAB, DEL and non-ASCII: never a raw
 * byte that could end the field or the line. The key is percent-encoded
 * ('/' kept) as S3 logs it; unquoted fields escape spaces too. */
static void test_client_bytes_are_escaped(void)
{
    static const char ua[] = "ua \"quoted\" \\ back\r\nnext line\tTAB\x01\xff\0z";
    s3_access_entry e = doc_example_get();
    e.key = slice_str("a b\"c\\d\r\nX-Forged: 1/\xc3\xa9\x7f");
    e.target = slice_str("/photos/a%20b\"c\\d\xc3\xa9?q=\"x y\"");
    e.user_agent = slice_make(ua, sizeof ua - 1); /* a NUL inside too */
    e.referer = slice_str("http://example.com/a b");
    e.host = slice_str("evil host\"\n");
    e.bucket = slice_str("bad bucket");
    e.requester = slice_str("AK\"EY");
    line_is(&e, "- bad\\x20bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 AK\\x22EY "
                "7A2C64F1D0B3E958 REST.GET.OBJECT "
                "a%20b%22c%5Cd%0D%0AX-Forged%3A%201/%C3%A9%7F "
                "\"GET /photos/a%20b\\x22c\\x5Cd\\xC3\\xA9?q=\\x22x y\\x22 HTTP/1.1\" 206 - 1024 "
                "48213 3 - \"http://example.com/a b\" "
                "\"ua \\x22quoted\\x22 \\x5C back\\x0D\\x0Anext line\\x09TAB\\x01\\xFF\\x00z\" "
                "- - SigV4 - AuthHeader evil\\x20host\\x22\\x0A -\n");
    cf_buf b = {0};
    CHECK_EQ(s3_access_log_format(&b, &e), 0);
    size_t newlines = 0, quotes = 0;
    for (size_t i = 0; i < b.len; i++) {
        newlines += b.data[i] == '\n';
        quotes += b.data[i] == '"';
        CHECK(b.data[i] == '\n' || (b.data[i] >= 0x20 && b.data[i] < 0x7f));
    }
    CHECK_EQ(newlines, 1);
    CHECK_EQ(quotes, 6); /* the three quoted fields' own quotes only */
    buf_free(&b);
}

/* target_logged -- the request-URI field of a line for target (between its quotes). */
static const char *target_logged(const char *target, char *out, size_t cap)
{
    s3_access_entry e = doc_example_get();
    e.target = slice_str(target);
    cf_buf b = {0};
    out[0] = '\0';
    if (s3_access_log_format(&b, &e) == 0) {
        const char *q = memchr(b.data, '"', b.len);
        const char *end = q ? memchr(q + 1, '"', b.len - (size_t)((const uint8_t *)q + 1 - b.data))
                            : NULL;
        if (q && end)
            snprintf(out, cap, "%.*s", (int)(end - q - 1), q + 1);
    }
    buf_free(&b);
    return out;
}

/* Presigned SigV4 and SigV2 signatures and session tokens never reach the
 * log, however the name is spelled (the SigV4 parser decodes names, so an
 * encoded name is still a signature); other parameters and a name that only
 * starts like one are kept; an empty element and a bare name stay as sent. */
static void test_signatures_in_the_query_are_redacted(void)
{
    static const char *const rows[][2] = {
        {"/b/k?X-Amz-Signature=abc123", "GET /b/k?X-Amz-Signature=REDACTED HTTP/1.1"},
        {"/b/k?a=1&x-amz-signature=abc&b=2", "GET /b/k?a=1&x-amz-signature=REDACTED&b=2 HTTP/1.1"},
        {"/b/k?X-Amz-Signatur%65=abc", "GET /b/k?X-Amz-Signatur%65=REDACTED HTTP/1.1"},
        {"/b/k?%58-Amz-Signature=abc", "GET /b/k?%58-Amz-Signature=REDACTED HTTP/1.1"},
        {"/b/k?AWSAccessKeyId=AK&Signature=c2lnbmF0dXJl%3D&Expires=1",
         "GET /b/k?AWSAccessKeyId=AK&Signature=REDACTED&Expires=1 HTTP/1.1"},
        {"/b/k?X-Amz-Security-Token=tok&&X-Amz-Signature",
         "GET /b/k?X-Amz-Security-Token=REDACTED&&X-Amz-Signature HTTP/1.1"},
        {"/b/k?X-Amz-SignatureX=keep&Signature2=keep", "GET /b/k?X-Amz-SignatureX=keep&Signature2=keep HTTP/1.1"},
        {"/b/k?Signature=a\"b\nc&", "GET /b/k?Signature=REDACTED& HTTP/1.1"},
        {"/b/k?", "GET /b/k? HTTP/1.1"},
        {"/b/k?%=x&%4=y&Signature%=z", "GET /b/k?%=x&%4=y&Signature%=z HTTP/1.1"},
    };
    char got[512];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (!CHECK(strcmp(target_logged(rows[i][0], got, sizeof got), rows[i][1]) == 0))
            fprintf(stderr, "  %s -> %s\n", rows[i][0], got);
    }
}

static void test_operation_names_follow_s3(void)
{
    static const struct {
        const char *method;
        int at;
        const char *sub;
        bool copy;
        const char *want;
    } rows[] = {
        {"GET", S3_AT_SERVICE, "", false, "REST.GET.SERVICE"},
        {"PUT", S3_AT_BUCKET, "", false, "REST.PUT.BUCKET"},
        {"GET", S3_AT_BUCKET, "", false, "REST.GET.BUCKET"},
        {"GET", S3_AT_BUCKET, "list-type", false, "REST.GET.BUCKET"},
        {"GET", S3_AT_BUCKET, "versions", false, "REST.GET.BUCKETVERSIONS"},
        {"GET", S3_AT_BUCKET, "versioning", false, "REST.GET.VERSIONING"},
        {"GET", S3_AT_BUCKET, "location", false, "REST.GET.LOCATION"},
        {"GET", S3_AT_BUCKET, "acl", false, "REST.GET.ACL"},
        {"GET", S3_AT_OBJECT, "acl", false, "REST.GET.ACL"},
        {"POST", S3_AT_BUCKET, "delete", false, "REST.POST.MULTI_OBJECT_DELETE"},
        {"GET", S3_AT_BUCKET, "uploads", false, "REST.GET.UPLOADS"},
        {"POST", S3_AT_OBJECT, "uploads", false, "REST.POST.UPLOADS"},
        {"PUT", S3_AT_OBJECT, "uploadId", false, "REST.PUT.PART"},
        {"PUT", S3_AT_OBJECT, "uploadId", true, "REST.COPY.PART"},
        {"POST", S3_AT_OBJECT, "uploadId", false, "REST.POST.UPLOAD"},
        {"DELETE", S3_AT_OBJECT, "uploadId", false, "REST.DELETE.UPLOAD"},
        {"GET", S3_AT_OBJECT, "uploadId", false, "REST.GET.UPLOAD"},
        {"GET", S3_AT_OBJECT, "tagging", false, "REST.GET.OBJECT_TAGGING"},
        {"PUT", S3_AT_BUCKET, "tagging", false, "REST.PUT.TAGGING"},
        {"GET", S3_AT_BUCKET, "policy", false, "REST.GET.BUCKETPOLICY"},
        {"GET", S3_AT_BUCKET, "logging", false, "REST.GET.LOGGING_STATUS"},
        {"PUT", S3_AT_BUCKET, "cors", false, "REST.PUT.CORS"},
        {"GET", S3_AT_BUCKET, "intelligent-tiering", false, "REST.GET.INTELLIGENT_TIERING"},
        {"PUT", S3_AT_OBJECT, "", false, "REST.PUT.OBJECT"},
        {"PUT", S3_AT_OBJECT, "", true, "REST.COPY.OBJECT"},
        {"GET", S3_AT_OBJECT, "", true, "REST.GET.OBJECT"},
        {"HEAD", S3_AT_OBJECT, "", false, "REST.HEAD.OBJECT"},
        {"DELETE", S3_AT_OBJECT, "", false, "REST.DELETE.OBJECT"},
        {"GET", S3_AT_ADMIN, "", false, "REST.GET.ADMIN"},
        {"GET", S3_AT_ADMIN, "acl", false, "REST.GET.ADMIN"},
        {"PATCH", S3_AT_OBJECT, "", false, "REST.PATCH.OBJECT"},
    };
    char op[64];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        s3_access_operation(slice_str(rows[i].method), rows[i].at, slice_str(rows[i].sub),
                            rows[i].copy, op, sizeof op);
        if (!CHECK(strcmp(op, rows[i].want) == 0))
            fprintf(stderr, "  %s %d %s -> %s\n", rows[i].method, rows[i].at, rows[i].sub, op);
    }
    /* a long method is cut, and the name always fits */
    s3_access_operation(slice_str("AVERYLONGMETHODNAMEINDEED"), S3_AT_OBJECT, slice_str(""), false,
                        op, sizeof op);
    CHECK(strcmp(op, "REST.AVERYLONGMETHODN.OBJECT") == 0);
}

/* doc_line -- the line of doc/formats.md holding request id id, with its '\n'. */
static bool doc_line(const char *id, char *out, size_t cap)
{
    FILE *f = fopen("doc/formats.md", "r");
    bool found = false;
    if (!f) {
        fprintf(stderr, "  doc/formats.md not found: run from the repository root\n");
        return false;
    }
    while (!found && fgets(out, (int)cap, f))
        found = strncmp(out, "- ", 2) == 0 && strstr(out, id) != NULL;
    fclose(f);
    return found;
}

/* The worked examples in doc/formats.md are what the code writes for the
 * inputs stated there. */
static void test_doc_examples_are_exact(void)
{
    char line[2048];
    CHECK(doc_line("7A2C64F1D0B3E958", line, sizeof line) && strcmp(line, doc_line_get) == 0);
    CHECK(doc_line("0F3A9B6C21D4E587", line, sizeof line) && strcmp(line, doc_line_refused) == 0);
    s3_access_entry e = doc_example_refused();
    line_is(&e, doc_line_refused);
}

static const test_case cases[] = {
    TEST(test_line_has_every_field_in_s3_order),
    TEST(test_missing_values_are_dashes),
    TEST(test_client_bytes_are_escaped),
    TEST(test_signatures_in_the_query_are_redacted),
    TEST(test_operation_names_follow_s3),
    TEST(test_doc_examples_are_exact),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
