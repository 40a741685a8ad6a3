/*
 * meetd-worker: one shard's process.
 *
 *   meetd-worker --shard N --nshards M --data-dir DIR [--system]
 *                [--log-level debug|info|warn|error] [--sandbox seccomp|none]
 *
 * The gateway starts it with the IPC channel, a connected AF_UNIX stream
 * socket, on fd 3 and its stderr on a pipe it prefixes with the shard. The
 * exit status tells the gateway what happened (WK_EXIT_* in wk_serve.h); 3
 * means that starting again would fail the same way.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ov_log.h"
#include "wk_db.h"
#include "wk_sandbox.h"
#include "wk_serve.h"

#define WK_IPC_FD 3
/* The unprivileged identity a worker started as root runs as: nobody and
 * nogroup on Debian. */
#define WK_NOBODY_UID 65534
#define WK_NOBODY_GID 65534
/* More shards than this would be a configuration mistake. */
#define WK_MAX_SHARDS 1024

typedef struct {
    uint32_t shard;
    uint32_t nshards;
    const char *data_dir;
    bool system;
    ov_log_level_t level;
    const wk_sandbox_t *sandbox;
} wk_args_t;

static void usage_exit(const char *why) __attribute__((noreturn));

static void usage_exit(const char *why)
{
    ov_error("invalid arguments: %s", why);
    fprintf(stderr, "usage: meetd-worker --shard N --nshards M --data-dir DIR "
                    "[--system] [--log-level debug|info|warn|error] "
                    "[--sandbox seccomp|none]\n");
    exit(WK_EXIT_PERMANENT);
}

static int parse_u32(const char *s, uint32_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static void parse_args(int argc, char **argv, wk_args_t *a)
{
    static const struct option opts[] = {
        {"shard", required_argument, NULL, 's'},
        {"nshards", required_argument, NULL, 'n'},
        {"data-dir", required_argument, NULL, 'd'},
        {"system", no_argument, NULL, 'S'},
        {"log-level", required_argument, NULL, 'l'},
        {"sandbox", required_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    bool have_shard = false, have_nshards = false;
    memset(a, 0, sizeof(*a));
    a->level = OV_LOG_INFO;
    a->sandbox = &wk_sandbox_seccomp;

    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_u32(optarg, &a->shard) != 0)
                usage_exit("--shard needs a non-negative integer");
            have_shard = true;
            break;
        case 'n':
            if (parse_u32(optarg, &a->nshards) != 0)
                usage_exit("--nshards needs a positive integer");
            have_nshards = true;
            break;
        case 'd':
            a->data_dir = optarg;
            break;
        case 'S':
            a->system = true;
            break;
        case 'l':
            if (ov_log_level_parse(optarg, &a->level) != 0)
                usage_exit("--log-level must be debug, info, warn or error");
            break;
        case 'x':
            a->sandbox = wk_sandbox_find(optarg);
            if (a->sandbox == NULL)
                usage_exit("--sandbox must be seccomp or none");
            break;
        default:
            usage_exit("unknown option or missing value");
        }
    }
    if (optind != argc)
        usage_exit("unexpected positional argument");
    if (!have_shard || !have_nshards || a->data_dir == NULL)
        usage_exit("--shard, --nshards and --data-dir are required");
    if (a->nshards == 0 || a->nshards > WK_MAX_SHARDS)
        usage_exit("--nshards must be between 1 and 1024");
    if (a->shard >= a->nshards)
        usage_exit("--shard must be less than --nshards");
}

/* Opens one database or exits with the permanent-failure status, naming the
 * shard and the file (the error text names the file). */
static void open_db(wk_db_t *db, wk_db_kind_t kind, const wk_args_t *a)
{
    char path[PATH_MAX];
    int n = kind == WK_DB_SHARD
                ? snprintf(path, sizeof(path), "%s/shard-%u.db", a->data_dir,
                           a->shard)
                : snprintf(path, sizeof(path), "%s/system.db", a->data_dir);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        ov_error("shard %u: cannot open database: path too long under %s",
                 a->shard, a->data_dir);
        exit(WK_EXIT_PERMANENT);
    }
    char err[512];
    if (wk_db_open(db, kind, path, a->shard, a->nshards, err, sizeof(err)) !=
        0) {
        ov_error("shard %u: cannot open database: %s", a->shard, err);
        exit(WK_EXIT_PERMANENT);
    }
}

/* Gives up root for good. Every file the worker needs is open already; from
 * here on it could not even reopen its own database, which root owns with
 * mode 0600. */
static int drop_privileges(void)
{
    if (geteuid() != 0)
        return 0;
    if (setgroups(0, NULL) != 0 || setgid(WK_NOBODY_GID) != 0 ||
        setuid(WK_NOBODY_UID) != 0)
        return -1;
    /* Verify rather than trust: a setuid that silently kept a saved uid of
     * 0 would let a compromised worker become root again. */
    if (getuid() != WK_NOBODY_UID || geteuid() != WK_NOBODY_UID ||
        getgid() != WK_NOBODY_GID || getegid() != WK_NOBODY_GID ||
        setuid(0) == 0 || getgroups(0, NULL) != 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

/* The whole start-up order lives here: each step relies on the one before
 * (the databases must be open before privileges go, and privileges before
 * the sandbox forbids changing them; READY promises all of it). */
static int worker_main(int argc, char **argv)
{
    wk_args_t a;
    ov_log_init("worker", OV_LOG_INFO);
    parse_args(argc, argv, &a);
    char tag[32];
    snprintf(tag, sizeof(tag), "shard-%u", a.shard);
    ov_log_init(tag, a.level);

    umask(077);
    /* Only stdin, stdout, stderr and the IPC socket are ours: anything else
     * the gateway's process happened to hold without close-on-exec (a
     * library's socket, say) is closed before the worker does anything. */
    close_range(WK_IPC_FD + 1, ~0U, 0);
    /* glibc reads /etc/localtime the first time it converts a time, even
     * for gmtime_r(); do it now, while files may still be opened. */
    tzset();
    /* A write to a gateway that died must fail with EPIPE, not kill the
     * worker before it closes its database. */
    signal(SIGPIPE, SIG_IGN);
    /* A write past RLIMIT_FSIZE must fail with EFBIG, which SQLite reports
     * as SQLITE_FULL (the batch fails with OV_ESTORAGE and the worker keeps
     * serving reads), instead of killing the worker mid-transaction. */
    signal(SIGXFSZ, SIG_IGN);

    struct stat st;
    if (fstat(WK_IPC_FD, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        ov_error("shard %u: fd %d is not the IPC socket; meetd-worker is "
                 "started by meetd",
                 a.shard, WK_IPC_FD);
        return WK_EXIT_PERMANENT;
    }

    wk_ctx_t ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.fd = WK_IPC_FD;
    ctx.shard = a.shard;
    open_db(&ctx.dbs[WK_DB_SHARD], WK_DB_SHARD, &a);
    if (a.system)
        open_db(&ctx.dbs[WK_DB_SYSTEM], WK_DB_SYSTEM, &a);

    int status;
    if (drop_privileges() != 0) {
        ov_error("shard %u: dropping privileges failed: %s", a.shard,
                 strerror(errno));
        status = WK_EXIT_PERMANENT;
    } else if ((status = -wk_sandbox_enter(a.sandbox)) != 0) {
        ov_error("shard %u: entering the %s sandbox failed: %s", a.shard,
                 a.sandbox->name, strerror(status));
        status = WK_EXIT_PERMANENT;
    } else if (wk_serve_send_ready(&ctx) != 0) {
        ov_error("shard %u: sending READY failed: %s", a.shard,
                 strerror(errno));
        status = WK_EXIT_IO;
    } else {
        ov_info("serving %s%s (sandbox %s)", ctx.dbs[WK_DB_SHARD].path,
                a.system ? " and the system database" : "", a.sandbox->name);
        status = wk_serve_run(&ctx);
    }

    for (int k = 0; k < WK_DB__KINDS; k++)
        wk_db_close(&ctx.dbs[k]);
    return status;
}

int main(int argc, char **argv)
{
    return worker_main(argc, argv);
}
