/*
 * wk_sandbox: what a worker may still do once it serves requests.
 *
 * After opening its databases and dropping privileges, a worker only reads
 * and writes descriptors it already holds, allocates memory and keeps time.
 * A sandbox makes the kernel enforce that. As in OpenSSH's ssh-sandbox.h,
 * each mechanism is one implementation of a small ops struct, in a file of
 * its own: "seccomp" (wk_sandbox_seccomp.c, the default: a seccomp-bpf
 * allow-list) and "none" (wk_sandbox_null.c, for debugging a worker under a
 * tool that the filter would break). Entering a sandbox is irreversible and
 * inherited by every thread created afterwards.
 */
#ifndef WK_SANDBOX_H
#define WK_SANDBOX_H

typedef struct wk_sandbox_s {
    const char *name; /* as given to --sandbox */
    /** Confines the calling process. Returns 0, or a negative errno value
     *  if the sandbox could not be installed (the process is then in an
     *  unspecified, possibly partly confined state and should exit). */
    int (*enter)(void);
} wk_sandbox_t;

extern const wk_sandbox_t wk_sandbox_seccomp;
extern const wk_sandbox_t wk_sandbox_null;

/** Returns the implementation called `name` ("seccomp" or "none"), or NULL
 *  if there is none. Static storage. */
const wk_sandbox_t *wk_sandbox_find(const char *name);

/** Enters `sb`. Returns what sb->enter() returns. */
int wk_sandbox_enter(const wk_sandbox_t *sb);

#endif
