/*
 * gw_room_json: rooms as the API returns them, `fields` projections, and
 * the opaque keyset cursor of GET /rooms.
 */
#ifndef GW_ROOM_JSON_H
#define GW_ROOM_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "ipc.h"
#include "ov_mem.h"

/** Returns a new JSON object for `room` in the reference's key order
 *  (roomId, roomName, creationDate, autoDeletionDate?, autoDeletionPolicy,
 *  config, moderatorUrl, speakerUrl, status, meetingEndAction); URLs are
 *  `base_url` + "/room/<id>?secret=<s>". */
json_t *gw_room_to_json(const ipc_room_t *room, const char *base_url);

/** Appends the JSON text of gw_room_to_json(room, base_url) to `out`,
 *  written directly (the stored config is spliced in as it is). */
void gw_room_append_json(ov_buf_t *out, const ipc_room_t *room,
                         const char *base_url, size_t base_len);

/** Returns the config object of `room` (new reference). */
json_t *gw_room_config_json(const ipc_room_t *room);

/** Returns a new object holding only the selected top-level fields or
 *  dotted sub-paths of `obj`, in `obj`'s key order (BEHAVIOUR.md §6.9).
 *  Unknown names are ignored. */
json_t *gw_json_project(const json_t *obj, char *const *fields, size_t n);

/** A decoded page cursor: the sort value of the last returned room (none
 *  for a room without autoDeletionDate) and its id. */
typedef struct {
    bool has_value;
    double num;  /* creationDate, autoDeletionDate */
    char *str;   /* roomName (owned) */
    char *id;    /* owned */
} gw_cursor_t;

/** Returns a new base64url token for the position after `room` in the
 *  order (sort_field, desc). Free with free(). */
char *gw_cursor_encode(const ipc_room_t *room, const char *sort_field,
                       bool desc);

/** Decodes `token` for (sort_field, desc). Returns 0, or -1 if it is not a
 *  token of ours or was made for another sort order. Release `out` with
 *  gw_cursor_free. */
int gw_cursor_decode(const char *token, const char *sort_field, bool desc,
                     gw_cursor_t *out);
void gw_cursor_free(gw_cursor_t *c);

/** Compares two rooms in the list order (sort_field ascending, rooms
 *  without the value first, ties by room id); negate for descending. */
int gw_room_cmp(const ipc_room_t *a, const ipc_room_t *b,
                const char *sort_field);

#endif
