/*
 * gw_page: what the two paged lists (GET /rooms, GET /recordings) share:
 * the cursor check of a request and the "pagination" object of a reply.
 */
#ifndef GW_PAGE_H
#define GW_PAGE_H

#include "gw_app.h"
#include "gw_room_json.h"
#include "ov_mem.h"

/** Decodes the request's `token` (may be NULL: *out stays empty) for
 *  (sort_field, desc). Returns 0, or -1 after answering ctx with the 422
 *  of an undecodable token (meetd's fix of the reference's 500). */
int gw_page_cursor(gw_ctx_t *ctx, const char *token, const char *sort_field,
                   int desc, gw_cursor_t *out);

/** Closes the items array and appends the pagination object:
 *  `],"pagination":{"isTruncated":..,"nextPageToken"?:..,"maxItems":..}}`.
 *  `next` (takes ownership, may be NULL) is the cursor after the page's
 *  last item; on a truncated page with no item the request's own token
 *  (`incoming`, may be NULL) is repeated. */
void gw_page_append_tail(ov_buf_t *b, int truncated, char *next,
                         const char *incoming, unsigned max_items);

#endif
