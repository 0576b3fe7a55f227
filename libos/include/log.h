/* Logging to the host's stderr (fd 2 as the libos found it at start-up; the
 * libos keeps its own duplicate so the app cannot close it away), or to the
 * manifest's loader.log_file. */
#ifndef LIBOS_LOG_H
#define LIBOS_LOG_H

#include "../config_blob.h"

extern int log_level;
void log_init(int level);
/* From now on, messages go to the log file the launcher opened as app fd
 * app_fd (loader.log_file: appended, created 0600, opened before the
 * launcher gave up its privilege), not to the app's stderr. 0 or -errno. */
int log_to_fd(int app_fd);
void log_printf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__attribute__((noreturn, format(printf, 1, 2))) void libos_fatal(const char *fmt, ...);

#define log_error(...) log_printf(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) do { if (log_level >= LOG_WARNING) log_printf(LOG_WARNING, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_level >= LOG_INFO) log_printf(LOG_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_level >= LOG_DEBUG) log_printf(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_trace(...) do { if (log_level >= LOG_TRACE) log_printf(LOG_TRACE, __VA_ARGS__); } while (0)

#endif
