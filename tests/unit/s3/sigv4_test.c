/*
 * sigv4_test.c -- SigV4 against the published AWS S3 examples (header auth:
 * GET object with Range, PUT object, GET lifecycle, list objects; the
 * presigned URL; the signed streaming upload, without and with a trailer),
 * then every way a request can fail: tampering, wrong secret, unknown key,
 * skew, expiry, malformed headers and parameters, SigV2, both mechanisms.
 *
 * All examples use AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,
 * 20130524T000000Z, us-east-1 (AWS S3 API reference, "Signature Version 4").
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "s3/sigv4.h"
#include "request_fixture.h"
#include "test.h"
#include "util/hex.h"
#include "util/err.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T0 1369353600 /* 2013-05-24T00:00:00Z */
#define CRED "Credential=" AK "/20130524/us-east-1/s3/aws4_request"
#define EMPTY S3_SIGV4_EMPTY_SHA256

static int lookup(void *arg, cf_slice ak, cf_slice *secret)
{
    const char *s = arg;
    *secret = slice_make(NULL, 0);
    if (!slice_eq(ak, slice_str(AK)))
        return CF_ENOTFOUND;
    *secret = slice_str(s);
    return 0;
}

static int verify(const http_request *r, const char *secret, const char *region, int64_t now,
                  s3_sigv4_result *res)
{
    static s3_sigv4_scratch scratch;
    s3_sigv4_config cfg = {slice_str(region), lookup, (void *)secret};
    int rc = s3_sigv4_verify(r, &cfg, now, &scratch, res);
    s3_sigv4_scratch_free(&scratch);
    return rc;
}

static const char *get_hdrs[] = {
    "Host: examplebucket.s3.amazonaws.com",
    "Range: bytes=0-9",
    "x-amz-content-sha256: " EMPTY,
    "x-amz-date: 20130524T000000Z",
    "Authorization: AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;range;x-amz-content-sha256;"
    "x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    NULL};

static void test_get_object_example_canonical_request_and_signature(void)
{
    http_request r;
    build(&r, "GET", "/test.txt", get_hdrs);
    s3_sigv4_auth a;
    const char *why;
    CHECK_EQ(s3_sigv4_parse_header(r.headers[4].value, &a, &why), S3_AUTH_OK);
    s3_sigv4_scratch sc;
    memset(&sc, 0, sizeof sc);
    CHECK_EQ(s3_sigv4_canonical_request(&r, &a, slice_str(EMPTY), &sc), 0);
    const char *want = "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
                       "range:bytes=0-9\nx-amz-content-sha256:" EMPTY "\n"
                       "x-amz-date:20130524T000000Z\n\n"
                       "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY;
    CHECK_MEM(sc.canon.data, sc.canon.len, want, strlen(want));
    CHECK_EQ(s3_sigv4_string_to_sign(&a, "20130524T000000Z", &sc), 0);
    const char *sts = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
    CHECK_MEM(sc.sts.data, sc.sts.len, sts, strlen(sts));
    s3_sigv4_scratch_free(&sc);

    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_OK);
    CHECK_EQ(res.code, S3_ERR_NONE);
    CHECK(res.message == NULL);
    CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
    CHECK_EQ(res.payload, S3_PAYLOAD_SHA256);
    CHECK_EQ(res.content_sha256[0], 0xe3);
    CHECK_EQ(res.request_time_s, T0);
    CHECK(!res.presigned && res.stream.md == NULL);
    s3_sigv4_result_free(&res);
}

static void test_put_object_example_path_encoded_or_raw(void)
{
    /* The key is "test$file.text": sent raw or as %24, the canonical URI is /test%24file.text. */
    static const char *hdrs[] = {
        "Host: examplebucket.s3.amazonaws.com",
        "Date: Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date: 20130524T000000Z",
        "x-amz-storage-class: REDUCED_REDUNDANCY",
        "x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        "Authorization: AWS4-HMAC-SHA256 " CRED ", SignedHeaders=date;host;x-amz-content-sha256;"
        "x-amz-date;x-amz-storage-class, "
        "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        NULL};
    const char *targets[] = {"/test$file.text", "/test%24file.text", "/test%24file%2etext"};
    for (size_t i = 0; i < TEST_COUNT(targets); i++) {
        http_request r;
        build(&r, "PUT", targets[i], hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "us-east-1", T0 + 60, &res), S3_AUTH_OK);
        CHECK_EQ(res.payload, S3_PAYLOAD_SHA256);
        CHECK_EQ(res.content_sha256[31], 0x72);
        s3_sigv4_result_free(&res);
    }
}

static void test_lifecycle_and_list_objects_examples_query_canonical(void)
{
    static const struct {
        const char *target, *sig;
    } cases[] = {
        {"/?lifecycle", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
        {"/?max-keys=2&prefix=J",
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
        {"/?prefix=J&max-keys=2",
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
        {"/?&max-keys=2&&prefix=%4a&",
         "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        char authz[300];
        snprintf(authz, sizeof authz,
                 "Authorization: AWS4-HMAC-SHA256 " CRED
                 ",SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=%s",
                 cases[i].sig);
        const char *hdrs[] = {"Host: examplebucket.s3.amazonaws.com",
                              "x-amz-date: 20130524T000000Z", "x-amz-content-sha256: " EMPTY, authz,
                              NULL};
        http_request r;
        build(&r, "GET", cases[i].target, hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_OK);
        s3_sigv4_result_free(&res);
    }
}

#define PRESIGNED_SIG "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
#define PRESIGNED_Q                                                                                \
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" AK "%2F20130524%2Fus-east-1%2Fs3%2F"      \
    "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"

static void test_presigned_url_example(void)
{
    const char *hdrs[] = {"Host: examplebucket.s3.amazonaws.com", NULL};
    const char *targets[] = {
        "/test.txt?" PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG,
        "/test.txt?X-Amz-Signature=" PRESIGNED_SIG "&X-Amz-Expires=86400&X-Amz-Algorithm="
        "AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&X-Amz-Date=20130524T000000Z&X-Amz-Credential=" AK
        "/20130524/us-east-1/s3/aws4_request",
    };
    for (size_t i = 0; i < TEST_COUNT(targets); i++) {
        http_request r;
        build(&r, "GET", targets[i], hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "us-east-1", T0 + 86400, &res), S3_AUTH_OK);
        CHECK(res.presigned);
        CHECK_EQ(res.payload, S3_PAYLOAD_UNSIGNED);
        CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
        s3_sigv4_result_free(&res);
    }
}

static void test_presigned_url_expiry_and_not_yet_valid(void)
{
    const char *hdrs[] = {"Host: examplebucket.s3.amazonaws.com", NULL};
    http_request r;
    build(&r, "GET", "/test.txt?" PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG, hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T0 + 86401, &res), S3_AUTH_EXPIRED);
    CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED);
    CHECK(res.message && strcmp(res.message, "Request has expired") == 0);
    CHECK_EQ(verify(&r, SECRET, "", T0 - 901, &res), S3_AUTH_NOT_YET_VALID);
    CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED);
    CHECK_EQ(verify(&r, SECRET, "", T0 - 900, &res), S3_AUTH_OK);
    CHECK_EQ(verify(&r, "wrong", "", T0, &res), S3_AUTH_BAD_SIGNATURE);
    CHECK_EQ(s3_sigv4_check_presigned_time(T0, 1, T0 + 1), S3_AUTH_OK);
    CHECK_EQ(s3_sigv4_check_presigned_time(T0, 1, T0 + 2), S3_AUTH_EXPIRED);
}

static void test_presigned_malformed_parameters(void)
{
    static const struct {
        const char *query;
        int want;
    } cases[] = {
        {"X-Amz-Algorithm=AWS4-HMAC-SHA256", S3_AUTH_QUERY_MALFORMED}, /* missing the rest */
        {PRESIGNED_Q, S3_AUTH_QUERY_MALFORMED},                        /* no signature */
        {PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG "&X-Amz-Expires=86400",
         S3_AUTH_QUERY_MALFORMED}, /* repeated */
        {"X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=x", S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", S3_AUTH_UNSUPPORTED},
        {"X-Amz-Expires=0&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Expires=604801&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Expires=-5&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Date=20130524T000000&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Date=20130230T000000Z&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Credential=AK%2F2013052%2Fus-east-1%2Fs3%2Faws4_request", S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fec2%2Faws4_request",
         S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Credential=AK%2F20130524%2Fus-east-1%2Fs3%2Faws4_request%2Fx",
         S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-SignedHeaders=range&X-Amz-Signature=" PRESIGNED_SIG, S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-SignedHeaders=host%3B%3Brange", S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Signature=abc", S3_AUTH_QUERY_MALFORMED},
        {"X-Amz-Signature=%zz", S3_AUTH_QUERY_MALFORMED},
        {PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG "&X-Amz-Security-Token=t", S3_AUTH_TOKEN},
        {PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG "&AWSAccessKeyId=x", S3_AUTH_UNSUPPORTED},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_sigv4_auth a;
        const char *why = NULL;
        int rc = s3_sigv4_parse_query(slice_str(cases[i].query), &a, &why);
        if (!CHECK_EQ(rc, cases[i].want))
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].query);
        CHECK(rc != S3_AUTH_QUERY_MALFORMED || why != NULL);
    }
}

/* ---- streaming ---- */

static const char *stream_hdrs[] = {
    "Host: s3.amazonaws.com",
    "x-amz-date: 20130524T000000Z",
    "x-amz-storage-class: REDUCED_REDUNDANCY",
    "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "Content-Encoding: aws-chunked",
    "x-amz-decoded-content-length: 66560",
    "Content-Length: 66824",
    "Authorization: AWS4-HMAC-SHA256 " CRED ",SignedHeaders=content-encoding;content-length;host;"
    "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
    "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
    NULL};

static void feed_a(s3_sigv4_stream *s, size_t n, size_t step)
{
    static char a[65536];
    memset(a, 'a', sizeof a);
    for (size_t off = 0; off < n; off += step)
        CHECK_EQ(s3_sigv4_stream_update(s, a, off + step <= n ? step : n - off), S3_AUTH_OK);
}

static void test_streaming_example_seed_and_chunk_signatures(void)
{
    http_request r;
    build(&r, "PUT", "/examplebucket/chunkObject.txt", stream_hdrs);
    s3_sigv4_result res;
    if (!CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_OK))
        return;
    CHECK_EQ(res.payload, S3_PAYLOAD_STREAMING);
    CHECK(res.stream.md != NULL);
    CHECK_MEM(res.stream.prev, 64,
              "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", 64);
    feed_a(&res.stream, 65536, 65536);
    CHECK_EQ(s3_sigv4_stream_chunk_end(&res.stream, slice_str("ad80c730a21e5b8d04586a2213dd63b9a"
                                                              "0e99e0e2307b0ade35a65485a288648")),
             S3_AUTH_OK);
    feed_a(&res.stream, 1024, 1024);
    CHECK_EQ(s3_sigv4_stream_chunk_end(&res.stream, slice_str("0055627c9e194cb4542bae2aa5492e3c1"
                                                              "575bbb81b612b7d234b86a503ef5497")),
             S3_AUTH_OK);
    CHECK_EQ(s3_sigv4_stream_chunk_end(&res.stream, slice_str("b6c6ea8a5354eaf15b3cb7646744f4275"
                                                              "b71ea724fed81ceb9323e279d449df9")),
             S3_AUTH_OK);
    s3_sigv4_result_free(&res);
    CHECK(res.stream.md == NULL);
}

static void hex_of(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void test_streaming_chunk_split_at_every_byte_same_signature(void)
{
    uint8_t key[32], seed[32], data[1024], h[32], mac[32];
    char seed_hex[65], data_hex[65], want[65], sts[400];
    memset(key, 7, sizeof key);
    memset(seed, 9, sizeof seed);
    memset(data, 'a', sizeof data);
    hex_of(seed, 32, seed_hex);
    SHA256(data, sizeof data, h);
    hex_of(h, 32, data_hex);
    int n = snprintf(sts, sizeof sts,
                     "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n"
                     "20130524/us-east-1/s3/aws4_request\n%s\n" EMPTY "\n%s",
                     seed_hex, data_hex);
    s3_sigv4_hmac(key, slice_make(sts, (size_t)n), mac);
    hex_of(mac, 32, want);
    for (size_t step = 1; step <= sizeof data; step++) {
        s3_sigv4_stream s;
        CHECK_EQ(s3_sigv4_stream_init(&s, key, "20130524T000000Z",
                                      slice_str("20130524/us-east-1/s3/aws4_request"), seed),
                 0);
        feed_a(&s, sizeof data, step);
        CHECK_EQ(s3_sigv4_stream_chunk_end(&s, slice_str(want)), S3_AUTH_OK);
        s3_sigv4_stream_free(&s);
    }
}

#define TRAILER_SIG "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"

/* trailer_chain -- verifies the AWS trailer example up to its trailer; false on failure. */
static bool trailer_chain(s3_sigv4_result *res)
{
    const char *hdrs[TEST_COUNT(stream_hdrs) + 1];
    for (size_t i = 0; i < TEST_COUNT(stream_hdrs); i++)
        hdrs[i] = stream_hdrs[i];
    hdrs[3] = "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    hdrs[7] = "Authorization: AWS4-HMAC-SHA256 " CRED ",SignedHeaders=content-encoding;host;"
              "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;"
              "x-amz-trailer,"
              "Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    hdrs[8] = "x-amz-trailer: x-amz-checksum-crc32c";
    hdrs[9] = NULL;
    http_request r;
    build(&r, "PUT", "/examplebucket/chunkObject.txt", hdrs);
    if (!CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, res), S3_AUTH_OK))
        return false;
    CHECK_EQ(res->payload, S3_PAYLOAD_STREAMING_TRAILER);
    feed_a(&res->stream, 65536, 4096);
    bool ok = CHECK_EQ(s3_sigv4_stream_chunk_end(
                           &res->stream, slice_str("b474d8862b1487a5145d686f57f013e54db672cee1c9"
                                                   "53b3010fb58501ef5aa2")),
                       S3_AUTH_OK);
    feed_a(&res->stream, 1024, 1000);
    ok &= CHECK_EQ(s3_sigv4_stream_chunk_end(
                       &res->stream, slice_str("1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2"
                                               "c1d40a8cae51e5c7")),
                   S3_AUTH_OK);
    ok &= CHECK_EQ(s3_sigv4_stream_chunk_end(
                       &res->stream, slice_str("2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e"
                                               "65d5c9f85863f992")),
                   S3_AUTH_OK);
    return ok;
}

static void test_streaming_trailer_example(void)
{
    s3_sigv4_result res;
    if (trailer_chain(&res)) {
        cf_slice names[2] = {slice_str("X-Amz-Checksum-CRC32C"),
                             slice_str("x-amz-trailer-signature")};
        cf_slice values[2] = {slice_str(" sOO8/Q== "), slice_str(TRAILER_SIG)};
        CHECK_EQ(s3_sigv4_stream_trailer(&res.stream, names, values, 2, slice_str(TRAILER_SIG)),
                 S3_AUTH_OK);
    }
    s3_sigv4_result_free(&res);
}

static void test_streaming_trailer_tampered_value_is_rejected(void)
{
    s3_sigv4_result res;
    if (trailer_chain(&res)) {
        cf_slice name = slice_str("x-amz-checksum-crc32c"), value = slice_str("sOO8/Q=A");
        CHECK_EQ(s3_sigv4_stream_trailer(&res.stream, &name, &value, 1, slice_str(TRAILER_SIG)),
                 S3_AUTH_BAD_SIGNATURE);
    }
    s3_sigv4_result_free(&res);
}

static void test_streaming_tampered_chunk_is_rejected(void)
{
    http_request r;
    build(&r, "PUT", "/examplebucket/chunkObject.txt", stream_hdrs);
    s3_sigv4_result res;
    if (!CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_OK))
        return;
    feed_a(&res.stream, 65535, 65535);
    CHECK_EQ(s3_sigv4_stream_update(&res.stream, "b", 1), S3_AUTH_OK);
    CHECK_EQ(s3_sigv4_stream_chunk_end(&res.stream, slice_str("ad80c730a21e5b8d04586a2213dd63b9a"
                                                              "0e99e0e2307b0ade35a65485a288648")),
             S3_AUTH_BAD_SIGNATURE);
    CHECK_EQ(s3_sigv4_stream_chunk_end(&res.stream, slice_str("not hex")), S3_AUTH_BAD_SIGNATURE);
    s3_sigv4_result_free(&res);
}

/* ---- failures of header authentication ---- */

/* get_variant -- the GET example with header i replaced by repl (NULL: removed). */
static int get_variant(size_t i, const char *repl, const char *secret, const char *region,
                       int64_t now, s3_sigv4_result *res)
{
    const char *hdrs[TEST_COUNT(get_hdrs) + 1];
    size_t n = 0;
    for (size_t k = 0; get_hdrs[k]; k++)
        if (k != i || repl)
            hdrs[n++] = k == i ? repl : get_hdrs[k];
    hdrs[n] = NULL;
    http_request r;
    build(&r, "GET", "/test.txt", hdrs);
    return verify(&r, secret, region, now, res);
}

static void test_header_auth_failures_map_to_s3_errors(void)
{
    static const struct {
        size_t hdr; /* which header of get_hdrs to replace; 9: none */
        const char *repl;
        const char *secret;
        const char *region;
        int64_t now;
        int want;
        s3_err_code code;
    } cases[] = {
        {9, NULL, SECRET, "us-east-1", T0 + 900, S3_AUTH_OK, S3_ERR_NONE},
        {9, NULL, SECRET, "", T0 - 900, S3_AUTH_OK, S3_ERR_NONE},
        {1, "Range: bytes=0-10", SECRET, "", T0, S3_AUTH_BAD_SIGNATURE,
         S3_ERR_SIGNATURE_DOES_NOT_MATCH},
        {1, "Range: bytes=0-9 ", SECRET, "", T0, S3_AUTH_OK, S3_ERR_NONE}, /* trimmed */
        {9, NULL, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", "", T0, S3_AUTH_BAD_SIGNATURE,
         S3_ERR_SIGNATURE_DOES_NOT_MATCH},
        {9, NULL, SECRET, "", T0 + 901, S3_AUTH_SKEWED, S3_ERR_REQUEST_TIME_TOO_SKEWED},
        {9, NULL, SECRET, "", T0 - 901, S3_AUTH_SKEWED, S3_ERR_REQUEST_TIME_TOO_SKEWED},
        {9, NULL, SECRET, "eu-west-1", T0, S3_AUTH_WRONG_REGION,
         S3_ERR_AUTHORIZATION_HEADER_MALFORMED},
        {4, NULL, SECRET, "", T0, S3_AUTH_MISSING, S3_ERR_ACCESS_DENIED},
        {4,
         "Authorization: AWS4-HMAC-SHA256 Credential=AKIAOTHER/20130524/us-east-1/s3/"
         "aws4_request,SignedHeaders=host,Signature=" PRESIGNED_SIG,
         SECRET, "", T0, S3_AUTH_UNKNOWN_KEY, S3_ERR_INVALID_ACCESS_KEY_ID},
        {4, "Authorization: AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", SECRET, "", T0,
         S3_AUTH_UNSUPPORTED, S3_ERR_INVALID_REQUEST},
        {4, "Authorization: AWS4-HMAC-SHA256 " CRED, SECRET, "", T0, S3_AUTH_HEADER_MALFORMED,
         S3_ERR_AUTHORIZATION_HEADER_MALFORMED},
        {3, NULL, SECRET, "", T0, S3_AUTH_NO_DATE, S3_ERR_ACCESS_DENIED},
        {3, "x-amz-date: 2013-05-24T00:00:00Z", SECRET, "", T0, S3_AUTH_NO_DATE,
         S3_ERR_ACCESS_DENIED},
        {3, "x-amz-date: 20130525T000000Z", SECRET, "", T0 + 86400, S3_AUTH_HEADER_MALFORMED,
         S3_ERR_AUTHORIZATION_HEADER_MALFORMED},
        {2, "x-amz-content-sha256: abc", SECRET, "", T0, S3_AUTH_BAD_CONTENT_SHA256,
         S3_ERR_INVALID_ARGUMENT},
        {2, "x-amz-content-sha256: STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", SECRET, "", T0,
         S3_AUTH_UNSUPPORTED, S3_ERR_INVALID_REQUEST},
        {2, NULL, SECRET, "", T0, S3_AUTH_BAD_SIGNATURE, S3_ERR_SIGNATURE_DOES_NOT_MATCH},
        {1, "x-amz-security-token: abc", SECRET, "", T0, S3_AUTH_TOKEN, S3_ERR_INVALID_TOKEN},
        {1, "Authorization: AWS4-HMAC-SHA256 x", SECRET, "", T0, S3_AUTH_HEADER_MALFORMED,
         S3_ERR_AUTHORIZATION_HEADER_MALFORMED}, /* two Authorization headers */
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_sigv4_result res;
        int rc = get_variant(cases[i].hdr, cases[i].repl, cases[i].secret, cases[i].region,
                             cases[i].now, &res);
        if (!CHECK_EQ(rc, cases[i].want) || !CHECK_EQ(res.code, cases[i].code))
            fprintf(stderr, "  case %zu\n", i);
        CHECK((rc == S3_AUTH_OK) == (res.message == NULL));
        s3_sigv4_result_free(&res);
    }
}

/* A request with a body and no x-amz-content-sha256 (curl --aws-sigv4 -T) is refused
 * with S3's InvalidRequest naming the header, before its signature is even looked at;
 * one with nothing to hash may leave the header out. */
static void test_body_without_content_sha256_is_refused_naming_the_header(void)
{
    static const char *const bodies[][2] = {{"Content-Length: 6", NULL},
                                            {"Transfer-Encoding: chunked", NULL}};
    for (size_t i = 0; i < TEST_COUNT(bodies); i++) {
        const char *hdrs[] = {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
                              bodies[i][0],
                              "Authorization: AWS4-HMAC-SHA256 " CRED
                              ",SignedHeaders=host;x-amz-date,Signature=0000000000000000000000000000"
                              "000000000000000000000000000000000000",
                              NULL};
        http_request r;
        build(&r, "PUT", "/h.txt", hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_NO_CONTENT_SHA256);
        s3_sigv4_result_free(&res);
    }
    const char *msg = NULL;
    CHECK_EQ(s3_sigv4_err_code(S3_AUTH_NO_CONTENT_SHA256, &msg), S3_ERR_INVALID_REQUEST);
    CHECK(msg && strcmp(msg, "Missing required header for this request: x-amz-content-sha256") == 0);
    /* Content-Length: 0 has nothing to hash: the signature decides (here: it does not match) */
    const char *empty[] = {"Host: examplebucket.s3.amazonaws.com", "x-amz-date: 20130524T000000Z",
                           "Content-Length: 0",
                           "Authorization: AWS4-HMAC-SHA256 " CRED
                           ",SignedHeaders=host;x-amz-date,Signature=0000000000000000000000000000"
                           "000000000000000000000000000000000000",
                           NULL};
    http_request r;
    build(&r, "PUT", "/h.txt", empty);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "us-east-1", T0, &res), S3_AUTH_BAD_SIGNATURE);
    s3_sigv4_result_free(&res);
}

static void test_skew_reports_request_time(void)
{
    s3_sigv4_result res;
    CHECK_EQ(get_variant(9, NULL, SECRET, "", T0 + 3600, &res), S3_AUTH_SKEWED);
    CHECK_EQ(res.request_time_s, T0);
    CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
    s3_sigv4_result_free(&res);
}

/* The region hint: S3's message names the client's region and ours (auth.c adds <Region>). */
static void test_wrong_region_message_names_both_regions(void)
{
    s3_sigv4_result res;
    CHECK_EQ(get_variant(9, NULL, SECRET, "eu-west-1", T0, &res), S3_AUTH_WRONG_REGION);
    CHECK_EQ(res.code, S3_ERR_AUTHORIZATION_HEADER_MALFORMED);
    const char *want = "The authorization header is malformed; the region 'us-east-1' is wrong; "
                       "expecting 'eu-west-1'";
    CHECK(res.message && strcmp(res.message, want) == 0);
    CHECK(res.message == res.detail);
    s3_sigv4_result_free(&res);

    const char *hdrs[] = {"Host: examplebucket.s3.amazonaws.com", NULL};
    http_request r;
    build(&r, "GET", "/test.txt?" PRESIGNED_Q "&X-Amz-Signature=" PRESIGNED_SIG, hdrs);
    CHECK_EQ(verify(&r, SECRET, "eu-west-1", T0, &res), S3_AUTH_WRONG_REGION_QUERY);
    CHECK_EQ(res.code, S3_ERR_AUTHORIZATION_QUERY_PARAMETERS_ERROR);
    want = "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong; "
           "expecting 'eu-west-1'";
    CHECK(res.message && strcmp(res.message, want) == 0);
    CHECK_EQ(res.expires_at_s, T0 + 86400);
    CHECK(!res.sigv2);
}

static void test_header_with_query_auth_is_two_mechanisms(void)
{
    http_request r;
    build(&r, "GET", "/test.txt?X-Amz-Signature=" PRESIGNED_SIG, get_hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T0, &res), S3_AUTH_MULTIPLE);
    CHECK_EQ(res.code, S3_ERR_INVALID_ARGUMENT);
    const char *h[] = {"Host: x", NULL};
    build(&r, "GET", "/k?AWSAccessKeyId=AK&Expires=1&Signature=x", h);
    CHECK_EQ(verify(&r, SECRET, "", T0, &res), S3_AUTH_UNSUPPORTED);
    build(&r, "GET", "/k?list-type=2", h);
    CHECK_EQ(verify(&r, SECRET, "", T0, &res), S3_AUTH_MISSING);
    CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED);
}

static void test_parse_header_tolerates_spaces_and_order(void)
{
    static const char *ok[] = {
        "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;range,Signature=" PRESIGNED_SIG,
        "AWS4-HMAC-SHA256   " CRED ",  SignedHeaders=host;range , Signature=" PRESIGNED_SIG,
        "AWS4-HMAC-SHA256\tSignature=" PRESIGNED_SIG ", " CRED ", SignedHeaders=host;range",
        "AWS4-HMAC-SHA256 " CRED ",SignedHeaders=Host;Range,Signature=" PRESIGNED_SIG,
    };
    for (size_t i = 0; i < TEST_COUNT(ok); i++) {
        s3_sigv4_auth a;
        const char *why;
        CHECK_EQ(s3_sigv4_parse_header(slice_str(ok[i]), &a, &why), S3_AUTH_OK);
        CHECK_MEM(a.access_key, a.access_key_len, AK, strlen(AK));
        CHECK(strcmp(a.date, "20130524") == 0 && strcmp(a.region, "us-east-1") == 0);
        CHECK(strcmp(a.service, "s3") == 0);
        CHECK_EQ(a.signed_headers_len, 10);
        CHECK_EQ(a.signature[0], 0xae);
        CHECK_EQ(a.signature[31], 0x04);
    }
}

static void test_parse_header_malformed(void)
{
    static const struct {
        const char *v;
        int want;
    } cases[] = {
        {"", S3_AUTH_UNSUPPORTED},
        {"Bearer abc", S3_AUTH_UNSUPPORTED},
        {"AWS4-HMAC-SHA256X " CRED, S3_AUTH_UNSUPPORTED},
        {"AWS4-ECDSA-P256-SHA256 " CRED, S3_AUTH_UNSUPPORTED},
        {"AWS4-HMAC-SHA256", S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 ", S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host", S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED "," CRED ",SignedHeaders=host,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature=" PRESIGNED_SIG ",Extra=1",
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature=" PRESIGNED_SIG ",",
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=range,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host;a b,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature=" PRESIGNED_SIG "0",
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 " CRED ",SignedHeaders=host,Signature=xeeed9bbccd4d02ee5c0109b86d86835"
         "f995330da4c265957d157751f604d404",
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3,SignedHeaders=host,"
         "Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,"
         "Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=" AK "/2013052x/us-east-1/s3/aws4_request,SignedHeaders="
         "host,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/iam/aws4_request,SignedHeaders="
         "host,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
        {"AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_reques,SignedHeaders="
         "host,Signature=" PRESIGNED_SIG,
         S3_AUTH_HEADER_MALFORMED},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        s3_sigv4_auth a;
        const char *why = NULL;
        int rc = s3_sigv4_parse_header(slice_str(cases[i].v), &a, &why);
        if (!CHECK_EQ(rc, cases[i].want))
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].v);
        CHECK(rc != S3_AUTH_HEADER_MALFORMED || why != NULL);
    }
}

static void test_canonical_request_encoding_and_header_values(void)
{
    static const char *hdrs[] = {"Host: h", "X-Amz-Meta-Foo:   a \t  b  ", "X-Multi: 1",
                                 "x-multi: 2 ", NULL};
    http_request r;
    build(&r, "PUT", "/a%2Fb/c~d/e+f/%e2%82%ac//./x%zz?b=2&a=%2f+x&a=1&c&%7e=~&d=a%20b&e=%3D%26",
          hdrs);
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    strcpy(a.signed_headers, "host;x-absent;x-amz-meta-foo;x-multi");
    a.signed_headers_len = strlen(a.signed_headers);
    s3_sigv4_scratch sc;
    memset(&sc, 0, sizeof sc);
    CHECK_EQ(s3_sigv4_canonical_request(&r, &a, slice_str("UNSIGNED-PAYLOAD"), &sc), 0);
    const char *want = "PUT\n/a%2Fb/c~d/e%2Bf/%E2%82%AC//./x%25zz\n"
                       "a=%2F%20x&a=1&b=2&c=&d=a%20b&e=%3D%26&~=~\n"
                       "host:h\nx-absent:\nx-amz-meta-foo:a b\nx-multi:1,2\n\n"
                       "host;x-absent;x-amz-meta-foo;x-multi\nUNSIGNED-PAYLOAD";
    CHECK_MEM(sc.canon.data, sc.canon.len, want, strlen(want));
    /* presigned: X-Amz-Signature leaves the canonical query; an empty path is "/" */
    build(&r, "GET", "?X-Amz-Signature=abc&x=1", hdrs);
    a.presigned = true;
    strcpy(a.signed_headers, "host");
    a.signed_headers_len = 4;
    CHECK_EQ(s3_sigv4_canonical_request(&r, &a, slice_str("UNSIGNED-PAYLOAD"), &sc), 0);
    want = "GET\n/\nx=1\nhost:h\n\nhost\nUNSIGNED-PAYLOAD";
    CHECK_MEM(sc.canon.data, sc.canon.len, want, strlen(want));
    s3_sigv4_scratch_free(&sc);
}

static void test_dates_parse_format_round_trip(void)
{
    int64_t t;
    CHECK_EQ(s3_sigv4_parse_amz_date(slice_str("20130524T000000Z"), &t), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(s3_sigv4_parse_http_date(slice_str("Fri, 24 May 2013 00:00:00 GMT"), &t), 0);
    CHECK_EQ(t, T0);
    CHECK_EQ(s3_sigv4_parse_amz_date(slice_str("19700101T000000Z"), &t), 0);
    CHECK_EQ(t, 0);
    CHECK_EQ(s3_sigv4_parse_amz_date(slice_str("20240229T235959Z"), &t), 0);
    CHECK_EQ(t, 1709251199);
    CHECK_EQ(s3_sigv4_parse_amz_date(slice_str("99991231T235959Z"), &t), 0);
    CHECK_EQ(t, 253402300799LL);
    static const char *bad[] = {"20230229T000000Z",  "20000230T000000Z", "20131301T000000Z",
                                "20130524T240000Z",  "20130524T006000Z", "20130524T000060Z",
                                "20130524 000000Z",  "20130524T000000",  "2013-05-24T00:00Z",
                                "20130524T0000000Z", "2013052aT000000Z", "20130500T000000Z"};
    for (size_t i = 0; i < TEST_COUNT(bad); i++)
        CHECK_EQ(s3_sigv4_parse_amz_date(slice_str(bad[i]), &t), CF_EINVAL);
    static const char *bad_http[] = {
        "Fri, 24 May 2013 00:00:00 UTC", "Fri 24 May 2013 00:00:00 GMT",
        "Fri, 24 Mai 2013 00:00:00 GMT", "Xyz, 24 May 2013 00:00:00 GMT",
        "Fri, 31 Jun 2013 00:00:00 GMT", "Friday, 24-May-13 00:00:00 GMT"};
    for (size_t i = 0; i < TEST_COUNT(bad_http); i++)
        CHECK_EQ(s3_sigv4_parse_http_date(slice_str(bad_http[i]), &t), CF_EINVAL);
    for (int i = 0; i < 20000; i++) {
        int64_t v = (int64_t)(test_rand() % 253402300800ULL);
        char s[S3_SIGV4_AMZ_DATE_LEN + 1];
        s3_sigv4_format_amz_date(v, s);
        if (!CHECK_EQ(s3_sigv4_parse_amz_date(slice_str(s), &t), 0) || !CHECK_EQ(t, v))
            break;
    }
    char s[S3_SIGV4_AMZ_DATE_LEN + 1];
    s3_sigv4_format_amz_date(T0 + 3661, s);
    CHECK(strcmp(s, "20130524T010101Z") == 0);
}

static void test_every_auth_error_has_a_row_and_message(void)
{
    for (int e = S3_AUTH_OK; e <= S3_AUTH_INTERNAL; e++) {
        const char *msg = "x";
        s3_err_code c = s3_sigv4_err_code(e, &msg);
        CHECK((e == S3_AUTH_OK) == (c == S3_ERR_NONE));
        CHECK((e == S3_AUTH_OK) == (msg == NULL));
    }
    CHECK_EQ(s3_sigv4_err_code(99, NULL), S3_ERR_INTERNAL_ERROR);
    CHECK_EQ(s3_sigv4_err_code(-1, NULL), S3_ERR_INTERNAL_ERROR);
    uint8_t key[32];
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    char big[S3_SIGV4_MAX_SECRET_BYTES + 2];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK_EQ(s3_sigv4_signing_key(slice_str(big), &a, key), CF_EINVAL);
}

/* The signing key is cached per thread by (secret, date, region, service): a hit is the key
 * the HMAC chain gives (AWS's published example), a rotated secret never finds the old key,
 * and more scopes than the cache holds are each still right. */
static void test_signing_key_cache_is_exact(void)
{
    s3_sigv4_auth a;
    memset(&a, 0, sizeof a);
    memcpy(a.date, "20150830", 9);
    snprintf(a.region, sizeof a.region, "us-east-1");
    a.region_len = 9;
    snprintf(a.service, sizeof a.service, "iam");
    a.service_len = 3;
    static const char want[] = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9";
    const char *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    uint8_t key[32], other[32], again[32];
    char hex[65];
    for (int round = 0; round < 2; round++) { /* a miss, then a hit */
        CHECK_EQ(s3_sigv4_signing_key(slice_str(secret), &a, key), 0);
        hex_encode(key, 32, hex);
        CHECK(strcmp(hex, want) == 0);
    }
    CHECK_EQ(s3_sigv4_signing_key(slice_str("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"), &a, other), 0);
    CHECK(memcmp(key, other, 32) != 0);
    for (int d = 0; d < 10; d++) { /* more scopes than the cache holds, each checked twice */
        a.date[6] = (char)('0' + (d + 1) / 10);
        a.date[7] = (char)('0' + (d + 1) % 10);
        CHECK_EQ(s3_sigv4_signing_key(slice_str(secret), &a, other), 0);
        CHECK_EQ(s3_sigv4_signing_key(slice_str(secret), &a, again), 0);
        CHECK(memcmp(other, again, 32) == 0 && memcmp(other, key, 32) != 0);
    }
    memcpy(a.date, "20150830", 9);
    CHECK_EQ(s3_sigv4_signing_key(slice_str(secret), &a, again), 0);
    CHECK(memcmp(key, again, 32) == 0);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_get_object_example_canonical_request_and_signature),
        TEST(test_signing_key_cache_is_exact),
        TEST(test_put_object_example_path_encoded_or_raw),
        TEST(test_lifecycle_and_list_objects_examples_query_canonical),
        TEST(test_presigned_url_example),
        TEST(test_presigned_url_expiry_and_not_yet_valid),
        TEST(test_presigned_malformed_parameters),
        TEST(test_streaming_example_seed_and_chunk_signatures),
        TEST(test_streaming_chunk_split_at_every_byte_same_signature),
        TEST(test_streaming_trailer_example),
        TEST(test_streaming_trailer_tampered_value_is_rejected),
        TEST(test_streaming_tampered_chunk_is_rejected),
        TEST(test_header_auth_failures_map_to_s3_errors),
        TEST(test_body_without_content_sha256_is_refused_naming_the_header),
        TEST(test_skew_reports_request_time),
        TEST(test_wrong_region_message_names_both_regions),
        TEST(test_header_with_query_auth_is_two_mechanisms),
        TEST(test_parse_header_tolerates_spaces_and_order),
        TEST(test_parse_header_malformed),
        TEST(test_canonical_request_encoding_and_header_values),
        TEST(test_dates_parse_format_round_trip),
        TEST(test_every_auth_error_has_a_row_and_message),
    };
    return test_main(cases, TEST_COUNT(cases));
}
