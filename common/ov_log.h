/*
 * ov_log: leveled logging to stderr, one line per message.
 *
 * Each line is "<ISO time> <level> [<tag>] <message>". The tag names the
 * process ("gateway", "shard-3") and is set once with ov_log_init(). Messages
 * below the configured level are dropped. ov_fatal()/ov_fatalx() log and exit
 * the process (with/without the current errno), as OpenSMTPD's fatal/fatalx.
 *
 * Lines always go to file descriptor 2. ov_log_file_open() points that
 * descriptor at a file, so that child processes, which inherit fd 2, log to
 * the same file without knowing its name.
 */
#ifndef OV_LOG_H
#define OV_LOG_H

#include <stdlib.h>

typedef enum {
    OV_LOG_DEBUG = 0,
    OV_LOG_INFO = 1,
    OV_LOG_WARN = 2,
    OV_LOG_ERROR = 3,
} ov_log_level_t;

/** Sets the process tag (copied) and the minimum level. */
void ov_log_init(const char *tag, ov_log_level_t level);

/** Opens `path` (O_APPEND|O_CREAT|O_CLOEXEC, mode 0640) and dup2()s it onto
 *  fd 2, so that this process's log lines, and those of every child started
 *  afterwards, land there. Called again with the same path it reopens the
 *  file (log rotation); children started before keep the old file. Returns
 *  0, or -errno with fd 2 unchanged. */
int ov_log_file_open(const char *path);

/** Sets the request id that lines logged from now on carry ("req=<id>"),
 *  copied; NULL or len 0 clears it. The worker sets it around each request
 *  it handles, from the trace of its frame. */
void ov_log_set_context(const char *id, size_t len);

/** Parses "debug", "info", "warn" or "error"; returns 0 or -1. */
int ov_log_level_parse(const char *s, ov_log_level_t *out);

void ov_log(ov_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ov_debug(...) ov_log(OV_LOG_DEBUG, __VA_ARGS__)
#define ov_info(...) ov_log(OV_LOG_INFO, __VA_ARGS__)
#define ov_warn(...) ov_log(OV_LOG_WARN, __VA_ARGS__)
#define ov_error(...) ov_log(OV_LOG_ERROR, __VA_ARGS__)

/** Logs "<message>: <strerror(errno)>" and exits with status 1. */
void ov_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/** Logs the message and exits with status 1. */
void ov_fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/** Guards an invariant: a failure is a bug, so it logs and aborts. */
#define OV_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond)) {                                                         \
            ov_log(OV_LOG_ERROR, "assertion failed: %s (%s:%d)", #cond,        \
                   __FILE__, __LINE__);                                        \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
