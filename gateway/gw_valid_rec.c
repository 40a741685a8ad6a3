/*
 * gw_valid_rec: the recordings endpoints' input validation (BEHAVIOUR.md
 * §4, §7), reproducing what the reference's zod 3 schemas report.
 *
 * The conventions are gw_valid.c's, whose helpers (issues, JavaScript
 * strings, enums, qs query values, maxItems) this file shares through
 * gw_valid_internal.h. The recordingId schema is a zod chain
 *   string().min(1) → transform(normalise) → refine(non-empty)
 *     → refine(format)
 * in which a failed min() stops the chain (a transform never runs on a
 * dirty value) but a failed refinement does not, so a whitespace-only id
 * yields two issues.
 */
#include "gw_valid_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_valid.h"
#include "gw_valid_internal.h"
#include "ov_err.h"
#include "ov_mem.h"

/* ------------------------------------------------------------------ */
/* Enums                                                               */
/* ------------------------------------------------------------------ */

/* MeetRecordingStatus, in its declaration order (the enum message lists
 * the values in that order). */
static const char *const gw__rec_status_v[] = {
    "starting", "active",  "ending",       "complete",
    "failed",   "aborted", "limit_reached"};
static const char *const gw__rec_sort_field_v[] = {"startDate", "roomName",
                                                   "duration", "size"};
static const char *const gw__rec_sort_order_v[] = {"asc", "desc"};

static const gw__enum_t gw__rec_status = GW__ENUM(gw__rec_status_v, 1);
static const gw__enum_t gw__rec_sort_field = GW__ENUM(gw__rec_sort_field_v, 0);
static const gw__enum_t gw__rec_sort_order = GW__ENUM(gw__rec_sort_order_v, 0);

/* ------------------------------------------------------------------ */
/* recordingId (§4)                                                    */
/* ------------------------------------------------------------------ */

/* Views of the parts of s[0..len) split on "--" as JavaScript's split()
 * does (left to right, non-overlapping). Returns the number of parts;
 * only the first three are stored. */
static size_t gw__split3(const char *s, size_t len, const char *part[3],
                         size_t plen[3])
{
    size_t n = 0, start = 0, i = 0;

    while (i + 1 < len) {
        if (s[i] == '-' && s[i + 1] == '-') {
            if (n < 3) {
                part[n] = s + start;
                plen[n] = i - start;
            }
            n++;
            i += 2;
            start = i;
        } else {
            i++;
        }
    }
    if (n < 3) {
        part[n] = s + start;
        plen[n] = len - start;
    }
    return n + 1;
}

/* The roomId rule of §4 without its messages: returns the new sanitised
 * id, or NULL when the rule fails. */
static char *gw__room_id_quiet(const char *s, size_t len)
{
    size_t units = gw__js_length(s, len);
    char *id;

    if (units < 1 || units > 100)
        return NULL;
    id = gw__sanitize_id(s, len);
    if (*id == '\0') {
        free(id);
        return NULL;
    }
    return id;
}

/* The recordingId rule over s[0..len). The first issue is reported under
 * `field`, later ones under `rest_field`. Returns the number of issues
 * added; on success *out is the new normalised id and *room_id /
 * *egress_id (when not NULL) new copies of its first two parts. */
static size_t gw__rec_id_check(const char *s, size_t len, const char *field,
                               const char *rest_field, char **out,
                               char **room_id, char **egress_id, json_t *d)
{
    const char *part[3], *t;
    size_t plen[3], tlen, nissues = 0;
    ov_buf_t norm = OV_BUF_INIT;
    char *room;

    *out = NULL;
    if (len == 0) {
        gw_valid_issue(d, field, "recordingId is required and cannot be empty");
        return 1;
    }
    tlen = len;
    t = gw__js_trim(s, &tlen);
    /* Only an id of exactly three parts gets its room part sanitised; one
     * that fails the roomId rule is kept as it is. */
    room = gw__split3(t, tlen, part, plen) == 3
               ? gw__room_id_quiet(part[0], plen[0])
               : NULL;
    if (room) {
        ov_buf_appends(&norm, room);
        ov_buf_append(&norm, t + plen[0], tlen - plen[0]);
        free(room);
    } else {
        ov_buf_append(&norm, t, tlen);
    }
    if (norm.len == 0) {
        gw_valid_issue(d, field,
                       "recordingId cannot be empty after sanitization");
        nissues++;
    }
    if (gw__split3(norm.data ? norm.data : "", norm.len, part, plen) != 3 ||
        plen[0] == 0 || plen[1] <= 3 || memcmp(part[1], "EG_", 3) != 0 ||
        plen[2] == 0) {
        gw_valid_issue(d, nissues ? rest_field : field,
                       "recordingId does not follow the expected format");
        nissues++;
    }
    if (nissues) {
        ov_buf_free(&norm);
        return nissues;
    }
    if (room_id)
        *room_id = ov_xstrndup(part[0], plen[0]);
    if (egress_id)
        *egress_id = ov_xstrndup(part[1], plen[1]);
    *out = norm.data;
    return 0;
}

int gw_valid_recording_id(const char *value, const char *field, char **out,
                          char **room_id, char **egress_id, json_t **details)
{
    json_t *d;

    *out = NULL;
    *details = NULL;
    if (room_id)
        *room_id = NULL;
    if (egress_id)
        *egress_id = NULL;
    d = json_array();
    if (!value) {
        gw_valid_issue(d, field, "Required");
        return gw__fail(d, details);
    }
    /* POST /recordings/{id}/stop and DELETE /recordings/{id} parse the bare
     * string and then set the path of the first issue only, so a second
     * issue keeps zod's root path, "". Under params.recordingId every issue
     * has the full path. */
    if (gw__rec_id_check(value, strlen(value), field,
                         strcmp(field, "recordingId") == 0 ? "" : field, out,
                         room_id, egress_id, d) > 0)
        return gw__fail(d, details);
    json_decref(d);
    return 0;
}

/* ------------------------------------------------------------------ */
/* POST /recordings (§7.1)                                             */
/* ------------------------------------------------------------------ */

int gw_valid_rec_start(const json_t *body, gw_rec_start_in_t *out,
                       json_t **details)
{
    json_t *d = json_array(), *sub = NULL;
    const json_t *v, *cfg;

    memset(out, 0, sizeof(*out));
    *details = NULL;
    /* Express hands an absent body to the validator as {}. */
    if (body && !json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        return gw__fail(d, details);
    }

    v = body ? json_object_get(body, "roomId") : NULL;
    if (!json_is_string(v)) {
        gw__type_issue(d, "roomId", "string", v);
    } else if (gw_valid_room_id(json_string_value(v), "roomId", &out->room_id,
                                &sub) != 0) {
        json_array_extend(d, sub);
        json_decref(sub);
    }

    cfg = body ? json_object_get(body, "config") : NULL;
    if (cfg && !json_is_object(cfg)) {
        gw__type_issue(d, "config", "object", cfg);
    } else if (cfg) {
        if ((v = json_object_get(cfg, "layout")))
            out->layout = gw__enum_json(v, &gw__layout, "config.layout", d);
        v = json_object_get(cfg, "encoding");
        /* The validator passes the encoding through untouched, unknown
         * keys of an encoding object included. */
        if (gw_valid_encoding(v, "config.encoding", d) == 0 && v)
            out->encoding = json_deep_copy(v);
    }

    if (json_array_size(d) > 0) {
        gw_rec_start_in_free(out);
        return gw__fail(d, details);
    }
    json_decref(d);
    return 0;
}

void gw_rec_start_in_free(gw_rec_start_in_t *in)
{
    free(in->room_id);
    json_decref(in->encoding);
    memset(in, 0, sizeof(*in));
}

/* ------------------------------------------------------------------ */
/* GET /recordings (§7.3)                                              */
/* ------------------------------------------------------------------ */

/* roomId: nonEmptySanitizedRoomId('roomId').optional(). */
static void gw__rec_list_room_id(const gw_query_t *q, char **out, json_t *d)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "roomId", &it);
    json_t *sub = NULL;

    *out = NULL;
    if (kind == GW__Q_ABSENT)
        return;
    if (kind != GW__Q_STRING) {
        gw__issuef(d, "roomId", "Expected string, received %s",
                   gw__qs_kind_name(kind));
        return;
    }
    if (gw_valid_room_id(it->value, "roomId", out, &sub) != 0) {
        json_array_extend(d, sub);
        json_decref(sub);
    }
}

int gw_valid_rec_list(const gw_query_t *q, gw_rec_list_in_t *out,
                      json_t **details)
{
    json_t *d = json_array();
    const gw_query_param_t *it;
    char *fields = NULL;
    const char *order;

    memset(out, 0, sizeof(*out));
    *details = NULL;
    /* The keys in the schema's order: the issues come out in this order. */
    gw__rec_list_room_id(q, &out->room_id, d);
    gw__qs_string(q, "roomName", &out->room_name, d);
    out->status = gw__qs_enum(q, "status", &gw__rec_status, NULL, d);
    gw__qs_string(q, "fields", &fields, d);
    gw__max_items(q, &out->max_items, d);
    gw__qs_string(q, "nextPageToken", &out->next_page_token, d);
    /* The reference tests the token for truthiness: an empty one is none
     * (a "%00" is not empty, and fails to decode later). */
    if (out->next_page_token &&
        gw__qs_kind(q, "nextPageToken", &it) == GW__Q_STRING &&
        it->value_len == 0) {
        free(out->next_page_token);
        out->next_page_token = NULL;
    }
    out->sort_field =
        gw__qs_enum(q, "sortField", &gw__rec_sort_field, "startDate", d);
    order = gw__qs_enum(q, "sortOrder", &gw__rec_sort_order, "desc", d);
    out->sort_desc = !order || strcmp(order, "desc") == 0;

    if (json_array_size(d) > 0) {
        free(fields);
        gw_rec_list_in_free(out);
        return gw__fail(d, details);
    }
    /* A `fields` value naming nothing projects nothing, as in the rooms
     * list. */
    if (fields)
        out->nfields = gw_fields_parse(fields, &out->fields);
    free(fields);
    json_decref(d);
    return 0;
}

void gw_rec_list_in_free(gw_rec_list_in_t *in)
{
    free(in->room_id);
    free(in->room_name);
    gw_fields_free(in->fields, in->nfields);
    free(in->next_page_token);
    memset(in, 0, sizeof(*in));
}

/* ------------------------------------------------------------------ */
/* recordingIds (§7.4)                                                 */
/* ------------------------------------------------------------------ */

int gw_valid_recording_ids(const gw_query_t *q, size_t max_ids, char ***ids,
                           size_t *n, json_t **details)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "recordingIds", &it);
    const char *p, *end, *comma, *item;
    size_t len, count = 0, cap = 0, i;
    const char **views = NULL;
    size_t *lens = NULL;
    char **v = NULL;
    char field[48];
    json_t *d = json_array();

    *ids = NULL;
    *n = 0;
    *details = NULL;
    /* Only a single string is split; any other value (a repeated or
     * bracketed parameter) is preprocessed into an empty list. */
    if (kind == GW__Q_STRING) {
        p = it->value;
        end = it->value + it->value_len;
        for (;;) {
            comma = memchr(p, ',', (size_t)(end - p));
            len = comma ? (size_t)(comma - p) : (size_t)(end - p);
            item = gw__js_trim(p, &len);
            if (len > 0) {
                if (count == cap) {
                    cap = cap ? cap * 2 : 8;
                    views = ov_xrealloc(views, cap * sizeof(*views));
                    lens = ov_xrealloc(lens, cap * sizeof(*lens));
                }
                views[count] = item;
                lens[count++] = len;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
    }
    if (count == 0) {
        gw_valid_issue(d, "recordingIds",
                       "recordingIds must contain at least one item");
        return gw__fail(d, details);
    }

    /* Every item is checked, each one's issues under its index among the
     * non-empty items. An item is trimmed and non-empty, so only the
     * format check can fail, once. */
    v = ov_xcalloc(count, sizeof(*v));
    for (i = 0; i < count; i++) {
        snprintf(field, sizeof(field), "recordingIds.%zu", i);
        gw__rec_id_check(views[i], lens[i], field, field, &v[i], NULL, NULL, d);
    }
    free(views);
    free(lens);
    if (json_array_size(d) == 0 && max_ids > 0 && count > max_ids)
        gw__issuef(d, "recordingIds",
                   "Too many recordingIds: at most %zu per request", max_ids);
    if (json_array_size(d) > 0) {
        gw_fields_free(v, count);
        return gw__fail(d, details);
    }
    json_decref(d);
    *ids = v;
    *n = count;
    return 0;
}

/* ------------------------------------------------------------------ */
/* secret, privateAccess, Range                                        */
/* ------------------------------------------------------------------ */

int gw_valid_rec_secret(const gw_query_t *q, char **secret, json_t **details)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "secret", &it);
    json_t *d;

    *secret = NULL;
    *details = NULL;
    if (kind == GW__Q_ABSENT)
        return 0;
    if (kind != GW__Q_STRING) {
        d = json_array();
        gw__issuef(d, "query.secret", "Expected string, received %s",
                   gw__qs_kind_name(kind));
        return gw__fail(d, details);
    }
    if (it->value_len > 0)
        *secret = ov_xstrndup(it->value, it->value_len);
    return 0;
}

int gw_valid_private_access(const gw_query_t *q, bool *out, json_t **details)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "privateAccess", &it);
    json_t *d;

    *out = false;
    *details = NULL;
    if (kind == GW__Q_ABSENT)
        return 0;
    if (kind != GW__Q_STRING) {
        d = json_array();
        gw__issuef(d, "query.privateAccess", "Expected boolean, received %s",
                   gw__qs_kind_name(kind));
        return gw__fail(d, details);
    }
    /* val.toLowerCase() === 'true': no non-ASCII character lowers to one
     * of t, r, u, e, so an ASCII comparison of 4 bytes is exact. */
    *out = it->value_len == 4 &&
           ov_str_ieq((ov_str_t){it->value, it->value_len}, "true");
    return 0;
}

/* Parses the run of ASCII digits at *p into *v (at least one). Returns 0,
 * or -1 when there is none or the value exceeds INT64_MAX. */
static int gw__parse_i64(const char **p, int64_t *v)
{
    const char *s = *p;
    int64_t acc = 0;
    int dig;

    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        dig = *s - '0';
        if (acc > (INT64_MAX - dig) / 10)
            return -1;
        acc = acc * 10 + dig;
    }
    *p = s;
    *v = acc;
    return 0;
}

int gw_valid_range(const char *header, bool *has, int64_t *start, int64_t *end,
                   json_t **details)
{
    const char *p = header;
    int64_t a, b = -1;
    json_t *d;

    *has = false;
    *start = 0;
    *end = -1;
    *details = NULL;
    if (!header)
        return 0;
    /* ^bytes=\d+-\d*$ without flags: case-sensitive, ASCII digits, and '$'
     * only at the very end. An empty header is present, and fails. */
    if (strncmp(p, "bytes=", 6) != 0)
        goto invalid;
    p += 6;
    if (gw__parse_i64(&p, &a) != 0 || *p++ != '-')
        goto invalid;
    if (*p != '\0' && gw__parse_i64(&p, &b) != 0)
        goto invalid;
    if (*p != '\0')
        goto invalid;
    *has = true;
    *start = a;
    *end = b;
    return 0;

invalid:
    d = json_array();
    gw_valid_issue(d, "headers.range",
                   "Invalid range header format. Expected: bytes=start-end");
    return gw__fail(d, details);
}
