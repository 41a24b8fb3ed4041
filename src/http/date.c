/*
 * date.c -- HTTP dates (RFC 9110 5.6.7) and status reason phrases.
 *
 * Dates are converted with the days-from-civil arithmetic of the proleptic
 * Gregorian calendar (H. Hinnant's "chrono-compatible low-level date
 * algorithms"), not gmtime/timegm: no locale, no time zone, no errno, the
 * same answer on every libc, and no failure for any input the format can
 * express. http_date writes years 1970..9999 only (four digits); the parser
 * accepts years 0000..9999.
 */
#include <string.h>

#include "http/http.h"
#include "util/civil.h"

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* 9999-12-31T23:59:59Z, the last second with a four-digit year. */
#define DATE_MAX_UNIX_S 253402300799ll

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void http_date(int64_t unix_s, char out[30])
{
    if (unix_s < 0)
        unix_s = 0;
    if (unix_s > DATE_MAX_UNIX_S)
        unix_s = DATE_MAX_UNIX_S;
    int64_t days = unix_s / 86400;
    int secs = (int)(unix_s % 86400);
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    /* "Sun, 06 Nov 1994 08:49:37 GMT"; 1970-01-01 was a Thursday. */
    memcpy(out, day_names[(days + 4) % 7], 3);
    memcpy(out + 3, ", ", 2);
    put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, month_names[m - 1], 3);
    out[11] = ' ';
    put2(out + 12, (int)(y / 100));
    put2(out + 14, (int)(y % 100));
    out[16] = ' ';
    put2(out + 17, secs / 3600);
    out[19] = ':';
    put2(out + 20, secs / 60 % 60);
    out[22] = ':';
    put2(out + 23, secs % 60);
    memcpy(out + 25, " GMT", 5); /* with the NUL */
}

/* digits -- n decimal digits at p, or -1. */
static int digits(const uint8_t *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

static int month_index(const uint8_t *p)
{
    for (int i = 0; i < 12; i++) {
        if (memcmp(p, month_names[i], 3) == 0)
            return i + 1;
    }
    return 0;
}

static bool is_day_name(const uint8_t *p)
{
    for (int i = 0; i < 7; i++) {
        if (memcmp(p, day_names[i], 3) == 0)
            return true;
    }
    return false;
}

/* parse_time -- "HH:MM:SS" at p into seconds of the day, or -1. */
static int parse_time(const uint8_t *p)
{
    int h = digits(p, 2), mi = digits(p + 3, 2), s = digits(p + 6, 2);
    if (p[2] != ':' || p[5] != ':' || h < 0 || mi < 0 || s < 0 || h > 23 || mi > 59 || s > 60)
        return -1;
    return h * 3600 + mi * 60 + s;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int combine(int64_t y, int m, int d, int secs, int64_t *unix_s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || y < 0 || d < 1 || secs < 0)
        return CF_EINVAL;
    if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
        return CF_EINVAL;
    *unix_s = civil_days(y, m, d) * 86400 + secs;
    return 0;
}

int http_date_parse(cf_slice s, int64_t *unix_s)
{
    *unix_s = 0;
    const uint8_t *p = s.ptr;
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (s.len == 29 && is_day_name(p) && memcmp(p + 3, ", ", 2) == 0 && p[7] == ' ' &&
        p[11] == ' ' && p[16] == ' ' && memcmp(p + 25, " GMT", 4) == 0)
        return combine(digits(p + 12, 4), month_index(p + 8), digits(p + 5, 2), parse_time(p + 17),
                       unix_s);
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    if (s.len == 24 && is_day_name(p) && p[3] == ' ' && p[7] == ' ' && p[10] == ' ' &&
        p[19] == ' ') {
        int d = p[8] == ' ' ? digits(p + 9, 1) : digits(p + 8, 2);
        return combine(digits(p + 20, 4), month_index(p + 4), d, parse_time(p + 11), unix_s);
    }
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
    for (int i = 0; i < 7; i++) {
        size_t n = strlen(long_day_names[i]);
        if (s.len != n + 24 || memcmp(p, long_day_names[i], n) != 0)
            continue;
        const uint8_t *q = p + n;
        if (memcmp(q, ", ", 2) != 0 || q[4] != '-' || q[8] != '-' || q[11] != ' ' ||
            memcmp(q + 20, " GMT", 4) != 0)
            return CF_EINVAL;
        int yy = digits(q + 9, 2);
        if (yy < 0)
            return CF_EINVAL;
        return combine(yy < 70 ? 2000 + yy : 1900 + yy, month_index(q + 5), digits(q + 2, 2),
                       parse_time(q + 12), unix_s);
    }
    return CF_EINVAL;
}

const char *http_status_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {416, "Range Not Satisfiable"},
        {417, "Expectation Failed"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (reasons[i].status == status)
            return reasons[i].reason;
    }
    return "Unknown";
}
