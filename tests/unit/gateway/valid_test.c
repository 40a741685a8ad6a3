/*
 * valid_test: gw_valid against the messages, field paths and issue order of
 * BEHAVIOUR.md §4, §4.1, §5.1 and §6 (what the reference's zod schemas
 * report), and the canonical room config.
 */
#include "gw_valid.h"

#include <stdarg.h>
#include <stdlib.h>

#include "ov_err.h"
#include "test.h"
#include "valid_helpers.h"

#define NOW 1700000000000LL
#define HOUR 3600000LL

/* ---- POST /rooms ---- */

static json_t *create_fail(const char *body)
{
    json_t *b = parse(body), *d = NULL;
    gw_room_create_in_t in;

    ASSERT_INT_EQ(gw_valid_room_create(b, NOW, &in, &d), OV_EINVAL);
    ASSERT_NULL(in.room_name);
    ASSERT_NULL(in.config);
    json_decref(b);
    return d;
}

static void create_ok(const char *body, gw_room_create_in_t *in)
{
    json_t *b = parse(body), *d = NULL;
    int rc = gw_valid_room_create(b, NOW, in, &d);

    if (rc != 0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("create %s failed: %s", body, s);
    }
    ASSERT_NULL(d);
    json_decref(b);
}

#define DEFAULT_CONFIG                                                         \
    "{\"chat\":{\"enabled\":true},\"recording\":{\"enabled\":true,"            \
    "\"layout\":\"grid\",\"encoding\":\"H264_720P_30\","                       \
    "\"allowAccessTo\":\"admin_moderator_speaker\"},"                          \
    "\"virtualBackground\":{\"enabled\":true},\"e2ee\":{\"enabled\":false},"   \
    "\"captions\":{\"enabled\":true}}"

static void test_create_defaults(void)
{
    gw_room_create_in_t in;
    json_t *d = NULL;

    create_ok("{}", &in);
    ASSERT_STR_EQ(in.room_name, "Room");
    ASSERT_INT_EQ(in.has_auto_deletion_date, 0);
    ASSERT_STR_EQ(in.with_meeting, "when_meeting_ends");
    ASSERT_STR_EQ(in.with_recordings, "close");
    assert_json(in.config, DEFAULT_CONFIG);
    gw_room_create_in_free(&in);

    /* An absent body is {}. */
    ASSERT_INT_EQ(gw_valid_room_create(NULL, NOW, &in, &d), 0);
    assert_json(in.config, DEFAULT_CONFIG);
    gw_room_create_in_free(&in);

    create_ok("{\"config\":{}}", &in);
    assert_json(in.config, DEFAULT_CONFIG);
    gw_room_create_in_free(&in);
}

static void test_create_full(void)
{
    gw_room_create_in_t in;

    create_ok("{\"roomName\":\"  My \\t\\n  Room  \",\"autoDeletionDate\":"
              "1700003600000.5,\"autoDeletionPolicy\":{\"withMeeting\":"
              "\"force\",\"withRecordings\":\"force\",\"x\":1},\"extra\":1,"
              "\"config\":{\"recording\":{\"enabled\":false,\"layout\":"
              "\"speaker\",\"allowAccessTo\":\"admin\",\"junk\":1},"
              "\"chat\":{\"enabled\":false,\"x\":2},\"appearance\":{}}}",
              &in);
    ASSERT_STR_EQ(in.room_name, "My Room");
    ASSERT_INT_EQ(in.has_auto_deletion_date, 1);
    ASSERT(in.auto_deletion_date == 1700003600000.5);
    ASSERT_STR_EQ(in.with_meeting, "force");
    ASSERT_STR_EQ(in.with_recordings, "force");
    assert_json(in.config,
                "{\"chat\":{\"enabled\":false},\"recording\":{\"enabled\":"
                "false,\"layout\":\"speaker\",\"encoding\":\"H264_720P_30\","
                "\"allowAccessTo\":\"admin\"},\"virtualBackground\":"
                "{\"enabled\":true},\"e2ee\":{\"enabled\":false},"
                "\"captions\":{\"enabled\":true}}");
    gw_room_create_in_free(&in);

    /* Exactly one hour ahead is accepted; the name limit is 50. */
    create_ok("{\"autoDeletionDate\":1700003600000,\"roomName\":"
              "\"12345678901234567890123456789012345678901234567890\"}",
              &in);
    ASSERT_UINT_EQ(strlen(in.room_name), 50);
    gw_room_create_in_free(&in);

    /* 50 characters of two bytes each: the limit counts characters. */
    create_ok("{\"roomName\":\"ééééééééééééééééééééééééééééééééééééééééééééé"
              "ééééé\"}",
              &in);
    gw_room_create_in_free(&in);

    /* Unicode whitespace is whitespace for trim and \s+. */
    create_ok("{\"roomName\":\"\\u00a0a\\u3000\\u2003b\\ufeff\"}", &in);
    ASSERT_STR_EQ(in.room_name, "a b");
    gw_room_create_in_free(&in);
}

static void test_create_e2ee(void)
{
    gw_room_create_in_t in;

    create_ok("{\"config\":{\"e2ee\":{\"enabled\":true}}}", &in);
    assert_json(json_object_get(in.config, "recording"),
                "{\"enabled\":false,\"layout\":\"grid\",\"encoding\":"
                "\"H264_720P_30\",\"allowAccessTo\":"
                "\"admin_moderator_speaker\"}");
    assert_json(json_object_get(in.config, "e2ee"), "{\"enabled\":true}");
    gw_room_create_in_free(&in);

    create_ok("{\"config\":{\"e2ee\":{\"enabled\":true},\"recording\":"
              "{\"enabled\":true,\"layout\":\"single-speaker\"}}}",
              &in);
    assert_json(json_object_get(in.config, "recording"),
                "{\"enabled\":false,\"layout\":\"single-speaker\","
                "\"encoding\":\"H264_720P_30\",\"allowAccessTo\":"
                "\"admin_moderator_speaker\"}");
    gw_room_create_in_free(&in);
}

static void test_create_room_name(void)
{
    expect_issues(create_fail("{\"roomName\":12345}"), 1, "roomName",
                  "Expected string, received number");
    expect_issues(create_fail("{\"roomName\":null}"), 1, "roomName",
                  "Expected string, received null");
    expect_issues(create_fail("{\"roomName\":[\"a\"]}"), 1, "roomName",
                  "Expected string, received array");
    expect_issues(
        create_fail("{\"roomName\":"
                    "\"123456789012345678901234567890123456789012345678901\"}"),
        1, "roomName", "roomName cannot exceed 50 characters");
    /* The limit is checked before trimming. */
    expect_issues(
        create_fail("{\"roomName\":"
                    "\" 12345678901234567890123456789012345678901234567890\"}"),
        1, "roomName", "roomName cannot exceed 50 characters");
    /* 26 astral characters are 52 UTF-16 units. */
    expect_issues(create_fail("{\"roomName\":\"🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉"
                              "🎉🎉🎉🎉🎉🎉🎉🎉\"}"),
                  1, "roomName", "roomName cannot exceed 50 characters");
    expect_issues(create_fail("{\"roomName\":\"   \"}"), 1, "roomName",
                  "roomName cannot be empty");
    expect_issues(create_fail("{\"roomName\":\"\"}"), 1, "roomName",
                  "roomName cannot be empty");
    /* With another issue, only that one is reported (as the reference
     * does). */
    expect_issues(create_fail("{\"roomName\":\" \",\"config\":1}"), 1, "config",
                  "Expected object, received number");
}

static void test_create_date(void)
{
    expect_issues(
        create_fail("{\"autoDeletionDate\":-5}"), 2, "autoDeletionDate",
        "autoDeletionDate must be a positive integer", "autoDeletionDate",
        "autoDeletionDate must be at least 1h in the future");
    expect_issues(
        create_fail("{\"autoDeletionDate\":0}"), 2, "autoDeletionDate",
        "autoDeletionDate must be a positive integer", "autoDeletionDate",
        "autoDeletionDate must be at least 1h in the future");
    expect_issues(create_fail("{\"autoDeletionDate\":1700003599999}"), 1,
                  "autoDeletionDate",
                  "autoDeletionDate must be at least 1h in the future");
    expect_issues(create_fail("{\"autoDeletionDate\":null}"), 1,
                  "autoDeletionDate", "Expected number, received null");
    expect_issues(create_fail("{\"autoDeletionDate\":\"1700009999000\"}"), 1,
                  "autoDeletionDate", "Expected number, received string");
    expect_issues(create_fail("{\"autoDeletionDate\":true}"), 1,
                  "autoDeletionDate", "Expected number, received boolean");
}

static void test_create_policy(void)
{
    expect_issues(
        create_fail("{\"autoDeletionPolicy\":{\"withMeeting\":\"fail\","
                    "\"withRecordings\":\"close\"}}"),
        1, "autoDeletionPolicy.withMeeting",
        "FAIL policy is not allowed for withMeeting auto-deletion policy");
    expect_issues(
        create_fail("{\"autoDeletionPolicy\":{\"withMeeting\":\"fail\","
                    "\"withRecordings\":\"fail\"}}"),
        2, "autoDeletionPolicy.withMeeting",
        "FAIL policy is not allowed for withMeeting auto-deletion policy",
        "autoDeletionPolicy.withRecordings",
        "FAIL policy is not allowed for withRecordings auto-deletion policy");
    /* The refinements do not run when a member is invalid. */
    expect_issues(
        create_fail("{\"autoDeletionPolicy\":{\"withMeeting\":\"fail\"}}"), 1,
        "autoDeletionPolicy.withRecordings", "Required");
    expect_issues(create_fail("{\"autoDeletionPolicy\":{}}"), 2,
                  "autoDeletionPolicy.withMeeting", "Required",
                  "autoDeletionPolicy.withRecordings", "Required");
    expect_issues(
        create_fail("{\"autoDeletionPolicy\":{\"withMeeting\":\"now\","
                    "\"withRecordings\":\"keep\"}}"),
        2, "autoDeletionPolicy.withMeeting",
        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | "
        "'fail', received 'now'",
        "autoDeletionPolicy.withRecordings",
        "Invalid enum value. Expected 'force' | 'close' | 'fail', received "
        "'keep'");
    /* A native enum compares numbers, printing them as JavaScript does;
     * other types are type errors. */
    expect_issues(
        create_fail("{\"autoDeletionPolicy\":{\"withMeeting\":1.5,"
                    "\"withRecordings\":true}}"),
        2, "autoDeletionPolicy.withMeeting",
        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | "
        "'fail', received '1.5'",
        "autoDeletionPolicy.withRecordings",
        "Expected 'force' | 'close' | 'fail', received boolean");
    expect_issues(create_fail("{\"autoDeletionPolicy\":null}"), 1,
                  "autoDeletionPolicy", "Expected object, received null");
    expect_issues(create_fail("{\"autoDeletionPolicy\":\"force\"}"), 1,
                  "autoDeletionPolicy", "Expected object, received string");
}

static void test_create_config(void)
{
    expect_issues(create_fail("{\"config\":null}"), 1, "config",
                  "Expected object, received null");
    expect_issues(create_fail("{\"config\":[]}"), 1, "config",
                  "Expected object, received array");
    expect_issues(create_fail("{\"config\":{\"chat\":{}}}"), 1,
                  "config.chat.enabled", "Required");
    expect_issues(create_fail("{\"config\":{\"chat\":true}}"), 1, "config.chat",
                  "Expected object, received boolean");
    expect_issues(
        create_fail("{\"config\":{\"captions\":{\"enabled\":\"yes\"}}}"), 1,
        "config.captions.enabled", "Expected boolean, received string");
    /* Sections in the schema's order: recording first. */
    expect_issues(
        create_fail("{\"config\":{\"captions\":{},\"e2ee\":{},\"chat\":{},"
                    "\"virtualBackground\":{},\"recording\":{}}}"),
        5, "config.recording.enabled", "Required", "config.chat.enabled",
        "Required", "config.virtualBackground.enabled", "Required",
        "config.e2ee.enabled", "Required", "config.captions.enabled",
        "Required");
    expect_issues(
        create_fail("{\"config\":{\"recording\":{\"layout\":\"mosaic\","
                    "\"encoding\":7,\"allowAccessTo\":\"everyone\"}}}"),
        4, "config.recording.enabled", "Required", "config.recording.layout",
        "Invalid enum value. Expected 'grid' | 'speaker' | 'single-speaker', "
        "received 'mosaic'",
        "config.recording.encoding",
        "Encoding must be either a preset string or an encoding "
        "configuration object",
        "config.recording.allowAccessTo",
        "Invalid enum value. Expected 'admin' | 'admin_moderator' | "
        "'admin_moderator_speaker', received 'everyone'");
    expect_issues(
        create_fail("{\"config\":{\"recording\":{\"enabled\":true,"
                    "\"layout\":null}}}"),
        1, "config.recording.layout",
        "Expected 'grid' | 'speaker' | 'single-speaker', received null");
}

static void test_create_order(void)
{
    /* Several errors: keys in the schema's declared order, whatever the
     * body's order. */
    expect_issues(
        create_fail("{\"config\":{\"chat\":{}},\"autoDeletionPolicy\":"
                    "{\"withMeeting\":\"x\",\"withRecordings\":\"close\"},"
                    "\"autoDeletionDate\":1,\"roomName\":false}"),
        4, "roomName", "Expected string, received boolean", "autoDeletionDate",
        "autoDeletionDate must be at least 1h in the future",
        "autoDeletionPolicy.withMeeting",
        "Invalid enum value. Expected 'force' | 'when_meeting_ends' | "
        "'fail', received 'x'",
        "config.chat.enabled", "Required");
}

static void test_create_body_type(void)
{
    expect_issues(create_fail("[]"), 1, "", "Expected object, received array");
    expect_issues(create_fail("\"x\""), 1, "",
                  "Expected object, received string");
    expect_issues(create_fail("null"), 1, "", "Expected object, received null");
}

/* ---- Encoding (§4.1) ---- */

static json_t *enc_issues(const char *enc)
{
    json_t *e = parse(enc), *d = json_array();
    size_t n = gw_valid_encoding(e, "config.recording.encoding", d);

    ASSERT_UINT_EQ(n, json_array_size(d));
    json_decref(e);
    return d;
}

#define FULL_VIDEO                                                             \
    "\"video\":{\"width\":1280,\"height\":720,\"framerate\":30,\"codec\":"     \
    "\"H264_MAIN\",\"bitrate\":3000,\"keyFrameInterval\":4,\"depth\":24}"
#define FULL_AUDIO                                                             \
    "\"audio\":{\"codec\":\"OPUS\",\"bitrate\":128,\"frequency\":44100}"

static void test_encoding(void)
{
    const char *P = "config.recording.encoding";
    gw_room_create_in_t in;
    json_t *d = json_array();

    ASSERT_UINT_EQ(gw_valid_encoding(NULL, P, d), 0);
    json_decref(d);
    expect_issues(enc_issues("\"PORTRAIT_H264_1080P_60\""), 0);
    expect_issues(enc_issues("\"H264_4K\""), 1, P,
                  "Invalid encoding preset. Must be one of: H264_720P_30, "
                  "H264_720P_60, H264_1080P_30, H264_1080P_60, "
                  "PORTRAIT_H264_720P_30, PORTRAIT_H264_720P_60, "
                  "PORTRAIT_H264_1080P_30, PORTRAIT_H264_1080P_60");
    expect_issues(enc_issues("null"), 1, P,
                  "Encoding must be either a preset string or an encoding "
                  "configuration object");
    expect_issues(enc_issues("12"), 1, P,
                  "Encoding must be either a preset string or an encoding "
                  "configuration object");
    expect_issues(enc_issues("false"), 1, P,
                  "Encoding must be either a preset string or an encoding "
                  "configuration object");
    expect_issues(enc_issues("{}"), 1, P,
                  "Both video and audio configuration must be provided when "
                  "using encoding options");
    expect_issues(enc_issues("[]"), 1, P,
                  "Both video and audio configuration must be provided when "
                  "using encoding options");
    expect_issues(enc_issues("{" FULL_VIDEO ",\"audio\":0}"), 1, P,
                  "Both video and audio configuration must be provided when "
                  "using encoding options");
    expect_issues(enc_issues("{\"video\":\"hd\"," FULL_AUDIO "}"), 1, P,
                  "Video encoding must be a valid object");
    expect_issues(enc_issues("{" FULL_VIDEO ",\"audio\":true}"), 1, P,
                  "Audio encoding must be a valid object");
    expect_issues(enc_issues("{" FULL_VIDEO "," FULL_AUDIO "}"), 0);

    /* Missing keys: the custom message, then zod's Required. */
    expect_issues(
        enc_issues("{\"video\":{\"width\":1280,\"height\":720,\"codec\":"
                   "\"VP8\",\"bitrate\":1,\"keyFrameInterval\":1},"
                   "\"audio\":{\"codec\":\"AAC\"}}"),
        6, "config.recording.encoding.video",
        "When video encoding is provided, required fields are missing: "
        "framerate, depth",
        "config.recording.encoding.audio",
        "When audio encoding is provided, required fields are missing: "
        "bitrate, frequency",
        "config.recording.encoding.video.framerate", "Required",
        "config.recording.encoding.video.depth", "Required",
        "config.recording.encoding.audio.bitrate", "Required",
        "config.recording.encoding.audio.frequency", "Required");
    expect_issues(enc_issues("{\"video\":{\"width\":1}," FULL_AUDIO "}"), 7,
                  "config.recording.encoding.video",
                  "When video encoding is provided, required fields are "
                  "missing: height, framerate, codec, bitrate, "
                  "keyFrameInterval, depth",
                  "config.recording.encoding.video.height", "Required",
                  "config.recording.encoding.video.framerate", "Required",
                  "config.recording.encoding.video.codec", "Required",
                  "config.recording.encoding.video.bitrate", "Required",
                  "config.recording.encoding.video.keyFrameInterval",
                  "Required", "config.recording.encoding.video.depth",
                  "Required");

    /* Types, enums and non-positive numbers. */
    expect_issues(
        enc_issues("{\"video\":{\"width\":\"1280\",\"height\":0,"
                   "\"framerate\":-1,\"codec\":\"H265\",\"bitrate\":null,"
                   "\"keyFrameInterval\":0,\"depth\":24},\"audio\":"
                   "{\"codec\":3,\"bitrate\":0,\"frequency\":-44100}}"),
        9, "config.recording.encoding.video.width",
        "Expected number, received string",
        "config.recording.encoding.video.height",
        "Video height must be a positive number",
        "config.recording.encoding.video.framerate",
        "Video framerate must be a positive number",
        "config.recording.encoding.video.codec",
        "Invalid enum value. Expected 'DEFAULT_VC' | 'H264_BASELINE' | "
        "'H264_MAIN' | 'H264_HIGH' | 'VP8', received 'H265'",
        "config.recording.encoding.video.bitrate",
        "Expected number, received null",
        "config.recording.encoding.video.keyFrameInterval",
        "Video keyFrameInterval must be a positive number",
        "config.recording.encoding.audio.codec",
        "Invalid enum value. Expected 'DEFAULT_AC' | 'OPUS' | 'AAC' | "
        "'AC_MP3', received '3'",
        "config.recording.encoding.audio.bitrate",
        "Audio bitrate must be a positive number",
        "config.recording.encoding.audio.frequency",
        "Audio frequency must be a positive number");
    expect_issues(
        enc_issues("{\"video\":{\"width\":-2,\"height\":1,\"framerate\":1,"
                   "\"codec\":false,\"bitrate\":1,\"keyFrameInterval\":1,"
                   "\"depth\":-0.5}," FULL_AUDIO "}"),
        3, "config.recording.encoding.video.width",
        "Video width must be a positive number",
        "config.recording.encoding.video.codec",
        "Expected 'DEFAULT_VC' | 'H264_BASELINE' | 'H264_MAIN' | 'H264_HIGH' "
        "| 'VP8', received boolean",
        "config.recording.encoding.video.depth",
        "Video depth must be a positive number");
    /* An array is an object to the presence checks of the reference. */
    expect_issues(enc_issues("{\"video\":[1]," FULL_AUDIO "}"), 2,
                  "config.recording.encoding.video",
                  "When video encoding is provided, required fields are "
                  "missing: width, height, framerate, codec, bitrate, "
                  "keyFrameInterval, depth",
                  "config.recording.encoding.video",
                  "Expected object, received array");

    /* Through POST /rooms: unknown keys and non-integers are kept. */
    create_ok("{\"config\":{\"recording\":{\"enabled\":true,\"encoding\":"
              "{\"video\":{\"width\":1280.5,\"height\":720,\"framerate\":30,"
              "\"codec\":\"H264_MAIN\",\"bitrate\":3000,\"keyFrameInterval\":"
              "4,\"depth\":24,\"x\":1}," FULL_AUDIO ",\"extra\":\"kept\"}}}}",
              &in);
    assert_json(
        json_object_get(json_object_get(in.config, "recording"), "encoding"),
        "{\"video\":{\"width\":1280.5,\"height\":720,\"framerate\":30,"
        "\"codec\":\"H264_MAIN\",\"bitrate\":3000,"
        "\"keyFrameInterval\":4,\"depth\":24,\"x\":1},\"audio\":"
        "{\"codec\":\"OPUS\",\"bitrate\":128,\"frequency\":44100},"
        "\"extra\":\"kept\"}");
    gw_room_create_in_free(&in);

    expect_issues(create_fail("{\"config\":{\"recording\":{\"enabled\":true,"
                              "\"encoding\":{}}}}"),
                  1, "config.recording.encoding",
                  "Both video and audio configuration must be provided when "
                  "using encoding options");
}

/* ---- roomId and prefix ---- */

static void test_room_id(void)
{
    char *id = NULL, big[102];
    json_t *d = NULL;

    ASSERT_INT_EQ(gw_valid_room_id(" my_room-abc ", "roomId", &id, &d), 0);
    ASSERT_STR_EQ(id, "my_room-abc");
    ASSERT_NULL(d);
    free(id);
    ASSERT_INT_EQ(gw_valid_room_id("a.b/c d\xc3\xa9"
                                   "e",
                                   "roomId", &id, &d),
                  0);
    ASSERT_STR_EQ(id, "abcde");
    free(id);

    ASSERT_INT_EQ(gw_valid_room_id("", "roomId", &id, &d), OV_EINVAL);
    ASSERT_NULL(id);
    expect_issues(d, 1, "roomId", "roomId is required and cannot be empty");
    ASSERT_INT_EQ(gw_valid_room_id("%% ..", "roomId", &id, &d), OV_EINVAL);
    expect_issues(d, 1, "roomId", "roomId cannot be empty after sanitization");

    memset(big, 'a', 101);
    big[101] = '\0';
    ASSERT_INT_EQ(gw_valid_room_id(big, "roomId", &id, &d), OV_EINVAL);
    expect_issues(d, 1, "roomId", "roomId cannot exceed 100 characters");
    /* The limit applies before sanitising: 100 characters pass. */
    big[100] = '\0';
    big[0] = ' ';
    ASSERT_INT_EQ(gw_valid_room_id(big, "roomId", &id, &d), 0);
    ASSERT_UINT_EQ(strlen(id), 99);
    free(id);

    ASSERT_INT_EQ(gw_valid_room_id("", "", &id, &d), OV_EINVAL);
    expect_issues(d, 1, "", " is required and cannot be empty");
}

static void check_prefix(const char *name, const char *want)
{
    char *p = gw_room_id_prefix(name);

    ASSERT_STR_EQ(p, want);
    free(p);
}

static void test_prefix(void)
{
    check_prefix("Habitación José", "habitacion_jose");
    check_prefix("SALA--Médica  #2024  (Niños)", "sala_medica_2024_ninos");
    check_prefix("Møde Åse", "mde_ase");
    check_prefix("会议室", "room");
    check_prefix("🎉", "room");
    check_prefix("Room", "room");
    check_prefix("My Room", "my_room");
    check_prefix("__a__b__", "a_b");
    check_prefix("-x-", "x");
    check_prefix("", "room");
    check_prefix("ÉCOLE Ça", "ecole_ca");
    check_prefix("Kelvin \xe2\x84\xaa", "kelvin_k"); /* U+212A → K */
    check_prefix("a\xc2\xa0"
                 "b",
                 "a_b"); /* NBSP is \s */
    check_prefix("Straße", "strae");
}

/* ---- PUT config ---- */

static json_t *patch_fail(const char *body)
{
    json_t *b = parse(body), *d = NULL, *patch = NULL;

    ASSERT_INT_EQ(gw_valid_room_config_patch(b, &patch, &d), OV_EINVAL);
    ASSERT_NULL(patch);
    json_decref(b);
    return d;
}

static void patch_ok(const char *body, const char *want)
{
    json_t *b = parse(body), *d = NULL, *patch = NULL;

    ASSERT_INT_EQ(gw_valid_room_config_patch(b, &patch, &d), 0);
    ASSERT_NULL(d);
    assert_json(patch, want);
    json_decref(patch);
    json_decref(b);
}

static void test_config_patch(void)
{
    json_t *d = NULL, *patch = NULL;

    expect_issues(patch_fail("{}"), 1, "config", "Required");
    ASSERT_INT_EQ(gw_valid_room_config_patch(NULL, &patch, &d), OV_EINVAL);
    expect_issues(d, 1, "config", "Required");
    expect_issues(patch_fail("{\"config\":null}"), 1, "config",
                  "Expected object, received null");
    expect_issues(patch_fail("[1]"), 1, "", "Expected object, received array");
    expect_issues(patch_fail("{\"config\":{\"recording\":{\"layout\":"
                             "\"grid\"}}}"),
                  1, "config.recording.enabled", "Required");
    expect_issues(
        patch_fail("{\"config\":{\"e2ee\":{\"enabled\":1},\"recording\":"
                   "{\"enabled\":true,\"encoding\":\"H264_2K\"}}}"),
        2, "config.recording.encoding",
        "Invalid encoding preset. Must be one of: H264_720P_30, "
        "H264_720P_60, H264_1080P_30, H264_1080P_60, PORTRAIT_H264_720P_30, "
        "PORTRAIT_H264_720P_60, PORTRAIT_H264_1080P_30, "
        "PORTRAIT_H264_1080P_60",
        "config.e2ee.enabled", "Expected boolean, received number");

    patch_ok("{\"config\":{}}", "{}");
    patch_ok("{\"config\":{\"recording\":{\"enabled\":false},\"appearance\":"
             "{\"x\":1}}}",
             "{\"recording\":{\"enabled\":false}}");
    patch_ok("{\"config\":{\"captions\":{\"enabled\":false,\"x\":1},"
             "\"recording\":{\"allowAccessTo\":\"admin_moderator\","
             "\"enabled\":true,\"encoding\":\"H264_1080P_60\"}}}",
             "{\"recording\":{\"enabled\":true,\"encoding\":\"H264_1080P_60\","
             "\"allowAccessTo\":\"admin_moderator\"},\"captions\":"
             "{\"enabled\":false}}");
    patch_ok("{\"config\":{\"e2ee\":{\"enabled\":true},\"recording\":"
             "{\"enabled\":true}}}",
             "{\"recording\":{\"enabled\":false},\"e2ee\":{\"enabled\":true}}");
}

/* ---- PUT status ---- */

static void test_status(void)
{
    const char *st = NULL;
    json_t *b, *d = NULL;

    b = parse("{\"status\":\"closed\",\"x\":1}");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), 0);
    ASSERT_STR_EQ(st, "closed");
    json_decref(b);

    b = parse("{\"status\":\"active_meeting\"}");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), OV_EINVAL);
    ASSERT_NULL(st);
    expect_issues(d, 1, "status",
                  "Invalid enum value. Expected 'open' | 'closed', received "
                  "'active_meeting'");
    json_decref(b);

    b = parse("{}");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), OV_EINVAL);
    expect_issues(d, 1, "status", "Required");
    json_decref(b);

    b = parse("{\"status\":1}");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), OV_EINVAL);
    expect_issues(d, 1, "status",
                  "Expected 'open' | 'closed', received number");
    json_decref(b);

    b = parse("{\"status\":null}");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), OV_EINVAL);
    expect_issues(d, 1, "status", "Expected 'open' | 'closed', received null");
    json_decref(b);

    b = parse("\"open\"");
    ASSERT_INT_EQ(gw_valid_room_status(b, &st, &d), OV_EINVAL);
    expect_issues(d, 1, "", "Expected object, received string");
    json_decref(b);
}

/* ---- Queries ---- */

static void query(const char *raw, gw_query_t *q)
{
    ASSERT_INT_EQ(gw_query_parse(ov_str(raw), 100, q), 0);
}

static void test_delete_policies(void)
{
    gw_query_t q;
    const char *wm, *wr;
    json_t *d = NULL;

    query("", &q);
    ASSERT_INT_EQ(gw_valid_delete_policies(&q, &wm, &wr, &d), 0);
    ASSERT_STR_EQ(wm, "fail");
    ASSERT_STR_EQ(wr, "fail");
    gw_query_free(&q);

    query("withMeeting=when_meeting_ends&withRecordings=close", &q);
    ASSERT_INT_EQ(gw_valid_delete_policies(&q, &wm, &wr, &d), 0);
    ASSERT_STR_EQ(wm, "when_meeting_ends");
    ASSERT_STR_EQ(wr, "close");
    gw_query_free(&q);

    query("withRecordings=keep&withMeeting=", &q);
    ASSERT_INT_EQ(gw_valid_delete_policies(&q, &wm, &wr, &d), OV_EINVAL);
    expect_issues(d, 2, "withMeeting",
                  "Invalid enum value. Expected 'force' | 'when_meeting_ends' "
                  "| 'fail', received ''",
                  "withRecordings",
                  "Invalid enum value. Expected 'force' | 'close' | 'fail', "
                  "received 'keep'");
    gw_query_free(&q);

    query("withMeeting=force&withMeeting=fail&withRecordings[a]=close", &q);
    ASSERT_INT_EQ(gw_valid_delete_policies(&q, &wm, &wr, &d), OV_EINVAL);
    expect_issues(d, 2, "withMeeting",
                  "Expected 'force' | 'when_meeting_ends' | 'fail', received "
                  "array",
                  "withRecordings",
                  "Expected 'force' | 'close' | 'fail', received object");
    gw_query_free(&q);
}

static gw_room_list_in_t list_ok(const char *raw)
{
    gw_query_t q;
    gw_room_list_in_t in;
    json_t *d = NULL;

    query(raw, &q);
    if (gw_valid_room_list(&q, &in, &d) != 0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("list %s failed: %s", raw, s);
    }
    gw_query_free(&q);
    return in;
}

static json_t *list_fail(const char *raw)
{
    gw_query_t q;
    gw_room_list_in_t in;
    json_t *d = NULL;

    query(raw, &q);
    ASSERT_INT_EQ(gw_valid_room_list(&q, &in, &d), OV_EINVAL);
    ASSERT_NULL(in.room_name);
    ASSERT_NULL(in.fields);
    gw_query_free(&q);
    return d;
}

static unsigned list_max(const char *raw)
{
    gw_room_list_in_t in = list_ok(raw);
    unsigned m = in.max_items;

    gw_room_list_in_free(&in);
    return m;
}

static void test_list(void)
{
    gw_room_list_in_t in = list_ok("");

    ASSERT_NULL(in.room_name);
    ASSERT_NULL(in.status);
    ASSERT_NULL(in.fields);
    ASSERT_UINT_EQ(in.max_items, 10);
    ASSERT_STR_EQ(in.sort_field, "creationDate");
    ASSERT_INT_EQ(in.sort_desc, 1);
    ASSERT_NULL(in.next_page_token);
    gw_room_list_in_free(&in);

    in = list_ok("roomName=a%20b&status=active_meeting&fields=%20roomId%2C%2C"
                 "roomName%20,&sortField=roomName&sortOrder=asc"
                 "&nextPageToken=abc%3D&unknown=1");
    ASSERT_STR_EQ(in.room_name, "a b");
    ASSERT_STR_EQ(in.status, "active_meeting");
    ASSERT_UINT_EQ(in.nfields, 2);
    ASSERT_STR_EQ(in.fields[0], "roomId");
    ASSERT_STR_EQ(in.fields[1], "roomName");
    ASSERT_STR_EQ(in.sort_field, "roomName");
    ASSERT_INT_EQ(in.sort_desc, 0);
    ASSERT_STR_EQ(in.next_page_token, "abc=");
    gw_room_list_in_free(&in);

    in = list_ok("fields=%20,%20");
    ASSERT_NULL(in.fields);
    ASSERT_UINT_EQ(in.nfields, 0);
    gw_room_list_in_free(&in);

    ASSERT_UINT_EQ(list_max("maxItems=5.7"), 5);
    ASSERT_UINT_EQ(list_max("maxItems=100"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=101"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=1e3"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=Infinity"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=0.5"), 0);
    ASSERT_UINT_EQ(list_max("maxItems=%2012%20"), 12);
    ASSERT_UINT_EQ(list_max("maxItems=0x10"), 16);
    ASSERT_UINT_EQ(list_max("maxItems=+7"), 7);
    ASSERT_UINT_EQ(list_max("maxItems=.9e1"), 9);
    ASSERT_UINT_EQ(list_max("maxItems[]=3"), 3);

    expect_issues(list_fail("maxItems=abc"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=0"), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems="), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems=-3"), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems=-0"), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems=1&maxItems=2"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems[a]=2"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=inf"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=0x"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=1e"), 1, "maxItems",
                  "Expected number, received nan");

    expect_issues(list_fail("fields[a]=b"), 1, "fields",
                  "Expected string, received object");
    expect_issues(list_fail("fields=a&fields=b"), 1, "fields",
                  "Expected string, received array");
    expect_issues(list_fail("fields[]=a"), 1, "fields",
                  "Expected string, received array");
    expect_issues(list_fail("status=deleted"), 1, "status",
                  "Invalid enum value. Expected 'open' | 'active_meeting' | "
                  "'closed', received 'deleted'");
    expect_issues(list_fail("sortField=name"), 1, "sortField",
                  "Invalid enum value. Expected 'creationDate' | 'roomName' | "
                  "'autoDeletionDate', received 'name'");
    expect_issues(list_fail("sortOrder=DESC"), 1, "sortOrder",
                  "Invalid enum value. Expected 'asc' | 'desc', received "
                  "'DESC'");

    /* All at once, in the schema's order. */
    expect_issues(list_fail("sortOrder=up&sortField=x&nextPageToken[]=a"
                            "&maxItems=x&fields[x]=1&status=s&roomName=a"
                            "&roomName=b"),
                  7, "roomName", "Expected string, received array", "status",
                  "Invalid enum value. Expected 'open' | 'active_meeting' | "
                  "'closed', received 's'",
                  "fields", "Expected string, received object", "maxItems",
                  "Expected number, received nan", "nextPageToken",
                  "Expected string, received array", "sortField",
                  "Invalid enum value. Expected 'creationDate' | 'roomName' | "
                  "'autoDeletionDate', received 'x'",
                  "sortOrder",
                  "Invalid enum value. Expected 'asc' | 'desc', received 'up'");
}

static void test_fields_parse(void)
{
    char **f = NULL;
    size_t n;

    ASSERT_UINT_EQ(gw_fields_parse(NULL, &f), 0);
    ASSERT_NULL(f);
    ASSERT_UINT_EQ(gw_fields_parse("", &f), 0);
    ASSERT_NULL(f);
    ASSERT_UINT_EQ(gw_fields_parse(" , ,", &f), 0);
    ASSERT_NULL(f);
    n = gw_fields_parse(" roomId ,config.recording,,x", &f);
    ASSERT_UINT_EQ(n, 3);
    ASSERT_STR_EQ(f[0], "roomId");
    ASSERT_STR_EQ(f[1], "config.recording");
    ASSERT_STR_EQ(f[2], "x");
    gw_fields_free(f, n);
}

static void test_room_ids(void)
{
    gw_query_t q;
    char **ids = NULL;
    size_t n = 0;
    json_t *d = NULL;

    query("roomIds=%20a-1%20,b_2,,a-1,%20c%20d%20,%24%25,A-1", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), 0);
    ASSERT_NULL(d);
    ASSERT_UINT_EQ(n, 4);
    ASSERT_STR_EQ(ids[0], "a-1");
    ASSERT_STR_EQ(ids[1], "b_2");
    ASSERT_STR_EQ(ids[2], "cd");
    ASSERT_STR_EQ(ids[3], "A-1");
    gw_fields_free(ids, n);
    gw_query_free(&q);

    /* Duplicates after sanitising; the first occurrence is kept. */
    query("roomIds=r.1,r1,r%201", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 10, &ids, &n, &d), 0);
    ASSERT_UINT_EQ(n, 1);
    ASSERT_STR_EQ(ids[0], "r1");
    gw_fields_free(ids, n);
    gw_query_free(&q);

    /* A repeated parameter is not split. */
    query("roomIds=a,b&roomIds=c&roomIds[]=d", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), 0);
    ASSERT_UINT_EQ(n, 3);
    ASSERT_STR_EQ(ids[0], "ab");
    ASSERT_STR_EQ(ids[1], "c");
    ASSERT_STR_EQ(ids[2], "d");
    gw_fields_free(ids, n);
    gw_query_free(&q);

    /* No length limit per id. */
    {
        char raw[300] = "roomIds=";
        size_t len = strlen(raw);

        memset(raw + len, 'z', 200);
        raw[len + 200] = '\0';
        query(raw, &q);
        ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), 0);
        ASSERT_UINT_EQ(strlen(ids[0]), 200);
        gw_fields_free(ids, n);
        gw_query_free(&q);
    }

    query("", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), OV_EINVAL);
    ASSERT_NULL(ids);
    ASSERT_UINT_EQ(n, 0);
    expect_issues(d, 1, "roomIds",
                  "At least one valid roomId is required after sanitization");
    gw_query_free(&q);

    query("roomIds=%20,.,%23&withMeeting=force", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), OV_EINVAL);
    expect_issues(d, 1, "roomIds",
                  "At least one valid roomId is required after sanitization");
    gw_query_free(&q);

    query("roomIds[a]=x", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 0, &ids, &n, &d), OV_EINVAL);
    expect_issues(d, 1, "roomIds",
                  "At least one valid roomId is required after sanitization");
    gw_query_free(&q);

    query("roomIds=a,b,c,a", &q);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 3, &ids, &n, &d), 0);
    ASSERT_UINT_EQ(n, 3);
    gw_fields_free(ids, n);
    ASSERT_INT_EQ(gw_valid_room_ids(&q, 2, &ids, &n, &d), OV_EINVAL);
    ASSERT_NULL(ids);
    expect_issues(d, 1, "roomIds", "Too many roomIds: at most 2 per request");
    gw_query_free(&q);
}

int main(void)
{
    TEST_RUN(test_create_defaults);
    TEST_RUN(test_create_full);
    TEST_RUN(test_create_e2ee);
    TEST_RUN(test_create_room_name);
    TEST_RUN(test_create_date);
    TEST_RUN(test_create_policy);
    TEST_RUN(test_create_config);
    TEST_RUN(test_create_order);
    TEST_RUN(test_create_body_type);
    TEST_RUN(test_encoding);
    TEST_RUN(test_room_id);
    TEST_RUN(test_prefix);
    TEST_RUN(test_config_patch);
    TEST_RUN(test_status);
    TEST_RUN(test_delete_policies);
    TEST_RUN(test_list);
    TEST_RUN(test_fields_parse);
    TEST_RUN(test_room_ids);
    return 0;
}
