/* gw_page: see gw_page.h. */
#include "gw_page.h"

#include <stdlib.h>
#include <string.h>

#include "gw_json.h"
#include "gw_valid.h"

int gw_page_cursor(gw_ctx_t *ctx, const char *token, const char *sort_field,
                   int desc, gw_cursor_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!token || gw_cursor_decode(token, sort_field, desc, out) == 0)
        return 0;
    json_t *d = json_array();
    gw_valid_issue(d, "nextPageToken",
                   "Invalid nextPageToken: it does not come from a previous "
                   "page with the same sortField and sortOrder");
    gw_ctx_send_invalid(ctx, d);
    return -1;
}

void gw_page_append_tail(ov_buf_t *b, int truncated, char *next,
                         const char *incoming, unsigned max_items)
{
    ov_buf_printf(b, "],\"pagination\":{\"isTruncated\":%s",
                  truncated ? "true" : "false");
    const char *tok = truncated ? (next ? next : incoming) : NULL;
    if (tok) {
        ov_buf_appends(b, ",\"nextPageToken\":");
        gw_json_put_str(b, tok, strlen(tok));
    }
    free(next);
    ov_buf_printf(b, ",\"maxItems\":%u}}", max_items);
}
