/*
 * acl_test.c -- ACLs (s3/acl.h) and the access XML bodies (xml.h): every
 * canned ACL, grant headers, the stored form both ways (and every way it
 * can be damaged), what an ACL grants to a user, an authenticated stranger
 * and anonymous, IgnorePublicAcls, the AccessControlPolicy document written
 * and parsed back, OwnershipControls and PublicAccessBlockConfiguration
 * bodies, and doc/formats.md's worked example of the stored form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/acl.h"
#include "test.h"
#include "util/err.h"

static cf_slice S(const char *s)
{
    return slice_str(s);
}

static s3_acl *acl_new(void)
{
    s3_acl *a = calloc(1, sizeof *a);
    CHECK(a != NULL);
    return a;
}

/* encoded -- a's stored form as a C string (static buffer). */
static const char *encoded(const s3_acl *a)
{
    static char out[4096];
    cf_buf b = {0};
    CHECK_EQ(s3_acl_encode(a, &b, sizeof out - 1), 0);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    buf_free(&b);
    return out;
}

static void test_every_canned_acl_has_s3s_grants(void)
{
    static const struct {
        const char *name, *owner, *bucket_owner, *want;
    } cases[] = {
        {"private", "AK1", "AK1", "AK1 u:AK1:FULL_CONTROL"},
        {"aws-exec-read", "AK1", "AK1", "AK1 u:AK1:FULL_CONTROL"},
        {"public-read", "AK1", "AK1", "AK1 u:AK1:FULL_CONTROL all::READ"},
        {"public-read-write", "AK1", "AK1", "AK1 u:AK1:FULL_CONTROL all::READ all::WRITE"},
        {"authenticated-read", "AK1", "AK1", "AK1 u:AK1:FULL_CONTROL auth::READ"},
        {"bucket-owner-read", "W", "BO", "W u:W:FULL_CONTROL u:BO:READ"},
        {"bucket-owner-read", "BO", "BO", "BO u:BO:FULL_CONTROL"},
        {"bucket-owner-full-control", "W", "BO", "W u:W:FULL_CONTROL u:BO:FULL_CONTROL"},
        {"log-delivery-write", "AK1", "AK1",
         "AK1 u:AK1:FULL_CONTROL log::WRITE log::READ_ACP"},
    };
    s3_acl *a = acl_new();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(s3_acl_canned(a, S(cases[i].name), cases[i].owner, cases[i].bucket_owner));
        if (strcmp(encoded(a), cases[i].want) != 0)
            printf("  %s: %s != %s\n", cases[i].name, encoded(a), cases[i].want);
        CHECK(strcmp(encoded(a), cases[i].want) == 0);
    }
    CHECK(!s3_acl_canned(a, S("public"), "AK1", "AK1"));
    CHECK(!s3_acl_canned(a, S("PRIVATE"), "AK1", "AK1"));
    free(a);
}

static void test_stored_form_round_trips_and_damage_is_refused_whole(void)
{
    static const char *const good[] = {
        "AK1",
        "AK1 u:AK1:FULL_CONTROL",
        "AK1 u:AK2:READ u:AK3:WRITE u:AK4:READ_ACP u:AK5:WRITE_ACP all::READ auth::WRITE log::READ",
    };
    static const char *const bad[] = {
        "", " u:AK1:READ", "AK1 ", "AK1 u:AK1", "AK1 u::READ", "AK1 x:AK1:READ",
        "AK1 all:AK1:READ", "AK1 u:AK1:read", "AK1 u:AK1:FULL", "AK1  u:AK1:READ",
        "A K u:AK1:READ", "AK1 u:A/B:READ", "AK1 u:AK1:READ:x",
    };
    s3_acl *a = acl_new();
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_EQ(s3_acl_decode(S(good[i]), a), 0);
        CHECK(strcmp(encoded(a), good[i]) == 0);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = s3_acl_decode(S(bad[i]), a);
        if (rc != CF_ECORRUPT)
            printf("  accepted damaged form \"%s\"\n", bad[i]);
        CHECK_EQ(rc, CF_ECORRUPT);
        CHECK_EQ(a->n, 0);
    }
    /* 101 grants: one more than S3 allows */
    char big[8192] = "AK1";
    for (int i = 0; i < 101; i++)
        strcat(big, " all::READ");
    CHECK_EQ(s3_acl_decode(S(big), a), CF_ECORRUPT);
    cf_buf b = {0};
    CHECK_EQ(s3_acl_decode(S(good[2]), a), 0);
    CHECK_EQ(s3_acl_encode(a, &b, 20), CF_ELIMIT);
    buf_free(&b);
    free(a);
}

static void test_grant_headers_parse_ids_groups_and_refuse_emails(void)
{
    s3_acl *a = acl_new();
    const char *msg;
    a->n = 0;
    snprintf(a->owner, sizeof a->owner, "AK1");
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ,
                                 S("id=\"AK2\", uri=\"http://acs.amazonaws.com/groups/global/"
                                   "AllUsers\",id=AK3"),
                                 &msg),
             S3_ERR_NONE);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_FULL_CONTROL, S("ID=\"AK1\""), &msg), S3_ERR_NONE);
    CHECK(strcmp(encoded(a), "AK1 u:AK2:READ all::READ u:AK3:READ u:AK1:FULL_CONTROL") == 0);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ, S("emailAddress=\"a@b.c\""), &msg),
             S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ, S("uri=\"http://example.com/Everyone\""), &msg),
             S3_ERR_INVALID_ARGUMENT);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ, S("AK2"), &msg), S3_ERR_INVALID_ARGUMENT);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ, S("id=\"bad id\""), &msg),
             S3_ERR_INVALID_ARGUMENT);
    CHECK_EQ(s3_acl_grant_header(a, S3_PERM_READ, S("key=\"AK2\""), &msg),
             S3_ERR_INVALID_ARGUMENT);
    free(a);
}

static void test_perms_for_owner_user_stranger_and_anonymous(void)
{
    s3_acl *a = acl_new();
    CHECK_EQ(s3_acl_decode(S("AK1 u:AK1:FULL_CONTROL u:AK2:READ auth::READ_ACP all::WRITE"), a),
             0);
    CHECK_EQ(s3_acl_perms(a, "AK1", false), S3_PERM_FULL_CONTROL | S3_PERM_WRITE);
    CHECK_EQ(s3_acl_perms(a, "AK2", false), S3_PERM_READ | S3_PERM_READ_ACP | S3_PERM_WRITE);
    CHECK_EQ(s3_acl_perms(a, "AK9", false), S3_PERM_READ_ACP | S3_PERM_WRITE);
    CHECK_EQ(s3_acl_perms(a, NULL, false), S3_PERM_WRITE);
    /* IgnorePublicAcls: only grants to named users count */
    CHECK_EQ(s3_acl_perms(a, "AK2", true), S3_PERM_READ);
    CHECK_EQ(s3_acl_perms(a, NULL, true), 0);
    CHECK(s3_acl_is_public(a));
    CHECK(!s3_acl_is_owner_only(a));
    s3_acl_private(a, "AK1");
    CHECK(!s3_acl_is_public(a));
    CHECK(s3_acl_is_owner_only(a));
    CHECK_EQ(s3_acl_perms(a, "AK2", false), 0);
    /* LogDelivery grants nobody here anything */
    CHECK_EQ(s3_acl_decode(S("AK1 log::FULL_CONTROL"), a), 0);
    CHECK_EQ(s3_acl_perms(a, NULL, false), 0);
    CHECK(!s3_acl_is_public(a));
    free(a);
}

static void test_access_control_policy_written_then_parsed_back(void)
{
    s3_acl *a = acl_new(), *b = acl_new();
    CHECK_EQ(s3_acl_decode(S("AK1 u:AK1:FULL_CONTROL u:AK2:WRITE_ACP all::READ auth::WRITE"), a),
             0);
    cf_buf out = {0};
    s3_xml_writer w;
    s3_xml_writer_init(&w, &out);
    s3_acl_xml(&w, a);
    CHECK_EQ(s3_xml_writer_finish(&w), 0);
    const char *want =
        "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>AK1"
        "</ID><DisplayName>AK1</DisplayName></Owner><AccessControlList><Grant><Grantee "
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>"
        "AK1</ID><DisplayName>AK1</DisplayName></Grantee><Permission>FULL_CONTROL</Permission>"
        "</Grant><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:type=\"CanonicalUser\"><ID>AK2</ID><DisplayName>AK2</DisplayName></Grantee>"
        "<Permission>WRITE_ACP</Permission></Grant><Grant><Grantee xmlns:xsi=\"http://www.w3.org/"
        "2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/"
        "AllUsers</URI></Grantee><Permission>READ</Permission></Grant><Grant><Grantee xmlns:xsi="
        "\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs."
        "amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee><Permission>WRITE"
        "</Permission></Grant></AccessControlList></AccessControlPolicy>";
    CHECK_MEM(out.data, out.len, want, strlen(want));
    s3_acl_doc d;
    memset(&d, 0, sizeof d);
    const char *msg;
    CHECK_EQ(s3_xml_parse_acl(out.data, out.len, &d), S3_ERR_NONE);
    CHECK_EQ(s3_acl_from_doc(&d, "AK1", b, &msg), S3_ERR_NONE);
    CHECK(strcmp(encoded(b), encoded(a)) == 0);
    /* another owner named in the document: refused */
    CHECK_EQ(s3_acl_from_doc(&d, "AK2", b, &msg), S3_ERR_ACCESS_DENIED);
    s3_acl_doc_free(&d);
    buf_free(&out);
    free(a);
    free(b);
}

static void test_access_control_policy_bodies_that_are_refused(void)
{
    static const struct {
        const char *body;
        s3_err_code want;
    } cases[] = {
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>AK2</ID></Grantee>"
         "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
         S3_ERR_NONE},
        {"<AccessControlPolicy/>", S3_ERR_MALFORMED_ACL_ERROR},
        {"<AccessControlPolicy><AccessControlList><Grant><Permission>READ</Permission></Grant>"
         "</AccessControlList></AccessControlPolicy>",
         S3_ERR_MALFORMED_ACL_ERROR},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>AK2</ID><URI>x</URI>"
         "</Grantee><Permission>READ</Permission></Grant></AccessControlList>"
         "</AccessControlPolicy>",
         S3_ERR_MALFORMED_ACL_ERROR},
        {"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>AK2</ID></Grantee>"
         "</Grant></AccessControlList></AccessControlPolicy>",
         S3_ERR_MALFORMED_ACL_ERROR},
        {"<Nope/>", S3_ERR_MALFORMED_ACL_ERROR},
        {"<AccessControlPolicy>", S3_ERR_MALFORMED_ACL_ERROR},
        {"<!DOCTYPE x [<!ENTITY a \"b\">]><AccessControlPolicy/>", S3_ERR_MALFORMED_ACL_ERROR},
    };
    s3_acl_doc d;
    memset(&d, 0, sizeof d);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s3_err_code got = s3_xml_parse_acl((const uint8_t *)cases[i].body,
                                           strlen(cases[i].body), &d);
        if (got != cases[i].want)
            printf("  case %zu: %s\n", i, s3_err_name(got));
        CHECK_EQ(got, cases[i].want);
    }
    /* values the parser leaves to acl.c: a bad permission, an unknown group, an email */
    s3_acl *a = acl_new();
    const char *msg;
    static const struct {
        const char *grant;
        s3_err_code want;
    } values[] = {
        {"<Grantee><ID>AK2</ID></Grantee><Permission>READ_WRITE</Permission>",
         S3_ERR_MALFORMED_ACL_ERROR},
        {"<Grantee><URI>http://acs.amazonaws.com/groups/global/Nobody</URI></Grantee>"
         "<Permission>READ</Permission>",
         S3_ERR_MALFORMED_ACL_ERROR},
        {"<Grantee><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission>",
         S3_ERR_UNRESOLVABLE_GRANT_BY_EMAIL_ADDRESS},
        {"<Grantee><ID>no spaces</ID></Grantee><Permission>READ</Permission>",
         S3_ERR_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body,
                 "<AccessControlPolicy><AccessControlList><Grant>%s</Grant></AccessControlList>"
                 "</AccessControlPolicy>",
                 values[i].grant);
        CHECK_EQ(s3_xml_parse_acl((const uint8_t *)body, strlen(body), &d), S3_ERR_NONE);
        CHECK_EQ(s3_acl_from_doc(&d, "AK1", a, &msg), values[i].want);
    }
    s3_acl_doc_free(&d);
    free(a);
}

static void test_ownership_and_public_access_block_bodies(void)
{
    char v[32];
    const char *msg;
    const char *own = "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
                      "<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule>"
                      "</OwnershipControls>";
    CHECK_EQ(s3_xml_parse_ownership((const uint8_t *)own, strlen(own), v, sizeof v, &msg),
             S3_ERR_NONE);
    CHECK(strcmp(v, "BucketOwnerEnforced") == 0);
    const char *two = "<OwnershipControls><Rule><ObjectOwnership>A</ObjectOwnership></Rule><Rule>"
                      "<ObjectOwnership>B</ObjectOwnership></Rule></OwnershipControls>";
    CHECK_EQ(s3_xml_parse_ownership((const uint8_t *)two, strlen(two), v, sizeof v, &msg),
             S3_ERR_MALFORMED_XML);
    const char *none = "<OwnershipControls/>";
    CHECK_EQ(s3_xml_parse_ownership((const uint8_t *)none, strlen(none), v, sizeof v, &msg),
             S3_ERR_MALFORMED_XML);
    bool f[4];
    const char *pab = "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>"
                      "<BlockPublicPolicy>FALSE</BlockPublicPolicy><RestrictPublicBuckets> true "
                      "</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
    CHECK_EQ(s3_xml_parse_public_block((const uint8_t *)pab, strlen(pab), f, &msg), S3_ERR_NONE);
    CHECK(f[0] && !f[1] && !f[2] && f[3]);
    const char *bad = "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
                      "</PublicAccessBlockConfiguration>";
    CHECK_EQ(s3_xml_parse_public_block((const uint8_t *)bad, strlen(bad), f, &msg),
             S3_ERR_MALFORMED_XML);
    CHECK(!f[0] && !f[1] && !f[2] && !f[3]);
}

/* The worked example of doc/formats.md ("Access control lists"): the line after
 * "canned public-read ACL" in its fenced block must be what the code writes. */
static void test_formats_md_worked_example_is_what_the_code_writes(void)
{
    FILE *f = fopen("doc/formats.md", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[512], example[512] = "";
    bool in_section = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "### Access control lists", 24) == 0)
            in_section = true;
        else if (in_section && strncmp(line, "    CFADMIN ", 12) == 0) {
            snprintf(example, sizeof example, "%s", line + 4);
            example[strcspn(example, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
    s3_acl *a = acl_new();
    CHECK(s3_acl_canned(a, S("public-read"), "CFADMIN", "CFADMIN"));
    CHECK(strcmp(encoded(a), example) == 0);
    CHECK_EQ(s3_acl_decode(S(example), a), 0);
    free(a);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_every_canned_acl_has_s3s_grants),
        TEST(test_stored_form_round_trips_and_damage_is_refused_whole),
        TEST(test_grant_headers_parse_ids_groups_and_refuse_emails),
        TEST(test_perms_for_owner_user_stranger_and_anonymous),
        TEST(test_access_control_policy_written_then_parsed_back),
        TEST(test_access_control_policy_bodies_that_are_refused),
        TEST(test_ownership_and_public_access_block_bodies),
        TEST(test_formats_md_worked_example_is_what_the_code_writes),
    };
    return test_main(cases, TEST_COUNT(cases));
}
