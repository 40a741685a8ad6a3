/* wk_sandbox_null: the "none" sandbox, which confines nothing; see
 * wk_sandbox.h. It exists so that a worker can be debugged under strace, gdb
 * or valgrind, which the seccomp filter would break. It also holds the
 * lookup by name, which does not depend on any mechanism. */
#include "wk_sandbox.h"

#include <stddef.h>
#include <string.h>

static int null_enter(void)
{
    return 0;
}

const wk_sandbox_t wk_sandbox_null = {"none", null_enter};

const wk_sandbox_t *wk_sandbox_find(const char *name)
{
    static const wk_sandbox_t *const all[] = {&wk_sandbox_seccomp,
                                              &wk_sandbox_null};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    }
    return NULL;
}

int wk_sandbox_enter(const wk_sandbox_t *sb)
{
    return sb->enter();
}
