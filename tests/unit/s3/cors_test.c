/*
 * cors_test.c -- bucket CORS (s3/cors.h, xml.h s3_xml_parse_cors): bodies
 * parsed into the stored line form and the ones refused with S3's codes and
 * texts, the wildcard matcher, rule matching (origin wildcards, methods,
 * requested headers, first match wins), the headers a match earns, and
 * doc/formats.md's worked example.
 */
#include <stdio.h>
#include <string.h>

#include "s3/cors.h"
#include "s3/xml.h"
#include "test.h"
#include "util/err.h"

static cf_slice S(const char *s)
{
    return slice_str(s);
}

static s3_err_code parse(const char *xml, cf_buf *out, const char **msg)
{
    static char mb[384];
    return s3_xml_parse_cors((const uint8_t *)xml, strlen(xml), out, mb, sizeof mb, msg);
}

#define RULE(body) "<CORSConfiguration><CORSRule>" body "</CORSRule></CORSConfiguration>"

static void test_bodies_parse_into_the_line_form(void)
{
    cf_buf out = {0};
    const char *msg;
    CHECK_EQ(parse("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<CORSRule><ID> r1 </ID><AllowedHeader>*</AllowedHeader>"
                   "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
                   "<AllowedOrigin>http://a.test</AllowedOrigin><Unknown>x</Unknown>"
                   "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>"
                   "</CORSRule></CORSConfiguration>",
                   &out, &msg),
             S3_ERR_NONE);
    const char *want = "R\nIr1\nH*\nMPUT\nMGET\nOhttp://a.test\nEETag\nA3000\n";
    CHECK_MEM(out.data, out.len, want, strlen(want));
    buf_free(&out);
}

static void test_stored_form_validity_for_coffer_check(void)
{
    CHECK(s3_cors_valid(S("R\nIr1\nH*\nMPUT\nMGET\nOhttp://a.test\nEETag\nA3000\n")));
    CHECK(s3_cors_valid(S("R\nMGET\nO*\nR\nMHEAD\nOhttp://b\n")));
    static const char *const bad[] = {
        "", "R\n", "MGET\nO*\n", "R\nO*\n", "R\nMGET\n", "R\nMPATCH\nO*\n",
        "R\nMGET\nO*\nX?\n", "R\nMGET\nO*", "R\nMGET\nO*\nR\nO*\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (s3_cors_valid(S(bad[i])))
            printf("  accepted damaged form %zu\n", i);
        CHECK(!s3_cors_valid(S(bad[i])));
    }
    /* whatever the parser writes is valid */
    cf_buf out = {0};
    const char *msg;
    CHECK_EQ(parse(RULE("<AllowedMethod>DELETE</AllowedMethod><AllowedOrigin>https://*.x</AllowedOrigin>"),
                   &out, &msg),
             S3_ERR_NONE);
    CHECK(s3_cors_valid(buf_slice(&out)));
    buf_free(&out);
}

static void test_bodies_refused_with_s3s_codes(void)
{
    static const struct {
        const char *xml;
        s3_err_code err;
        const char *msg; /* NULL: not checked */
    } cases[] = {
        {"<CORSConfiguration></CORSConfiguration>", S3_ERR_MALFORMED_XML,
         "A CORS configuration needs a CORSRule"},
        {RULE("<AllowedMethod>GET</AllowedMethod>"), S3_ERR_MALFORMED_XML,
         "A CORSRule needs an AllowedOrigin and an AllowedMethod"},
        {RULE("<AllowedOrigin>*</AllowedOrigin>"), S3_ERR_MALFORMED_XML,
         "A CORSRule needs an AllowedOrigin and an AllowedMethod"},
        {RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"),
         S3_ERR_INVALID_REQUEST,
         "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"},
        {RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>"),
         S3_ERR_INVALID_REQUEST,
         "Found unsupported HTTP method in CORS config. Unsupported method is get"},
        {RULE("<AllowedOrigin>http://*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         S3_ERR_INVALID_REQUEST, "AllowedOrigin \"http://*.*\" can not have more than one wildcard."},
        {RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
              "<AllowedHeader>x-*-*</AllowedHeader>"),
         S3_ERR_INVALID_REQUEST, "AllowedHeader \"x-*-*\" can not have more than one wildcard."},
        {RULE("<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
              "<MaxAgeSeconds>soon</MaxAgeSeconds>"),
         S3_ERR_MALFORMED_XML, "MaxAgeSeconds must be a number"},
        {RULE("<ID>a</ID><ID>b</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         S3_ERR_MALFORMED_XML, "A CORSRule has at most one ID and one MaxAgeSeconds"},
        {RULE("<AllowedOrigin></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         S3_ERR_MALFORMED_XML, "A CORS value is empty"},
        {RULE("<AllowedOrigin>a&#10;b</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
         S3_ERR_MALFORMED_XML, "A CORS value holds a control character"},
        {"<CORSConfiguration><CORSRule>", S3_ERR_MALFORMED_XML, NULL},
        {"<!DOCTYPE x [<!ENTITY e \"y\">]><CORSConfiguration/>", S3_ERR_MALFORMED_XML, NULL},
    };
    cf_buf out = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *msg = NULL;
        CHECK_EQ(parse(cases[i].xml, &out, &msg), cases[i].err);
        CHECK_EQ(out.len, 0);
        if (cases[i].msg) {
            CHECK(msg != NULL && strcmp(msg, cases[i].msg) == 0);
            if (!msg || strcmp(msg, cases[i].msg) != 0)
                fprintf(stderr, "case %zu: %s\n", i, msg ? msg : "(null)");
        }
    }
    /* 100 rules are taken, 101 are not */
    cf_buf big = {0};
    buf_append(&big, "<CORSConfiguration>", 19);
    const char *one = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                      "</CORSRule>";
    for (int i = 0; i < 100; i++)
        buf_append(&big, one, strlen(one));
    buf_append(&big, "</CORSConfiguration>", 21);
    const char *msg;
    static char mb[384];
    CHECK_EQ(s3_xml_parse_cors(big.data, big.len - 1, &out, mb, sizeof mb, &msg), S3_ERR_NONE);
    big.len -= 21;
    buf_append(&big, one, strlen(one));
    buf_append(&big, "</CORSConfiguration>", 21);
    CHECK_EQ(s3_xml_parse_cors(big.data, big.len - 1, &out, mb, sizeof mb, &msg),
             S3_ERR_MALFORMED_XML);
    CHECK(msg && strcmp(msg, "A CORS configuration holds at most 100 rules") == 0);
    buf_free(&big);
    buf_free(&out);
}

static void test_wildcard(void)
{
    static const struct {
        const char *pat, *s;
        bool ci, want;
    } cases[] = {
        {"*", "", false, true},
        {"*", "http://x", false, true},
        {"http://a.test", "http://a.test", false, true},
        {"http://a.test", "http://a.tes", false, false},
        {"http://a.test", "http://a.testx", false, false},
        {"http://*.test", "http://b.a.test", false, true},
        {"http://*.test", "http://.test", false, true},
        {"http://*.test", "http://test", false, false},
        {"http://*.test", "https://a.test", false, false},
        {"http://A.test", "http://a.test", false, false},
        {"x-amz-*", "X-AMZ-Date", true, true},
        {"*-id", "x-request-id", true, true},
        {"content-type", "Content-Type", true, true},
        {"content-type", "content-typ", true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ(s3_cors_wildcard(S(cases[i].pat), S(cases[i].s), cases[i].ci), cases[i].want);
}

static void test_matching_first_rule_wins(void)
{
    const char *enc = "R\nIexact\nOhttp://a.test\nMGET\nMPUT\nHcontent-type\nHx-amz-*\n"
                      "R\nIwild\nOhttp://*.b.test\nMGET\nH*\nEETag\nA60\n"
                      "R\nIany\nO*\nMHEAD\nMGET\n";
    static const struct {
        const char *origin, *method, *headers;
        const char *id; /* NULL: no rule */
    } cases[] = {
        {"http://a.test", "GET", "", "exact"},
        {"http://a.test", "PUT", "Content-Type, X-Amz-Date", "exact"},
        {"http://a.test", "PUT", "content-type,x-other", NULL}, /* a header no rule allows */
        {"http://a.test", "DELETE", "", NULL},
        {"http://a.test", "HEAD", "", "any"},
        {"http://x.b.test", "GET", "anything, at-all", "wild"},
        {"http://x.b.test", "PUT", "", NULL},
        {"http://elsewhere", "GET", "", "any"},
        {"http://elsewhere", "GET", "x-custom", NULL}, /* "any" allows no header */
        {"http://elsewhere", "POST", "", NULL},
        {"http://a.test", "get", "", NULL}, /* methods are exact */
        {"http://a.test", "GET", " , ,", "exact"},   /* empty names are no names */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s3_cors_rule rule;
        bool m = s3_cors_match(S(enc), S(cases[i].origin), S(cases[i].method),
                               S(cases[i].headers), &rule);
        CHECK_EQ(m, cases[i].id != NULL);
        if (m && cases[i].id) {
            char want[32];
            snprintf(want, sizeof want, "I%s\n", cases[i].id);
            CHECK(rule.lines.len > strlen(want) &&
                  memcmp(rule.lines.ptr, want, strlen(want)) == 0);
        }
    }
    s3_cors_rule rule;
    CHECK(!s3_cors_match(S(""), S("http://a"), S("GET"), S(""), &rule));
}

/* header -- h's value for name as a C string (static buffer), "" if absent. */
static const char *header(const http_header *h, size_t n, const char *name)
{
    static char v[256];
    v[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if (slice_eq(h[i].name, S(name)))
            snprintf(v, sizeof v, "%.*s", (int)h[i].value.len, (const char *)h[i].value.ptr);
    return v;
}

static void test_headers_a_match_earns(void)
{
    const char *enc = "R\nOhttp://*.b.test\nMGET\nMPUT\nH*\nEETag\nEx-amz-id\nA60\n"
                      "R\nO*\nMHEAD\n";
    s3_cors_rule rule;
    http_header h[S3_CORS_MAX_HEADERS];
    size_t n;
    cf_buf vals = {0};
    CHECK(s3_cors_match(S(enc), S("http://x.b.test"), S("PUT"), S("X-Amz-Date, Content-Type"),
                        &rule));
    CHECK(!rule.any_origin);
    CHECK_EQ(s3_cors_headers(&rule, S("http://x.b.test"), true, S("X-Amz-Date, Content-Type"),
                             &vals, h, &n),
             0);
    CHECK_EQ(n, 7);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Origin"), "http://x.b.test") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Methods"), "GET, PUT") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Headers"), "x-amz-date, content-type") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Expose-Headers"), "ETag, x-amz-id") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Max-Age"), "60") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Credentials"), "true") == 0);
    CHECK(strcmp(header(h, n, "Vary"),
                 "Origin, Access-Control-Request-Headers, Access-Control-Request-Method") == 0);
    /* an actual request: no Allow-Headers; "*" origin: "*", no credentials */
    CHECK(s3_cors_match(S(enc), S("http://other"), S("HEAD"), S(""), &rule));
    CHECK(rule.any_origin);
    CHECK_EQ(s3_cors_headers(&rule, S("http://other"), false, S(""), &vals, h, &n), 0);
    CHECK_EQ(n, 3);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Origin"), "*") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Methods"), "HEAD") == 0);
    CHECK(strcmp(header(h, n, "Access-Control-Allow-Credentials"), "") == 0);
    buf_free(&vals);
}

static void test_formats_md_worked_example(void)
{
    FILE *f = fopen("doc/formats.md", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    static char line[4096], xml[4096], stored[1024];
    bool in_section = false;
    xml[0] = stored[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "### Bucket CORS", 15) == 0)
            in_section = true;
        else if (in_section && strncmp(line, "    <CORSConfiguration>", 23) == 0)
            snprintf(xml, sizeof xml, "%s", line + 4);
        else if (in_section && strncmp(line, "    stored: \"", 13) == 0) {
            size_t k = 0; /* unescape \n; the closing quote ends it */
            for (const char *p = line + 13; *p && *p != '"' && k + 1 < sizeof stored; p++)
                if (p[0] == '\\' && p[1] == 'n') {
                    stored[k++] = '\n';
                    p++;
                } else {
                    stored[k++] = *p;
                }
            stored[k] = '\0';
            break;
        }
    }
    fclose(f);
    CHECK(xml[0] && stored[0]);
    cf_buf out = {0};
    const char *msg;
    CHECK_EQ(parse(xml, &out, &msg), S3_ERR_NONE);
    CHECK_MEM(out.data, out.len, stored, strlen(stored));
    buf_free(&out);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_bodies_parse_into_the_line_form),
        TEST(test_bodies_refused_with_s3s_codes),
        TEST(test_stored_form_validity_for_coffer_check),
        TEST(test_wildcard),
        TEST(test_matching_first_rule_wins),
        TEST(test_headers_a_match_earns),
        TEST(test_formats_md_worked_example),
    };
    return test_main(cases, TEST_COUNT(cases));
}
