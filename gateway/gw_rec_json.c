/* gw_rec_json: see gw_rec_json.h. */
#include "gw_rec_json.h"

#include <stdlib.h>
#include <string.h>

#include "gw_json.h"
#include "gw_jwt.h"

static void put_str_field(ov_buf_t *out, const char *key, ov_str_t v)
{
    ov_buf_appends(out, key);
    gw_json_put_str(out, v.ptr ? v.ptr : "", v.len);
}

void gw_rec_append_json(ov_buf_t *out, const ipc_rec_t *r)
{
    ov_buf_reserve(out, 512 + r->encoding_json.len);
    put_str_field(out, "{\"recordingId\":", r->recording_id);
    put_str_field(out, ",\"roomId\":", r->room_id);
    put_str_field(out, ",\"roomName\":", r->room_name);
    if (r->layout.len > 0)
        put_str_field(out, ",\"layout\":", r->layout);
    /* The stored encoding is JSON the gateway produced (a preset string or
     * an object), spliced in as it is. */
    if (r->encoding_json.len > 0) {
        ov_buf_appends(out, ",\"encoding\":");
        ov_buf_append(out, r->encoding_json.ptr, r->encoding_json.len);
    }
    put_str_field(out, ",\"status\":", r->status);
    put_str_field(out, ",\"filename\":", r->filename);
    ov_buf_appends(out, ",\"startDate\":");
    gw_json_put_num(out, r->start_date);
    if (r->end_date != 0) {
        ov_buf_appends(out, ",\"endDate\":");
        gw_json_put_num(out, r->end_date);
    }
    if (r->duration != 0) {
        ov_buf_appends(out, ",\"duration\":");
        gw_json_put_num(out, r->duration);
    }
    if (r->size != 0)
        ov_buf_printf(out, ",\"size\":%lld", (long long)r->size);
    if (r->error_code != 0)
        ov_buf_printf(out, ",\"errorCode\":%d", (int)r->error_code);
    if (r->error.len > 0)
        put_str_field(out, ",\"error\":", r->error);
    if (r->details.len > 0)
        put_str_field(out, ",\"details\":", r->details);
    ov_buf_append(out, "}", 1);
}

json_t *gw_rec_to_json(const ipc_rec_t *rec)
{
    ov_buf_t b = OV_BUF_INIT;
    gw_rec_append_json(&b, rec);
    json_error_t e;
    json_t *j = json_loadb(b.data, b.len, 0, &e);
    ov_buf_free(&b);
    return j ? j : json_object();
}

/* The sort value of `r` for `sort_field`; returns 0 if it has none. */
static int sort_num(const ipc_rec_t *r, const char *f, double *v)
{
    if (strcmp(f, "duration") == 0) {
        *v = r->duration;
        return r->duration != 0;
    }
    if (strcmp(f, "size") == 0) {
        *v = (double)r->size;
        return r->size != 0;
    }
    *v = r->start_date;
    return 1;
}

char *gw_rec_cursor_encode(const ipc_rec_t *r, const char *sort_field,
                           bool desc)
{
    json_t *v;
    double num;
    if (strcmp(sort_field, "roomName") == 0)
        v = json_stringn(r->room_name.ptr ? r->room_name.ptr : "",
                         r->room_name.len);
    else if (sort_num(r, sort_field, &num))
        v = json_real(num);
    else
        v = json_null();
    json_t *o = json_pack("{s:s, s:s, s:o, s:s%}", "f", sort_field, "o",
                          desc ? "desc" : "asc", "v", v ? v : json_null(),
                          "id", r->recording_id.ptr ? r->recording_id.ptr : "",
                          r->recording_id.len);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *tok = gw_b64url_encode(text, strlen(text));
    free(text);
    return tok;
}

int gw_rec_cmp(const ipc_rec_t *a, const ipc_rec_t *b, const char *f)
{
    int c;
    if (strcmp(f, "roomName") == 0) {
        c = ov_str_cmp(a->room_name, b->room_name);
    } else {
        double va, vb;
        int ha = sort_num(a, f, &va), hb = sort_num(b, f, &vb);
        if (ha != hb)
            c = ha ? 1 : -1;
        else
            c = ha ? (va > vb) - (va < vb) : 0;
    }
    return c ? c : ov_str_cmp(a->recording_id, b->recording_id);
}
