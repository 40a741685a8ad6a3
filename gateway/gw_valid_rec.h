/*
 * gw_valid_rec: validation of the recordings endpoints' input, with the
 * reference's exact 422 details (BEHAVIOUR.md §4, §7). Conventions as in
 * gw_valid.h: 0, or OV_EINVAL with *details a new JSON array.
 */
#ifndef GW_VALID_REC_H
#define GW_VALID_REC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_router.h"

/** The recordingId rule of §4 under field `field` ("recordingId",
 *  "params.recordingId", ...): non-empty; trimmed; if it splits on "--"
 *  into 3 parts the first is sanitised with the roomId rule (kept when
 *  that fails); non-empty after; then exactly 3 parts, part 1 non-empty,
 *  part 2 "EG_" + at least one more character, part 3 non-empty. On success
 *  *out is the new normalised id and *room_id / *egress_id (may be NULL)
 *  new copies of its parts. */
int gw_valid_recording_id(const char *value, const char *field, char **out,
                          char **room_id, char **egress_id, json_t **details);

/** A validated POST /recordings body. */
typedef struct {
    char *room_id;      /* sanitised */
    const char *layout; /* static, or NULL when not given */
    json_t *encoding;   /* validated preset string or object, or NULL */
} gw_rec_start_in_t;

int gw_valid_rec_start(const json_t *body, gw_rec_start_in_t *out,
                       json_t **details);
void gw_rec_start_in_free(gw_rec_start_in_t *in);

/** A validated GET /recordings query (§7.3). */
typedef struct {
    char *room_id;        /* sanitised, or NULL */
    char *room_name;      /* or NULL */
    const char *status;   /* static, or NULL */
    char **fields;        /* as gw_valid.h; NULL when not given */
    size_t nfields;
    unsigned max_items;   /* default 10, floor, clamp 100 */
    const char *sort_field; /* static: startDate | roomName | duration |
                               size */
    int sort_desc;        /* default desc */
    char *next_page_token; /* or NULL (an empty value is none) */
} gw_rec_list_in_t;

int gw_valid_rec_list(const gw_query_t *q, gw_rec_list_in_t *out,
                      json_t **details);
void gw_rec_list_in_free(gw_rec_list_in_t *in);

/** `recordingIds` of DELETE /recordings and GET /recordings/download
 *  (§7.4): one comma-separated string (a repeated parameter counts as
 *  empty), items trimmed, empty ones dropped; none → field "recordingIds",
 *  "recordingIds must contain at least one item"; each item the recordingId
 *  rule, else field "recordingIds.<i>", "recordingId does not follow the
 *  expected format". Duplicates are kept. More than `max_ids` → field
 *  "recordingIds", "Too many recordingIds: at most <max> per request". */
int gw_valid_recording_ids(const gw_query_t *q, size_t max_ids, char ***ids,
                           size_t *n, json_t **details);

/** The `secret` query of GET /recordings/{id}[/media]: absent or empty →
 *  *secret NULL; a non-string (array/object) → field "query.secret",
 *  "Expected string, received <type>". */
int gw_valid_rec_secret(const gw_query_t *q, char **secret, json_t **details);

/** `privateAccess` of GET /recordings/{id}/url: true iff it equals "true"
 *  ignoring case; default false; an array → field "query.privateAccess",
 *  "Expected boolean, received array". */
int gw_valid_private_access(const gw_query_t *q, bool *out, json_t **details);

/** The Range header of /media (§7.8): NULL or absent → *has false. It
 *  must match ^bytes=\d+-\d*$, else field "headers.range", "Invalid range
 *  header format. Expected: bytes=start-end". *end is -1 when open. */
int gw_valid_range(const char *header, bool *has, int64_t *start,
                   int64_t *end, json_t **details);

#endif
