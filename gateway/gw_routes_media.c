/* gw_routes_media: recording media and ZIP downloads; see gw_routes_media.h.
 *
 * Both producers are small state machines driven by libuv callbacks: one
 * uv_fs_t per producer, reused for open, fstat, each read and close, so
 * at most one file operation is in flight and one GW_MEDIA_CHUNK buffer is
 * held. After each chunk the producer either reads the next one or, when
 * the connection already holds GW_HTTP_STREAM_HIGH unsent bytes, waits for
 * the drain callback. That callback also fires when the client goes away;
 * every step checks gw_req_is_gone() and, if so, closes the file and frees
 * the state. */
#include "gw_routes_media.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gw_auth.h"
#include "gw_egress.h"
#include "gw_rec_access.h"
#include "gw_valid_rec.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_util.h"

#define MEDIA_CACHE "Cache-Control: public, max-age=3600\r\n"

gw_media_range_t gw_media_range(bool has, int64_t start, int64_t end,
                                int64_t size, int64_t *first, int64_t *last)
{
    *first = 0;
    *last = size - 1;
    if (!has)
        return GW_MEDIA_FULL;
    /* Tested before the open end is computed; the outcome is the
     * reference's either way. */
    if (start >= size)
        return GW_MEDIA_UNSATISFIABLE;
    /* start < size here, so size - 1 - start cannot overflow, and the
     * sum is formed only when it is below size (fuzz_range found it). */
    if (end < 0)
        end = size - 1 - start < GW_MEDIA_OPEN_RANGE - 1
                  ? size - 1
                  : start + GW_MEDIA_OPEN_RANGE - 1;
    if (end > size - 1)
        end = size - 1;
    if (start > end)
        return GW_MEDIA_FULL;
    *first = start;
    *last = end;
    return GW_MEDIA_PARTIAL;
}

/* Sends 500 "Unexpected error while streaming recording '<id>'". */
static void send_stream_error(gw_ctx_t *ctx, const char *id)
{
    char msg[1024];

    snprintf(msg, sizeof(msg),
             "Unexpected error while streaming recording '%s'", id);
    gw_ctx_send_error(ctx, 500, "Internal Server Error", msg, NULL);
}

/* Returns a new NUL-terminated copy of a view. */
static char *str_dup(ov_str_t s)
{
    return ov_xstrndup(s.len ? s.ptr : "", s.len);
}

/* ---- GET /recordings/{recordingId}/media ------------------------------- */

typedef struct {
    gw_ctx_t *ctx; /* NULL once answered and released */
    uv_loop_t *loop;
    uv_fs_t fs;
    uv_file fd; /* -1 when not open */
    char *id;
    char *buf; /* GW_MEDIA_CHUNK bytes, allocated once streaming starts */
    int64_t pos, last; /* next byte to read; last byte to send */
} media_op_t;

static void media_free(media_op_t *op)
{
    if (op->ctx)
        gw_ctx_release(op->ctx);
    free(op->buf);
    free(op->id);
    free(op);
}

static void media_close_cb(uv_fs_t *fs)
{
    media_op_t *op = fs->data;

    uv_fs_req_cleanup(fs);
    media_free(op);
}

/* Ends the producer: closes the file if open, then frees everything. */
static void media_finish(media_op_t *op)
{
    if (op->fd >= 0) {
        uv_file fd = op->fd;
        op->fd = -1;
        if (uv_fs_close(op->loop, &op->fs, fd, media_close_cb) == 0)
            return;
    }
    media_free(op);
}

static void media_read_next(media_op_t *op);

static void media_drain_cb(gw_req_t *req, void *data)
{
    (void)req;
    media_read_next(data);
}

static void media_read_cb(uv_fs_t *fs)
{
    media_op_t *op = fs->data;
    gw_req_t *req = op->ctx->req;
    ssize_t n = fs->result;

    uv_fs_req_cleanup(fs);
    if (gw_req_is_gone(req)) {
        media_finish(op);
        return;
    }
    if (n <= 0) {
        /* The file shrank or failed under us: the announced length cannot
         * be met, so the client must see a cut body. */
        ov_warn("media: reading recording '%s' at %lld failed: %s", op->id,
                (long long)op->pos, n < 0 ? uv_strerror((int)n) : "EOF");
        gw_http_stream_end(req, 1);
        media_finish(op);
        return;
    }
    op->pos += n;
    if (gw_http_stream_write(req, op->buf, (size_t)n) >= GW_HTTP_STREAM_HIGH)
        gw_http_stream_on_drain(req, media_drain_cb, op);
    else
        media_read_next(op);
}

static void media_read_next(media_op_t *op)
{
    gw_req_t *req = op->ctx->req;
    int64_t left = op->last - op->pos + 1;
    uv_buf_t b;
    int rc;

    if (gw_req_is_gone(req)) {
        media_finish(op);
        return;
    }
    if (left <= 0) {
        gw_http_stream_end(req, 0);
        media_finish(op);
        return;
    }
    b = uv_buf_init(op->buf,
                    (unsigned)(left < GW_MEDIA_CHUNK ? left : GW_MEDIA_CHUNK));
    rc = uv_fs_read(op->loop, &op->fs, op->fd, &b, 1, op->pos, media_read_cb);
    if (rc < 0) {
        ov_warn("media: uv_fs_read() failed: %s", uv_strerror(rc));
        gw_http_stream_end(req, 1);
        media_finish(op);
    }
}

static void media_fstat_cb(uv_fs_t *fs)
{
    media_op_t *op = fs->data;
    gw_ctx_t *ctx = op->ctx;
    int64_t size = (int64_t)fs->statbuf.st_size, first, last, start = 0,
            end = -1;
    bool has = false;
    json_t *details = NULL;
    char hdr[256];
    int regular = S_ISREG(fs->statbuf.st_mode);
    ssize_t rc = fs->result;

    uv_fs_req_cleanup(fs);
    if (rc < 0 || !regular) {
        ov_warn("media: recording '%s' is not a readable file", op->id);
        send_stream_error(ctx, op->id);
        op->ctx = NULL;
        media_finish(op);
        return;
    }
    /* The header was validated before access was checked; reading it
     * again here keeps no state across the lookup. */
    if (gw_valid_range(gw_req_header(ctx->req, "range"), &has, &start, &end,
                       &details) != 0) {
        json_decref(details);
        has = false;
    }
    switch (gw_media_range(has, start, end, size, &first, &last)) {
    case GW_MEDIA_UNSATISFIABLE: {
        char msg[1024];
        snprintf(msg, sizeof(msg),
                 "Recording '%s' range not satisfiable. File size: %lld",
                 op->id, (long long)size);
        gw_ctx_send_error(ctx, 416, "Recording Error", msg, NULL);
        op->ctx = NULL;
        media_finish(op);
        return;
    }
    case GW_MEDIA_PARTIAL:
        snprintf(hdr, sizeof(hdr),
                 "Content-Range: bytes %lld-%lld/%lld\r\n"
                 "Accept-Ranges: bytes\r\n" MEDIA_CACHE,
                 (long long)first, (long long)last, (long long)size);
        gw_http_stream_start(ctx->req, 206, "video/mp4", hdr, last - first + 1);
        break;
    case GW_MEDIA_FULL:
        gw_http_stream_start(ctx->req, 200, "video/mp4",
                             "Accept-Ranges: bytes\r\n" MEDIA_CACHE, size);
        break;
    }
    op->pos = first;
    op->last = last;
    if (strcmp(ctx->req->method, "HEAD") == 0)
        op->last = first - 1; /* headers only */
    op->buf = ov_xmalloc(GW_MEDIA_CHUNK);
    media_read_next(op);
}

static void media_open_cb(uv_fs_t *fs)
{
    media_op_t *op = fs->data;
    ssize_t rc = fs->result;

    uv_fs_req_cleanup(fs);
    if (rc < 0) {
        /* The record says complete but its file is missing: the reference
         * fails the same way (§3.2). */
        ov_warn("media: opening recording '%s' failed: %s", op->id,
                uv_strerror((int)rc));
        send_stream_error(op->ctx, op->id);
        op->ctx = NULL;
        media_free(op);
        return;
    }
    op->fd = (uv_file)rc;
    rc = uv_fs_fstat(op->loop, &op->fs, op->fd, media_fstat_cb);
    if (rc < 0) {
        send_stream_error(op->ctx, op->id);
        op->ctx = NULL;
        media_finish(op);
    }
}

static void media_access_cb(gw_ctx_t *ctx, const ipc_rec_t *rec, void *data)
{
    media_op_t *op;
    char *room_id, *filename, *path = NULL;
    char msg[1024];
    int rc;

    (void)data;
    op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->loop = ctx->app->loop;
    op->fd = -1;
    op->fs.data = op;
    op->id = str_dup(rec->recording_id);
    if (!ov_str_eq(rec->status, OV_STR_LIT("complete"))) {
        snprintf(msg, sizeof(msg), "Recording '%s' is not stopped yet", op->id);
        gw_ctx_send_error(ctx, 409, "Recording Error", msg, NULL);
        op->ctx = NULL;
        media_free(op);
        return;
    }
    room_id = str_dup(rec->room_id);
    filename = str_dup(rec->filename);
    if (ctx->app->egress)
        path = gw_egress_media_path(ctx->app->egress, room_id, filename);
    free(room_id);
    free(filename);
    if (path == NULL) {
        ov_warn("media: recording '%s' has no safe media path", op->id);
        send_stream_error(ctx, op->id);
        op->ctx = NULL;
        media_free(op);
        return;
    }
    rc = uv_fs_open(op->loop, &op->fs, path, O_RDONLY, 0, media_open_cb);
    free(path);
    if (rc < 0) {
        send_stream_error(ctx, op->id);
        op->ctx = NULL;
        media_free(op);
    }
}

void gw_route_rec_media(gw_ctx_t *ctx)
{
    char *id = NULL, *room_id = NULL, *secret = NULL;
    json_t *d_id = NULL, *d_secret = NULL, *d_range = NULL;
    bool has = false;
    int64_t start = 0, end = -1;
    int bad = 0;

    /* Every 422 issue is reported at once: the path's, the query's, then
     * the header's. */
    bad |= gw_valid_recording_id(gw_route_param(&ctx->match, "recordingId"),
                                 "params.recordingId", &id, &room_id, NULL,
                                 &d_id) != 0;
    bad |= gw_valid_rec_secret(&ctx->query, &secret, &d_secret) != 0;
    bad |= gw_valid_range(gw_req_header(ctx->req, "range"), &has, &start, &end,
                          &d_range) != 0;
    if (bad) {
        json_t *all = json_array();
        json_t *parts[] = {d_id, d_secret, d_range};
        for (size_t i = 0; i < 3; i++) {
            if (parts[i]) {
                json_array_extend(all, parts[i]);
                json_decref(parts[i]);
            }
        }
        free(id);
        free(room_id);
        free(secret);
        gw_ctx_send_invalid(ctx, all);
        return;
    }
    char operation[600];
    snprintf(operation, sizeof(operation), "streaming recording '%s'", id);
    gw_rec_access(ctx, id, room_id, secret, operation, media_access_cb, NULL);
    free(id);
    free(room_id);
    free(secret);
}

/* ---- GET /recordings/download ------------------------------------------ */

struct dl_op_s;

typedef struct {
    struct dl_op_s *op;
    char *id;
    char *name; /* entry name */
    char *path; /* media file; NULL when the recording is skipped */
} dl_item_t;

typedef struct dl_op_s {
    gw_ctx_t *ctx;
    uv_loop_t *loop;
    dl_item_t *items; /* in request order */
    size_t n;
    size_t pending; /* lookups not yet answered */
    size_t cur;     /* item being written */
    struct archive *a;
    int entry_open; /* a header was written, its data not finished */
    uv_fs_t fs;
    uv_file fd;
    int64_t off, left; /* next offset in the file; bytes still owed */
    size_t backlog;    /* unsent bytes after the last write */
    char *buf;
} dl_op_t;

static void dl_free(dl_op_t *op)
{
    if (op->a) {
        /* Closing writes the central directory into a stream that has
         * ended or whose client is gone: those bytes are dropped. */
        archive_write_free(op->a);
    }
    for (size_t i = 0; i < op->n; i++) {
        free(op->items[i].id);
        free(op->items[i].name);
        free(op->items[i].path);
    }
    free(op->items);
    free(op->buf);
    gw_ctx_release(op->ctx);
    free(op);
}

static void dl_abort_close_cb(uv_fs_t *fs)
{
    dl_op_t *op = fs->data;

    uv_fs_req_cleanup(fs);
    dl_free(op);
}

/* Stops the download: `cut` tells the client the body is incomplete (a
 * gone client needs nothing). Closes the open file, then frees. */
static void dl_abort(dl_op_t *op, int cut)
{
    if (cut)
        gw_http_stream_end(op->ctx->req, 1);
    if (op->fd >= 0) {
        uv_file fd = op->fd;
        op->fd = -1;
        if (uv_fs_close(op->loop, &op->fs, fd, dl_abort_close_cb) == 0)
            return;
    }
    dl_free(op);
}

static la_ssize_t dl_write_cb(struct archive *a, void *client, const void *buf,
                              size_t len)
{
    dl_op_t *op = client;

    (void)a;
    op->backlog = gw_http_stream_write(op->ctx->req, buf, len);
    return (la_ssize_t)len;
}

static void dl_next_entry(dl_op_t *op);
static void dl_read_next(dl_op_t *op);

static void dl_drain_cb(gw_req_t *req, void *data)
{
    (void)req;
    dl_read_next(data);
}

static void dl_entry_close_cb(uv_fs_t *fs)
{
    dl_op_t *op = fs->data;

    uv_fs_req_cleanup(fs);
    op->cur++;
    dl_next_entry(op);
}

/* Closes the current file and moves to the next item. */
static void dl_entry_done(dl_op_t *op)
{
    uv_file fd = op->fd;

    op->fd = -1;
    if (uv_fs_close(op->loop, &op->fs, fd, dl_entry_close_cb) < 0) {
        op->cur++;
        dl_next_entry(op);
    }
}

static void dl_read_cb(uv_fs_t *fs)
{
    dl_op_t *op = fs->data;
    ssize_t n = fs->result;

    uv_fs_req_cleanup(fs);
    if (gw_req_is_gone(op->ctx->req)) {
        dl_abort(op, 0);
        return;
    }
    if (n <= 0) {
        /* The entry's size is already in the archive: a short file would
         * make it corrupt, so the client gets a cut body instead. */
        ov_warn("download: reading '%s' failed: %s", op->items[op->cur].id,
                n < 0 ? uv_strerror((int)n) : "file shrank");
        dl_abort(op, 1);
        return;
    }
    if (archive_write_data(op->a, op->buf, (size_t)n) != n) {
        ov_warn("download: archive_write_data() failed: %s",
                archive_error_string(op->a));
        dl_abort(op, 1);
        return;
    }
    op->off += n;
    op->left -= n;
    if (op->backlog >= GW_HTTP_STREAM_HIGH)
        gw_http_stream_on_drain(op->ctx->req, dl_drain_cb, op);
    else
        dl_read_next(op);
}

static void dl_read_next(dl_op_t *op)
{
    uv_buf_t b;
    int rc;

    if (gw_req_is_gone(op->ctx->req)) {
        dl_abort(op, 0);
        return;
    }
    if (op->left <= 0) {
        op->entry_open = 0;
        if (archive_write_finish_entry(op->a) != ARCHIVE_OK) {
            ov_warn("download: archive_write_finish_entry() failed: %s",
                    archive_error_string(op->a));
            dl_abort(op, 1);
            return;
        }
        dl_entry_done(op);
        return;
    }
    b = uv_buf_init(
        op->buf,
        (unsigned)(op->left < GW_MEDIA_CHUNK ? op->left : GW_MEDIA_CHUNK));
    rc = uv_fs_read(op->loop, &op->fs, op->fd, &b, 1, op->off, dl_read_cb);
    if (rc < 0) {
        ov_warn("download: uv_fs_read() failed: %s", uv_strerror(rc));
        dl_abort(op, 1);
    }
}

static void dl_fstat_cb(uv_fs_t *fs)
{
    dl_op_t *op = fs->data;
    dl_item_t *it = &op->items[op->cur];
    struct archive_entry *e;
    ssize_t rc = fs->result;
    int regular = S_ISREG(fs->statbuf.st_mode);
    int64_t size = (int64_t)fs->statbuf.st_size;
    time_t mtime = (time_t)fs->statbuf.st_mtim.tv_sec;

    uv_fs_req_cleanup(fs);
    if (gw_req_is_gone(op->ctx->req)) {
        dl_abort(op, 0);
        return;
    }
    if (rc < 0 || !regular) {
        dl_entry_done(op); /* unreadable: skipped */
        return;
    }
    e = archive_entry_new();
    archive_entry_set_pathname(e, it->name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, mtime, 0);
    rc = archive_write_header(op->a, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) {
        ov_warn("download: archive_write_header() failed: %s",
                archive_error_string(op->a));
        dl_abort(op, 1);
        return;
    }
    op->entry_open = 1;
    op->off = 0;
    op->left = size;
    dl_read_next(op);
}

static void dl_open_cb(uv_fs_t *fs)
{
    dl_op_t *op = fs->data;
    ssize_t rc = fs->result;

    uv_fs_req_cleanup(fs);
    if (rc < 0) {
        op->cur++; /* unreadable: skipped */
        dl_next_entry(op);
        return;
    }
    op->fd = (uv_file)rc;
    if (uv_fs_fstat(op->loop, &op->fs, op->fd, dl_fstat_cb) < 0)
        dl_entry_done(op);
}

/* Opens the next readable item, or finishes the archive after the last. */
static void dl_next_entry(dl_op_t *op)
{
    gw_req_t *req = op->ctx->req;

    if (gw_req_is_gone(req)) {
        dl_abort(op, 0);
        return;
    }
    while (op->cur < op->n) {
        if (op->items[op->cur].path != NULL &&
            uv_fs_open(op->loop, &op->fs, op->items[op->cur].path, O_RDONLY, 0,
                       dl_open_cb) == 0)
            return;
        op->cur++;
    }
    if (archive_write_close(op->a) != ARCHIVE_OK) {
        ov_warn("download: archive_write_close() failed: %s",
                archive_error_string(op->a));
        dl_abort(op, 1);
        return;
    }
    gw_http_stream_end(req, 0);
    dl_free(op);
}

static void dl_start(dl_op_t *op)
{
    gw_req_t *req = op->ctx->req;

    if (gw_req_is_gone(req)) {
        dl_free(op);
        return;
    }
    gw_http_stream_start(
        req, 200, "application/zip",
        "Content-Disposition: attachment; filename=\"recordings.zip\"\r\n", -1);
    op->a = archive_write_new();
    /* No blocking: libarchive would pad the last block with zeros after
     * the end of the archive, and every write goes to the stream as it
     * comes anyway. */
    if (archive_write_set_format_zip(op->a) != ARCHIVE_OK ||
        archive_write_set_options(op->a, "zip:compression=store") !=
            ARCHIVE_OK ||
        archive_write_set_bytes_per_block(op->a, 0) != ARCHIVE_OK ||
        archive_write_open(op->a, op, NULL, dl_write_cb, NULL) != ARCHIVE_OK) {
        ov_warn("download: cannot start the archive: %s",
                archive_error_string(op->a));
        dl_abort(op, 1);
        return;
    }
    op->buf = ov_xmalloc(GW_MEDIA_CHUNK);
    dl_next_entry(op);
}

static void dl_lookup_done(dl_op_t *op)
{
    if (--op->pending == 0)
        dl_start(op);
}

static void dl_get_cb(int err, const ipc_rec_reply_t *reply, void *data)
{
    dl_item_t *it = data;
    dl_op_t *op = it->op;

    if (err == 0 && reply->err == 0 &&
        ov_str_eq(reply->rec.status, OV_STR_LIT("complete")) &&
        op->ctx->app->egress != NULL) {
        const ipc_rec_t *rec = &reply->rec;
        char *room = rec->room_id.len ? str_dup(rec->room_id) : NULL;
        if (room == NULL) {
            const char *sep = strstr(it->id, "--");
            room = ov_xstrndup(it->id,
                               sep ? (size_t)(sep - it->id) : strlen(it->id));
        }
        if (rec->filename.len > 0) {
            it->name = str_dup(rec->filename);
        } else {
            size_t len = strlen(it->id) + 5;
            it->name = ov_xmalloc(len);
            snprintf(it->name, len, "%s.mp4", it->id);
        }
        it->path = gw_egress_media_path(op->ctx->app->egress, room, it->name);
        free(room);
    }
    dl_lookup_done(op);
}

void gw_route_rec_download(gw_ctx_t *ctx)
{
    char **ids = NULL;
    size_t n = 0;
    json_t *details = NULL;
    dl_op_t *op;
    int rc;

    /* The generic API-key check is off for this route; the reference's
     * order is auth, then 422 (§7.5). */
    rc = gw_auth_check_api_key(ctx->app->api_key,
                               gw_req_header(ctx->req, "x-api-key"));
    if (rc != 0) {
        gw_ctx_send_err(ctx, rc, NULL);
        return;
    }
    if (gw_valid_recording_ids(&ctx->query, GW_MEDIA_MAX_DOWNLOAD_IDS, &ids, &n,
                               &details) != 0) {
        gw_ctx_send_invalid(ctx, details);
        return;
    }
    op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->loop = ctx->app->loop;
    op->fd = -1;
    op->fs.data = op;
    op->n = n;
    op->items = ov_xcalloc(n ? n : 1, sizeof(*op->items));
    for (size_t i = 0; i < n; i++) {
        op->items[i].op = op;
        op->items[i].id = ids[i]; /* takes ownership */
    }
    free(ids);

    /* All lookups go out together; one extra count keeps the download
     * from starting before the last is sent. */
    op->pending = n + 1;
    for (size_t i = 0; i < n; i++) {
        dl_item_t *it = &op->items[i];
        const char *sep = strstr(it->id, "--");
        size_t rlen = sep ? (size_t)(sep - it->id) : strlen(it->id);
        ipc_rec_get_t m = {.recording_id = ov_str(it->id)};
        rc = gw_shard_rec_get(
            ctx->app->pool,
            ov_shard_of(it->id, rlen, gw_pool_size(ctx->app->pool)), &m,
            dl_get_cb, it);
        if (rc != 0)
            op->pending--; /* skipped, like any unknown id */
    }
    dl_lookup_done(op);
}
