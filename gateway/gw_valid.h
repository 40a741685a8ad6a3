/*
 * gw_valid: validation of the rooms endpoints' input, reproducing the
 * reference's 422 details exactly (BEHAVIOUR.md §4, §5.1, §6).
 *
 * Every validator returns 0 on success or OV_EINVAL with *details set to a
 * new JSON array of {"field": ..., "message": ...} in the reference's order
 * (the caller answers 422 {"error":"Unprocessable Entity","message":
 * "Invalid request","details":[...]} and owns the array). On success the
 * out-structure owns what it holds; release it with its _free function.
 * Unknown keys in bodies and queries are ignored.
 */
#ifndef GW_VALID_H
#define GW_VALID_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_router.h"

/** A validated POST /rooms body. */
typedef struct {
    char *room_name;            /* sanitised (trimmed, whitespace runs
                                   collapsed); "Room" when absent */
    int has_auto_deletion_date;
    double auto_deletion_date;  /* ms since the epoch */
    const char *with_meeting;   /* static: "when_meeting_ends" or "force" */
    const char *with_recordings;/* static: "close" or "force" */
    json_t *config;             /* all five sections with their defaults, the
                                   e2ee rule applied (owned) */
} gw_room_create_in_t;

/** Validates a POST /rooms body (a JSON value; a non-object is a type error
 *  on field ""). `now_ms` is used for the "at least 1h in the future"
 *  rule. */
int gw_valid_room_create(const json_t *body, int64_t now_ms,
                         gw_room_create_in_t *out, json_t **details);
void gw_room_create_in_free(gw_room_create_in_t *in);

/** The roomId rule of §4 for a string value (path parameter, query or body
 *  value) reported under `field`: non-empty, at most 100 characters before
 *  sanitising, every character outside [A-Za-z0-9_-] removed, non-empty
 *  after. On success *out is the new sanitised id (free with free()). */
int gw_valid_room_id(const char *value, const char *field, char **out,
                     json_t **details);

/** Returns the roomId prefix derived from a room name (§5.1: NFD, lower
 *  case, '-' and whitespace to '_', only [a-z0-9_], runs of '_' collapsed,
 *  trimmed; "room" when empty). Returns new, free with free(). */
char *gw_room_id_prefix(const char *room_name);

/** Validates a PUT /rooms/{id}/config body {"config": {...}}. On success
 *  *patch is a new JSON object holding only the sections given, each with
 *  the keys given (validated), ready to be deep-merged into the stored
 *  config. */
int gw_valid_room_config_patch(const json_t *body, json_t **patch,
                               json_t **details);

/** Validates a PUT /rooms/{id}/status body; *status is a static "open" or
 *  "closed". */
int gw_valid_room_status(const json_t *body, const char **status,
                         json_t **details);

/** Validates withMeeting / withRecordings of DELETE /rooms[/{id}]; both
 *  default to "fail"; results are static strings. */
int gw_valid_delete_policies(const gw_query_t *q, const char **with_meeting,
                             const char **with_recordings, json_t **details);

/** A validated GET /rooms query. */
typedef struct {
    char *room_name;      /* filter, or NULL */
    const char *status;   /* static filter, or NULL */
    char **fields;        /* projection names (trimmed, non-empty), or NULL
                             when `fields` was not given */
    size_t nfields;
    unsigned max_items;   /* floored, clamped to 100; default 10 */
    const char *sort_field; /* static: creationDate | roomName |
                               autoDeletionDate */
    int sort_desc;        /* sortOrder desc (the default) */
    char *next_page_token;/* as given, or NULL */
} gw_room_list_in_t;

int gw_valid_room_list(const gw_query_t *q, gw_room_list_in_t *out,
                       json_t **details);
void gw_room_list_in_free(gw_room_list_in_t *in);

/** Parses a `fields` value (GET /rooms/{id} does not validate it): split on
 *  ',', trimmed, empty items dropped. Returns the count; *out is a new
 *  array of new strings (free with gw_fields_free), NULL when count is 0. */
size_t gw_fields_parse(const char *value, char ***out);
void gw_fields_free(char **fields, size_t n);

/** Validates `roomIds` of DELETE /rooms (§6.6): a string split on ',' and
 *  trimmed, or a repeated parameter (not split); each sanitised with the
 *  roomId character rule without the length limit; empty ones dropped;
 *  duplicates removed after sanitising, first occurrence kept. Nothing
 *  left → field "roomIds", message "At least one valid roomId is required
 *  after sanitization". `max_ids` bounds the count (more → field "roomIds",
 *  message "Too many roomIds: at most <max> per request"). *ids is a new
 *  array of new strings (free with gw_fields_free). */
int gw_valid_room_ids(const gw_query_t *q, size_t max_ids, char ***ids,
                      size_t *n, json_t **details);

/** Appends to `details` the issues of an `encoding` value (§4.1) found at
 *  field path `prefix` (e.g. "config.recording.encoding"); absent (NULL)
 *  is no issue. Returns the number of issues appended. */
size_t gw_valid_encoding(const json_t *encoding, const char *prefix,
                         json_t *details);

/** Appends {"field": field, "message": message} to `details`. */
void gw_valid_issue(json_t *details, const char *field, const char *message);

#endif
