/*
 * gw_egress: the backend-generic entry points of gw_egress.h. Each call
 * dispatches to the backend's ops table (gw_egress_internal.h); what needs
 * no backend (paths, the per-room stop) is done here once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "gw_egress_internal.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"
#include "ov_util.h"

/* Creates `dir` and its missing parents with mode 0700. Returns 0 or -1
 * with errno set. */
static int mkdirs(const char *dir)
{
    char *p = ov_xstrdup(dir);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
        if (rc != 0)
            break;
    }
    if (rc == 0 && mkdir(p, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

int gw_egress_base_new(gw_egress_t **out, const gw_egress_ops_t *ops,
                       uv_loop_t *loop, const char *dir,
                       gw_egress_event_cb cb, void *data)
{
    size_t n = strlen(dir);

    if (n == 0)
        return OV_EINTERNAL;
    if (mkdirs(dir) != 0) {
        ov_error("mkdir(%s) failed: %s", dir, strerror(errno));
        return OV_ESTORAGE;
    }
    gw_egress_t *e = ov_xcalloc(1, sizeof(*e));
    e->ops = ops;
    e->loop = loop;
    /* Without a trailing '/', so that joined paths have single slashes. */
    while (n > 1 && dir[n - 1] == '/')
        n--;
    e->dir = ov_xstrndup(dir, n);
    e->cb = cb;
    e->data = data;
    *out = e;
    return 0;
}

void gw_egress_closed(gw_egress_t *e)
{
    void (*cb)(void *) = e->close_cb;
    void *data = e->close_data;

    free(e->dir);
    free(e);
    if (cb)
        cb(data);
}

int gw_egress_safe_segment(const char *s)
{
    /* A C string cannot hold a NUL; callers that start from counted bytes
     * reject embedded NULs before converting. */
    return s && *s != '\0' && strcmp(s, ".") != 0 && !strchr(s, '/') &&
           !strstr(s, "..");
}

int gw_egress_new_uid(const gw_egress_t *e, const char *room_id, char out[11])
{
    /* A collision with an existing file (one in 2^40 per pair) draws
     * again rather than overwriting a recording. */
    for (int tries = 0; tries < 8; tries++) {
        if (ov_rand_hex(out, 10) != 0)
            return -1;
        ov_buf_t p = OV_BUF_INIT;
        struct stat st;
        ov_buf_printf(&p, "%s/%s/%s--%s.mp4", e->dir, room_id, room_id, out);
        int taken = stat(p.data, &st) == 0 || errno != ENOENT;
        ov_buf_free(&p);
        if (!taken)
            return 0;
    }
    return -1;
}

void gw_egress_start(gw_egress_t *e, const gw_egress_request_t *req,
                     gw_egress_start_cb cb, void *data)
{
    if (e->closing) {
        cb(data, OV_EEGRESS, NULL, NULL);
        return;
    }
    e->ops->start(e, req, cb, data);
}

void gw_egress_status(gw_egress_t *e, const char *room_id,
                      const char *egress_id, gw_egress_status_cb cb,
                      void *data)
{
    e->ops->status(e, room_id, egress_id, cb, data);
}

void gw_egress_stop(gw_egress_t *e, const char *room_id,
                    const char *egress_id, gw_egress_stop_cb cb, void *data)
{
    e->ops->stop(e, room_id, egress_id, cb, data);
}

void gw_egress_list_running(gw_egress_t *e, const char *room_id,
                            gw_egress_list_cb cb, void *data)
{
    e->ops->list_running(e, room_id, cb, data);
}

static void stop_room_list_cb(void *data, int err, size_t n,
                              const char *const *ids, const char *const *rooms)
{
    gw_egress_t *e = data;
    if (err != 0) {
        ov_warn("cannot list the egresses to stop: %s", ov_strerror(err));
        return;
    }
    /* Stopping frees nothing before the loop turns, so the borrowed ids
     * stay valid through this loop. */
    for (size_t i = 0; i < n; i++)
        e->ops->stop(e, rooms[i], ids[i], NULL, NULL);
}

void gw_egress_stop_room(gw_egress_t *e, const char *room_id)
{
    e->ops->list_running(e, room_id, stop_room_list_cb, e);
}

int gw_egress_knows_participants(const gw_egress_t *e)
{
    return e->ops->participants != NULL;
}

void gw_egress_participants(gw_egress_t *e, const char *room_id,
                            gw_egress_participants_cb cb, void *data)
{
    OV_ASSERT(e->ops->participants != NULL);
    e->ops->participants(e, room_id, cb, data);
}

void gw_egress_end_meeting(gw_egress_t *e, const char *room_id)
{
    if (e->ops->end_meeting && !e->closing)
        e->ops->end_meeting(e, room_id);
}

size_t gw_egress_processes(const gw_egress_t *e)
{
    return e->ops->processes ? e->ops->processes(e) : 0;
}

const char *gw_egress_dir(const gw_egress_t *e)
{
    return e->dir;
}

void gw_egress_close(gw_egress_t *e, void (*cb)(void *), void *data)
{
    OV_ASSERT(!e->closing);
    e->closing = 1;
    e->close_cb = cb;
    e->close_data = data;
    e->ops->close(e);
}

char *gw_egress_media_path(const gw_egress_t *e, const char *room_id,
                           const char *filename)
{
    size_t n;
    ov_buf_t b = OV_BUF_INIT;

    if (!gw_egress_safe_segment(room_id) || !gw_egress_safe_segment(filename))
        return NULL;
    n = strlen(filename);
    if (n <= 4 || strcmp(filename + n - 4, ".mp4") != 0)
        return NULL;
    ov_buf_printf(&b, "%s/%s/%s", e->dir, room_id, filename);
    return b.data;
}
