/*
 * wk_sandbox_seccomp: the "seccomp" sandbox, a libseccomp allow-list; see
 * wk_sandbox.h.
 *
 * The filter's default answer is EPERM, so a syscall nobody thought of fails
 * cleanly instead of being allowed (or of killing a worker that SQLite could
 * have recovered from). The allow-list was found by running the worker under
 * `strace -f` while serving requests, checkpointing and shutting down; it is
 * what the serve loop, SQLite (already holding its database and WAL open)
 * and glibc's allocator use. Everything that reaches outside the process -
 * sockets, exec, new processes, ptrace, mounts, privilege changes - is also
 * ruled EPERM explicitly by a second filter, so that it stays denied even if
 * the default action were ever changed.
 *
 * openat, unlink and access are not allowed: with the WAL kept open in
 * exclusive locking mode, persistent (truncated rather than deleted on close)
 * and temp_store=MEMORY, SQLite opens, probes and deletes no file after
 * wk_db_open(), and glibc's time zone is loaded before the sandbox. A path
 * that did need a new file would fail with SQLITE_CANTOPEN, which the worker
 * answers as OV_ESTORAGE rather than crashing.
 *
 * Arguments are checked where that is cheap: memory can be mapped and
 * protected but never made executable, and tgkill may only target this
 * process (abort() uses it). Syscalls from a foreign ABI (x32, i386) are
 * killed by libseccomp's bad-architecture action.
 *
 * Sanitizer builds: LeakSanitizer checks for leaks at exit by cloning a
 * tracer task that reads /proc/<pid>/task (with open(), not openat(), on
 * x86_64) and ptraces the process, and the sanitizer runtimes use a few more
 * calls (sigaltstack, prlimit64, sched_yield, readlink, ...). Those are
 * allowed, and the process is made dumpable again, only when the worker is
 * built with AddressSanitizer; fork-like clones (without CLONE_VM), exec,
 * sockets and executable memory stay denied there too.
 */
#include "wk_sandbox.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define WK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WK_SANITIZER 1
#endif
#endif
#ifndef WK_SANITIZER
#define WK_SANITIZER 0
#endif

/* Allowed without conditions on their arguments. Names that do not exist on
 * the build architecture are skipped. */
/* clang-format off */
static const char *const allowed[] = {
    /* The IPC channel, stderr and SQLite's file I/O on descriptors that
     * were opened before the sandbox. */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek",
    "fsync", "fdatasync", "ftruncate", "fstat", "newfstatat", "statx",
    "fcntl", "close", "poll", "ppoll",
    /* Memory: glibc's allocator and SQLite's page cache. mmap and mprotect
     * are allowed below with a condition. */
    "munmap", "mremap", "brk", "madvise",
    /* Time, ids and randomness. */
    "futex", "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
    "getrandom", "clock_gettime", "clock_getres", "gettimeofday", "time",
    "nanosleep", "clock_nanosleep",
    /* Signals and leaving: abort() masks signals before raising SIGABRT. */
    "rt_sigreturn", "rt_sigprocmask", "restart_syscall", "exit", "exit_group",
};
/* clang-format on */

/* Denied explicitly, whatever the default: the ways out of the process. */
/* clang-format off */
static const char *const denied[] = {
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
    "execve", "execveat", "fork", "vfork", "clone3", "kill", "tkill",
    "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_getfd",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
    "setgroups", "capset", "mount", "umount2", "chroot", "pivot_root",
    "unshare", "setns", "open_by_handle_at", "name_to_handle_at", "keyctl",
    "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "personality", "chmod", "fchmod",
    "fchmodat", "chown", "fchown", "fchownat", "link", "linkat", "symlink",
    "symlinkat", "rename", "renameat", "renameat2", "mknod", "mknodat",
    "memfd_create", "init_module", "finit_module", "kexec_load", "reboot",
    "creat", "unlink", "unlinkat",
#if !WK_SANITIZER
    /* The sanitizer runtimes need these (see the top of this file). */
    "open", "openat", "openat2", "access", "faccessat", "faccessat2", "clone",
    "ptrace", "prctl", "wait4",
#endif
};
/* clang-format on */

#if WK_SANITIZER
/* What the ASan/UBSan/LSan runtimes need after start-up. */
/* clang-format off */
static const char *const sanitizer_allowed[] = {
    "sigaltstack", "rt_sigaction", "getrlimit",
    "prlimit64",   "sched_yield",  "readlink",
    "readlinkat",  "getdents64",   "getppid",
    "prctl",       "ptrace",       "wait4",
    "waitid",      "sched_getaffinity",
    "setrlimit",   "dup",          "dup2",
    "dup3",        "pipe",         "pipe2",
    "open",        "openat",       "access",
    "stat",        "lstat",        "getdents",
};
/* clang-format on */
#endif

static int add_names(scmp_filter_ctx ctx, uint32_t action,
                     const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR || nr < 0)
            continue; /* not a syscall of this architecture */
        int rc = seccomp_rule_add(ctx, action, nr, 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Conditional rules of the allow-list filter. */
static int allow_conditional(scmp_filter_ctx ctx, pid_t self)
{
    /* No executable memory: mapping or protecting with PROT_EXEC would let
     * injected code run, and loading code is finished before the sandbox. */
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    /* abort() sends SIGABRT to itself with tgkill; the pid is fixed for
     * the life of the filter. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
#if WK_SANITIZER
    /* LeakSanitizer's tracer shares the address space (CLONE_VM); a clone
     * without CLONE_VM is a fork and stays denied. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM));
#endif
    return rc;
}

/* Conditional rules of the deny filter: the counterparts of the above. */
static int deny_conditional(scmp_filter_ctx ctx, pid_t self)
{
    const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
    int rc =
        seccomp_rule_add(ctx, eperm, SCMP_SYS(mmap), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    if (rc == 0)
        rc =
            seccomp_rule_add(ctx, eperm, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self));
#if WK_SANITIZER
    if (rc == 0)
        rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, 0));
#endif
    return rc;
}

/* Builds and loads one filter. */
static int load_filter(uint32_t default_action, uint32_t list_action,
                       const char *const *names, size_t n,
                       int (*conditional)(scmp_filter_ctx, pid_t), pid_t self)
{
    scmp_filter_ctx ctx = seccomp_init(default_action);
    if (ctx == NULL)
        return -ENOMEM;
    /* no_new_privs is already set, and libseccomp would set it again with
     * prctl(), which the first filter denies. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc == 0)
        rc = add_names(ctx, list_action, names, n);
#if WK_SANITIZER
    if (rc == 0 && list_action == SCMP_ACT_ALLOW)
        rc =
            add_names(ctx, SCMP_ACT_ALLOW, sanitizer_allowed,
                      sizeof(sanitizer_allowed) / sizeof(sanitizer_allowed[0]));
#endif
    if (rc == 0)
        rc = conditional(ctx, self);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

static int seccomp_enter(void)
{
    /* Without no_new_privs an unprivileged process may not install a
     * filter, and with it nothing the worker could exec would gain
     * privileges either. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
#if WK_SANITIZER
    /* Dropping root made the process non-dumpable, which hides /proc/self
     * from its own uid; LeakSanitizer's exit check reads it and attaches
     * to the process, so sanitizer builds make it dumpable again. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
        return -errno;
#endif

    /* Two filters, because libseccomp refuses a rule whose action equals
     * its filter's default. The kernel runs both and the stricter answer
     * wins, so the deny filter (default allow, the ways out ruled EPERM)
     * keeps them denied whatever the allow-list filter's default becomes.
     * It goes first: once the allow-list is loaded, seccomp() itself is
     * denied. */
    pid_t self = getpid();
    int rc =
        load_filter(SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM), denied,
                    sizeof(denied) / sizeof(denied[0]), deny_conditional, self);
    if (rc == 0)
        rc = load_filter(SCMP_ACT_ERRNO(EPERM), SCMP_ACT_ALLOW, allowed,
                         sizeof(allowed) / sizeof(allowed[0]),
                         allow_conditional, self);
    return rc < 0 ? rc : 0;
}

const wk_sandbox_t wk_sandbox_seccomp = {"seccomp", seccomp_enter};
