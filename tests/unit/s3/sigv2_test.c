/*
 * sigv2_test.c -- SigV2 against AWS's published examples (S3 user guide,
 * "Signing and authenticating REST requests": object GET, PUT, list,
 * fetch ?acl, delete, upload with x-amz-meta and Content-MD5 to a CNAME
 * bucket, list all buckets, Unicode keys, query string authentication),
 * byte-exact string to sign and signature; then what botocore 1.43 signs
 * (sub-resources, presigned x-amz-* parameters), virtual-host against
 * path-style, tampering with each signed part, expiry, skew, malformed
 * headers and parameters, and the bounds.
 *
 * Every example uses AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.
 * Where the page renamed a bucket ("johnsmith" to "awsexamplebucket1") but
 * kept the old signature, the example is used in the form whose published
 * signature matches its string to sign (each case says which).
 */
#include <stdio.h>
#include <string.h>

#include "s3/sigv2.h"
#include "request_fixture.h"
#include "test.h"
#include "util/err.h"

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T_GET 1175024202     /* Tue, 27 Mar 2007 19:36:42 +0000 */
#define T_EXPIRES 1175139620 /* the query example's Expires */

static int lookup(void *arg, cf_slice ak, cf_slice *secret)
{
    const char *s = arg;
    *secret = slice_make(NULL, 0);
    if (!slice_eq(ak, slice_str(AK)))
        return CF_ENOTFOUND;
    *secret = slice_str(s);
    return 0;
}

static int verify(const http_request *r, const char *secret, const char *bucket, int64_t now,
                  s3_sigv4_result *res)
{
    static s3_sigv4_scratch scratch;
    s3_sigv4_config cfg = {slice_str("us-east-1"), lookup, (void *)secret};
    int rc = s3_sigv2_verify(r, &cfg, slice_str(bucket), now, &scratch, res);
    s3_sigv4_scratch_free(&scratch);
    return rc;
}

/* sts_of -- the string to sign of r as parsed from its header or query; NULL-free on failure. */
static bool sts_is(const http_request *r, const char *bucket, const char *want)
{
    s3_sigv2_auth a;
    const char *why;
    cf_slice authz = http_header_find(r, "authorization");
    int rc = authz.ptr ? s3_sigv2_parse_header(authz, &a, &why)
                       : s3_sigv2_parse_query(r->query, &a, &why);
    if (!CHECK_EQ(rc, S3_AUTH_OK))
        return false;
    s3_sigv4_scratch sc;
    memset(&sc, 0, sizeof sc);
    bool ok = CHECK_EQ(s3_sigv2_string_to_sign(r, &a, slice_str(bucket), &sc), 0) &&
              CHECK_MEM(sc.sts.data, sc.sts.len, want, strlen(want));
    s3_sigv4_scratch_free(&sc);
    return ok;
}

/* ---- AWS's examples ---- */

typedef struct example {
    const char *name;
    const char *method;
    const char *target;
    const char *hdrs[16]; /* NULL-terminated */
    const char *bucket;   /* the bucket Host names (virtual-host or CNAME), "" for path-style */
    int64_t now;
    const char *sts;
    const char *sig; /* the published signature */
} example;

static const example examples[] = {
    {"object GET",
     "GET",
     "/photos/puppy.jpg",
     {"Host: awsexamplebucket1.us-west-1.s3.amazonaws.com", "Date: Tue, 27 Mar 2007 19:36:42 +0000",
      "Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL},
     "awsexamplebucket1",
     T_GET,
     "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
     "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="},
    {"object PUT",
     "PUT",
     "/photos/puppy.jpg",
     {"Content-Type: image/jpeg", "Content-Length: 94328",
      "Host: awsexamplebucket1.s3.us-west-1.amazonaws.com", "Date: Tue, 27 Mar 2007 21:15:45 +0000",
      "Authorization: AWS " AK ":iqRzw+ileNPu1fhspnRs8nOjjIA=", NULL},
     "awsexamplebucket1",
     1175030145,
     "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg",
     "iqRzw+ileNPu1fhspnRs8nOjjIA="},
    {"list (query parameters are not signed)",
     "GET",
     "/?prefix=photos&max-keys=50&marker=puppy",
     {"User-Agent: Mozilla/5.0", "Host: awsexamplebucket1.s3.us-west-1.amazonaws.com",
      "Date: Tue, 27 Mar 2007 19:42:41 +0000",
      "Authorization: AWS " AK ":m0WP8eCtspQl5Ahe6L1SozdX9YA=", NULL},
     "awsexamplebucket1",
     1175024561,
     "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/",
     "m0WP8eCtspQl5Ahe6L1SozdX9YA="},
    {"fetch ?acl (a sub-resource)",
     "GET",
     "/?acl",
     {"Host: awsexamplebucket1.s3.us-west-1.amazonaws.com", "Date: Tue, 27 Mar 2007 19:44:46 +0000",
      "Authorization: AWS " AK ":82ZHiFIjc+WbcwFKGUVEQspPn+0=", NULL},
     "awsexamplebucket1",
     1175024686,
     "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl",
     "82ZHiFIjc+WbcwFKGUVEQspPn+0="},
    /* The page's table shows x-amz-date's value in the Date line; its own text ("if you
     * include the x-amz-date header, use the empty string for the Date") and every client
     * (botocore, s3cmd, boto 2) sign an empty Date line and x-amz-date among the amz
     * headers, which is what S3 verifies. The signature here is that string's (Python
     * hmac); test_delete_example_table_form_is_refused pins the other. */
    {"delete, path-style, x-amz-date",
     "DELETE",
     "/awsexamplebucket1/photos/puppy.jpg",
     {"User-Agent: dotnet", "Host: s3.us-west-1.amazonaws.com",
      "Date: Tue, 27 Mar 2007 21:20:27 +0000", "x-amz-date: Tue, 27 Mar 2007 21:20:26 +0000",
      "Authorization: AWS " AK ":Ri1hpB1zpS9pGqR7y8kuNFCl4sE=", NULL},
     "",
     1175030426,
     "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 "
     "+0000\n/awsexamplebucket1/photos/puppy.jpg",
     "Ri1hpB1zpS9pGqR7y8kuNFCl4sE="},
    /* The user guide prints this signature beside "static.example.com"; it is the one of
     * the developer guide's "static.awsexamplebucket1.net" request, used here. */
    {"upload to a CNAME bucket with x-amz-meta and Content-MD5",
     "PUT",
     "/db-backup.dat.gz",
     {"User-Agent: curl/7.15.5", "Host: static.awsexamplebucket1.net:8080",
      "Date: Tue, 27 Mar 2007 21:06:08 +0000", "x-amz-acl: public-read",
      "content-type: application/x-download",
      "Content-MD5: 4gJE4saaMU4BqNR0kLY+lw==", "X-Amz-Meta-ReviewedBy: joe@awsexamplebucket1.net",
      "X-Amz-Meta-ReviewedBy: jane@awsexamplebucket1.net", "X-Amz-Meta-FileChecksum: 0x02661779",
      "X-Amz-Meta-ChecksumAlgorithm: crc32",
      "Content-Disposition: attachment; filename=database.dat", "Content-Encoding: gzip",
      "Content-Length: 5913339", "Authorization: AWS " AK ":dKZcB+bz2EPXgSdXZp9ozGeOM4I=", NULL},
     "static.awsexamplebucket1.net",
     1175029568,
     "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
     "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n"
     "x-amz-meta-filechecksum:0x02661779\n"
     "x-amz-meta-reviewedby:joe@awsexamplebucket1.net,jane@awsexamplebucket1.net\n"
     "/static.awsexamplebucket1.net/db-backup.dat.gz",
     "dKZcB+bz2EPXgSdXZp9ozGeOM4I="},
    {"list all my buckets",
     "GET",
     "/",
     {"Host: s3.us-west-1.amazonaws.com", "Date: Wed, 28 Mar 2007 01:29:59 +0000",
      "Authorization: AWS " AK ":qGdzdERIC03wnaRNKh6OqZehG9s=", NULL},
     "",
     1175045399,
     "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
     "qGdzdERIC03wnaRNKh6OqZehG9s="},
    {"Unicode keys (the path as sent, escapes' case kept)",
     "GET",
     "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
     {"Host: s3.us-west-1.amazonaws.com", "Date: Wed, 28 Mar 2007 01:49:49 +0000",
      "Authorization: AWS " AK ":DNEZGsoieTZ92F3bUfSPQcbGmlM=", NULL},
     "",
     1175046589,
     "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
     "DNEZGsoieTZ92F3bUfSPQcbGmlM="},
    /* The page renamed the bucket of this one too; its signature is johnsmith's. */
    {"query string authentication",
     "GET",
     "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
     "&Expires=1175139620",
     {"Host: johnsmith.s3.amazonaws.com", NULL},
     "johnsmith",
     T_EXPIRES - 600,
     "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg",
     "NpgCjnDzrM+WFzoENXmpNDUsSn8="},
};

static void test_aws_examples_string_to_sign_and_signature(void)
{
    for (size_t i = 0; i < TEST_COUNT(examples); i++) {
        const example *e = &examples[i];
        http_request r;
        build(&r, e->method, e->target, e->hdrs);
        bool ok = sts_is(&r, e->bucket, e->sts);
        char sig[29];
        s3_sigv2_sign(slice_str(SECRET), slice_str(e->sts), sig);
        ok &= CHECK_MEM(sig, strlen(sig), e->sig, strlen(e->sig));
        s3_sigv4_result res;
        ok &= CHECK_EQ(verify(&r, SECRET, e->bucket, e->now, &res), S3_AUTH_OK);
        ok &= CHECK(res.code == S3_ERR_NONE && res.message == NULL && res.sigv2);
        ok &= CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
        ok &= CHECK_EQ(res.payload, S3_PAYLOAD_UNSIGNED);
        ok &=
            CHECK_EQ(res.presigned, strchr(e->target, '?') && strstr(e->target, "AWSAccessKeyId"));
        if (!ok)
            fprintf(stderr, "  example: %s\n", e->name);
        s3_sigv4_result_free(&res);
    }
}

static void test_delete_example_table_form_is_refused(void)
{
    /* x-amz-date's value in the Date line, no amz header line: what the table shows */
    const char *hdrs[] = {"Host: s3.us-west-1.amazonaws.com",
                          "Date: Tue, 27 Mar 2007 21:20:27 +0000",
                          "x-amz-date: Tue, 27 Mar 2007 21:20:26 +0000",
                          "Authorization: AWS " AK ":XbyTlbQdu9Xw5o8P4iMwPktxQd8=", NULL};
    char sig[29];
    s3_sigv2_sign(slice_str(SECRET),
                  slice_str("DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n"
                            "/awsexamplebucket1/photos/puppy.jpg"),
                  sig);
    CHECK_MEM(sig, strlen(sig), "XbyTlbQdu9Xw5o8P4iMwPktxQd8=", 28);
    http_request r;
    build(&r, "DELETE", "/awsexamplebucket1/photos/puppy.jpg", hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", 1175030426, &res), S3_AUTH_BAD_SIGNATURE);
    CHECK_EQ(res.code, S3_ERR_SIGNATURE_DOES_NOT_MATCH);
}

static void test_virtual_host_and_path_style_sign_the_same_resource(void)
{
    /* the object GET example sent path-style: the resource is the same, so is the signature */
    const char *hdrs[] = {"Host: s3.us-west-1.amazonaws.com",
                          "Date: Tue, 27 Mar 2007 19:36:42 +0000",
                          "Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL};
    http_request r;
    build(&r, "GET", "/awsexamplebucket1/photos/puppy.jpg", hdrs);
    s3_sigv4_result res;
    CHECK(sts_is(&r, "", examples[0].sts));
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_OK);
    /* virtual-host, but the verifier not told the bucket: "/photos/puppy.jpg" is signed */
    build(&r, "GET", examples[0].target, examples[0].hdrs);
    CHECK(sts_is(&r, "", "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/photos/puppy.jpg"));
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
    CHECK_EQ(verify(&r, SECRET, "otherbucket", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
    /* a bucket's root: "/bucket/" */
    build(&r, examples[2].method, examples[2].target, examples[2].hdrs);
    CHECK(sts_is(&r, "awsexamplebucket1", examples[2].sts));
}

/* signed -- an Authorization header line signing sts (static storage, one at a time). */
static const char *signed_header(const char *sts)
{
    static char line[128];
    char sig[29];
    s3_sigv2_sign(slice_str(SECRET), slice_str(sts), sig);
    snprintf(line, sizeof line, "Authorization: AWS " AK ":%s", sig);
    return line;
}

static void test_path_style_bucket_signed_with_or_without_slash(void)
{
    /* botocore and s3cmd send "GET /bkt?acl" and sign "/bkt/?acl"; S3's text reads "/bkt?acl" */
    static const struct {
        const char *sts;
        int want;
    } cases[] = {
        {"GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt/?acl", S3_AUTH_OK},
        {"GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt?acl", S3_AUTH_OK},
        {"GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt//?acl", S3_AUTH_BAD_SIGNATURE},
        {"GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/other/?acl", S3_AUTH_BAD_SIGNATURE},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        const char *hdrs[] = {"Host: h", "Date: Tue, 27 Mar 2007 19:36:42 GMT",
                              signed_header(cases[i].sts), NULL};
        http_request r;
        build(&r, "GET", "/bkt?acl", hdrs);
        if (i == 0)
            CHECK(sts_is(&r, "", cases[i].sts));
        s3_sigv4_result res;
        if (!CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), cases[i].want))
            fprintf(stderr, "  case %zu\n", i);
    }
    /* only a bare bucket path has the two forms: an object's path is signed as sent */
    const char *hdrs[] = {"Host: h", "Date: Tue, 27 Mar 2007 19:36:42 GMT",
                          signed_header("GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt/k/"), NULL};
    http_request r;
    build(&r, "GET", "/bkt/k", hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
    /* virtual-host: "/" is the bucket's root, "/bkt/" */
    hdrs[2] = signed_header("GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt");
    build(&r, "GET", "/", hdrs);
    CHECK_EQ(verify(&r, SECRET, "bkt", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
}

/* ---- what botocore signs ---- */

static void test_botocore_sub_resources_sorted_and_decoded(void)
{
    /* botocore 1.43.11 HmacV1Auth, Date fixed at "Tue, 27 Mar 2007 19:36:42 GMT" */
    const char *hdrs[] = {"Host: 127.0.0.1:9000", "Date: Tue, 27 Mar 2007 19:36:42 GMT",
                          "Authorization: AWS " AK ":1lYjEJra8t39NLL6rphhBL0XBhY=", NULL};
    http_request r;
    build(&r, "GET",
          "/bkt/key?versionId=v1&acl&prefix=x&response-content-type=text%2Fplain&uploadId=u"
          "&partNumber=2",
          hdrs);
    CHECK(sts_is(&r, "",
                 "GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/bkt/key?acl&partNumber=2"
                 "&response-content-type=text/plain&uploadId=u&versionId=v1"));
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_OK);
    /* "acl=" signs as "acl"; a parameter S3 does not sign (prefix) may change */
    build(&r, "GET",
          "/bkt/key?versionId=v1&acl=&prefix=y&response-content-type=text%2Fplain&uploadId=u"
          "&partNumber=2",
          hdrs);
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_OK);
    /* a signed sub-resource may not */
    build(&r, "GET",
          "/bkt/key?versionId=v2&acl&prefix=x&response-content-type=text%2Fplain&uploadId=u"
          "&partNumber=2",
          hdrs);
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
    build(&r, "GET",
          "/bkt/key?versionId=v1&acl&prefix=x&response-content-type=text%2Fplain&uploadId=u"
          "&partNumber=2&tagging",
          hdrs);
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_BAD_SIGNATURE);
}

static void test_botocore_presigned_put_with_amz_parameters(void)
{
    /* botocore 1.43.11 HmacV1QueryAuth: x-amz-acl, x-amz-meta-m and content-type moved to
     * the query; the x-amz-* ones are signed from there, Content-Type from the header */
    const char *target = "/bkt/k%20y?AWSAccessKeyId=" AK "&Signature=j%2B47%2FNV3T%2FVRZ5QuqQuj6S5"
                         "TW1I%3D&x-amz-acl=public-read&x-amz-meta-m=v%201&content-type=text%2F"
                         "plain&Expires=1175139620";
    const char *hdrs[] = {"Host: 127.0.0.1:9000", "Content-Type: text/plain", NULL};
    http_request r;
    build(&r, "PUT", target, hdrs);
    CHECK(sts_is(&r, "",
                 "PUT\n\ntext/plain\n1175139620\nx-amz-acl:public-read\nx-amz-meta-m:v 1\n"
                 "/bkt/k%20y"));
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T_EXPIRES, &res), S3_AUTH_OK);
    CHECK(res.presigned && res.sigv2);
    CHECK_EQ(res.expires_at_s, T_EXPIRES);
    /* S3 takes Content-Type from the request's header, not from the query */
    const char *bare[] = {"Host: 127.0.0.1:9000", NULL};
    build(&r, "PUT", target, bare);
    CHECK_EQ(verify(&r, SECRET, "", T_EXPIRES, &res), S3_AUTH_BAD_SIGNATURE);
    /* a header of the same name joins the query's value after its own */
    const char *more[] = {"Host: 127.0.0.1:9000", "Content-Type: text/plain", "X-Amz-Acl: private",
                          NULL};
    build(&r, "PUT", target, more);
    CHECK(sts_is(&r, "",
                 "PUT\n\ntext/plain\n1175139620\nx-amz-acl:private,public-read\nx-amz-meta-m:v 1\n"
                 "/bkt/k%20y"));
}

static void test_amz_headers_lowercased_sorted_trimmed_joined(void)
{
    const char *hdrs[] = {"Host: h",
                          "X-Amz-Meta-B:  two ",
                          "x-amz-meta-a: 1",
                          "X-AMZ-META-B: three",
                          "x-amz-date: Tue, 27 Mar 2007 19:36:42 GMT",
                          "Date: ignored when x-amz-date is sent",
                          "x-amzfoo: not an amz header",
                          "Authorization: AWS " AK ":AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                          NULL};
    http_request r;
    build(&r, "PUT", "/b/k?uploads", hdrs);
    CHECK(sts_is(&r, "",
                 "PUT\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\nx-amz-meta-a:1\n"
                 "x-amz-meta-b:two,three\n/b/k?uploads"));
    /* in a header-signed request, query parameters are never amz headers */
    build(&r, "PUT", "/b/k?x-amz-meta-c=3", hdrs);
    CHECK(sts_is(&r, "",
                 "PUT\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 GMT\nx-amz-meta-a:1\n"
                 "x-amz-meta-b:two,three\n/b/k"));
}

/* ---- tampering ---- */

static void test_tampering_each_signed_part_fails(void)
{
    const example *up = &examples[5]; /* the upload: every part of the string to sign is used */
    static const struct {
        const char *what;
        const char *method;
        const char *target;
        size_t hdr;       /* header index to replace (99: none) */
        const char *repl; /* NULL: remove it */
        const char *bucket;
        int want;
    } cases[] = {
        {"untouched", "PUT", "/db-backup.dat.gz", 99, NULL, NULL, S3_AUTH_OK},
        {"method", "POST", "/db-backup.dat.gz", 99, NULL, NULL, S3_AUTH_BAD_SIGNATURE},
        {"path", "PUT", "/db-backup.dat.gZ", 99, NULL, NULL, S3_AUTH_BAD_SIGNATURE},
        {"path escaped", "PUT", "/db-backup%2Edat.gz", 99, NULL, NULL, S3_AUTH_BAD_SIGNATURE},
        {"bucket", "PUT", "/db-backup.dat.gz", 99, NULL, "static.example.net",
         S3_AUTH_BAD_SIGNATURE},
        {"sub-resource added", "PUT", "/db-backup.dat.gz?acl", 99, NULL, NULL,
         S3_AUTH_BAD_SIGNATURE},
        {"Date", "PUT", "/db-backup.dat.gz", 2, "Date: Tue, 27 Mar 2007 21:06:09 +0000", NULL,
         S3_AUTH_BAD_SIGNATURE},
        {"amz value", "PUT", "/db-backup.dat.gz", 3, "x-amz-acl: private", NULL,
         S3_AUTH_BAD_SIGNATURE},
        {"amz removed", "PUT", "/db-backup.dat.gz", 3, NULL, NULL, S3_AUTH_BAD_SIGNATURE},
        {"amz added", "PUT", "/db-backup.dat.gz", 0, "x-amz-storage-class: STANDARD", NULL,
         S3_AUTH_BAD_SIGNATURE},
        {"Content-Type", "PUT", "/db-backup.dat.gz", 4, "content-type: application/x-gzip", NULL,
         S3_AUTH_BAD_SIGNATURE},
        {"Content-MD5", "PUT", "/db-backup.dat.gz", 5,
         "Content-MD5: 4gJE4saaMU4BqNR0kLY+lW==", NULL, S3_AUTH_BAD_SIGNATURE},
        {"Content-MD5 removed", "PUT", "/db-backup.dat.gz", 5, NULL, NULL, S3_AUTH_BAD_SIGNATURE},
        {"signature", "PUT", "/db-backup.dat.gz", 13,
         "Authorization: AWS " AK ":eKZcB+bz2EPXgSdXZp9ozGeOM4I=", NULL, S3_AUTH_BAD_SIGNATURE},
        {"unknown key", "PUT", "/db-backup.dat.gz", 13,
         "Authorization: AWS AKIAOTHER:dKZcB+bz2EPXgSdXZp9ozGeOM4I=", NULL, S3_AUTH_UNKNOWN_KEY},
        /* parts S3 does not sign may change */
        {"User-Agent", "PUT", "/db-backup.dat.gz", 0, "User-Agent: other", NULL, S3_AUTH_OK},
        {"Content-Disposition", "PUT", "/db-backup.dat.gz", 10, "Content-Disposition: inline", NULL,
         S3_AUTH_OK},
        {"unsigned parameter", "PUT", "/db-backup.dat.gz?foo=bar", 99, NULL, NULL, S3_AUTH_OK},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        const char *hdrs[16];
        size_t n = 0;
        for (size_t k = 0; up->hdrs[k]; k++)
            if (k != cases[i].hdr || cases[i].repl)
                hdrs[n++] = k == cases[i].hdr ? cases[i].repl : up->hdrs[k];
        hdrs[n] = NULL;
        http_request r;
        build(&r, cases[i].method, cases[i].target, hdrs);
        s3_sigv4_result res;
        int rc = verify(&r, SECRET, cases[i].bucket ? cases[i].bucket : up->bucket, up->now, &res);
        if (!CHECK_EQ(rc, cases[i].want))
            fprintf(stderr, "  case: %s\n", cases[i].what);
        CHECK_EQ(res.code, cases[i].want == S3_AUTH_OK ? S3_ERR_NONE
                           : cases[i].want == S3_AUTH_UNKNOWN_KEY
                               ? S3_ERR_INVALID_ACCESS_KEY_ID
                               : S3_ERR_SIGNATURE_DOES_NOT_MATCH);
    }
    /* repeated amz headers are joined in the order sent */
    const char *swapped[16];
    memcpy(swapped, up->hdrs, sizeof swapped);
    swapped[6] = up->hdrs[7];
    swapped[7] = up->hdrs[6];
    http_request r;
    build(&r, up->method, up->target, swapped);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, up->bucket, up->now, &res), S3_AUTH_BAD_SIGNATURE);
    /* a wrong secret */
    build(&r, up->method, up->target, up->hdrs);
    CHECK_EQ(verify(&r, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", up->bucket, up->now, &res),
             S3_AUTH_BAD_SIGNATURE);
    /* the query example with its signature, key or Expires changed */
    const char *h[] = {"Host: johnsmith.s3.amazonaws.com", NULL};
    static const char *const targets[] = {
        "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=OpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139620",
        "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139621",
        "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=01175139620",
        "/photos/kitten.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139620",
        "/photos/puppy.jpg?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139620&versionId=1",
    };
    for (size_t i = 0; i < TEST_COUNT(targets); i++) {
        build(&r, "GET", targets[i], h);
        if (!CHECK_EQ(verify(&r, SECRET, "johnsmith", T_EXPIRES - 600, &res),
                      S3_AUTH_BAD_SIGNATURE))
            fprintf(stderr, "  target %zu\n", i);
    }
    build(&r, "HEAD", examples[8].target, h);
    CHECK_EQ(verify(&r, SECRET, "johnsmith", T_EXPIRES - 600, &res), S3_AUTH_BAD_SIGNATURE);
}

/* ---- time ---- */

static void test_presigned_expiry(void)
{
    const example *e = &examples[8];
    http_request r;
    build(&r, e->method, e->target, e->hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_EXPIRES, &res), S3_AUTH_OK);
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_EXPIRES + 1, &res), S3_AUTH_EXPIRED);
    CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED);
    CHECK(res.message && strcmp(res.message, "Request has expired") == 0);
    CHECK_EQ(res.expires_at_s, T_EXPIRES);
    CHECK(res.presigned && res.sigv2);
    /* expiry is checked before the key: an expired URL says so even with a wrong secret */
    CHECK_EQ(verify(&r, "wrong", e->bucket, T_EXPIRES + 1, &res), S3_AUTH_EXPIRED);
    /* a presigned request needs no Date, and a stale Date does not matter */
    const char *h[] = {"Host: johnsmith.s3.amazonaws.com", "Date: Mon, 01 Jan 1990 00:00:00 GMT",
                       NULL};
    build(&r, e->method, e->target, h);
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_EXPIRES - 86400 * 30, &res), S3_AUTH_OK);
}

static void test_header_skew(void)
{
    const example *e = &examples[0];
    http_request r;
    build(&r, e->method, e->target, e->hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_GET + 900, &res), S3_AUTH_OK);
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_GET - 900, &res), S3_AUTH_OK);
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_GET + 901, &res), S3_AUTH_SKEWED);
    CHECK_EQ(res.code, S3_ERR_REQUEST_TIME_TOO_SKEWED);
    CHECK_EQ(res.request_time_s, T_GET);
    CHECK_MEM(res.access_key, res.access_key_len, AK, strlen(AK));
    CHECK_EQ(verify(&r, SECRET, e->bucket, T_GET - 901, &res), S3_AUTH_SKEWED);
    CHECK_EQ(verify(&r, "wrong", e->bucket, T_GET + 901, &res), S3_AUTH_SKEWED);
    /* x-amz-date decides the time even when Date is valid, both ways */
    const char *h[] = {"Host: h", "Date: Tue, 27 Mar 2007 19:36:42 GMT",
                       "x-amz-date: Tue, 27 Mar 2007 20:36:42 GMT",
                       "Authorization: AWS " AK ":AAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL};
    build(&r, "GET", "/b/k", h);
    CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), S3_AUTH_SKEWED);
    CHECK_EQ(res.request_time_s, T_GET + 3600);
}

static void test_dates(void)
{
    static const struct {
        const char *s;
        int rc;
        int64_t t;
    } cases[] = {
        {"Tue, 27 Mar 2007 19:36:42 +0000", 0, T_GET},
        {"Tue, 27 Mar 2007 19:36:42 GMT", 0, T_GET},
        {"Tue, 27 Mar 2007 21:06:42 +0130", 0, T_GET},
        {"Tue, 27 Mar 2007 18:06:42 -0130", 0, T_GET},
        {"Tuesday, 27-Mar-07 19:36:42 GMT", 0, T_GET},
        {"Tue Mar 27 19:36:42 2007", 0, T_GET},
        {"20070327T193642Z", 0, T_GET},
        {"Tue, 27 Mar 2007 19:36:42 +2400", CF_EINVAL, 0},
        {"Tue, 27 Mar 2007 19:36:42 +0060", CF_EINVAL, 0},
        {"Tue, 27 Mar 2007 19:36:42 +00a0", CF_EINVAL, 0},
        {"Tue, 27 Mar 2007 19:36:42 0000 ", CF_EINVAL, 0},
        {"Tue, 27 Mar 2007 19:36:42 +000", CF_EINVAL, 0},
        {"Tue, 30 Feb 2007 19:36:42 +0000", CF_EINVAL, 0},
        {"Tue, 27 Mar 2007 19:36:42", CF_EINVAL, 0},
        {"1175024202", CF_EINVAL, 0},
        {"", CF_EINVAL, 0},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        int64_t t = -1;
        if (!CHECK_EQ(s3_sigv2_parse_date(slice_str(cases[i].s), &t), cases[i].rc) ||
            !CHECK_EQ(t, cases[i].t))
            fprintf(stderr, "  date: %s\n", cases[i].s);
    }
}

/* ---- malformed ---- */

static void test_malformed_header_auth(void)
{
    char long_key[300];
    snprintf(long_key, sizeof long_key,
             "Authorization: AWS %0129d:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", 0);
    static const char *const space = "Authorization header is invalid -- one and only one ' ' "
                                     "(space) required";
    static const char *const form = "AWS authorization header is invalid.  Expected "
                                    "AwsAccessKeyId:signature";
    const struct {
        const char *extra; /* replaces the Authorization header (NULL: removed) */
        const char *extra2;
        int want;
        s3_err_code code;
        const char *msg;
    } cases[] = {
        {"Authorization: AWS  " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL, S3_AUTH_V2_MALFORMED,
         S3_ERR_INVALID_ARGUMENT, space},
        {"Authorization: AWS " AK, NULL, S3_AUTH_V2_MALFORMED, S3_ERR_INVALID_ARGUMENT, form},
        {"Authorization: AWS :qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL, S3_AUTH_V2_MALFORMED,
         S3_ERR_INVALID_ARGUMENT, form},
        {"Authorization: AWS " AK ":", NULL, S3_AUTH_V2_MALFORMED, S3_ERR_INVALID_ARGUMENT, form},
        {long_key, NULL, S3_AUTH_V2_MALFORMED, S3_ERR_INVALID_ARGUMENT, form},
        /* a signature that is not base64 of 20 bytes never matches */
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g", NULL, S3_AUTH_BAD_SIGNATURE,
         S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1gA", NULL, S3_AUTH_BAD_SIGNATURE,
         S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g!", NULL, S3_AUTH_BAD_SIGNATURE,
         S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL,
         S3_AUTH_BAD_SIGNATURE, S3_ERR_SIGNATURE_DOES_NOT_MATCH, NULL},
        /* the key is what precedes the last ':' */
        {"Authorization: AWS " AK ":x:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL, S3_AUTH_UNKNOWN_KEY,
         S3_ERR_INVALID_ACCESS_KEY_ID, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
         "Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", S3_AUTH_V2_MALFORMED,
         S3_ERR_INVALID_ARGUMENT, form},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "x-amz-security-token: t",
         S3_AUTH_TOKEN, S3_ERR_INVALID_TOKEN, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
         "x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD", S3_AUTH_BAD_CONTENT_SHA256,
         S3_ERR_INVALID_ARGUMENT, NULL},
        {"Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "x-amz-content-sha256: nope",
         S3_AUTH_BAD_CONTENT_SHA256, S3_ERR_INVALID_ARGUMENT, NULL},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        const char *hdrs[] = {"Host: awsexamplebucket1.us-west-1.s3.amazonaws.com",
                              "Date: Tue, 27 Mar 2007 19:36:42 +0000", cases[i].extra,
                              cases[i].extra2, NULL};
        http_request r;
        build(&r, "GET", "/photos/puppy.jpg", hdrs);
        s3_sigv4_result res;
        int rc = verify(&r, SECRET, "awsexamplebucket1", T_GET, &res);
        bool ok = CHECK_EQ(rc, cases[i].want) && CHECK_EQ(res.code, cases[i].code);
        ok &= CHECK(res.message != NULL && res.sigv2);
        if (cases[i].msg)
            ok &= CHECK(res.message && strcmp(res.message, cases[i].msg) == 0);
        if (!ok)
            fprintf(stderr, "  case %zu\n", i);
    }
}

static void test_missing_or_bad_date(void)
{
    static const char *const dates[][2] = {
        {"Host: h", NULL},
        {"Date: yesterday", NULL},
        {"Date: Tue, 27 Mar 2007 19:36:42 +0000", "x-amz-date: 2007-03-27T19:36:42Z"},
    };
    for (size_t i = 0; i < TEST_COUNT(dates); i++) {
        const char *hdrs[] = {"Host: awsexamplebucket1.us-west-1.s3.amazonaws.com",
                              "Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", dates[i][0],
                              dates[i][1], NULL};
        http_request r;
        build(&r, "GET", "/photos/puppy.jpg", hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "awsexamplebucket1", T_GET, &res), S3_AUTH_NO_DATE);
        CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED);
        CHECK(res.message &&
              strcmp(res.message,
                     "AWS authentication requires a valid Date or x-amz-date header") == 0);
    }
}

static void test_malformed_query_auth(void)
{
    static const char *const need = "Query-string authentication requires the Signature, Expires "
                                    "and AWSAccessKeyId parameters";
    static const char *const date = "Invalid date (should be seconds since epoch)";
    static const struct {
        const char *query;
        int want;
        const char *msg;
    } cases[] = {
        {"AWSAccessKeyId=" AK "&Expires=1175139620", S3_AUTH_V2_QUERY_MALFORMED, need},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
         S3_AUTH_V2_QUERY_MALFORMED, need},
        {"AWSAccessKeyId=&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
         S3_AUTH_V2_QUERY_MALFORMED, need},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
         "&Expires=1175139620",
         S3_AUTH_V2_QUERY_MALFORMED, need},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=11751396a0",
         S3_AUTH_V2_QUERY_MALFORMED, date},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=",
         S3_AUTH_V2_QUERY_MALFORMED, date},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1234567890123",
         S3_AUTH_V2_QUERY_MALFORMED, date},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=-1",
         S3_AUTH_V2_QUERY_MALFORMED, date},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
         "&x-amz-security-token=abc",
         S3_AUTH_TOKEN, NULL},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8&Expires=1175139620",
         S3_AUTH_BAD_SIGNATURE, NULL},
        {"AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM+WFzoENXmpNDUsSn8=&Expires=1175139620",
         S3_AUTH_OK, NULL}, /* '+' is not a space here, as botocore's unquote */
    };
    const char *hdrs[] = {"Host: johnsmith.s3.amazonaws.com", NULL};
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        char target[512];
        snprintf(target, sizeof target, "/photos/puppy.jpg?%s", cases[i].query);
        http_request r;
        build(&r, "GET", target, hdrs);
        s3_sigv4_result res;
        int rc = verify(&r, SECRET, "johnsmith", T_EXPIRES - 600, &res);
        bool ok = CHECK_EQ(rc, cases[i].want);
        if (cases[i].msg)
            ok &= CHECK_EQ(res.code, S3_ERR_ACCESS_DENIED) &&
                  CHECK(res.message && strcmp(res.message, cases[i].msg) == 0);
        if (!ok)
            fprintf(stderr, "  case %zu\n", i);
    }
}

static void test_two_mechanisms_and_detection(void)
{
    const char *v2[] = {"Host: h", "Date: Tue, 27 Mar 2007 19:36:42 +0000",
                        "Authorization: AWS " AK ":qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", NULL};
    const char *v4[] = {"Host: h", "Authorization: AWS4-HMAC-SHA256 Credential=x", NULL};
    const char *none[] = {"Host: h", NULL};
    const char *odd[] = {"Host: h", "Authorization: AWSX " AK ":x", NULL};
    const struct {
        const char **hdrs;
        const char *target;
        bool v2;
        int verify; /* s3_sigv2_verify's answer */
    } cases[] = {
        {v2, "/b/k", true, S3_AUTH_BAD_SIGNATURE},
        {v2, "/b/k?AWSAccessKeyId=" AK "&Expires=1&Signature=x", true, S3_AUTH_MULTIPLE},
        {v2, "/b/k?X-Amz-Signature=x", true, S3_AUTH_MULTIPLE},
        {v4, "/b/k", false, S3_AUTH_V2_MALFORMED},
        {none, "/b/k?AWSAccessKeyId=" AK "&Expires=1&Signature=x", true, S3_AUTH_EXPIRED},
        {none, "/b/k?AWSAccessKeyId=" AK "&X-Amz-Credential=x", false, S3_AUTH_V2_QUERY_MALFORMED},
        {none, "/b/k", false, S3_AUTH_V2_QUERY_MALFORMED},
        {odd, "/b/k", false, S3_AUTH_V2_MALFORMED},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        http_request r;
        build(&r, "GET", cases[i].target, cases[i].hdrs);
        s3_sigv4_result res;
        bool ok = CHECK_EQ(s3_sigv2_detect(&r), cases[i].v2);
        ok &= CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), cases[i].verify);
        if (!ok)
            fprintf(stderr, "  case %zu\n", i);
    }
    http_request r;
    build(&r, "GET", "/b/k?AWSAccessKeyId=" AK "&Expires=1&Signature=x", v2);
    s3_sigv4_result res;
    verify(&r, SECRET, "", T_GET, &res);
    CHECK_EQ(res.code, S3_ERR_INVALID_ARGUMENT);
}

static void test_payload_modes(void)
{
    static const struct {
        const char *value;
        int want;
        s3_payload_mode mode;
    } cases[] = {
        {"UNSIGNED-PAYLOAD", S3_AUTH_OK, S3_PAYLOAD_UNSIGNED},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", S3_AUTH_OK,
         S3_PAYLOAD_SHA256},
        {"STREAMING-UNSIGNED-PAYLOAD-TRAILER", S3_AUTH_OK, S3_PAYLOAD_STREAMING_UNSIGNED_TRAILER},
        {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", S3_AUTH_BAD_CONTENT_SHA256, 0},
    };
    for (size_t i = 0; i < TEST_COUNT(cases); i++) {
        char h[128], sts[256], auth[128], sig[29];
        snprintf(h, sizeof h, "x-amz-content-sha256: %s", cases[i].value);
        snprintf(sts, sizeof sts,
                 "PUT\n\n\nTue, 27 Mar 2007 19:36:42 GMT\nx-amz-content-sha256:%s\n/b/k",
                 cases[i].value);
        s3_sigv2_sign(slice_str(SECRET), slice_str(sts), sig);
        snprintf(auth, sizeof auth, "Authorization: AWS " AK ":%s", sig);
        const char *hdrs[] = {"Host: h", "Date: Tue, 27 Mar 2007 19:36:42 GMT", h, auth, NULL};
        http_request r;
        build(&r, "PUT", "/b/k", hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "", T_GET, &res), cases[i].want);
        if (cases[i].want == S3_AUTH_OK)
            CHECK_EQ(res.payload, cases[i].mode);
    }
}

/* ---- bounds ---- */

static void test_bounds(void)
{
    /* 129 x-amz-* parameters in a presigned URL, 33 sub-resources, a 129-byte amz name */
    static char target[8192];
    const char *hdrs[] = {"Host: h", NULL};
    const char *base = "/b/k?AWSAccessKeyId=" AK "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
                       "&Expires=1175139620";
    for (int which = 0; which < 3; which++) {
        size_t n = (size_t)snprintf(target, sizeof target, "%s", base);
        if (which == 0)
            for (int i = 0; i <= S3_SIGV2_MAX_AMZ; i++)
                n += (size_t)snprintf(target + n, sizeof target - n, "&x-amz-m%d=v", i);
        else if (which == 1)
            for (int i = 0; i <= S3_SIGV2_MAX_SUBRESOURCES; i++)
                n += (size_t)snprintf(target + n, sizeof target - n, "&acl");
        else
            snprintf(target + n, sizeof target - n, "&x-amz-%0123d=v", 0);
        http_request r;
        build(&r, "GET", target, hdrs);
        s3_sigv4_result res;
        CHECK_EQ(verify(&r, SECRET, "", T_EXPIRES, &res), S3_AUTH_V2_QUERY_MALFORMED);
        CHECK(res.message && strstr(res.message, "more x-amz-* headers or sub-resources"));
    }
    /* at the bounds, the string is built (and the signature simply does not match) */
    size_t n = (size_t)snprintf(target, sizeof target, "%s", base);
    for (int i = 0; i < S3_SIGV2_MAX_SUBRESOURCES; i++)
        n += (size_t)snprintf(target + n, sizeof target - n, "&acl");
    snprintf(target + n, sizeof target - n, "&x-amz-%0122d=v", 0);
    http_request r;
    build(&r, "GET", target, hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, "", T_EXPIRES, &res), S3_AUTH_BAD_SIGNATURE);
}

static void test_signature_compared_as_decoded_bytes(void)
{
    /* base64 of 20 bytes leaves 2 bits of its 27th character unused: "I", "J" (and "K", "L")
     * decode alike; "M" does not.
     * The 20 bytes are what is compared (invariant (1)), so both are the same signature. */
    const example *up = &examples[5];
    const char *hdrs[16];
    memcpy(hdrs, up->hdrs, sizeof hdrs);
    hdrs[13] = "Authorization: AWS " AK ":dKZcB+bz2EPXgSdXZp9ozGeOM4J=";
    http_request r;
    build(&r, up->method, up->target, hdrs);
    s3_sigv4_result res;
    CHECK_EQ(verify(&r, SECRET, up->bucket, up->now, &res), S3_AUTH_OK);
    hdrs[13] = "Authorization: AWS " AK ":dKZcB+bz2EPXgSdXZp9ozGeOM4M=";
    build(&r, up->method, up->target, hdrs);
    CHECK_EQ(verify(&r, SECRET, up->bucket, up->now, &res), S3_AUTH_BAD_SIGNATURE);
}

static void test_sign_output(void)
{
    char out[29];
    memset(out, 'x', sizeof out);
    s3_sigv2_sign(slice_str(SECRET), slice_str(examples[6].sts), out);
    CHECK_EQ(strlen(out), 28);
    CHECK_MEM(out, 28, "qGdzdERIC03wnaRNKh6OqZehG9s=", 28);
    s3_sigv2_sign(slice_make(NULL, 0), slice_make(NULL, 0), out);
    CHECK_MEM(out, 28, "+9sdGxiqbAgyS31ktx+3Y3BpDh0=", 28); /* HMAC-SHA1 of nothing under "" */
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_aws_examples_string_to_sign_and_signature),
        TEST(test_delete_example_table_form_is_refused),
        TEST(test_virtual_host_and_path_style_sign_the_same_resource),
        TEST(test_path_style_bucket_signed_with_or_without_slash),
        TEST(test_botocore_sub_resources_sorted_and_decoded),
        TEST(test_botocore_presigned_put_with_amz_parameters),
        TEST(test_amz_headers_lowercased_sorted_trimmed_joined),
        TEST(test_tampering_each_signed_part_fails),
        TEST(test_presigned_expiry),
        TEST(test_header_skew),
        TEST(test_dates),
        TEST(test_malformed_header_auth),
        TEST(test_missing_or_bad_date),
        TEST(test_malformed_query_auth),
        TEST(test_two_mechanisms_and_detection),
        TEST(test_payload_modes),
        TEST(test_bounds),
        TEST(test_signature_compared_as_decoded_bytes),
        TEST(test_sign_output),
    };
    return test_main(cases, TEST_COUNT(cases));
}
