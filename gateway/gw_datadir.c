/* gw_datadir: see gw_datadir.h. */
#include "gw_datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "ov_log.h"
#include "ov_mem.h"

#define CONF_NAME "meetd.conf"

static int mkdir_p(const char *dir, char *errbuf, size_t errlen)
{
    char *path = ov_xstrdup(dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(errbuf, errlen, "cannot create %s: %s", path,
                     strerror(errno));
            free(path);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir(path, 0700);
    if (rc != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create data directory %s: %s", path,
                 strerror(errno));
        free(path);
        return -1;
    }
    free(path);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errlen, "data directory %s is not a directory", dir);
        return -1;
    }
    if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) != 0) {
        snprintf(errbuf, errlen, "cannot make %s private (chmod 0700): %s",
                 dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int read_conf(const char *path, uint32_t *nshards, char *errbuf,
                     size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(errbuf, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[256];
    long n = -1;
    while (fgets(line, sizeof(line), f)) {
        char *end;
        if (strncmp(line, "shards=", 7) == 0) {
            n = strtol(line + 7, &end, 10);
            if (end == line + 7 || (*end != '\n' && *end != '\0'))
                n = -1;
        }
    }
    fclose(f);
    if (n < 1 || n > 256) {
        snprintf(errbuf, errlen,
                 "%s is damaged: it must contain a line shards=N (1..256)",
                 path);
        return -1;
    }
    *nshards = (uint32_t)n;
    return 0;
}

static int write_conf(const char *dir, const char *path, uint32_t nshards,
                      char *errbuf, size_t errlen)
{
    ov_buf_t tmp = OV_BUF_INIT;
    ov_buf_printf(&tmp, "%s/.%s.tmp", dir, CONF_NAME);
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0;
    if (ok) {
        char body[128];
        int n = snprintf(body, sizeof(body),
                         "# written by meetd when this directory was "
                         "created; do not edit\nshards=%u\n",
                         nshards);
        ok = write(fd, body, (size_t)n) == n && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
    }
    if (ok)
        ok = rename(tmp.data, path) == 0;
    if (!ok) {
        snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp.data);
    }
    ov_buf_free(&tmp);
    if (ok) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return ok ? 0 : -1;
}

int gw_datadir_prepare(const char *dir, uint32_t wanted, uint32_t *nshards,
                       char *errbuf, size_t errlen)
{
    if (mkdir_p(dir, errbuf, errlen) != 0)
        return -1;
    ov_buf_t path = OV_BUF_INIT;
    ov_buf_printf(&path, "%s/%s", dir, CONF_NAME);
    int rc = read_conf(path.data, nshards, errbuf, errlen);
    if (rc == 0) {
        if (wanted != 0 && wanted != *nshards)
            ov_warn("data directory %s was created with %u shards; "
                    "MEET_WORKERS=%u is ignored",
                    dir, *nshards, wanted);
    } else if (rc == 1) {
        uint32_t n = wanted;
        if (n == 0) {
            n = (uint32_t)uv_available_parallelism();
            if (n < 2)
                n = 2;
        }
        *nshards = n;
        rc = write_conf(dir, path.data, n, errbuf, errlen);
    }
    ov_buf_free(&path);
    return rc;
}
