/*
 * date_test.c -- HTTP dates and status reason phrases.
 *
 * Known answers come from RFC 9110 5.6.7 (784111777 is the RFC's
 * "Sun, 06 Nov 1994 08:49:37 GMT") and from date(1); the round trip steps
 * from 1970 to 9999 by a day and 3661 s, so every time of day shows up.
 */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "test.h"

static void test_date_known_answers(void)
{
    static const struct {
        int64_t t;
        const char *s;
    } rows[] = {
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
        {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
        {1369353600, "Fri, 24 May 2013 00:00:00 GMT"},
        {4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"},
        {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
        {-1, "Thu, 01 Jan 1970 00:00:00 GMT"},           /* clamped */
        {253402300800, "Fri, 31 Dec 9999 23:59:59 GMT"}, /* clamped */
        {INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
    };
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        char out[30];
        memset(out, 'x', sizeof out);
        http_date(rows[i].t, out);
        CHECK_MEM(out, 30, rows[i].s, 30); /* with the NUL */
        int64_t back = -1;
        if (rows[i].t >= 0 && rows[i].t <= 253402300799) {
            CHECK_EQ(http_date_parse(slice_str(rows[i].s), &back), 0);
            CHECK_EQ(back, rows[i].t);
        }
    }
}

static void test_date_parse_three_formats(void)
{
    static const struct {
        const char *s;
        int rc;
        int64_t t;
    } rows[] = {
        {"Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 0, 784111777},
        {"Sun Nov  6 08:49:37 1994", 0, 784111777},
        {"Sun Nov 16 08:49:37 1994", 0, 784111777 + 10 * 86400},
        {"Tuesday, 01-Jan-69 00:00:00 GMT", 0, 3124224000}, /* yy < 70: 20yy */
        {"Thursday, 01-Jan-70 00:00:00 GMT", 0, 0},
        {"Sun, 06 Nov 1994 23:59:60 GMT", 0, 784166400}, /* a leap second */
        {"Mon, 29 Feb 2016 00:00:00 GMT", 0, 1456704000},
        {"Mon, 29 Feb 2015 00:00:00 GMT", CF_EINVAL, 0},
        {"Mon, 29 Feb 1900 00:00:00 GMT", CF_EINVAL, 0},
        {"Mon, 31 Apr 2015 00:00:00 GMT", CF_EINVAL, 0},
        {"Mon, 00 Apr 2015 00:00:00 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 1994 24:00:00 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 1994 08:60:00 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 1994 08:49:37 UTC", CF_EINVAL, 0},
        {"sun, 06 Nov 1994 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun, 06 nov 1994 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun, 6 Nov 1994 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 1994 08:49:37 GMT ", CF_EINVAL, 0},
        {" Sun, 06 Nov 1994 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 19x4 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun, 06 Nov 1994 08-49:37 GMT", CF_EINVAL, 0},
        {"Sunday, 06-Nov-1994 08:49:37 GMT", CF_EINVAL, 0},
        {"Sundy, 06-Nov-94 08:49:37 GMT", CF_EINVAL, 0},
        {"Sun Nov 6 08:49:37 1994", CF_EINVAL, 0},
        {"", CF_EINVAL, 0},
        {"20130524T000000Z", CF_EINVAL, 0}, /* x-amz-date is not an HTTP date */
    };
    for (size_t i = 0; i < TEST_COUNT(rows); i++) {
        int64_t t = 12345;
        int rc = http_date_parse(slice_str(rows[i].s), &t);
        bool ok = CHECK_EQ(rc, rows[i].rc);
        ok &= CHECK_EQ(t, rows[i].t);
        if (!ok)
            fprintf(stderr, "  row %zu: %s\n", i, rows[i].s);
    }
}

static void test_date_round_trips_from_1970_to_9999(void)
{
    char out[30];
    for (int64_t t = 0; t <= 253402300799; t += 86400 + 3661) {
        http_date(t, out);
        int64_t back;
        if (!CHECK_EQ(http_date_parse(slice_make(out, 29), &back), 0) || !CHECK_EQ(back, t)) {
            fprintf(stderr, "  %s\n", out);
            return;
        }
    }
}

static void test_status_reasons(void)
{
    CHECK(strcmp(http_status_reason(200), "OK") == 0);
    CHECK(strcmp(http_status_reason(100), "Continue") == 0);
    CHECK(strcmp(http_status_reason(404), "Not Found") == 0);
    CHECK(strcmp(http_status_reason(414), "URI Too Long") == 0);
    CHECK(strcmp(http_status_reason(431), "Request Header Fields Too Large") == 0);
    CHECK(strcmp(http_status_reason(503), "Service Unavailable") == 0);
    CHECK(strcmp(http_status_reason(299), "Unknown") == 0);
    CHECK(strcmp(http_status_reason(-1), "Unknown") == 0);
}

static const test_case cases[] = {
    TEST(test_date_known_answers),
    TEST(test_date_parse_three_formats),
    TEST(test_date_round_trips_from_1970_to_9999),
    TEST(test_status_reasons),
};

int main(void)
{
    return test_main(cases, TEST_COUNT(cases));
}
