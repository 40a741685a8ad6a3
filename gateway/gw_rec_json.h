/*
 * gw_rec_json: recordings as the API returns them (BEHAVIOUR.md §5.2) and
 * the keyset cursor of GET /recordings.
 */
#ifndef GW_REC_JSON_H
#define GW_REC_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "gw_room_json.h"
#include "ipc.h"
#include "ov_mem.h"

/** Appends the recording's JSON: recordingId, roomId, roomName, layout?,
 *  encoding, status, filename, startDate, endDate?, duration?, size?,
 *  errorCode?, error?, details? (optional ones omitted when zero or empty;
 *  the secrets never). */
void gw_rec_append_json(ov_buf_t *out, const ipc_rec_t *rec);

/** The same as a new jansson object (for `fields` projections). */
json_t *gw_rec_to_json(const ipc_rec_t *rec);

/** Returns a new base64url cursor for the position after `rec` in the
 *  order (sort_field, desc); free with free(). */
char *gw_rec_cursor_encode(const ipc_rec_t *rec, const char *sort_field,
                           bool desc);

/* Cursors decode with gw_cursor_decode() (gw_room_json.h): the shape is
 * the same, and a null value is a record without duration or size. */

/** Compares two recordings in list order (sort_field ascending, records
 *  without the value first, ties by recording id). */
int gw_rec_cmp(const ipc_rec_t *a, const ipc_rec_t *b, const char *sort_field);

#endif
