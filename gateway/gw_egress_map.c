/*
 * gw_egress_map: LiveKit EgressInfo (protojson) to a recording record, as
 * the reference's webhook service does (LIVEKIT.md §2.3) with its encoding
 * converter (§2.4).
 *
 * The input comes from a verified webhook but is still treated as data of
 * unknown shape: every key is optional, of any JSON type, and anything
 * unexpected falls back to what the reference would derive (a default, or
 * "failed" for an unknown status) rather than an error. Only a missing
 * recording identity (egressId, roomName, a "<roomId>--<uid>" filename)
 * or a non-recording egress makes the mapping fail.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gw_egress.h"
#include "gw_json.h"
#include "gw_livekit.h"
#include "ov_mem.h"

static const json_t *gw_egmap_get(const json_t *obj, const char *key)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    return json_is_null(v) ? NULL : v;
}

/* Reads a proto3 int64: a JSON integer, an integral real, or a decimal
 * string (the protojson form). Absent or malformed values read as 0, which
 * proto3 treats as "unset" anyway. */
static int64_t gw_egmap_i64(const json_t *obj, const char *key)
{
    const json_t *v = gw_egmap_get(obj, key);

    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return (d > -9.2e18 && d < 9.2e18) ? (int64_t)d : 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long n;

        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
            return 0;
        return (int64_t)n;
    }
    return 0;
}

/* Reads a proto3 number that may be fractional (double fields such as
 * keyFrameInterval), accepting the same spellings as gw_egmap_i64. */
static double gw_egmap_num(const json_t *obj, const char *key)
{
    const json_t *v = gw_egmap_get(obj, key);

    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        double d = strtod(s, &end);

        return (end != s && *end == '\0' && isfinite(d)) ? d : 0;
    }
    return 0;
}

/* Reads a string value; "" when absent or not a string. */
static const char *gw_egmap_str(const json_t *obj, const char *key)
{
    const json_t *v = gw_egmap_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : "";
}

/* Reads a proto enum given by name or number. Returns the name, "" when
 * absent (the zero value, omitted by protojson) or NULL when the value is
 * of another type or a number outside `names`. */
static const char *gw_egmap_enum(const json_t *obj, const char *key,
                                 const char *const *names, size_t n)
{
    const json_t *v = gw_egmap_get(obj, key);

    if (!v)
        return "";
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return (i >= 0 && (size_t)i < n) ? names[i] : NULL;
    }
    return NULL;
}

static int gw_egmap_in(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

#define GW_EGMAP_N(a) (sizeof(a) / sizeof((a)[0]))

/* EgressStatus in proto order; the record's status is the lowercased
 * suffix. */
static const char *const gw_egmap_status_names[] = {
    "EGRESS_STARTING",      "EGRESS_ACTIVE", "EGRESS_ENDING",
    "EGRESS_COMPLETE",      "EGRESS_FAILED", "EGRESS_ABORTED",
    "EGRESS_LIMIT_REACHED",
};
static const char *const gw_egmap_status_meet[] = {
    "starting", "active",  "ending",        "complete",
    "failed",   "aborted", "limit_reached",
};

/* EncodingOptionsPreset in proto order; Meet presets carry the same
 * names. */
static const char *const gw_egmap_presets[] = {
    "H264_720P_30",           "H264_720P_60",           "H264_1080P_30",
    "H264_1080P_60",          "PORTRAIT_H264_720P_30",  "PORTRAIT_H264_720P_60",
    "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60",
};

static const char *const gw_egmap_vcodecs[] = {
    "DEFAULT_VC", "H264_BASELINE", "H264_MAIN", "H264_HIGH", "VP8",
};
static const char *const gw_egmap_acodecs[] = {
    "DEFAULT_AC",
    "OPUS",
    "AAC",
    "AC_MP3",
};

static const char *gw_egmap_status(const json_t *info)
{
    const char *s = gw_egmap_enum(info, "status", gw_egmap_status_names,
                                  GW_EGMAP_N(gw_egmap_status_names));
    int i;

    if (s && *s == '\0') /* absent: the proto zero value, STARTING */
        return "starting";
    i = gw_egmap_in(s, gw_egmap_status_names,
                    GW_EGMAP_N(gw_egmap_status_names));
    return i < 0 ? "failed" : gw_egmap_status_meet[i];
}

/* Appends `v` as a JSON number, or `def` when `v` is zero or negative
 * (the converter's "zero or absent gets the default"). */
static void gw_egmap_put_num(ov_buf_t *b, double v, double def)
{
    gw_json_put_num(b, v > 0 ? v : def);
}

/* Builds the Meet advanced-encoding object from LiveKit EncodingOptions,
 * with the converter's defaults and codec fallbacks (§2.4). Keys follow
 * the order of the Meet validator (BEHAVIOUR.md §4.1). */
static void gw_egmap_advanced(ov_buf_t *b, const json_t *adv)
{
    const char *vc = gw_egmap_enum(adv, "videoCodec", gw_egmap_vcodecs,
                                   GW_EGMAP_N(gw_egmap_vcodecs));
    const char *ac = gw_egmap_enum(adv, "audioCodec", gw_egmap_acodecs,
                                   GW_EGMAP_N(gw_egmap_acodecs));
    int vi = gw_egmap_in(vc, gw_egmap_vcodecs, GW_EGMAP_N(gw_egmap_vcodecs));
    int ai = gw_egmap_in(ac, gw_egmap_acodecs, GW_EGMAP_N(gw_egmap_acodecs));

    /* DEFAULT_VC and anything unknown read back as H264_MAIN; DEFAULT_AC,
     * AC_MP3 and anything unknown as OPUS. */
    if (vi <= 0)
        vc = "H264_MAIN";
    if (ai != 1 && ai != 2)
        ac = "OPUS";

    ov_buf_appends(b, "{\"video\":{\"width\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "width"), 1920);
    ov_buf_appends(b, ",\"height\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "height"), 1080);
    ov_buf_appends(b, ",\"framerate\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "framerate"), 30);
    ov_buf_appends(b, ",\"codec\":");
    gw_json_put_str(b, vc, strlen(vc));
    ov_buf_appends(b, ",\"bitrate\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "videoBitrate"), 128);
    ov_buf_appends(b, ",\"keyFrameInterval\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "keyFrameInterval"), 4);
    ov_buf_appends(b, ",\"depth\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "depth"), 24);
    ov_buf_appends(b, "},\"audio\":{\"codec\":");
    gw_json_put_str(b, ac, strlen(ac));
    ov_buf_appends(b, ",\"bitrate\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "audioBitrate"), 128);
    ov_buf_appends(b, ",\"frequency\":");
    gw_egmap_put_num(b, gw_egmap_num(adv, "audioFrequency"), 44100);
    ov_buf_appends(b, "}}");
}

/* Appends the encoding of the egress request as JSON text: the preset by
 * name (unknown names fall back to H264_720P_30), the advanced object, or
 * H264_720P_30 when the request carries no options. */
static void gw_egmap_encoding(ov_buf_t *b, const json_t *rc)
{
    const json_t *adv = gw_egmap_get(rc, "advanced");
    const char *preset;

    if (json_is_object(adv)) {
        gw_egmap_advanced(b, adv);
        return;
    }
    preset = gw_egmap_enum(rc, "preset", gw_egmap_presets,
                           GW_EGMAP_N(gw_egmap_presets));
    if (gw_egmap_in(preset, gw_egmap_presets, GW_EGMAP_N(gw_egmap_presets)) < 0)
        preset = "H264_720P_30";
    gw_json_put_str(b, preset, strlen(preset));
}

static const char *gw_egmap_layout(const json_t *rc)
{
    static const char *const layouts[] = {"grid", "speaker", "single-speaker"};
    const char *l;
    int i;

    if (!json_is_object(rc))
        return "";
    l = gw_egmap_str(rc, "layout");
    i = gw_egmap_in(l, layouts, GW_EGMAP_N(layouts));
    return i < 0 ? "grid" : layouts[i];
}

/* A recording egress writes files and streams nothing (§2.3). */
static int gw_egmap_is_recording(const json_t *info)
{
    const json_t *files = gw_egmap_get(info, "fileResults");
    const json_t *streams = gw_egmap_get(info, "streamResults");

    if (!json_is_array(files) || json_array_size(files) == 0)
        return 0;
    if (streams && (!json_is_array(streams) || json_array_size(streams) > 0))
        return 0;
    return 1;
}

/* Nanoseconds to milliseconds as a JavaScript double, fraction included:
 * the reference's documented values (1736500012345.679 from
 * "1736500012345678901") are those of a division, which rounds once,
 * whereas multiplying by 1e-6 rounds twice and gives ...345.6787. */
static double gw_egmap_ns_to_ms(int64_t ns)
{
    return (double)ns / 1e6;
}

int gw_egress_map_info(const json_t *info, int event_kind, uint32_t *kind,
                       ipc_rec_t *rec, char **scratch)
{
    const json_t *file, *rc;
    const char *egress_id, *room, *path, *seg, *uid, *dot;
    ov_buf_t b = OV_BUF_INIT;
    size_t uid_len, rid_len;
    int64_t started, updated, v;
    const char *s;

    *scratch = NULL;
    switch (event_kind) {
    case GW_LK_EGRESS_STARTED:
        *kind = IPC_REC_EV_STARTED;
        break;
    case GW_LK_EGRESS_UPDATED:
        *kind = IPC_REC_EV_UPDATED;
        break;
    case GW_LK_EGRESS_ENDED:
        *kind = IPC_REC_EV_ENDED;
        break;
    default:
        return -1;
    }
    if (!json_is_object(info) || !gw_egmap_is_recording(info))
        return -1;

    file = json_array_get(gw_egmap_get(info, "fileResults"), 0);
    egress_id = gw_egmap_str(info, "egressId");
    room = gw_egmap_str(info, "roomName");
    path = gw_egmap_str(file, "filename");
    if (*egress_id == '\0' || *room == '\0' || *path == '\0')
        return -1;

    /* uid: between the first "--" and the first '.' of the last path
     * segment ("<roomId>--<uid>.mp4"). */
    seg = strrchr(path, '/');
    seg = seg ? seg + 1 : path;
    uid = strstr(seg, "--");
    if (!uid)
        return -1;
    uid += 2;
    dot = strchr(uid, '.');
    uid_len = dot ? (size_t)(dot - uid) : strlen(uid);
    if (uid_len == 0 || *seg == '\0')
        return -1;

    memset(rec, 0, sizeof(*rec));

    /* The scratch buffer holds the recording id, a NUL, then the encoding
     * JSON, so that one free() releases both. */
    ov_buf_printf(&b, "%s--%s--%.*s", room, egress_id, (int)uid_len, uid);
    rid_len = b.len;
    ov_buf_append(&b, "", 1);
    rc = gw_egmap_get(info, "roomComposite");
    if (!json_is_object(rc))
        rc = NULL;
    gw_egmap_encoding(&b, rc);

    rec->recording_id = (ov_str_t){b.data, rid_len};
    rec->encoding_json = (ov_str_t){b.data + rid_len + 1, b.len - rid_len - 1};
    *scratch = b.data;

    rec->room_id = ov_str(room);
    rec->egress_id = ov_str(egress_id);
    rec->layout = ov_str(gw_egmap_layout(rc));
    rec->status = ov_str(gw_egmap_status(info));
    rec->filename = ov_str(seg);

    started = gw_egmap_i64(info, "startedAt");
    updated = gw_egmap_i64(info, "updatedAt");
    rec->start_date = gw_egmap_ns_to_ms(started != 0 ? started : updated);
    v = gw_egmap_i64(info, "endedAt");
    rec->end_date = v > 0 ? gw_egmap_ns_to_ms(v) : 0;
    v = gw_egmap_i64(file, "duration");
    /* Divided for the same reason: 61.5, not 61.50000000000001. */
    rec->duration = v > 0 ? (double)v / 1e9 : 0;
    v = gw_egmap_i64(file, "size");
    rec->size = v > 0 ? v : 0;
    rec->updated_at = gw_egmap_ns_to_ms(updated);

    v = gw_egmap_i64(info, "errorCode");
    rec->error_code = (v >= INT32_MIN && v <= INT32_MAX) ? (int32_t)v : 0;
    s = gw_egmap_str(info, "error");
    rec->error = ov_str(s);
    s = gw_egmap_str(info, "details");
    rec->details = ov_str(s);
    return 0;
}
