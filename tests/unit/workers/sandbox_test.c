/*
 * sandbox_test: the seccomp sandbox denies the ways out of the process
 * (sockets, exec, fork) while the worker's steady-state work - I/O on
 * descriptors opened earlier, randomness, an SQLite transaction on a
 * database opened before the sandbox - still works.
 *
 * Entering a sandbox is irreversible, so each check runs in a forked child
 * that reports through its exit status: 0 for success, otherwise the number
 * of the step that failed. Children leave with _exit() so that nothing of
 * the parent's (stdio buffers, sanitizer exit hooks) runs twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ov_err.h"
#include "test.h"
#include "wk_db.h"
#include "wk_sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_SANITIZER 1
#endif
#endif
#ifndef TEST_SANITIZER
#define TEST_SANITIZER 0
#endif

static char tmpdir[] = "/tmp/meetd-sandbox-test-XXXXXX";

/* Runs `fn` in a child and returns its exit status (or 100 + signal). */
static int in_child(int (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0)
        _exit(fn());
    int st;
    ASSERT_INT_EQ(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st))
        return 100 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static int child_denials(void)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/file", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return 1;
    if (wk_sandbox_enter(&wk_sandbox_seccomp) != 0)
        return 2;

    errno = 0;
    if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EPERM)
        return 3;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != -1 || errno != EPERM)
        return 4;
    char *const argv[] = {"/bin/true", NULL};
    char *const envp[] = {NULL};
    errno = 0;
    if (execve("/bin/true", argv, envp) != -1 || errno != EPERM)
        return 5;
    errno = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0); /* a fork that got through; the parent reports it */
    if (pid != -1 || errno != EPERM)
        return 6;
    /* Signals may only target this process. */
    if (kill(getppid(), 0) != -1 || errno != EPERM)
        return 7;
    /* No executable memory. */
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED || errno != EPERM)
        return 8;
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED)
        return 9;
    if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != -1 || errno != EPERM)
        return 10;
    munmap(p, 4096);
    /* No new files, except in sanitizer builds, whose runtime reads
     * /proc/self/maps (see wk_sandbox_seccomp.c). */
    if (!TEST_SANITIZER) {
        if (open("/etc/hostname", O_RDONLY) != -1 || errno != EPERM)
            return 11;
    }
    if (unlink(path) != -1 || errno != EPERM)
        return 12;

    /* What a worker does all day. */
    if (write(fd, "hello", 5) != 5 || fsync(fd) != 0 || fdatasync(fd) != 0)
        return 20;
    char buf[8];
    if (pread(fd, buf, 5, 0) != 5 || memcmp(buf, "hello", 5) != 0)
        return 21;
    if (ftruncate(fd, 2) != 0 || lseek(fd, 0, SEEK_END) != 2)
        return 22;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size != 2)
        return 23;
    if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
        return 24;
    void *big = malloc(8 << 20); /* large enough to be an mmap */
    if (big == NULL)
        return 25;
    memset(big, 1, 8 << 20);
    free(big);
    if (close(fd) != 0)
        return 26;
    return 0;
}

static void test_denials(void)
{
    ASSERT_INT_EQ(in_child(child_denials), 0);
}

/* An SQLite database opened before the sandbox still commits after it. */
static int child_sqlite(void)
{
    char path[64], err[256];
    snprintf(path, sizeof(path), "%s/system.db", tmpdir);
    wk_db_t db;
    if (wk_db_open(&db, WK_DB_SYSTEM, path, 0, 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (wk_sandbox_enter(&wk_sandbox_seccomp) != 0)
        return 2;
    for (int i = 0; i < 3; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key-%d", i);
        if (wk_db_run(&db, WK_STMT_BEGIN) != 0)
            return 3;
        sqlite3_stmt *st = wk_db_stmt(&db, WK_STMT_APIKEY_INSERT);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, i);
        if (sqlite3_step(st) != SQLITE_DONE)
            return 4;
        sqlite3_reset(st);
        if (wk_db_run(&db, WK_STMT_COMMIT) != 0)
            return 5;
    }
    /* A checkpoint rewrites the database file from the WAL. */
    if (sqlite3_exec(db.db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
                     NULL) != SQLITE_OK)
        return 6;
    if (wk_db_probe(&db) != 0)
        return 7;
    wk_db_close(&db);
    return 0;
}

/* Reads back, outside any sandbox, what the child committed. */
static void test_sqlite_after_sandbox(void)
{
    ASSERT_INT_EQ(in_child(child_sqlite), 0);

    char path[64], err[256];
    snprintf(path, sizeof(path), "%s/system.db", tmpdir);
    wk_db_t db;
    ASSERT_INT_EQ(wk_db_open(&db, WK_DB_SYSTEM, path, 0, 1, err, sizeof(err)),
                  0);
    sqlite3_stmt *st;
    ASSERT_INT_EQ(sqlite3_prepare_v2(db.db, "SELECT count(*) FROM api_keys", -1,
                                     &st, NULL),
                  SQLITE_OK);
    ASSERT_INT_EQ(sqlite3_step(st), SQLITE_ROW);
    ASSERT_INT_EQ(sqlite3_column_int(st, 0), 3);
    sqlite3_finalize(st);
    wk_db_close(&db);
}

static int child_null(void)
{
    if (wk_sandbox_enter(&wk_sandbox_null) != 0)
        return 1;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return 2;
    close(fd);
    return 0;
}

static void test_lookup_and_null(void)
{
    ASSERT(wk_sandbox_find("seccomp") == &wk_sandbox_seccomp);
    ASSERT(wk_sandbox_find("none") == &wk_sandbox_null);
    ASSERT_NULL(wk_sandbox_find("chroot"));
    ASSERT_INT_EQ(in_child(child_null), 0);
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
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
    TEST_RUN(test_denials);
    TEST_RUN(test_sqlite_after_sandbox);
    TEST_RUN(test_lookup_and_null);
    cleanup();
    return 0;
}
