/* ov_log: see ov_log.h. */
#include "ov_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_tag[32] = "meetd";
static ov_log_level_t log_level = OV_LOG_INFO;
static char log_context[160]; /* "req=<id> " or "" */

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ov_log_init(const char *tag, ov_log_level_t level)
{
    snprintf(log_tag, sizeof(log_tag), "%s", tag);
    log_level = level;
}

int ov_log_file_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    /* dup2 leaves the new fd 2 without FD_CLOEXEC, which is what children
     * need to inherit it; the temporary descriptor must not leak to them. */
    if (fd != 2) {
        if (dup2(fd, 2) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        close(fd);
    } else if (fcntl(fd, F_SETFD, 0) != 0) {
        return -errno;
    }
    return 0;
}

void ov_log_set_context(const char *id, size_t len)
{
    if (!id || len == 0 || len > 128) {
        log_context[0] = '\0';
        return;
    }
    snprintf(log_context, sizeof(log_context), "req=%.*s ", (int)len, id);
}

int ov_log_level_parse(const char *s, ov_log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (ov_log_level_t)i;
            return 0;
        }
    }
    return -1;
}

static void log_vwrite(ov_log_level_t level, const char *fmt, va_list ap,
                       const char *suffix)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[level], log_tag);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(line) && log_context[0])
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", log_context);
    if ((size_t)n < sizeof(line))
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (suffix && (size_t)n < sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", suffix);
    if ((size_t)n >= sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line keeps lines from different processes whole. */
    fwrite(line, 1, (size_t)n, stderr);
    fflush(stderr);
}

void ov_log(ov_log_level_t level, const char *fmt, ...)
{
    if (level < log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap, NULL);
    va_end(ap);
}

void ov_fatal(const char *fmt, ...)
{
    const char *err = strerror(errno);
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(OV_LOG_ERROR, fmt, ap, err);
    va_end(ap);
    exit(1);
}

void ov_fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(OV_LOG_ERROR, fmt, ap, NULL);
    va_end(ap);
    exit(1);
}
