/*
 * log.h -- leveled logging to stderr.
 *
 * One line per call, prefixed with a UTC timestamp and the level. The level is
 * a run-time setting (COFFER_LOG=debug|info|warn|error), never a compile-time
 * switch. Secrets are never passed to these functions.
 */
#ifndef CF_LOG_H
#define CF_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* log_set_level -- sets the lowest level printed; the default is LOG_INFO. */
void log_set_level(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
