/*
 * clock.h -- the wall clock in microseconds since the Unix epoch: the one
 * reading behind object mtimes, upload initiation times, bucket creation
 * times and the engine's timestamps (which add their own monotonicity);
 * and the monotonic clock durations are measured with (a request's total
 * time in the access log and the metrics).
 */
#ifndef CF_CLOCK_H
#define CF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* clock_mono_us -- CLOCK_MONOTONIC in microseconds: for durations only. */
static inline int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
