/*
 * post_policy_test.c -- the POST policy: parsing, S3's messages for a bad
 * document, and the check of a form against it.
 *
 * Two vectors pin the whole chain: the AWS documentation's "Example:
 * Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)"
 * (its 648-byte policy with CRLF line ends, and the signature the page
 * states) and botocore's generate_presigned_post with its clock at
 * 2015-12-29T00:00:00Z; for each, the policy parses, the example's form
 * passes the check, and HMAC-SHA256 of the base64 text under the SigV4
 * signing key is the signature given. Then table rows: a document and
 * S3's answer, a form and S3's answer, message for message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/checksum.h"
#include "s3/post_policy.h"
#include "s3/sigv4.h"
#include "test.h"
#include "util/hex.h"

#define AWS_POLICY                                                                                 \
    "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7" \
    "ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91" \
    "c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3Qi" \
    "OiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwi" \
    "fSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRh" \
    "LXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVT" \
    "MjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNy" \
    "ZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9" \
    "LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAi" \
    "MjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
#define AWS_SIGNATURE "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
#define BOTO_POLICY                                                                                \
    "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2ln" \
    "djRleGFtcGxlYnVja2V0In0sIHsia2V5IjogInVzZXIvdXNlcjEvcGhvdG8uanBnIn0sIHsieC1hbXotYWxnb3JpdGht" \
    "IjogIkFXUzQtSE1BQy1TSEEyNTYifSwgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNUExFLzIw" \
    "MTUxMjI5L3VzLWVhc3QtMS9zMy9hd3M0X3JlcXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMTUxMjI5VDAwMDAwMFoi" \
    "fV19"
#define BOTO_SIGNATURE "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define CRED "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"
#define T_20151229 1451347200 /* 2015-12-29T00:00:00Z */
#define T_EXPIRES 1451476800  /* 2015-12-30T12:00:00Z */

static s3_post_policy pol;
static char msg[S3_POST_POLICY_MESSAGE_BYTES];

#define F(n, v)                                                                                    \
    {                                                                                              \
        {(const uint8_t *)(n), sizeof(n) - 1},                                                     \
        {                                                                                          \
            (const uint8_t *)(v), sizeof(v) - 1                                                    \
        }                                                                                          \
    }

/* signature_of -- hex HMAC-SHA256 of the base64 policy under the SigV4 key of CRED's scope. */
static void signature_of(const char *b64, char hex[65])
{
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    memcpy(a.date, "20151229", 9);
    snprintf(a.region, sizeof a.region, "us-east-1");
    a.region_len = 9;
    snprintf(a.service, sizeof a.service, "s3");
    a.service_len = 2;
    uint8_t key[32], mac[32];
    CHECK_EQ(s3_sigv4_signing_key(slice_str(SECRET), &a, key), 0);
    s3_sigv4_hmac(key, slice_str(b64), mac);
    hex_encode(mac, 32, hex);
}

static void test_aws_example_parses_passes_and_signs(void)
{
    CHECK_EQ(s3_post_policy_parse(slice_str(AWS_POLICY), &pol, msg, sizeof msg), S3_ERR_NONE);
    CHECK_MEM(msg, strlen(msg), "", 0);
    CHECK_EQ(pol.expiration_s, T_EXPIRES);
    CHECK_EQ(pol.n_conds, 11);
    /* the example's form, as its HTML sends it (capitalised names, an empty meta tag) */
    static const s3_post_field form[] = {
        F("key", "user/user1/photo.jpg"),
        F("acl", "public-read"),
        F("success_action_redirect",
          "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),
        F("Content-Type", "image/jpeg"),
        F("x-amz-meta-uuid", "14365123651274"),
        F("x-amz-server-side-encryption", "AES256"),
        F("X-Amz-Credential", CRED),
        F("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        F("X-Amz-Date", "20151229T000000Z"),
        F("x-amz-meta-tag", ""),
        F("Policy", AWS_POLICY),
        F("X-Amz-Signature", AWS_SIGNATURE),
    };
    uint64_t lo = 1, hi = 1;
    CHECK_EQ(s3_post_policy_check(&pol, T_20151229, slice_str("sigv4examplebucket"), form,
                                  TEST_COUNT(form), false, &lo, &hi, msg, sizeof msg),
             S3_ERR_NONE);
    CHECK(lo == 0 && hi == UINT64_MAX);
    char hex[65];
    signature_of(AWS_POLICY, hex);
    CHECK_MEM(hex, 64, AWS_SIGNATURE, 64);
    /* the same form a second after the expiration; or posted to another bucket */
    CHECK_EQ(s3_post_policy_check(&pol, T_EXPIRES, slice_str("sigv4examplebucket"), form,
                                  TEST_COUNT(form), false, &lo, &hi, msg, sizeof msg),
             S3_ERR_NONE);
    CHECK_EQ(s3_post_policy_check(&pol, T_EXPIRES + 1, slice_str("sigv4examplebucket"), form,
                                  TEST_COUNT(form), false, &lo, &hi, msg, sizeof msg),
             S3_ERR_ACCESS_DENIED);
    CHECK_MEM(msg, strlen(msg), "Invalid according to Policy: Policy expired.", 44);
    CHECK_EQ(s3_post_policy_check(&pol, T_20151229, slice_str("otherbucket"), form,
                                  TEST_COUNT(form), false, &lo, &hi, msg, sizeof msg),
             S3_ERR_ACCESS_DENIED);
    const char want[] = "Invalid according to Policy: Policy Condition failed: [\"eq\", "
                        "\"$bucket\", \"sigv4examplebucket\"]";
    CHECK_MEM(msg, strlen(msg), want, sizeof want - 1);
}

static void test_botocore_vector_parses_passes_and_signs(void)
{
    CHECK_EQ(s3_post_policy_parse(slice_str(BOTO_POLICY), &pol, msg, sizeof msg), S3_ERR_NONE);
    CHECK_EQ(pol.expiration_s, T_20151229 + 3600);
    CHECK_EQ(pol.n_conds, 5);
    static const s3_post_field form[] = {
        F("key", "user/user1/photo.jpg"), F("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        F("x-amz-credential", CRED),      F("x-amz-date", "20151229T000000Z"),
        F("policy", BOTO_POLICY),         F("x-amz-signature", BOTO_SIGNATURE),
    };
    uint64_t lo, hi;
    CHECK_EQ(s3_post_policy_check(&pol, T_20151229 + 3600, slice_str("sigv4examplebucket"), form,
                                  TEST_COUNT(form), false, &lo, &hi, msg, sizeof msg),
             S3_ERR_NONE);
    char hex[65];
    signature_of(BOTO_POLICY, hex);
    CHECK_MEM(hex, 64, BOTO_SIGNATURE, 64);
}

/* parse_json -- parses a JSON text (base64-encoded here first). */
static s3_err_code parse_json(const char *json)
{
    static char b64[S3_POST_POLICY_MAX_BYTES * 2];
    s3_base64((const uint8_t *)json, strlen(json), b64, sizeof b64);
    return s3_post_policy_parse(slice_str(b64), &pol, msg, sizeof msg);
}

#define EXP "\"expiration\": \"2030-01-01T00:00:00Z\""

static const struct {
    const char *json;
    const char *msg; /* "" when it parses */
} documents[] = {
    {"{" EXP ", \"conditions\": []}", ""},
    {"{\"conditions\": [], \"expiration\": \"2030-01-01T00:00:00.123456Z\"}", ""},
    {"{" EXP ", \"conditions\": [[\"StArTs-WiTh\", \"$KeY\", \"\"], [\"EQ\", \"$a\", \"b\"]]}", ""},
    {"{" EXP ", \"conditions\": [[\"content-length-range\", \"5\", 10]]}", ""},
    {"{" EXP ", \"conditions\": [[\"content-length-range\", \"test\", \"10\"]]}", ""},
    {"{" EXP ", \"conditions\": [{\"k\": \"\\u0000\\\\$x\"}]}", ""},
    {"{" EXP ", \"conditions\": [], }", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [{\"a\": \"b\"},]}", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", 'conditions': []}", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [{\"a\": \"\\$b\"}]}", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": []} x", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [{\"a\": \"\xff\"}]}", "Invalid Policy: Invalid JSON."},
    {"[]", "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [{\"success_action_redirect\": null}]}",
     "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [[\"content-length-range\", 0, 512.0]]}",
     "Invalid Policy: Invalid JSON."},
    {"{" EXP ", \"conditions\": [[\"eq\", \"$a\", 5]]}", "Invalid Policy: Invalid JSON."},
    {"{\"conditions\": []}", "Invalid Policy: Policy missing expiration."},
    {"{" EXP "}", "Invalid Policy: Policy missing conditions."},
    {"{\"EXPIRATION\": \"2030-01-01T00:00:00Z\", \"conditions\": []}",
     "Invalid Policy: Unexpected: 'expiration'"},
    {"{" EXP ", \"CONDITIONS\": []}", "Invalid Policy: Unexpected: 'conditions'"},
    {"{\"Version\": \"2012-10-17\", \"Statement\": []}", "Invalid Policy: Unexpected: 'version'"},
    {"{\"expiration\": \"2011-09-13T07:52:58+02:00\", \"conditions\": []}",
     "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"},
    {"{\"expiration\": \"2015-10-17 03:15:59 UTC\", \"conditions\": []}",
     "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"},
    {"{\"expiration\": \"2015-02-30T00:00:00Z\", \"conditions\": []}",
     "Invalid Policy: Invalid 'expiration' value: '2015-02-30T00:00:00Z'"},
    {"{\"expiration\": \"2015-01-30T00:00:00.Z\", \"conditions\": []}",
     "Invalid Policy: Invalid 'expiration' value: '2015-01-30T00:00:00.Z'"},
    {"{\"expiration\": 5, \"conditions\": []}", "Invalid Policy: Invalid 'expiration' value: '5'"},
    {"{" EXP ", \"conditions\": {}}",
     "Invalid Policy: Invalid 'conditions' value: must be a List."},
    {"{" EXP ", \"conditions\": [{}]}",
     "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property "
     "specified."},
    {"{" EXP ", \"conditions\": [{\"bucket\": \"b\", \"key\": \"k\"}]}",
     "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property "
     "specified."},
    {"{" EXP ", \"conditions\": [{\"Content-Length\": 6199034}]}",
     "Invalid Policy: Invalid Simple-Condition: value must be a string."},
    {"{" EXP ", \"conditions\": [[]]}",
     "Invalid Policy: Invalid Condition: missing operation identifier."},
    {"{" EXP ", \"conditions\": [[\"matches\", \"$a\", \"b\"]]}",
     "Invalid Policy: Invalid Condition: unknown operation 'matches'."},
    {"{" EXP ", \"conditions\": [[\"content-length-range\", 0]]}",
     "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
    {"{" EXP ", \"conditions\": [[\"Eq\", \"$a\", \"b\", \"c\"]]}",
     "Invalid Policy: Invalid eq: wrong number of arguments."},
    {"{" EXP ", \"conditions\": [[\"content-length-range\", -1, 0]]}",
     "Invalid Policy: Invalid content-length-range: the range must not be negative."},
    {"{" EXP ", \"conditions\": [\"key\"]}",
     "Invalid Policy: Invalid condition test: must be a List or Object."},
};

static void test_documents_and_their_messages(void)
{
    for (size_t i = 0; i < TEST_COUNT(documents); i++) {
        s3_err_code want = documents[i].msg[0] ? S3_ERR_INVALID_POLICY_DOCUMENT : S3_ERR_NONE;
        if (!CHECK_EQ(parse_json(documents[i].json), want) ||
            !CHECK_MEM(msg, strlen(msg), documents[i].msg, strlen(documents[i].msg)))
            fprintf(stderr, "  row %zu: %s\n", i, documents[i].json);
        if (want != S3_ERR_NONE)
            CHECK_EQ(pol.n_conds, 0);
    }
}

static void test_base64_is_strict(void)
{
    static const char *const bad[] = {"", "e30", "e30==", "e3=0", "e30=e30=", "e30*", "=e30"};
    for (size_t i = 0; i < TEST_COUNT(bad); i++) {
        CHECK_EQ(s3_post_policy_parse(slice_str(bad[i]), &pol, msg, sizeof msg),
                 S3_ERR_INVALID_POLICY_DOCUMENT);
        CHECK_MEM(msg, strlen(msg), "Invalid Policy: Invalid Base64 encoding.", 40);
    }
    /* line breaks inside base64 (some encoders wrap at 60 or 76) are skipped */
    static const char wrapped[] = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRp\r\n"
                                  "dGlvbnMiOiBbXX0=";
    CHECK_EQ(s3_post_policy_parse(slice_str(wrapped), &pol, msg, sizeof msg), S3_ERR_NONE);
    /* a document over S3_POST_POLICY_MAX_BYTES is refused before it is parsed */
    static char big[S3_POST_POLICY_MAX_BYTES + 64], b64[sizeof big * 2];
    memset(big, ' ', sizeof big - 1);
    s3_base64((const uint8_t *)big, sizeof big - 1, b64, sizeof b64);
    CHECK_EQ(s3_post_policy_parse(slice_str(b64), &pol, msg, sizeof msg),
             S3_ERR_INVALID_POLICY_DOCUMENT);
    CHECK_MEM(msg, strlen(msg), "Invalid Policy: Policy document is too large.", 45);
}

static void test_too_many_conditions(void)
{
    static char json[S3_POST_POLICY_MAX_BYTES];
    for (size_t n = S3_POST_POLICY_MAX_CONDITIONS; n <= S3_POST_POLICY_MAX_CONDITIONS + 1; n++) {
        size_t at = (size_t)snprintf(json, sizeof json, "{" EXP ", \"conditions\": [");
        for (size_t i = 0; i < n; i++)
            at += (size_t)snprintf(json + at, sizeof json - at, "%s{\"a\": \"b\"}", i ? "," : "");
        snprintf(json + at, sizeof json - at, "]}");
        CHECK_EQ(parse_json(json),
                 n == S3_POST_POLICY_MAX_CONDITIONS ? S3_ERR_NONE : S3_ERR_INVALID_POLICY_DOCUMENT);
    }
    CHECK_MEM(msg, strlen(msg), "Invalid Policy: Too many conditions: at most 256.", 49);
}

#define NOW 1700000000

/* check -- the form against a policy of the given conditions, with sigv2 as given. */
static s3_err_code check(const char *conds, const s3_post_field *form, size_t n, bool sigv2,
                         uint64_t *lo, uint64_t *hi)
{
    char json[4096];
    snprintf(json, sizeof json, "{" EXP ", \"conditions\": [%s]}", conds);
    if (!CHECK_EQ(parse_json(json), S3_ERR_NONE)) {
        fprintf(stderr, "  %s: %s\n", json, msg);
        return S3_ERR_INTERNAL_ERROR;
    }
    return s3_post_policy_check(&pol, NOW, slice_str("b"), form, n, sigv2, lo, hi, msg, sizeof msg);
}

static const s3_post_field form1[] = {F("Key", "user/42/a.jpg"),
                                      F("Content-Type", "image/jpeg,image/png"),
                                      F("x-amz-meta-note", "hi"),
                                      F("x-ignore-me", "1"),
                                      F("Policy", "p"),
                                      F("X-Amz-Signature", "s"),
                                      F("file", "")};

static const struct {
    const char *conds;
    bool sigv2;
    const char *msg; /* "" when the form passes */
} checks[] = {
    {"[\"starts-with\", \"$key\", \"user/42/\"], [\"starts-with\", \"$content-type\", \"image/\"], "
     "{\"X-AMZ-META-NOTE\": \"hi\"}",
     false, ""},
    /* values are case-sensitive, names are not */
    {"[\"starts-with\", \"$key\", \"User/\"], [\"starts-with\", \"$content-type\", \"\"], "
     "{\"x-amz-meta-note\": \"hi\"}",
     false,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", "
     "\"User/\"]"},
    {"[\"eq\", \"$Key\", \"user/42/a.jpg\"], [\"starts-with\", \"$content-type\", \"image/j\"], "
     "{\"x-amz-meta-note\": \"hi\"}",
     false,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$content-type\", "
     "\"image/j\"]"},
    /* a field no condition names */
    {"[\"starts-with\", \"$key\", \"\"], [\"starts-with\", \"$content-type\", \"\"]", false,
     "Invalid according to Policy: Extra input fields: x-amz-meta-note"},
    /* a condition on an absent field fails, even starts-with "" */
    {"[\"starts-with\", \"$key\", \"\"], [\"starts-with\", \"$Content-Type\", \"\"], "
     "{\"x-amz-meta-note\": \"hi\"}, [\"starts-with\", \"$success_action_redirect\", \"\"]",
     false,
     "Invalid according to Policy: Policy Condition failed: [\"starts-with\", "
     "\"$success_action_redirect\", \"\"]"},
    /* simple conditions are quoted back as eq; quotes and controls escaped */
    {"{\"key\": \"a\\\"b\\n\"}", false,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a\\\"b\\u000a\"]"},
    /* an operand without '$' names no field */
    {"[\"eq\", \"key\", \"user/42/a.jpg\"]", false,
     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"key\", \"user/42/a.jpg\"]"},
    /* content-length-range: numbers bare, strings quoted, a non-number fails */
    {"[\"content-length-range\", \"test\", 10]", false,
     "Invalid according to Policy: Policy Condition failed: [\"content-length-range\", \"test\", "
     "10]"},
    /* x-amz-signature needs no condition with sigv2 either */
    {"[\"starts-with\", \"$key\", \"\"], [\"starts-with\", \"$content-type\", \"\"], "
     "{\"x-amz-meta-note\": \"hi\"}",
     true, ""},
};

static void test_forms_and_their_messages(void)
{
    for (size_t i = 0; i < TEST_COUNT(checks); i++) {
        uint64_t lo, hi;
        s3_err_code want = checks[i].msg[0] ? S3_ERR_ACCESS_DENIED : S3_ERR_NONE;
        if (!CHECK_EQ(check(checks[i].conds, form1, TEST_COUNT(form1), checks[i].sigv2, &lo, &hi),
                      want) ||
            !CHECK_MEM(msg, strlen(msg), checks[i].msg, strlen(checks[i].msg)))
            fprintf(stderr, "  row %zu: %s\n", i, checks[i].conds);
    }
}

static void test_sigv2_fields_are_exempt_only_in_sigv2(void)
{
    static const s3_post_field form[] = {F("key", "k"), F("AWSAccessKeyId", "AK"),
                                         F("signature", "s"), F("policy", "p"), F("file", "")};
    uint64_t lo, hi;
    CHECK_EQ(check("{\"key\": \"k\"}", form, TEST_COUNT(form), true, &lo, &hi), S3_ERR_NONE);
    CHECK_EQ(check("{\"key\": \"k\"}", form, TEST_COUNT(form), false, &lo, &hi),
             S3_ERR_ACCESS_DENIED);
    CHECK_MEM(msg, strlen(msg), "Invalid according to Policy: Extra input fields: AWSAccessKeyId",
              63);
}

static void test_content_length_range(void)
{
    static const s3_post_field form[] = {F("key", "k")};
    uint64_t lo, hi;
    CHECK_EQ(check("{\"key\": \"k\"}, [\"content-length-range\", 5, 10]", form, 1, false, &lo, &hi),
             S3_ERR_NONE);
    CHECK(lo == 5 && hi == 10);
    /* strings count as numbers; two ranges: the tightest */
    CHECK_EQ(check("{\"key\": \"k\"}, [\"content-length-range\", \"1\", \"100\"], "
                   "[\"content-length-range\", 7, 99999999999999999999]",
                   form, 1, false, &lo, &hi),
             S3_ERR_NONE);
    CHECK(lo == 7 && hi == 100);
    CHECK_EQ(check("{\"key\": \"k\"}", form, 1, false, &lo, &hi), S3_ERR_NONE);
    CHECK(lo == 0 && hi == UINT64_MAX);
    /* the range is reset when the check fails */
    CHECK_EQ(check("[\"content-length-range\", 5, 10], {\"key\": \"x\"}", form, 1, false, &lo, &hi),
             S3_ERR_ACCESS_DENIED);
    CHECK(lo == 0 && hi == UINT64_MAX);
}

static void test_message_is_truncated_not_overrun(void)
{
    static char conds[3000];
    char value[2001];
    memset(value, 'v', 2000);
    value[2000] = '\0';
    snprintf(conds, sizeof conds, "{\"key\": \"%s\"}", value);
    static const s3_post_field form[] = {F("key", "k")};
    uint64_t lo, hi;
    char small[64];
    snprintf(small, sizeof small, "unchanged");
    CHECK_EQ(check(conds, form, 1, false, &lo, &hi), S3_ERR_ACCESS_DENIED);
    CHECK_EQ(strlen(msg), S3_POST_POLICY_MESSAGE_BYTES - 1);
    CHECK_EQ(s3_post_policy_check(&pol, NOW, slice_str("b"), form, 1, false, &lo, &hi, small,
                                  sizeof small),
             S3_ERR_ACCESS_DENIED);
    CHECK_EQ(strlen(small), sizeof small - 1);
    CHECK_MEM(small, 54, "Invalid according to Policy: Policy Condition failed: ", 54);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_aws_example_parses_passes_and_signs),
        TEST(test_botocore_vector_parses_passes_and_signs),
        TEST(test_documents_and_their_messages),
        TEST(test_base64_is_strict),
        TEST(test_too_many_conditions),
        TEST(test_forms_and_their_messages),
        TEST(test_sigv2_fields_are_exempt_only_in_sigv2),
        TEST(test_content_length_range),
        TEST(test_message_is_truncated_not_overrun),
    };
    return test_main(cases, TEST_COUNT(cases));
}
