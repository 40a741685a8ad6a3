/*
 * wk_harness: what the worker tests share to drive the real meetd-worker
 * binary over its IPC channel, as the gateway does: spawning it in a
 * temporary data directory, sending frames, waiting for replies with a
 * timeout, reading its stderr, reaping it, and opening its shard file with
 * the SQLite API while no worker runs.
 *
 * A test defines WK_HARNESS_NAME (its name, for the temporary directory)
 * and includes this file once, after the system headers and test.h.
 */
#ifndef WK_HARNESS_H
#define WK_HARNESS_H

#ifndef WK_HARNESS_NAME
#error "define WK_HARNESS_NAME before including wk_harness.h"
#endif

#define WORKER_BIN MEETD_BIN_DIR "/meetd-worker"
#define TIMEOUT_MS 20000

/* ---- the worker ------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int fd;    /* our end of the IPC channel */
    int errfd; /* read end of the worker's stderr */
    ipc_reader_t rd;
    int status; /* wait status once reaped, -1 before */
} worker_t;

static char tmpdir[] = "/tmp/meetd-" WK_HARNESS_NAME "-test-XXXXXX";
static int dir_seq;
static uint64_t next_req = 1;

/* Returns a new empty data directory (static storage). */
static inline const char *new_dir(void)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/d%d", tmpdir, ++dir_seq);
    ASSERT_INT_EQ(mkdir(path, 0700), 0);
    return path;
}

static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts shard 0 of 1 on `dir` (with the system database if `sys`) in the
 * default (seccomp) sandbox. */
static inline void spawn_sys(worker_t *w, const char *dir, bool sys)
{
    int sv[2], ep[2];
    ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    ASSERT_INT_EQ(pipe2(ep, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        if (dup2(sv[1], 3) != 3 || dup2(ep[1], 2) != 2)
            _exit(120);
        execl(WORKER_BIN, WORKER_BIN, "--shard", "0", "--nshards", "1",
              "--data-dir", dir, sys ? "--system" : (char *)NULL,
              (char *)NULL);
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

static inline const char *stderr_text(worker_t *w)
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

static inline int wait_exit(worker_t *w)
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
        usleep(2000);
    }
    w->status = WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st);
    return w->status;
}

static inline void worker_free(worker_t *w)
{
    if (w->status == -1) {
        kill(w->pid, SIGKILL);
        wait_exit(w);
    }
    close(w->fd);
    close(w->errfd);
    ipc_reader_free(&w->rd);
}

static inline void send_buf(worker_t *w, const ov_buf_t *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(w->fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        ASSERT(n > 0);
        off += (size_t)n;
    }
}

static inline void recv_frame(worker_t *w, ipc_frame_t *f)
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

static inline void spawn(worker_t *w, const char *dir)
{
    spawn_sys(w, dir, false);
}

/* spawn_sys(), then waits for READY. */
static inline void start_sys(worker_t *w, const char *dir, bool sys)
{
    spawn_sys(w, dir, sys);
    ipc_frame_t f;
    recv_frame(w, &f);
    ipc_ready_t m;
    ASSERT_INT_EQ(ipc_ready_decode(&f, &m), 0);
    ipc_frame_free(&f);
}

static inline void start(worker_t *w, const char *dir)
{
    start_sys(w, dir, false);
}

static inline void stop(worker_t *w)
{
    ov_buf_t b = OV_BUF_INIT;
    ipc_shutdown_t m = {0};
    ipc_shutdown_encode(&b, 0, &m);
    send_buf(w, &b);
    ov_buf_free(&b);
    ASSERT_INT_EQ(wait_exit(w), 0);
    worker_free(w);
}

/* ---- the shard file, while no worker runs ------------------------------ */

static inline sqlite3 *db_open(const char *dir)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/shard-0.db", dir);
    sqlite3 *db = NULL;
    ASSERT_INT_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                  SQLITE_OK);
    /* Exclusive, like the worker: no -shm file is left behind. */
    ASSERT_INT_EQ(
        sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL, NULL),
        SQLITE_OK);
    return db;
}

static inline void db_exec(const char *dir, const char *sql)
{
    sqlite3 *db = db_open(dir);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        TEST__FAIL("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

static inline long long db_count(const char *dir, const char *sql)
{
    sqlite3 *db = db_open(dir);
    sqlite3_stmt *st = NULL;
    ASSERT_INT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

#endif
