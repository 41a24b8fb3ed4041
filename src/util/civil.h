/*
 * civil.h -- calendar arithmetic shared by every date parser (HTTP dates,
 * SigV4 dates, policy conditions): days since the Unix epoch of a
 * proleptic Gregorian date and back, and the days of a month. No time zones, no
 * allocation; callers check ranges before calling.
 */
#ifndef UTIL_CIVIL_H
#define UTIL_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* civil_days -- days since 1970-01-01 of y-m-d (m 1..12), negative before it (H. Hinnant's
 * days_from_civil). */
static inline int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* civil_from_days -- the y-m-d of day z since 1970-01-01 (any sign): civil_days' inverse. */
static inline void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* civil_days_in_month -- 28..31 for month m (1..12) of year y. */
static inline int civil_days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

#endif
