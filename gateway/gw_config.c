/* gw_config: see gw_config.h. */
#include "gw_config.h"
#include "gw_lkapi.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw_version.h"
#include "ov_log.h"
#include "ov_mem.h"

typedef enum { CFG_STR, CFG_INT, CFG_SIZE, CFG_BOOL } cfg_type_t;

typedef struct {
    const char *env;
    const char *flag;
    cfg_type_t type;
    const char *def;
    int64_t min, max;
    const char *help;
    size_t offset;
} cfg_row_t;

static const cfg_row_t cfg_rows[] = {
#define GW__CFG_ROW(field, type, env, flag, def, min, max, help)               \
    {env, flag, CFG_##type, def, min, max, help, offsetof(gw_config_t, field)},
    GW_CONFIG_MAP(GW__CFG_ROW)
#undef GW__CFG_ROW
};

#define CFG_NROWS (sizeof(cfg_rows) / sizeof(cfg_rows[0]))

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '\0' || !isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -1;
    unsigned long long mul = 1;
    if (*end != '\0') {
        switch (tolower((unsigned char)*end)) {
        case 'k':
            mul = 1024ull;
            break;
        case 'm':
            mul = 1024ull * 1024;
            break;
        case 'g':
            mul = 1024ull * 1024 * 1024;
            break;
        default:
            return -1;
        }
        end++;
        if (tolower((unsigned char)*end) == 'b' || tolower((unsigned char)*end) == 'i')
            end++;
        if (*end != '\0')
            return -1;
    }
    if (v > (unsigned long long)INT64_MAX / mul)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
        *out = 0;
        return 0;
    }
    return -1;
}

/* Stores `value` into the field of `row`, checking its type and range. */
static int set_value(gw_config_t *cfg, const cfg_row_t *row, const char *value,
                     const char *source, char *errbuf, size_t errlen)
{
    char *base = (char *)cfg;
    int64_t v;
    switch (row->type) {
    case CFG_STR: {
        char **slot = (char **)(base + row->offset);
        free(*slot);
        *slot = ov_xstrdup(value);
        return 0;
    }
    case CFG_INT:
        if (parse_int(value, &v) != 0 || v < row->min || v > row->max)
            return fail(errbuf, errlen,
                        "invalid value for %s: '%s' (expected an integer "
                        "from %lld to %lld)",
                        source, value, (long long)row->min,
                        (long long)row->max);
        *(int64_t *)(base + row->offset) = v;
        return 0;
    case CFG_SIZE:
        if (parse_size(value, &v) != 0 || v < row->min || v > row->max)
            return fail(errbuf, errlen,
                        "invalid value for %s: '%s' (expected a size such as "
                        "512k or 1m, from %lld to %lld bytes)",
                        source, value, (long long)row->min,
                        (long long)row->max);
        *(int64_t *)(base + row->offset) = v;
        return 0;
    case CFG_BOOL: {
        int b;
        if (parse_bool(value, &b) != 0)
            return fail(errbuf, errlen,
                        "invalid value for %s: '%s' (expected true or false)",
                        source, value);
        *(int *)(base + row->offset) = b;
        return 0;
    }
    }
    return -1;
}

/* Normalises the base path to start and end with '/' ("" means "/"). */
static int normalise_base_path(gw_config_t *cfg, char *errbuf, size_t errlen)
{
    const char *p = cfg->base_path;
    for (const char *c = p; *c; c++) {
        if (*c == '?' || *c == '#' || *c == '%' || isspace((unsigned char)*c) ||
            (unsigned char)*c < 0x20)
            return fail(errbuf, errlen,
                        "invalid value for MEET_BASE_PATH: '%s' (a plain "
                        "path such as /meet is expected)",
                        p);
    }
    ov_buf_t b = OV_BUF_INIT;
    if (p[0] != '/')
        ov_buf_appends(&b, "/");
    ov_buf_appends(&b, p);
    if (b.data[b.len - 1] != '/')
        ov_buf_appends(&b, "/");
    free(cfg->base_path);
    cfg->base_path = b.data;
    return 0;
}

/* Validates MEET_BASE_URL and strips one trailing '/' and an exact default
 * port (":443" for https, ":80" for http) before any path. */
static int normalise_base_url(gw_config_t *cfg, char *errbuf, size_t errlen)
{
    char *u = cfg->base_url;
    if (u[0] == '\0')
        return 0;
    size_t skip;
    const char *defport;
    if (strncasecmp(u, "https://", 8) == 0) {
        skip = 8;
        defport = ":443";
    } else if (strncasecmp(u, "http://", 7) == 0) {
        skip = 7;
        defport = ":80";
    } else {
        return fail(errbuf, errlen,
                    "invalid value for MEET_BASE_URL: '%s' (expected "
                    "http://host[:port] or https://host[:port])",
                    u);
    }
    if (u[skip] == '\0' || u[skip] == '/' || strpbrk(u, " \t\r\n?#"))
        return fail(errbuf, errlen,
                    "invalid value for MEET_BASE_URL: '%s' (no host)", u);
    size_t len = strlen(u);
    if (len > skip && u[len - 1] == '/')
        u[--len] = '\0';
    char *host_end = strchr(u + skip, '/');
    size_t hlen = host_end ? (size_t)(host_end - u) : len;
    size_t dlen = strlen(defport);
    if (hlen >= skip + dlen &&
        strncmp(u + hlen - dlen, defport, dlen) == 0) {
        memmove(u + hlen - dlen, u + hlen, len - hlen + 1);
    }
    return 0;
}

static void set_defaults(gw_config_t *cfg)
{
    char err[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CFG_NROWS; i++) {
        /* Defaults are compile-time constants that satisfy their rules. */
        int rc = set_value(cfg, &cfg_rows[i], cfg_rows[i].def,
                           cfg_rows[i].env, err, sizeof(err));
        OV_ASSERT(rc == 0);
    }
}

void gw_config_print_help(void *fp)
{
    FILE *f = fp;
    fprintf(f,
            "Usage: meetd [options]\n\n"
            "meetd serves the OpenVidu Meet REST API (rooms and "
            "recordings).\n"
            "Each option can also be set by its environment variable; a "
            "flag wins.\n\n");
    for (size_t i = 0; i < CFG_NROWS; i++) {
        const cfg_row_t *r = &cfg_rows[i];
        fprintf(f, "  --%s=VALUE\n      %s (env %s, default \"%s\")\n",
                r->flag, r->help, r->env, r->def);
    }
    fprintf(f, "  --show-api-key\n      print the API key meetd accepts "
               "when it starts\n"
               "  --check-config\n      validate the configuration and "
               "exit\n"
               "  --help\n      print this help and exit\n"
               "  --version\n      print the version and exit\n");
}

static const cfg_row_t *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < CFG_NROWS; i++) {
        if (strlen(cfg_rows[i].flag) == len &&
            strncmp(cfg_rows[i].flag, name, len) == 0)
            return &cfg_rows[i];
    }
    return NULL;
}

/* Returns 1 if `s` holds an ASCII control character. */
static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int check_semantics(gw_config_t *cfg, char *errbuf, size_t errlen)
{
    ov_log_level_t lvl;
    if (ov_log_level_parse(cfg->log_level, &lvl) != 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_LOG_LEVEL: '%s' (expected debug, "
                    "info, warn or error)",
                    cfg->log_level);
    if (strcmp(cfg->log_format, "logfmt") != 0 &&
        strcmp(cfg->log_format, "json") != 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_LOG_FORMAT: '%s' (expected logfmt "
                    "or json)",
                    cfg->log_format);
    /* Both are sent or compared in headers: a control character would
     * split a response header or never match. */
    if (cfg->cors_origin[0] == '\0' || has_ctl(cfg->cors_origin))
        return fail(errbuf, errlen,
                    "invalid value for SERVER_CORS_ORIGIN: expected * or an "
                    "origin without control characters");
    if (has_ctl(cfg->metrics_token) || strchr(cfg->metrics_token, ' '))
        return fail(errbuf, errlen,
                    "invalid value for MEET_METRICS_TOKEN: expected no spaces "
                    "or control characters");
    if (strcmp(cfg->sandbox, "seccomp") != 0 && strcmp(cfg->sandbox, "none") != 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_SANDBOX: '%s' (expected seccomp "
                    "or none)",
                    cfg->sandbox);
    if (cfg->initial_webhook_url[0] &&
        strncasecmp(cfg->initial_webhook_url, "http://", 7) != 0 &&
        strncasecmp(cfg->initial_webhook_url, "https://", 8) != 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_INITIAL_WEBHOOK_URL: '%s' "
                    "(expected an http:// or https:// URL)",
                    cfg->initial_webhook_url);
    if (strcmp(cfg->recording_backend, "local") != 0 &&
        strcmp(cfg->recording_backend, "livekit") != 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_RECORDING_BACKEND: '%s' "
                    "(expected local or livekit)",
                    cfg->recording_backend);
    if (strcmp(cfg->recording_backend, "livekit") == 0) {
        const char *url = cfg->livekit_url_private[0] ? cfg->livekit_url_private
                                                      : cfg->livekit_url;
        char *base = gw_lkapi_base_url(url);
        free(base);
        if (!base)
            return fail(errbuf, errlen,
                        "invalid value for %s: '%s' (expected a ws://, "
                        "wss://, http:// or https:// URL with a host)",
                        cfg->livekit_url_private[0] ? "LIVEKIT_URL_PRIVATE"
                                                    : "LIVEKIT_URL",
                        url);
    }
    if (!cfg->s3_subbucket[0] || strchr(cfg->s3_subbucket, '/') ||
        strcmp(cfg->s3_subbucket, ".") == 0 ||
        strcmp(cfg->s3_subbucket, "..") == 0)
        return fail(errbuf, errlen,
                    "invalid value for MEET_S3_SUBBUCKET: '%s' (expected one "
                    "path segment)",
                    cfg->s3_subbucket);
    if (cfg->data_dir[0] == '\0')
        return fail(errbuf, errlen, "MEET_DATA_DIR must not be empty");
    if (cfg->host[0] == '\0')
        return fail(errbuf, errlen, "SERVER_HOST must not be empty");
    if (normalise_base_path(cfg, errbuf, errlen) != 0)
        return -1;
    return normalise_base_url(cfg, errbuf, errlen);
}

int gw_config_load(gw_config_t *cfg, int argc, char **argv, char **envp,
                   gw_config_action_t *action, char *errbuf, size_t errlen)
{
    set_defaults(cfg);
    *action = GW_CONFIG_RUN;
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        for (size_t i = 0; i < CFG_NROWS; i++) {
            if (strlen(cfg_rows[i].env) == nlen &&
                strncmp(cfg_rows[i].env, *e, nlen) == 0) {
                if (set_value(cfg, &cfg_rows[i], eq + 1, cfg_rows[i].env,
                              errbuf, errlen) != 0)
                    goto error;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            gw_config_print_help(stdout);
            *action = GW_CONFIG_EXIT;
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("%s\n", gw_version());
            *action = GW_CONFIG_EXIT;
            return 0;
        }
        if (strcmp(a, "--show-api-key") == 0) {
            cfg->show_api_key = 1;
            continue;
        }
        if (strcmp(a, "--check-config") == 0) {
            cfg->check_only = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            fail(errbuf, errlen, "unexpected argument '%s' (see --help)", a);
            goto error;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const cfg_row_t *row = find_flag(name, nlen);
        if (!row) {
            fail(errbuf, errlen, "unknown option '%s' (see --help)", a);
            goto error;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fail(errbuf, errlen, "option '--%s' needs a value", row->flag);
            goto error;
        }
        char source[96];
        snprintf(source, sizeof(source), "--%s", row->flag);
        if (set_value(cfg, row, value, source, errbuf, errlen) != 0)
            goto error;
    }
    if (check_semantics(cfg, errbuf, errlen) != 0)
        goto error;
    return 0;
error:
    gw_config_free(cfg);
    return -1;
}

/* Copies the parent directory of `path` into `out` ("." for a bare name). */
static void parent_dir(const char *path, char *out, size_t outlen)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    while (len > 0 && path[len - 1] != '/')
        len--;
    while (len > 1 && path[len - 1] == '/')
        len--;
    if (len == 0)
        snprintf(out, outlen, ".");
    else
        snprintf(out, outlen, "%.*s", (int)len, path);
}

/* The data directory is created with its missing parents at start, so it
 * is usable when it is a writable directory or when its nearest existing
 * ancestor is one. Nothing is created here: --check-config must be free of
 * side effects. */
static int check_data_dir(const char *dir, char *errbuf, size_t errlen)
{
    char cur[4096];
    struct stat st;
    if (strlen(dir) >= sizeof(cur))
        return fail(errbuf, errlen, "MEET_DATA_DIR is too long");
    snprintf(cur, sizeof(cur), "%s", dir);
    for (;;) {
        if (stat(cur, &st) == 0)
            break;
        if (errno != ENOENT)
            return fail(errbuf, errlen, "MEET_DATA_DIR %s: stat(%s) failed: %s",
                        dir, cur, strerror(errno));
        char up[4096];
        parent_dir(cur, up, sizeof(up));
        if (strcmp(up, cur) == 0)
            return fail(errbuf, errlen, "MEET_DATA_DIR %s: no existing parent",
                        dir);
        snprintf(cur, sizeof(cur), "%s", up);
    }
    if (!S_ISDIR(st.st_mode))
        return fail(errbuf, errlen, "MEET_DATA_DIR %s: %s is not a directory",
                    dir, cur);
    if (access(cur, W_OK | X_OK) != 0)
        return fail(errbuf, errlen,
                    "MEET_DATA_DIR %s: %s is not writable: %s", dir, cur,
                    strerror(errno));
    return 0;
}

/* The log file is opened without creating directories, so either it is
 * writable or its directory is. */
static int check_log_file(const char *path, char *errbuf, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail(errbuf, errlen, "MEET_LOG_FILE %s is a directory",
                        path);
        if (access(path, W_OK) != 0)
            return fail(errbuf, errlen, "MEET_LOG_FILE %s is not writable: %s",
                        path, strerror(errno));
        return 0;
    }
    if (errno != ENOENT)
        return fail(errbuf, errlen, "MEET_LOG_FILE %s: stat() failed: %s",
                    path, strerror(errno));
    char dir[4096];
    parent_dir(path, dir, sizeof(dir));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(errbuf, errlen,
                    "MEET_LOG_FILE %s: directory %s does not exist", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return fail(errbuf, errlen,
                    "MEET_LOG_FILE %s: directory %s is not writable: %s", path,
                    dir, strerror(errno));
    return 0;
}

int gw_config_check_paths(const gw_config_t *cfg, char *errbuf, size_t errlen)
{
    if (check_data_dir(cfg->data_dir, errbuf, errlen) != 0)
        return -1;
    if (cfg->log_file[0] && check_log_file(cfg->log_file, errbuf, errlen) != 0)
        return -1;
    return 0;
}

void gw_config_free(gw_config_t *cfg)
{
    char *base = (char *)cfg;
    for (size_t i = 0; i < CFG_NROWS; i++) {
        if (cfg_rows[i].type == CFG_STR) {
            char **slot = (char **)(base + cfg_rows[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
}
