/*
 * gw_routes_media: the two endpoints that stream recording media
 * (BEHAVIOUR.md §7.5, §7.8).
 *
 * GET /recordings/{recordingId}/media serves one recording's file, whole
 * or by a single byte range; GET /recordings/download streams several as
 * one stored (uncompressed) ZIP built with libarchive. Both read the files
 * with libuv's asynchronous file API in GW_MEDIA_CHUNK pieces and write
 * through gw_http's streamed responses, reading the next piece only while
 * the connection's unsent bytes are below GW_HTTP_STREAM_HIGH, so memory
 * stays constant whatever the file sizes. A client that disconnects makes
 * them close their files and free everything.
 *
 * Both routes are registered without GW_ROUTE_AUTH: each handler checks
 * credentials itself, in the reference's order (media: 422 first, then
 * the API key or a `secret`; download: the API key, then 422).
 */
#ifndef GW_ROUTES_MEDIA_H
#define GW_ROUTES_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "gw_app.h"

/** Bytes read from a file per step. */
#define GW_MEDIA_CHUNK (64 * 1024)
/** Length served for an open-ended range ("bytes=<start>-"). */
#define GW_MEDIA_OPEN_RANGE (5242880)
/** Most ids accepted by GET /recordings/download. */
#define GW_MEDIA_MAX_DOWNLOAD_IDS 1000

typedef enum {
    GW_MEDIA_FULL = 0,          /* 200, the whole file */
    GW_MEDIA_PARTIAL = 1,       /* 206, bytes first..last */
    GW_MEDIA_UNSATISFIABLE = 2, /* 416 */
} gw_media_range_t;

/** Applies the range rules of §7.8 to a file of `size` bytes. `has`,
 *  `start` and `end` are what gw_valid_range() returned (end -1 when open:
 *  then it is start + GW_MEDIA_OPEN_RANGE - 1). start >= size is
 *  unsatisfiable; end is clamped to size - 1; a start beyond the clamped
 *  end ignores the range. Sets *first and *last (inclusive) to the bytes
 *  to send, for FULL 0 and size - 1. */
gw_media_range_t gw_media_range(bool has, int64_t start, int64_t end,
                                int64_t size, int64_t *first, int64_t *last);

/** GET /recordings/{recordingId}/media. */
void gw_route_rec_media(gw_ctx_t *ctx);

/** GET /recordings/download?recordingIds=a,b,c */
void gw_route_rec_download(gw_ctx_t *ctx);

#endif
