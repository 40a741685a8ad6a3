/* gw_room_json: see gw_room_json.h. */
#include "gw_room_json.h"

#include <math.h>
#include <string.h>

#include "gw_json.h"
#include "gw_jwt.h"
#include "ov_mem.h"

static json_t *jstr(ov_str_t s)
{
    json_t *j = json_stringn(s.ptr ? s.ptr : "", s.len);
    /* Workers store what the gateway validated as UTF-8; anything else
     * means a damaged store, and an empty string keeps the reply valid. */
    return j ? j : json_string("");
}

static json_t *jnum(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *gw_room_config_json(const ipc_room_t *room)
{
    json_error_t e;
    json_t *c = json_loadb(room->config_json.ptr, room->config_json.len, 0, &e);
    return c && json_is_object(c) ? c : (json_decref(c), json_object());
}

static json_t *room_url(const char *base_url, ov_str_t id, ov_str_t secret)
{
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_appends(&b, base_url);
    ov_buf_appends(&b, "/room/");
    ov_buf_append(&b, id.ptr, id.len);
    ov_buf_appends(&b, "?secret=");
    ov_buf_append(&b, secret.ptr, secret.len);
    json_t *j = json_stringn(b.data, b.len);
    ov_buf_free(&b);
    return j ? j : json_string("");
}

json_t *gw_room_to_json(const ipc_room_t *r, const char *base_url)
{
    json_t *o = json_object();
    json_object_set_new(o, "roomId", jstr(r->room_id));
    json_object_set_new(o, "roomName", jstr(r->room_name));
    json_object_set_new(o, "creationDate", json_integer(r->creation_date));
    if (r->has_auto_deletion_date)
        json_object_set_new(o, "autoDeletionDate", jnum(r->auto_deletion_date));
    json_t *pol = json_object();
    json_object_set_new(pol, "withMeeting", jstr(r->with_meeting));
    json_object_set_new(pol, "withRecordings", jstr(r->with_recordings));
    json_object_set_new(o, "autoDeletionPolicy", pol);
    json_object_set_new(o, "config", gw_room_config_json(r));
    json_object_set_new(o, "moderatorUrl",
                        room_url(base_url, r->room_id, r->moderator_secret));
    json_object_set_new(o, "speakerUrl",
                        room_url(base_url, r->room_id, r->speaker_secret));
    json_object_set_new(o, "status", jstr(r->status));
    json_object_set_new(o, "meetingEndAction", jstr(r->meeting_end_action));
    return o;
}

static void put_url(ov_buf_t *out, const char *base, size_t blen, ov_str_t id,
                    ov_str_t secret)
{
    /* The pieces are plain ASCII except the base URL, which gw_url built
     * from validated characters; escaping the whole keeps it exact. */
    ov_buf_t u = OV_BUF_INIT;
    ov_buf_append(&u, base, blen);
    ov_buf_appends(&u, "/room/");
    ov_buf_append(&u, id.ptr, id.len);
    ov_buf_appends(&u, "?secret=");
    ov_buf_append(&u, secret.ptr, secret.len);
    gw_json_put_str(out, u.data, u.len);
    ov_buf_free(&u);
}

void gw_room_append_json(ov_buf_t *out, const ipc_room_t *r,
                         const char *base, size_t blen)
{
    ov_buf_reserve(out, 512 + r->config_json.len);
    ov_buf_appends(out, "{\"roomId\":");
    gw_json_put_str(out, r->room_id.ptr, r->room_id.len);
    ov_buf_appends(out, ",\"roomName\":");
    gw_json_put_str(out, r->room_name.ptr, r->room_name.len);
    ov_buf_printf(out, ",\"creationDate\":%lld", (long long)r->creation_date);
    if (r->has_auto_deletion_date) {
        ov_buf_appends(out, ",\"autoDeletionDate\":");
        gw_json_put_num(out, r->auto_deletion_date);
    }
    ov_buf_appends(out, ",\"autoDeletionPolicy\":{\"withMeeting\":");
    gw_json_put_str(out, r->with_meeting.ptr, r->with_meeting.len);
    ov_buf_appends(out, ",\"withRecordings\":");
    gw_json_put_str(out, r->with_recordings.ptr, r->with_recordings.len);
    ov_buf_appends(out, "},\"config\":");
    /* The worker stores the config as compact JSON of an object (it
     * checks), so it is spliced in without a parse. */
    if (r->config_json.len > 0)
        ov_buf_append(out, r->config_json.ptr, r->config_json.len);
    else
        ov_buf_appends(out, "{}");
    ov_buf_appends(out, ",\"moderatorUrl\":");
    put_url(out, base, blen, r->room_id, r->moderator_secret);
    ov_buf_appends(out, ",\"speakerUrl\":");
    put_url(out, base, blen, r->room_id, r->speaker_secret);
    ov_buf_appends(out, ",\"status\":");
    gw_json_put_str(out, r->status.ptr, r->status.len);
    ov_buf_appends(out, ",\"meetingEndAction\":");
    gw_json_put_str(out, r->meeting_end_action.ptr, r->meeting_end_action.len);
    ov_buf_append(out, "}", 1);
}

/* Projects `obj` on the selectors that apply at this depth: a selector
 * equal to a key takes the whole value; one that starts with "key." goes
 * down into it. */
static json_t *project(const json_t *obj, const char *const *sel,
                       const size_t *sel_len, size_t n)
{
    json_t *out = json_object();
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        size_t kl = strlen(key);
        int whole = 0;
        size_t nsub = 0;
        const char **sub = ov_xcalloc(n ? n : 1, sizeof(char *));
        size_t *sub_len = ov_xcalloc(n ? n : 1, sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
            if (sel_len[i] == kl && memcmp(sel[i], key, kl) == 0) {
                whole = 1;
            } else if (sel_len[i] > kl + 1 && memcmp(sel[i], key, kl) == 0 &&
                       sel[i][kl] == '.') {
                sub[nsub] = sel[i] + kl + 1;
                sub_len[nsub] = sel_len[i] - kl - 1;
                nsub++;
            }
        }
        if (whole) {
            json_object_set(out, key, val);
        } else if (nsub > 0 && json_is_object(val)) {
            json_t *inner = project(val, sub, sub_len, nsub);
            if (json_object_size(inner) > 0)
                json_object_set_new(out, key, inner);
            else
                json_decref(inner);
        }
        free(sub);
        free(sub_len);
    }
    return out;
}

json_t *gw_json_project(const json_t *obj, char *const *fields, size_t n)
{
    size_t *lens = ov_xcalloc(n ? n : 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(fields[i]);
    json_t *out = project(obj, (const char *const *)fields, lens, n);
    free(lens);
    return out;
}

/* ---- cursor ----------------------------------------------------------- */

char *gw_cursor_encode(const ipc_room_t *r, const char *sort_field, bool desc)
{
    json_t *v;
    if (strcmp(sort_field, "roomName") == 0)
        v = jstr(r->room_name);
    else if (strcmp(sort_field, "autoDeletionDate") == 0)
        v = r->has_auto_deletion_date ? json_real(r->auto_deletion_date)
                                      : json_null();
    else
        v = json_real((double)r->creation_date);
    json_t *o = json_pack("{s:s, s:s, s:o, s:s%}", "f", sort_field, "o",
                          desc ? "desc" : "asc", "v", v, "id",
                          r->room_id.ptr ? r->room_id.ptr : "",
                          r->room_id.len);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *tok = gw_b64url_encode(text, strlen(text));
    free(text);
    return tok;
}

int gw_cursor_decode(const char *token, const char *sort_field, bool desc,
                     gw_cursor_t *out)
{
    memset(out, 0, sizeof(*out));
    size_t len, tlen = strlen(token);
    if (tlen == 0 || tlen > 4096)
        return -1;
    char *raw = (char *)gw_b64url_decode(token, tlen, &len);
    if (!raw)
        return -1;
    json_error_t e;
    json_t *o = json_loadb(raw, len, 0, &e);
    free(raw);
    const char *f = NULL, *ord = NULL, *id = NULL;
    json_t *v = NULL;
    int rc = -1;
    if (!o || json_unpack(o, "{s:s, s:s, s:o, s:s}", "f", &f, "o", &ord, "v",
                          &v, "id", &id) != 0)
        goto done;
    if (strcmp(f, sort_field) != 0 || strcmp(ord, desc ? "desc" : "asc") != 0)
        goto done;
    if (strcmp(sort_field, "roomName") == 0) {
        if (!json_is_string(v))
            goto done;
        out->has_value = true;
        out->str = ov_xstrdup(json_string_value(v));
    } else if (json_is_number(v)) {
        out->has_value = true;
        out->num = json_number_value(v);
    } else if (!json_is_null(v)) {
        /* Only null may stand in for a number: it is the position of a
         * record without the value (no autoDeletionDate, no duration or
         * size), which sorts first. */
        goto done;
    }
    out->id = ov_xstrdup(id);
    rc = 0;
done:
    json_decref(o);
    if (rc != 0)
        gw_cursor_free(out);
    return rc;
}

void gw_cursor_free(gw_cursor_t *c)
{
    free(c->str);
    free(c->id);
    memset(c, 0, sizeof(*c));
}

int gw_room_cmp(const ipc_room_t *a, const ipc_room_t *b,
                const char *sort_field)
{
    int c = 0;
    if (strcmp(sort_field, "roomName") == 0) {
        c = ov_str_cmp(a->room_name, b->room_name);
    } else if (strcmp(sort_field, "autoDeletionDate") == 0) {
        if (a->has_auto_deletion_date != b->has_auto_deletion_date)
            c = a->has_auto_deletion_date ? 1 : -1;
        else if (a->has_auto_deletion_date)
            c = (a->auto_deletion_date > b->auto_deletion_date) -
                (a->auto_deletion_date < b->auto_deletion_date);
    } else {
        c = (a->creation_date > b->creation_date) -
            (a->creation_date < b->creation_date);
    }
    return c ? c : ov_str_cmp(a->room_id, b->room_id);
}
