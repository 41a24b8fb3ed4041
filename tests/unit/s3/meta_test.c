/*
 * meta_test.c -- what a PUT keeps of its request headers (s3/meta.c): the kept
 * headers are stored as sent, except Content-Encoding, which loses its
 * aws-chunked coding (the body's framing, not the object's: S3 does not keep
 * it; regression: such uploads were served back with Content-Encoding:
 * aws-chunked), and is not kept at all when nothing else remains; a NUL, CR
 * or LF in a name or value is stored as a space.
 */
#include <string.h>

#include "s3/s3_int.h"
#include "test.h"

/* check_kept -- s3_meta_field keeps exactly want (the headers text) of one header. */
static void check_kept(const char *name, const char *value, const char *want)
{
    store_meta m;
    size_t user_bytes = 0;
    memset(&m, 0, sizeof m);
    CHECK_EQ(s3_meta_field(&m, slice_str(name), slice_str(value), &user_bytes), S3_ERR_NONE);
    CHECK_MEM(m.headers, strlen(m.headers), want, strlen(want));
}

static void test_content_encoding_loses_aws_chunked(void)
{
    check_kept("Content-Encoding", "aws-chunked", "");
    check_kept("Content-Encoding", "AWS-Chunked", "");
    check_kept("Content-Encoding", "aws-chunked,gzip", "content-encoding: gzip\n");
    check_kept("Content-Encoding", "gzip,aws-chunked", "content-encoding: gzip\n");
    check_kept("Content-Encoding", "br, aws-chunked , gzip", "content-encoding: br,gzip\n");
    check_kept("Content-Encoding", "gzip", "content-encoding: gzip\n");
    check_kept("Content-Encoding", " , aws-chunked,", "");
    check_kept("Content-Encoding", "aws-chunkedx", "content-encoding: aws-chunkedx\n");
}

static void test_other_kept_headers_are_stored_as_sent(void)
{
    check_kept("Cache-Control", "max-age=60, aws-chunked",
               "cache-control: max-age=60, aws-chunked\n");
    check_kept("X-Amz-Meta-Coding", "aws-chunked", "x-amz-meta-coding: aws-chunked\n");
    check_kept("Transfer-Encoding", "chunked", "");
}

/* regression (found by fuzz/s3_meta_fuzz.c): a NUL in a value (a POST form's field) ended
 * the headers text there, and the next line (the ACL, the checksum) was glued to it */
static void test_nul_cr_lf_become_spaces_and_the_next_line_stays_whole(void)
{
    store_meta m;
    size_t user_bytes = 0;
    memset(&m, 0, sizeof m);
    CHECK_EQ(s3_meta_field(&m, slice_make("x-amz-meta-a\0b", 14), slice_make("v\0w\r\nx", 6),
                           &user_bytes),
             S3_ERR_NONE);
    CHECK(s3_meta_add(&m, slice_str("x-coffer-acl"), slice_str("private")));
    const char *want = "x-amz-meta-a b: v w  x\nx-coffer-acl: private\n";
    CHECK_MEM(m.headers, strlen(m.headers), want, strlen(want));
    CHECK_EQ(s3_meta_find(&m, "x-coffer-acl").len, 7);
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_content_encoding_loses_aws_chunked),
        TEST(test_other_kept_headers_are_stored_as_sent),
        TEST(test_nul_cr_lf_become_spaces_and_the_next_line_stays_whole),
    };
    return test_main(cases, TEST_COUNT(cases));
}
