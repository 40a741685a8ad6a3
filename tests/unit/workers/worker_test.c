/*
 * worker_test: the real meetd-worker binary, driven over its IPC channel as
 * the gateway drives it. Each worker is started with fork + exec, a
 * socketpair on fd 3, its stderr on a pipe and a temporary data directory.
 * Every wait has a timeout, so a broken worker fails the test instead of
 * hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "ov_err.h"
#include "test.h"

#define WORKER_BIN MEETD_BIN_DIR "/meetd-worker"
#define TIMEOUT_MS 10000

typedef struct {
    pid_t pid;
    int fd;    /* our end of the IPC channel */
    int errfd; /* read end of the worker's stderr */
    ipc_reader_t rd;
    int status; /* wait status once reaped, -1 before */
} worker_t;

static char tmpdir[] = "/tmp/meetd-worker-test-XXXXXX";
static int dir_seq;

/* Returns a new empty data directory under tmpdir (static storage). */
static const char *new_dir(void)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/d%d", tmpdir, ++dir_seq);
    ASSERT_INT_EQ(mkdir(path, 0700), 0);
    return path;
}

/* Starts meetd-worker with `args` (NULL-terminated, after argv[0]). */
static void spawn(worker_t *w, const char *const *args)
{
    int sv[2], ep[2];
    ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_INT_EQ(pipe2(ep, O_CLOEXEC), 0);
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)WORKER_BIN;
    for (; args[n - 1] != NULL; n++) {
        ASSERT(n < 15);
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        /* dup2 clears close-on-exec on the new descriptors; everything else
         * is closed by exec. */
        if (dup2(sv[1], 3) != 3 || dup2(ep[1], 2) != 2)
            _exit(120);
        execv(WORKER_BIN, argv);
        _exit(121);
    }
    close(sv[1]);
    close(ep[1]);
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->fd = sv[0];
    w->errfd = ep[0];
    w->status = -1;
    fcntl(w->errfd, F_SETFL, O_NONBLOCK);
    ipc_reader_init(&w->rd);
}

static void spawn_shard(worker_t *w, const char *dir, const char *shard,
                        const char *nshards, bool sys)
{
    const char *args[] = {"--shard",     shard,        "--nshards",
                          nshards,       "--data-dir", dir,
                          "--log-level", "debug",      sys ? "--system" : NULL,
                          NULL};
    spawn(w, args);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the worker to exit and returns its exit status (or 100 +
 * signal). Kills it and fails the test after the timeout. */
static int wait_exit(worker_t *w)
{
    if (w->status != -1)
        return w->status;
    long long end = now_ms() + TIMEOUT_MS;
    int st;
    for (;;) {
        pid_t r = waitpid(w->pid, &st, WNOHANG);
        ASSERT(r >= 0);
        if (r == w->pid)
            break;
        if (now_ms() > end) {
            kill(w->pid, SIGKILL);
            waitpid(w->pid, &st, 0);
            TEST__FAIL("worker %d did not exit in time", (int)w->pid);
        }
        usleep(5000);
    }
    w->status = WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st);
    return w->status;
}

/* Returns what the worker wrote to stderr so far (static storage). */
static const char *stderr_text(worker_t *w)
{
    static char text[8192];
    size_t len = 0;
    ssize_t n;
    while (len + 1 < sizeof(text) &&
           (n = read(w->errfd, text + len, sizeof(text) - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    return text;
}

static void worker_free(worker_t *w)
{
    if (w->status == -1) {
        kill(w->pid, SIGKILL);
        wait_exit(w);
    }
    if (w->fd >= 0)
        close(w->fd);
    close(w->errfd);
    ipc_reader_free(&w->rd);
}

static void send_buf(worker_t *w, const ov_buf_t *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(w->fd, b->data + off, b->len - off);
        ASSERT(n > 0);
        off += (size_t)n;
    }
}

/* Receives one frame (free with ipc_frame_free) within the timeout. */
static void recv_frame(worker_t *w, ipc_frame_t *f)
{
    long long end = now_ms() + TIMEOUT_MS;
    for (;;) {
        int rc = ipc_reader_next(&w->rd, f);
        ASSERT(rc >= 0);
        if (rc == 1)
            return;
        long long left = end - now_ms();
        if (left <= 0)
            TEST__FAIL("no frame from worker %d in time; stderr:\n%s",
                       (int)w->pid, stderr_text(w));
        struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, (int)left);
        ASSERT(pr >= 0);
        if (pr == 0)
            continue;
        char buf[65536];
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n <= 0)
            TEST__FAIL("worker %d closed the channel; stderr:\n%s", (int)w->pid,
                       stderr_text(w));
        ipc_reader_feed(&w->rd, buf, (size_t)n);
    }
}

/* Expects READY and checks its fields. */
static void expect_ready(worker_t *w, uint32_t shard)
{
    ipc_frame_t f;
    recv_frame(w, &f);
    ipc_ready_t m;
    ASSERT_INT_EQ(ipc_ready_decode(&f, &m), 0);
    ASSERT_UINT_EQ(m.proto_version, IPC_PROTO_VERSION);
    ASSERT_UINT_EQ(m.shard, shard);
    ASSERT_INT_EQ(m.pid, w->pid);
    ipc_frame_free(&f);
}

static void send_ping(worker_t *w, uint64_t req_id, int64_t nonce)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_ping_t m = {0};
    m.nonce = nonce;
    ipc_ping_encode(&b, req_id, &m);
    send_buf(w, &b);
    ov_buf_free(&b);
}

static void expect_pong(worker_t *w, uint64_t req_id, int64_t nonce)
{
    ipc_frame_t f;
    recv_frame(w, &f);
    ipc_pong_t m;
    ASSERT_INT_EQ(ipc_pong_decode(&f, &m), 0);
    ASSERT_UINT_EQ(f.req_id, req_id);
    ASSERT_INT_EQ(m.err, 0);
    ASSERT_INT_EQ(m.nonce, nonce);
    ipc_frame_free(&f);
}

static void encode_ensure(ov_buf_t *b, uint64_t req_id, const char *key)
{
    ipc_apikey_ensure_t m = {0};
    m.candidate = ov_str(key);
    ipc_apikey_ensure_encode(b, req_id, &m);
}

/* Expects an APIKEY_ENSURE reply; `key` NULL means any key. */
static void expect_ensure(worker_t *w, uint64_t req_id, int err,
                          const char *key, bool created)
{
    ipc_frame_t f;
    recv_frame(w, &f);
    ipc_apikey_ensure_reply_t m;
    ASSERT_INT_EQ(ipc_apikey_ensure_reply_decode(&f, &m), 0);
    ASSERT_UINT_EQ(f.req_id, req_id);
    ASSERT_INT_EQ(m.err, err);
    if (err == 0) {
        if (!ov_str_eq(m.key, ov_str(key)))
            TEST__FAIL("key \"%.*s\", expected \"%s\"", (int)m.key.len,
                       m.key.ptr, key);
        ASSERT_INT_EQ(m.created, created);
    }
    ipc_frame_free(&f);
}

static void ensure(worker_t *w, uint64_t req_id, const char *candidate, int err,
                   const char *key, bool created)
{
    ov_buf_t b = OV_BUF_INIT;
    encode_ensure(&b, req_id, candidate);
    send_buf(w, &b);
    ov_buf_free(&b);
    expect_ensure(w, req_id, err, key, created);
}

static void send_shutdown(worker_t *w)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_shutdown_t m = {0};
    ipc_shutdown_encode(&b, 0, &m);
    send_buf(w, &b);
    ov_buf_free(&b);
}

/* Returns the value of `field` in /proc/<pid>/status (static storage). */
static const char *proc_status(pid_t pid, const char *field)
{
    static char value[64];
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    ASSERT_NOT_NULL(fp);
    value[0] = '\0';
    size_t n = strlen(field);
    while (fgets(line, sizeof(line), fp)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            snprintf(value, sizeof(value), "%s", line + n + 1);
            value[strcspn(value, "\n")] = '\0';
            break;
        }
    }
    fclose(fp);
    return value;
}

/* ---- tests ------------------------------------------------------------ */

static char sys_dir[128]; /* shard 0 --system's directory, reused */

static void test_system_worker(void)
{
    worker_t w;
    snprintf(sys_dir, sizeof(sys_dir), "%s", new_dir());
    spawn_shard(&w, sys_dir, "0", "2", true);
    expect_ready(&w, 0);
    send_ping(&w, 7, -42);
    expect_pong(&w, 7, -42);

    ASSERT_STR_EQ(proc_status(w.pid, "Seccomp"), "\t2");
    ASSERT_STR_EQ(proc_status(w.pid, "NoNewPrivs"), "\t1");
    if (geteuid() == 0)
        ASSERT_STR_EQ(proc_status(w.pid, "Uid"),
                      "\t65534\t65534\t65534\t65534");

    ensure(&w, 8, "", OV_EINVAL, NULL, false);
    ensure(&w, 9, "k1", 0, "k1", true);
    ensure(&w, 10, "k2", 0, "k1", false);
    send_shutdown(&w);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);

    /* The key survives a restart, and end of file is a clean exit too. */
    spawn_shard(&w, sys_dir, "0", "2", true);
    expect_ready(&w, 0);
    ensure(&w, 1, "k3", 0, "k1", false);
    shutdown(w.fd, SHUT_WR);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);
}

static void test_plain_shard(void)
{
    worker_t w;
    const char *dir = new_dir();
    spawn_shard(&w, dir, "1", "2", false);
    expect_ready(&w, 1);
    send_ping(&w, 1, 99);
    expect_pong(&w, 1, 99);
    /* Only the --system worker owns the API keys. */
    ensure(&w, 2, "k1", OV_EINTERNAL, NULL, false);
    send_shutdown(&w);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);
}

/* Many requests in one write: one transaction, every reply in order with
 * its req_id, and a failing request rolled back alone. */
static void test_group_commit(void)
{
    worker_t w;
    const char *dir = new_dir();
    spawn_shard(&w, dir, "0", "1", true);
    expect_ready(&w, 0);

    ov_buf_t b = OV_BUF_INIT;
    encode_ensure(&b, 1000, ""); /* fails: no key stored yet */
    encode_ensure(&b, 1001, "first");
    for (uint64_t i = 0; i < 100; i++) {
        if (i % 3 == 0) {
            ipc_ping_t p = {0};
            p.nonce = (int64_t)i;
            ipc_ping_encode(&b, 2000 + i, &p);
        } else {
            encode_ensure(&b, 2000 + i, "later");
        }
    }
    send_buf(&w, &b);
    ov_buf_free(&b);

    expect_ensure(&w, 1000, OV_EINVAL, NULL, false);
    expect_ensure(&w, 1001, 0, "first", true);
    for (uint64_t i = 0; i < 100; i++) {
        if (i % 3 == 0)
            expect_pong(&w, 2000 + i, (int64_t)i);
        else
            expect_ensure(&w, 2000 + i, 0, "first", false);
    }
    send_shutdown(&w);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);

    spawn_shard(&w, dir, "0", "1", true);
    expect_ready(&w, 0);
    ensure(&w, 1, "x", 0, "first", false);
    send_shutdown(&w);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);
}

/* Sends raw bytes and expects exit status 2 and a logged violation. */
static void expect_violation(const char *bytes, size_t n, const char *what)
{
    worker_t w;
    spawn_shard(&w, new_dir(), "0", "1", false);
    expect_ready(&w, 0);
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_append(&b, bytes, n);
    send_buf(&w, &b);
    ov_buf_free(&b);
    int st = wait_exit(&w);
    if (st != 2)
        TEST__FAIL("%s: exit status %d, expected 2", what, st);
    if (strstr(stderr_text(&w), "protocol violation") == NULL)
        TEST__FAIL("%s: no \"protocol violation\" in the log", what);
    worker_free(&w);
}

static void test_protocol_violations(void)
{
    expect_violation("\0\0\0\5\xc1\xc1\xc1\xc1\xc1", 9, "garbage frame");
    expect_violation("\xff\xff\xff\xff", 4, "oversized length");
    expect_violation("\0\0\0\0", 4, "zero length");

    ov_buf_t b = OV_BUF_INIT;
    ipc_ready_t r = {0};
    r.proto_version = IPC_PROTO_VERSION;
    ipc_ready_encode(&b, 1, &r);
    expect_violation(b.data, b.len, "READY sent to a worker");

    ov_buf_reset(&b);
    ipc_pong_t pong = {0};
    ipc_pong_encode(&b, 1, &pong);
    expect_violation(b.data, b.len, "PONG sent to a worker");

    ov_buf_reset(&b);
    ipc_apikey_ensure_reply_t rep = {0};
    ipc_apikey_ensure_reply_encode(&b, 1, &rep);
    expect_violation(b.data, b.len, "reply sent to a worker");

    /* [9999, 1, []]: a type nobody knows. */
    expect_violation("\0\0\0\6\x93\xcd\x27\x0f\x01\x90", 10, "unknown type");
    /* [2, 1, ["x"]]: PING with a string nonce. */
    expect_violation("\0\0\0\6\x93\x02\x01\x91\xa1x", 10, "malformed PING");
    /* [100, 1, []]: APIKEY_ENSURE without its field, after a good PING. */
    ov_buf_reset(&b);
    ipc_ping_t p = {0};
    ipc_ping_encode(&b, 1, &p);
    ov_buf_append(&b, "\0\0\0\4\x93\x64\x01\x90", 8);
    expect_violation(b.data, b.len, "malformed APIKEY_ENSURE");
    ov_buf_free(&b);
}

static void expect_permanent(const char *const *args, const char *needle)
{
    worker_t w;
    spawn(&w, args);
    int st = wait_exit(&w);
    const char *text = stderr_text(&w);
    if (st != 3)
        TEST__FAIL("exit status %d, expected 3; stderr:\n%s", st, text);
    if (strstr(text, needle) == NULL)
        TEST__FAIL("\"%s\" not in stderr:\n%s", needle, text);
    worker_free(&w);
}

static void test_permanent_failures(void)
{
    /* The directory was created with nshards=2. */
    const char *mismatch[] = {"--shard",    "0",     "--nshards", "3",
                              "--data-dir", sys_dir, "--system",  NULL};
    expect_permanent(mismatch, "nshards");

    const char *bad_shard[] = {"--shard",    "5",     "--nshards", "2",
                               "--data-dir", sys_dir, NULL};
    expect_permanent(bad_shard, "--shard");
    const char *missing[] = {"--shard", "0", NULL};
    expect_permanent(missing, "required");
    const char *bad_sandbox[] = {"--shard",   "0",          "--nshards",
                                 "1",         "--data-dir", sys_dir,
                                 "--sandbox", "jail",       NULL};
    expect_permanent(bad_sandbox, "--sandbox");
    const char *no_dir[] = {"--shard", "0",          "--nshards",
                            "1",       "--data-dir", "/nonexistent/meetd",
                            NULL};
    expect_permanent(no_dir, "/nonexistent/meetd/shard-0.db");

    /* A second worker on a shard file in use fails instead of sharing it. */
    worker_t first;
    spawn_shard(&first, sys_dir, "1", "2", false);
    expect_ready(&first, 1);
    const char *second[] = {"--shard",    "1",     "--nshards", "2",
                            "--data-dir", sys_dir, NULL};
    expect_permanent(second, "locked");
    send_ping(&first, 3, 3);
    expect_pong(&first, 3, 3);
    send_shutdown(&first);
    ASSERT_INT_EQ(wait_exit(&first), 0);
    worker_free(&first);
}

static void test_sandbox_none(void)
{
    worker_t w;
    const char *args[] = {"--shard",   "0",          "--nshards",
                          "1",         "--data-dir", new_dir(),
                          "--sandbox", "none",       NULL};
    spawn(&w, args);
    expect_ready(&w, 0);
    ASSERT_STR_EQ(proc_status(w.pid, "Seccomp"), "\t0");
    send_shutdown(&w);
    ASSERT_INT_EQ(wait_exit(&w), 0);
    worker_free(&w);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
    TEST_RUN(test_system_worker);
    TEST_RUN(test_plain_shard);
    TEST_RUN(test_group_commit);
    TEST_RUN(test_protocol_violations);
    TEST_RUN(test_permanent_failures);
    TEST_RUN(test_sandbox_none);
    cleanup();
    return 0;
}
