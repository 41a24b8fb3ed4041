/*
 * log.c -- leveled logging to stderr.
 *
 * The level is the process's one logging setting: an atomic int read on every
 * call, written once at start-up (and by tests that want silence).
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int min_level = -1;

void log_set_level(enum log_level level)
{
    atomic_store(&min_level, (int)level);
}

static int current_level(void)
{
    int lv = atomic_load(&min_level);
    if (lv >= 0)
        return lv;
    const char *env = getenv("COFFER_LOG");
    lv = LOG_INFO;
    if (env && strcmp(env, "debug") == 0)
        lv = LOG_DEBUG;
    else if (env && strcmp(env, "warn") == 0)
        lv = LOG_WARN;
    else if (env && strcmp(env, "error") == 0)
        lv = LOG_ERROR;
    atomic_store(&min_level, lv);
    return lv;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if ((int)level < current_level())
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
