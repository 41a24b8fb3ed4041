/*
 * policy_value.c -- the typed values of the policy language: * and ? globs, numbers, dates,
 * IP ranges and ARN fields.
 *
 * Each parser is used twice: at parse time on the policy's values (a value
 * that does not parse refuses the policy) and at evaluation time on the
 * request's values (a request value that does not parse relates to no
 * policy value). They read at most a fixed number of bytes, copy into stack
 * buffers of fixed size, and never allocate (invariant (3) of policy.h).
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "s3/policy_int.h"
#include "util/civil.h"

/* Longest text each typed parser reads; longer is "does not parse". */
#define NUM_MAX_BYTES 64  /* far past any count S3 has (max-keys, sizes) */
#define DATE_MAX_BYTES 40 /* "2026-12-07T22:39:52.123456789+05:30" is 35 */
#define IP_MAX_BYTES 64   /* INET6_ADDRSTRLEN (46) plus "/128" */

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* next_char -- the index after the UTF-8 character at i (a stray byte counts as one). */
static size_t next_char(const uint8_t *s, size_t n, size_t i)
{
    i++;
    while (i < n && (s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/*
 * The classic two-pointer glob: on a mismatch, go back to the last * and let
 * it take one more character. Correct for patterns of only * and ? (each *
 * needs to remember nothing but its own position), O(len(pat) * len(s)) at
 * worst, linear for patterns with one *.
 */
bool pol_glob(cf_slice pat, cf_slice s, bool fold)
{
    const uint8_t *p = pat.ptr, *t = s.ptr;
    size_t pi = 0, si = 0, star = SIZE_MAX, star_si = 0;
    while (si < s.len) {
        if (pi < pat.len && p[pi] == '*') {
            star = pi++;
            star_si = si;
        } else if (pi < pat.len && p[pi] == '?') {
            pi++;
            si = next_char(t, s.len, si);
        } else if (pi < pat.len && p[pi] == (fold ? lower(t[si]) : t[si])) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            star_si = next_char(t, s.len, star_si);
            si = star_si;
        } else {
            return false;
        }
    }
    while (pi < pat.len && p[pi] == '*')
        pi++;
    return pi == pat.len;
}

/*
 * The set of pattern positions reachable after reading prefix, as a bitmap
 * over positions 0..len(pat) (at most S3_POLICY_MAX_STRING_BYTES + 1, so the
 * stack array below is bounded). A position at a * also reaches the next
 * one. Some string of at least one more character completes the match iff
 * a reachable position is before the pattern's end.
 */
bool pol_glob_prefix(cf_slice pat, cf_slice prefix)
{
    enum { WORDS = (S3_POLICY_MAX_STRING_BYTES + 64) / 64 };
    uint64_t cur[WORDS], nxt[WORDS];
    if (pat.len > S3_POLICY_MAX_STRING_BYTES)
        return false;
    memset(cur, 0, sizeof cur);
    cur[0] = 1;
    for (size_t i = 0; i <= prefix.len; i++) {
        /* closure: a * may take nothing */
        for (size_t q = 0; q < pat.len; q++)
            if ((cur[q / 64] >> (q % 64) & 1) && pat.ptr[q] == '*')
                cur[(q + 1) / 64] |= 1ull << ((q + 1) % 64);
        if (i == prefix.len)
            break;
        memset(nxt, 0, sizeof nxt);
        bool any = false;
        for (size_t q = 0; q < pat.len; q++) {
            if (!(cur[q / 64] >> (q % 64) & 1))
                continue;
            uint8_t c = pat.ptr[q];
            if (c == '*') {
                nxt[q / 64] |= 1ull << (q % 64);
                any = true;
            } else if (c == '?' || c == prefix.ptr[i]) {
                /* the prefix is a bucket name and "/": ASCII, so ? takes one byte */
                nxt[(q + 1) / 64] |= 1ull << ((q + 1) % 64);
                any = true;
            }
        }
        if (!any)
            return false;
        memcpy(cur, nxt, sizeof cur);
    }
    for (size_t q = 0; q < pat.len; q++)
        if (cur[q / 64] >> (q % 64) & 1)
            return true;
    return false;
}

bool pol_has_wild(cf_slice s)
{
    return memchr(s.ptr, '*', s.len) || memchr(s.ptr, '?', s.len);
}

/* digits -- how many ASCII digits start s[i..n). */
static size_t digits(const uint8_t *s, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    return k - i;
}

bool pol_num_parse(cf_slice s, double *v)
{
    char buf[NUM_MAX_BYTES + 1];
    const uint8_t *p = s.ptr;
    size_t n = s.len, i = 0, d;
    *v = 0;
    if (n == 0 || n > NUM_MAX_BYTES)
        return false;
    if (p[i] == '-')
        i++;
    if ((d = digits(p, n, i)) == 0)
        return false;
    i += d;
    if (i < n && p[i] == '.') {
        if ((d = digits(p, n, ++i)) == 0)
            return false;
        i += d;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        if ((d = digits(p, n, i)) == 0)
            return false;
        i += d;
    }
    if (i != n)
        return false;
    /* the syntax above is a subset of strtod's in the C locale coffer runs in */
    memcpy(buf, p, n);
    buf[n] = '\0';
    double r = strtod(buf, NULL);
    if (!isfinite(r))
        return false;
    *v = r;
    return true;
}

/* num -- the k-digit decimal at s[i..i+k), or -1 if those are not all digits. */
static int num(const uint8_t *s, size_t n, size_t i, size_t k)
{
    int r = 0;
    if (i + k > n)
        return -1;
    for (size_t j = i; j < i + k; j++) {
        if (s[j] < '0' || s[j] > '9')
            return -1;
        r = r * 10 + (s[j] - '0');
    }
    return r;
}

/* parse_zone -- "", "Z" or +-hh[:]mm at s[i..n): true and *off_s (seconds east of UTC). */
static bool parse_zone(const uint8_t *s, size_t n, size_t i, int64_t *off_s)
{
    *off_s = 0;
    if (i == n)
        return true;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == n;
    if (s[i] != '+' && s[i] != '-')
        return false;
    int sign = s[i] == '-' ? -1 : 1;
    int hh = num(s, n, i + 1, 2), mm;
    size_t j = i + 3;
    if (j < n && s[j] == ':')
        j++;
    mm = num(s, n, j, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || j + 2 != n)
        return false;
    *off_s = sign * (int64_t)(hh * 3600 + mm * 60);
    return true;
}

bool pol_date_parse(cf_slice s, int64_t *ms)
{
    const uint8_t *p = s.ptr;
    size_t n = s.len;
    *ms = 0;
    if (n == 0 || n > DATE_MAX_BYTES)
        return false;
    if (digits(p, n, 0) == n) { /* epoch seconds */
        if (n > 12)             /* year 33658: past any date S3 has */
            return false;
        int64_t sec = 0;
        for (size_t i = 0; i < n; i++)
            sec = sec * 10 + (p[i] - '0');
        *ms = sec * 1000;
        return true;
    }
    int y = num(p, n, 0, 4), mo = num(p, n, 5, 2), d = num(p, n, 8, 2);
    if (n < 10 || y < 0 || mo < 1 || mo > 12 || d < 1 || p[4] != '-' || p[7] != '-' ||
        d > civil_days_in_month(y, mo))
        return false;
    int64_t sec = civil_days(y, mo, d) * 86400, frac_ms = 0, off_s = 0;
    size_t i = 10;
    if (i < n && (p[i] == 'T' || p[i] == 't')) {
        int hh = num(p, n, i + 1, 2), mi = num(p, n, i + 4, 2), ss = 0;
        if (hh < 0 || hh > 23 || mi < 0 || mi > 59 || p[i + 3] != ':')
            return false;
        i += 6;
        if (i < n && p[i] == ':') {
            ss = num(p, n, i + 1, 2);
            if (ss < 0 || ss > 60) /* 60: a leap second */
                return false;
            i += 3;
            if (i < n && p[i] == '.') {
                size_t k = digits(p, n, ++i);
                if (k == 0 || k > 9)
                    return false;
                for (size_t j = 0; j < 3; j++)
                    frac_ms = frac_ms * 10 + (j < k ? p[i + j] - '0' : 0);
                i += k;
            }
        }
        sec += hh * 3600 + mi * 60 + ss;
        if (!parse_zone(p, n, i, &off_s))
            return false;
    } else if (i != n) {
        return false;
    }
    *ms = (sec - off_s) * 1000 + frac_ms;
    return true;
}

bool pol_ip_parse(cf_slice s, bool cidr, pol_ip *out)
{
    char buf[IP_MAX_BYTES + 1];
    memset(out, 0, sizeof *out);
    if (s.len == 0 || s.len > IP_MAX_BYTES || memchr(s.ptr, '\0', s.len))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *slash = strchr(buf, '/');
    int bits = -1;
    if (slash) {
        size_t k = strlen(slash + 1);
        if (!cidr || k == 0 || k > 3 || digits((const uint8_t *)slash + 1, k, 0) != k)
            return false;
        bits = atoi(slash + 1);
        *slash = '\0';
    }
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->v6 = false;
        if (bits > 32)
            return false;
        out->bits = (uint8_t)(bits < 0 ? 32 : bits);
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (bits > 128)
            return false;
        out->v6 = true;
        out->bits = (uint8_t)(bits < 0 ? 128 : bits);
        if (bits < 0 && memcmp(out->addr, mapped, 12) == 0) {
            memmove(out->addr, out->addr + 12, 4);
            memset(out->addr + 4, 0, 12);
            out->v6 = false;
            out->bits = 32;
        }
    } else {
        return false;
    }
    return true;
}

bool pol_ip_contains(const pol_ip *net, const pol_ip *addr)
{
    if (net->v6 != addr->v6)
        return false;
    unsigned full = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->addr, addr->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (net->addr[full] & mask) == (addr->addr[full] & mask);
}

bool pol_arn_split(cf_slice s, cf_slice parts[6])
{
    size_t start = 0, k = 0;
    for (size_t i = 0; i < s.len && k < 5; i++) {
        if (s.ptr[i] == ':') {
            parts[k++] = slice_make(s.ptr + start, i - start);
            start = i + 1;
        }
    }
    if (k < 5)
        return false;
    parts[5] = slice_make(s.ptr + start, s.len - start);
    return slice_eq(parts[0], slice_str("arn"));
}
