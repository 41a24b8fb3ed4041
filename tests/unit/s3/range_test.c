/*
 * range_test.c -- If-Range (s3_if_range_holds, src/s3/range.c): the Range of a
 * GET is served only when If-Range names the object's current version, by
 * strong entity tag or by its exact Last-Modified date; anything else (another
 * tag, a weak tag, another date, garbage) means the whole object (RFC 9110
 * 13.1.5). Regression: coffer ignored If-Range and served the range of
 * whatever the key held, which a browser splices into the older bytes of a
 * video it cached in part.
 */
#include <string.h>

#include "s3/range.h"
#include "test.h"

#define ETAG "781e5e245d69b566979b86e28d23f2c7"
#define MTIME 1544659200 /* Thu, 13 Dec 2018 00:00:00 GMT */

static bool holds(const char *v)
{
    return s3_if_range_holds(v ? slice_make(v, strlen(v)) : slice_make(NULL, 0), ETAG, MTIME);
}

static void test_if_range_absent_serves_the_range(void)
{
    CHECK(holds(NULL));
}

static void test_if_range_current_etag_or_date_serves_the_range(void)
{
    CHECK(holds("\"" ETAG "\""));
    CHECK(holds("Thu, 13 Dec 2018 00:00:00 GMT"));
}

static void test_if_range_other_version_sends_the_whole_object(void)
{
    CHECK(!holds("\"0f3a9b6c21d4e58700000000000000aa\""));
    CHECK(!holds("\"" ETAG "-2\""));
    CHECK(!holds("W/\"" ETAG "\"")); /* weak: If-Range compares strongly */
    CHECK(!holds(ETAG));             /* unquoted: neither a tag nor a date */
    CHECK(!holds("\"\""));
    CHECK(!holds("\""));
    CHECK(!holds("Thu, 13 Dec 2018 00:00:01 GMT"));
    CHECK(!holds("Wed, 12 Dec 2018 23:59:59 GMT"));
    CHECK(!holds(""));
    CHECK(!holds("garbage"));
}

int main(void)
{
    static const test_case cases[] = {
        TEST(test_if_range_absent_serves_the_range),
        TEST(test_if_range_current_etag_or_date_serves_the_range),
        TEST(test_if_range_other_version_sends_the_whole_object),
    };
    return test_main(cases, TEST_COUNT(cases));
}
