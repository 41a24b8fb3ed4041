/*
 * cdc_sink_test.c -- the change-log sink's pure parts: SigV4 signing of an
 * outgoing request (sigv4_sign.c: AWS's PUT example signature, and what it
 * signs verifies), the "sink" settings' checks and stored forms
 * (cdc_sink_conf.c), the cursor's stored form.
 */
#include <stdio.h>
#include <string.h>

#include "s3/admin.h"
#include "s3/cdc_sink.h"
#include "s3/sigv4.h"
#include "test.h"
#include "request_fixture.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T0 1369353600 /* 2013-05-24T00:00:00Z */

static int lookup(void *arg, cf_slice ak, cf_slice *secret)
{
    *secret = slice_make(NULL, 0);
    if (!slice_eq(ak, slice_str(AK)))
        return CF_ENOTFOUND;
    *secret = slice_str(arg);
    return 0;
}

/* AWS's "PUT Object" example (sigv4_test.c verifies the same request). */
static void test_sign_put_object_example_gives_aws_signature(void)
{
    static const char *hdrs[] = {
        "date: Fri, 24 May 2013 00:00:00 GMT",
        "host: examplebucket.s3.amazonaws.com",
        "x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        "x-amz-date: 20130524T000000Z",
        "x-amz-storage-class: REDUCED_REDUNDANCY",
        NULL};
    http_request r;
    build(&r, "PUT", "/test%24file.text", hdrs);
    s3_sigv4_scratch scratch = {0};
    cf_buf auth = {0};
    int rc = s3_sigv4_sign(
        &r, slice_str(AK), slice_str(SECRET), slice_str("us-east-1"), "20130524T000000Z",
        slice_str("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"), &scratch,
        &auth);
    CHECK_EQ(rc, 0);
    static const char want[] =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd";
    CHECK_MEM(auth.data, auth.len, want, sizeof want - 1);
    s3_sigv4_scratch_free(&scratch);
    buf_free(&auth);
}

/* What the sink signs, coffer's verifier accepts; a changed byte of the path does not verify. */
static void test_sign_then_verify_round_trip(void)
{
    static const char *hdrs[] = {
        "content-type: application/x-ndjson",
        "host: 127.0.0.1:9000",
        "x-amz-content-sha256: " S3_SIGV4_EMPTY_SHA256,
        "x-amz-date: 20130524T000000Z",
        NULL, /* room for authorization */
        NULL};
    http_request r;
    build(&r, "PUT", "/dst/log/src/2013/05/24/00-00-00.000000000000.ndjson", hdrs);
    s3_sigv4_scratch scratch = {0};
    cf_buf auth = {0};
    CHECK_EQ(s3_sigv4_sign(&r, slice_str(AK), slice_str(SECRET), slice_str("eu-west-1"),
                           "20130524T000000Z", slice_str(S3_SIGV4_EMPTY_SHA256), &scratch, &auth),
             0);
    r.headers[4] = (http_header){slice_str("Authorization"), buf_slice(&auth)};
    r.n_headers = 5;
    s3_sigv4_config cfg = {slice_str("eu-west-1"), lookup, (void *)SECRET};
    s3_sigv4_result res;
    CHECK_EQ(s3_sigv4_verify(&r, &cfg, T0 + 5, &scratch, &res), S3_AUTH_OK);
    CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
    s3_sigv4_result_free(&res);
    r.path = slice_str("/dst/log/src/2013/05/24/00-00-00.000000000001.ndjson");
    CHECK_EQ(s3_sigv4_verify(&r, &cfg, T0 + 5, &scratch, &res), S3_AUTH_BAD_SIGNATURE);
    s3_sigv4_result_free(&res);
    s3_sigv4_scratch_free(&scratch);
    buf_free(&auth);
}

static bool parse(const char *json, s3_cdc_sink_conf *c, const char **why)
{
    json_object *v = s3_admin_json(slice_str(json));
    bool ok = v && s3_cdc_sink_parse(v, c, why);
    json_object_put(v);
    return ok;
}

static void test_conf_valid_sink_fields_and_defaults(void)
{
    s3_cdc_sink_conf c;
    const char *why = "unset";
    CHECK(parse("{\"endpoint\":\"http://rgw.local:7480/\",\"bucket\":\"dst\","
                "\"access_key\":\"ak\",\"secret_key\":\"sk\"}",
                &c, &why));
    CHECK(why == NULL);
    CHECK(strcmp(c.host, "rgw.local") == 0);
    CHECK_EQ(c.port, 7480);
    CHECK(strcmp(c.region, "us-east-1") == 0 && strcmp(c.prefix, "") == 0);
    CHECK(parse("{\"endpoint\":\"http://[::1]:9000\",\"bucket\":\"dst\",\"region\":\"eu-1\","
                "\"prefix\":\"a/b/\",\"access_key\":\"ak\",\"secret_key\":\"sk\"}",
                &c, &why));
    CHECK(strcmp(c.host, "::1") == 0 && c.port == 9000 && strcmp(c.prefix, "a/b/") == 0);
}

static void test_conf_refusals_name_the_fault(void)
{
    static const struct {
        const char *json, *why;
    } cases[] = {
        {"{\"endpoint\":\"https://s3.amazonaws.com:443\",\"bucket\":\"dst\",\"access_key\":\"a\","
         "\"secret_key\":\"s\"}",
         "The sink endpoint is https://: coffer's sink speaks http:// only (no TLS yet)."},
        {"{\"endpoint\":\"http://host\",\"bucket\":\"dst\",\"access_key\":\"a\",\"secret_key\":\"s\"}",
         "The sink endpoint must be http://HOST:PORT."},
        {"{\"endpoint\":\"http://host:0\",\"bucket\":\"dst\",\"access_key\":\"a\",\"secret_key\":\"s\"}",
         "The sink endpoint must be http://HOST:PORT."},
        {"{\"endpoint\":\"http://host:80/path\",\"bucket\":\"dst\",\"access_key\":\"a\","
         "\"secret_key\":\"s\"}",
         "The sink endpoint must be http://HOST:PORT."},
        {"{\"endpoint\":\"http://h:1\",\"bucket\":\"Bad_Name\",\"access_key\":\"a\",\"secret_key\":\"s\"}",
         "The sink bucket must be a valid bucket name."},
        {"{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"access_key\":\"\",\"secret_key\":\"s\"}",
         "The sink access_key and secret_key must be non-empty strings of at most 128 bytes."},
        {"{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"access_key\":\"a\"}",
         "The sink access_key and secret_key must be non-empty strings of at most 128 bytes."},
        {"{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"access_key\":\"a\",\"secret_key\":\"s\","
         "\"tls\":true}",
         "The sink has an unknown member (it takes endpoint, region, bucket, prefix, access_key, "
         "secret_key)."},
        {"[1]", "The sink must be a JSON object (or null to remove it)."},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_cdc_sink_conf c;
        const char *why = NULL;
        CHECK(!parse(cases[i].json, &c, &why));
        CHECK(why && strcmp(why, cases[i].why) == 0);
    }
    /* the prefix: 512 bytes are fine, 513 are not */
    char json[1200], prefix[514];
    memset(prefix, 'p', 513);
    prefix[513] = '\0';
    const char *fmt = "{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"prefix\":\"%s\","
                      "\"access_key\":\"a\",\"secret_key\":\"s\"}";
    s3_cdc_sink_conf c;
    const char *why;
    snprintf(json, sizeof json, fmt, prefix);
    CHECK(!parse(json, &c, &why));
    prefix[512] = '\0';
    snprintf(json, sizeof json, fmt, prefix);
    CHECK(parse(json, &c, &why));
    CHECK_EQ(strlen(c.prefix), 512);
}

static void test_conf_stored_form_round_trips_and_public_form_hides_secret(void)
{
    s3_cdc_sink_conf c, d;
    const char *why;
    CHECK(parse("{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"prefix\":\"x/\","
                "\"access_key\":\"a\",\"secret_key\":\"s3cr3t\"}",
                &c, &why));
    c.target_us = 1765000000123456;
    cf_buf b = {0};
    CHECK_EQ(s3_cdc_sink_encode(&c, &b), 0);
    static const char want[] =
        "{\"endpoint\":\"http:\\/\\/h:1\",\"region\":\"us-east-1\",\"bucket\":\"dst\","
        "\"prefix\":\"x\\/\",\"access_key\":\"a\",\"secret_key\":\"s3cr3t\","
        "\"target_us\":1765000000123456}";
    CHECK_MEM(b.data, b.len, want, sizeof want - 1);
    CHECK_EQ(s3_cdc_sink_decode(buf_slice(&b), &d), 0);
    CHECK(memcmp(&c, &d, sizeof c) == 0);
    CHECK(s3_cdc_sink_same_target(&c, &d));
    json_object *pub = s3_cdc_sink_json(&c);
    const char *text = json_object_to_json_string_ext(pub, JSON_C_TO_STRING_PLAIN);
    CHECK(strstr(text, "s3cr3t") == NULL && strstr(text, "secret") == NULL);
    json_object_put(pub);
    CHECK_EQ(s3_cdc_sink_decode(slice_str("{\"endpoint\":\"https://h:1\"}"), &d), CF_ECORRUPT);
    buf_free(&b);
}

static void test_pos_stored_form(void)
{
    s3_cdc_sink_pos p = {1765000000123456, 1765000020000000, 8388608}, q;
    cf_buf b = {0};
    CHECK_EQ(s3_cdc_sink_pos_encode(&p, &b), 0);
    static const char want[] = "1765000000123456 1765000020000000 8388608";
    CHECK_MEM(b.data, b.len, want, sizeof want - 1);
    CHECK_EQ(s3_cdc_sink_pos_decode(buf_slice(&b), &q), 0);
    CHECK(q.target_us == p.target_us && q.window_us == p.window_us && q.off == p.off);
    CHECK_EQ(s3_cdc_sink_pos_decode(slice_str("1 2"), &q), CF_ECORRUPT);
    CHECK_EQ(s3_cdc_sink_pos_decode(slice_str("1 2 3 "), &q), CF_ECORRUPT);
    CHECK_EQ(s3_cdc_sink_pos_decode(slice_str("1 -2 3"), &q), CF_ECORRUPT);
    buf_free(&b);
}

/* The worked examples of doc/formats.md are what the code writes. */
static void test_formats_md_worked_examples_are_what_the_code_writes(void)
{
    cf_buf b = {0};
    s3_cdc_sink_conf c;
    const char *why;
    CHECK(parse("{\"endpoint\":\"http://h:1\",\"bucket\":\"dst\",\"prefix\":\"x/\","
                "\"access_key\":\"a\",\"secret_key\":\"s3cr3t\"}",
                &c, &why));
    c.target_us = 1765000000123456;
    CHECK_EQ(s3_cdc_sink_encode(&c, &b), 0);
    CHECK(test_doc_has_line("doc/formats.md", (const char *)b.data, b.len));
    s3_cdc_sink_pos p = {1765000000123456, 1765000020000000, 8388608};
    CHECK_EQ(s3_cdc_sink_pos_encode(&p, &b), 0);
    CHECK(test_doc_has_line("doc/formats.md", (const char *)b.data, b.len));
    /* 2026-12-08 04:11:40 UTC, byte 7581 */
    CHECK_EQ(s3_cdc_sink_object_name("log/", slice_str("src"), 1796703100000000LL, 7581, &b), 0);
    CHECK(test_doc_has_line("doc/formats.md", (const char *)b.data, b.len));
    static const char name[] = "log/src/2026/12/08/04-11-40.000000007581.ndjson";
    CHECK_MEM(b.data, b.len, name, sizeof name - 1);
    buf_free(&b);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_sign_put_object_example_gives_aws_signature),
        TEST(test_sign_then_verify_round_trip),
        TEST(test_conf_valid_sink_fields_and_defaults),
        TEST(test_conf_refusals_name_the_fault),
        TEST(test_conf_stored_form_round_trips_and_public_form_hides_secret),
        TEST(test_pos_stored_form),
        TEST(test_formats_md_worked_examples_are_what_the_code_writes),
    };
    return test_main(cases, TEST_COUNT(cases));
}
