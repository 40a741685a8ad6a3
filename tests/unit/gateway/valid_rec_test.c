/*
 * valid_rec_test: gw_valid_rec against the messages, field paths and issue
 * order of BEHAVIOUR.md §4 and §7 (what the reference's zod schemas
 * report for the recordings endpoints).
 */
#include "gw_valid_rec.h"

#include <stdarg.h>
#include <stdlib.h>

#include "ov_err.h"
#include "test.h"
#include "valid_helpers.h"

#define FORMAT "recordingId does not follow the expected format"
#define AFTER "recordingId cannot be empty after sanitization"
#define EMPTY "recordingId is required and cannot be empty"
#define LAYOUTS "'grid' | 'speaker' | 'single-speaker'"
#define STATUSES                                                               \
    "'starting' | 'active' | 'ending' | 'complete' | 'failed' | 'aborted' | "  \
    "'limit_reached'"
#define SORT_FIELDS "'startDate' | 'roomName' | 'duration' | 'size'"
#define BAD_RANGE "Invalid range header format. Expected: bytes=start-end"

static void query(const char *raw, gw_query_t *q)
{
    ASSERT_INT_EQ(gw_query_parse(ov_str(raw), 100, q), 0);
}

/* ---- recordingId (§4) ---- */

static void id_ok(const char *value, const char *want, const char *want_room,
                  const char *want_egress)
{
    char *out = NULL, *room = NULL, *egress = NULL;
    json_t *d = NULL;

    if (gw_valid_recording_id(value, "recordingId", &out, &room, &egress, &d) !=
        0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("recordingId \"%s\" failed: %s", value, s);
    }
    ASSERT_NULL(d);
    ASSERT_STR_EQ(out, want);
    ASSERT_STR_EQ(room, want_room);
    ASSERT_STR_EQ(egress, want_egress);
    free(out);
    free(room);
    free(egress);
}

static json_t *id_fail(const char *value, const char *field)
{
    char *out = (char *)"x", *room = (char *)"x", *egress = (char *)"x";
    json_t *d = NULL;

    ASSERT_INT_EQ(gw_valid_recording_id(value, field, &out, &room, &egress, &d),
                  OV_EINVAL);
    ASSERT_NULL(out);
    ASSERT_NULL(room);
    ASSERT_NULL(egress);
    return d;
}

static void test_recording_id_ok(void)
{
    id_ok("room--EG_abc--u1", "room--EG_abc--u1", "room", "EG_abc");
    /* Trimmed, and the room part sanitised with the roomId rule. */
    id_ok(" my room!--EG_abc--u1 ", "myroom--EG_abc--u1", "myroom", "EG_abc");
    id_ok("\t r.o/o\xc3\xa9m_-1--EG_x--uid\n", "room_-1--EG_x--uid", "room_-1",
          "EG_x");
    /* Only the room part is sanitised. */
    id_ok("a b--EG_a b--u i d", "ab--EG_a b--u i d", "ab", "EG_a b");
    /* A room part failing the roomId rule is kept as it is. */
    id_ok("!!!--EG_1--u", "!!!--EG_1--u", "!!!", "EG_1");
    id_ok("\xc3\xa9--EG_1--u", "\xc3\xa9--EG_1--u", "\xc3\xa9", "EG_1");
    /* "EG_" and any one more character make an egress part. */
    id_ok("r--EG_\xc3\xa9--u", "r--EG_\xc3\xa9--u", "r", "EG_\xc3\xa9");
    /* The egress part may carry anything, including "-". */
    id_ok("r--EG_-x---u", "r--EG_-x---u", "r", "EG_-x");
}

/* A room part of more than 100 characters fails the roomId rule, so it is
 * kept unsanitised. */
static void test_recording_id_long_room(void)
{
    char big[160], *out = NULL, *room = NULL;
    json_t *d = NULL;

    memset(big, 'a', 99);
    memcpy(big + 99, " .", 2);
    strcpy(big + 101, "--EG_1--u");
    /* 101 characters before sanitising: the rule fails, the id is kept
     * (spaces and all) and still follows the format. */
    ASSERT_INT_EQ(
        gw_valid_recording_id(big, "recordingId", &out, &room, NULL, &d), 0);
    ASSERT_STR_EQ(out, big);
    ASSERT_UINT_EQ(strlen(room), 101);
    free(out);
    free(room);
    /* 100 characters ("aaa… "): sanitised. */
    memmove(big + 100, big + 101, strlen(big + 101) + 1);
    ASSERT_INT_EQ(
        gw_valid_recording_id(big, "recordingId", &out, NULL, NULL, &d), 0);
    ASSERT_UINT_EQ(strlen(out), 99 + strlen("--EG_1--u"));
    free(out);
}

static void test_recording_id_fail(void)
{
    expect_issues(id_fail("bad", "recordingId"), 1, "recordingId", FORMAT);
    expect_issues(id_fail("invalid-recording-id", "params.recordingId"), 1,
                  "params.recordingId", FORMAT);
    expect_issues(id_fail("", "recordingId"), 1, "recordingId", EMPTY);
    expect_issues(id_fail("", "params.recordingId"), 1, "params.recordingId",
                  EMPTY);
    expect_issues(id_fail(NULL, "params.recordingId"), 1, "params.recordingId",
                  "Required");
    /* Both refinements run; stop/delete set the path of the first issue
     * only. */
    expect_issues(id_fail("   ", "params.recordingId"), 2, "params.recordingId",
                  AFTER, "params.recordingId", FORMAT);
    expect_issues(id_fail(" \t ", "recordingId"), 2, "recordingId", AFTER, "",
                  FORMAT);
    /* Part checks. */
    expect_issues(id_fail("--EG_1--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--EG_--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--eg_1--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--XEG_1--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--EG_1--", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--EG_1--u--v", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r--EG_1", "recordingId"), 1, "recordingId", FORMAT);
    /* split('--') is left to right: "r---EG_1--u" is r, -EG_1, u. */
    expect_issues(id_fail("r---EG_1--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("r----EG_1--u", "recordingId"), 1, "recordingId",
                  FORMAT);
    expect_issues(id_fail("invalid--recording.id", "recordingIds.0"), 1,
                  "recordingIds.0", FORMAT);
}

static void test_recording_id_split(void)
{
    /* split('--') is left to right: "r--EG_1---u" is r, EG_1, -u. */
    id_ok("r--EG_1---u", "r--EG_1---u", "r", "EG_1");
    /* Four parts: nothing is sanitised, and the format check fails. */
    expect_issues(id_fail("a b--EG_1--u--v", "recordingId"), 1, "recordingId",
                  FORMAT);
}

/* ---- POST /recordings (§7.1) ---- */

static json_t *start_fail(const char *body)
{
    json_t *b = body ? parse(body) : NULL, *d = NULL;
    gw_rec_start_in_t in;

    ASSERT_INT_EQ(gw_valid_rec_start(b, &in, &d), OV_EINVAL);
    ASSERT_NULL(in.room_id);
    ASSERT_NULL(in.layout);
    ASSERT_NULL(in.encoding);
    json_decref(b);
    return d;
}

static void start_ok(const char *body, gw_rec_start_in_t *in)
{
    json_t *b = parse(body), *d = NULL;

    if (gw_valid_rec_start(b, in, &d) != 0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("start %s failed: %s", body, s);
    }
    ASSERT_NULL(d);
    json_decref(b);
}

static void test_start_ok(void)
{
    gw_rec_start_in_t in;

    start_ok("{\"roomId\":\" my room!-1 \"}", &in);
    ASSERT_STR_EQ(in.room_id, "myroom-1");
    ASSERT_NULL(in.layout);
    ASSERT_NULL(in.encoding);
    gw_rec_start_in_free(&in);
    ASSERT_NULL(in.room_id);

    start_ok("{\"roomId\":\"r\",\"config\":{},\"extra\":1}", &in);
    ASSERT_STR_EQ(in.room_id, "r");
    ASSERT_NULL(in.layout);
    ASSERT_NULL(in.encoding);
    gw_rec_start_in_free(&in);

    start_ok("{\"roomId\":\"r\",\"config\":{\"layout\":\"single-speaker\","
             "\"encoding\":\"PORTRAIT_H264_1080P_60\",\"x\":true}}",
             &in);
    ASSERT_STR_EQ(in.layout, "single-speaker");
    assert_json(in.encoding, "\"PORTRAIT_H264_1080P_60\"");
    gw_rec_start_in_free(&in);

    /* An encoding object is kept as given, unknown keys included. */
    start_ok("{\"roomId\":\"r\",\"config\":{\"layout\":\"speaker\","
             "\"encoding\":{\"video\":{\"width\":1,\"height\":2,"
             "\"framerate\":3,\"codec\":\"VP8\",\"bitrate\":4,"
             "\"keyFrameInterval\":0.5,\"depth\":6,\"k\":[1]},"
             "\"audio\":{\"codec\":\"OPUS\",\"bitrate\":7,\"frequency\":8},"
             "\"z\":null}}}",
             &in);
    ASSERT_STR_EQ(in.layout, "speaker");
    assert_json(in.encoding,
                "{\"video\":{\"width\":1,\"height\":2,\"framerate\":3,"
                "\"codec\":\"VP8\",\"bitrate\":4,\"keyFrameInterval\":0.5,"
                "\"depth\":6,\"k\":[1]},\"audio\":{\"codec\":\"OPUS\","
                "\"bitrate\":7,\"frequency\":8},\"z\":null}");
    gw_rec_start_in_free(&in);
}

static void test_start_fail(void)
{
    expect_issues(start_fail("{}"), 1, "roomId", "Required");
    /* Express hands an absent body over as {}. */
    expect_issues(start_fail(NULL), 1, "roomId", "Required");
    expect_issues(start_fail("[]"), 1, "", "Expected object, received array");
    expect_issues(start_fail("\"r\""), 1, "",
                  "Expected object, received string");
    expect_issues(start_fail("null"), 1, "", "Expected object, received null");
    expect_issues(start_fail("{\"roomId\":12}"), 1, "roomId",
                  "Expected string, received number");
    expect_issues(start_fail("{\"roomId\":null}"), 1, "roomId",
                  "Expected string, received null");
    expect_issues(start_fail("{\"roomId\":\"\"}"), 1, "roomId",
                  "roomId is required and cannot be empty");
    expect_issues(start_fail("{\"roomId\":\"!! !\"}"), 1, "roomId",
                  "roomId cannot be empty after sanitization");
    {
        char body[200];

        strcpy(body, "{\"roomId\":\"");
        memset(body + 11, 'a', 101);
        strcpy(body + 112, "\"}");
        expect_issues(start_fail(body), 1, "roomId",
                      "roomId cannot exceed 100 characters");
    }
    expect_issues(start_fail("{\"roomId\":\"r\",\"config\":null}"), 1, "config",
                  "Expected object, received null");
    expect_issues(start_fail("{\"roomId\":\"r\",\"config\":[]}"), 1, "config",
                  "Expected object, received array");
    expect_issues(start_fail("{\"roomId\":\"r\",\"config\":\"grid\"}"), 1,
                  "config", "Expected object, received string");
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"layout\":\"mosaic\"}}"), 1,
        "config.layout",
        "Invalid enum value. Expected " LAYOUTS ", received 'mosaic'");
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"layout\":\"Grid\"}}"), 1,
        "config.layout",
        "Invalid enum value. Expected " LAYOUTS ", received 'Grid'");
    expect_issues(start_fail("{\"roomId\":\"r\",\"config\":{\"layout\":null}}"),
                  1, "config.layout", "Expected " LAYOUTS ", received null");
    expect_issues(start_fail("{\"roomId\":\"r\",\"config\":{\"layout\":2}}"), 1,
                  "config.layout",
                  "Invalid enum value. Expected " LAYOUTS ", received '2'");
    /* The encoding goes through §4.1 under config.encoding. */
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"encoding\":\"H264\"}}"), 1,
        "config.encoding",
        "Invalid encoding preset. Must be one of: H264_720P_30, "
        "H264_720P_60, H264_1080P_30, H264_1080P_60, PORTRAIT_H264_720P_30, "
        "PORTRAIT_H264_720P_60, PORTRAIT_H264_1080P_30, "
        "PORTRAIT_H264_1080P_60");
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"encoding\":null}}"), 1,
        "config.encoding",
        "Encoding must be either a preset string or an encoding "
        "configuration object");
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"encoding\":{}}}"), 1,
        "config.encoding",
        "Both video and audio configuration must be provided when using "
        "encoding options");
    expect_issues(
        start_fail("{\"roomId\":\"r\",\"config\":{\"encoding\":{\"video\":"
                   "{\"width\":1,\"height\":2,\"framerate\":3,\"codec\":"
                   "\"VP8\",\"bitrate\":4,\"keyFrameInterval\":5},"
                   "\"audio\":{\"codec\":\"OPUS\",\"bitrate\":0,"
                   "\"frequency\":8}}}}"),
        3, "config.encoding.video",
        "When video encoding is provided, required fields are missing: depth",
        "config.encoding.video.depth", "Required",
        "config.encoding.audio.bitrate",
        "Audio bitrate must be a positive number");
    /* Order: roomId, then config.layout, then config.encoding. */
    expect_issues(start_fail("{\"config\":{\"encoding\":7,\"layout\":\"x\"}}"),
                  3, "roomId", "Required", "config.layout",
                  "Invalid enum value. Expected " LAYOUTS ", received 'x'",
                  "config.encoding",
                  "Encoding must be either a preset string or an encoding "
                  "configuration object");
}

/* ---- GET /recordings (§7.3) ---- */

static gw_rec_list_in_t list_ok(const char *raw)
{
    gw_query_t q;
    gw_rec_list_in_t in;
    json_t *d = NULL;

    query(raw, &q);
    if (gw_valid_rec_list(&q, &in, &d) != 0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("list %s failed: %s", raw, s);
    }
    ASSERT_NULL(d);
    gw_query_free(&q);
    return in;
}

static json_t *list_fail(const char *raw)
{
    gw_query_t q;
    gw_rec_list_in_t in;
    json_t *d = NULL;

    query(raw, &q);
    ASSERT_INT_EQ(gw_valid_rec_list(&q, &in, &d), OV_EINVAL);
    ASSERT_NULL(in.room_id);
    ASSERT_NULL(in.room_name);
    ASSERT_NULL(in.fields);
    ASSERT_NULL(in.next_page_token);
    gw_query_free(&q);
    return d;
}

static unsigned list_max(const char *raw)
{
    gw_rec_list_in_t in = list_ok(raw);
    unsigned m = in.max_items;

    gw_rec_list_in_free(&in);
    return m;
}

static void test_list_ok(void)
{
    gw_rec_list_in_t in = list_ok("");

    ASSERT_NULL(in.room_id);
    ASSERT_NULL(in.room_name);
    ASSERT_NULL(in.status);
    ASSERT_NULL(in.fields);
    ASSERT_UINT_EQ(in.nfields, 0);
    ASSERT_UINT_EQ(in.max_items, 10);
    ASSERT_STR_EQ(in.sort_field, "startDate");
    ASSERT_INT_EQ(in.sort_desc, 1);
    ASSERT_NULL(in.next_page_token);
    gw_rec_list_in_free(&in);

    in = list_ok("roomId=%20my%20room!&roomName=Daily+%2A&status=limit_reached"
                 "&fields=recordingId,%20status%20,,&maxItems=7.9"
                 "&nextPageToken=abc%3D&sortField=size&sortOrder=asc&x[y]=1");
    ASSERT_STR_EQ(in.room_id, "myroom");
    ASSERT_STR_EQ(in.room_name, "Daily *");
    ASSERT_STR_EQ(in.status, "limit_reached");
    ASSERT_UINT_EQ(in.nfields, 2);
    ASSERT_STR_EQ(in.fields[0], "recordingId");
    ASSERT_STR_EQ(in.fields[1], "status");
    ASSERT_UINT_EQ(in.max_items, 7);
    ASSERT_STR_EQ(in.next_page_token, "abc=");
    ASSERT_STR_EQ(in.sort_field, "size");
    ASSERT_INT_EQ(in.sort_desc, 0);
    gw_rec_list_in_free(&in);

    /* Every status and sort field. */
    in = list_ok("status=starting&sortField=roomName&sortOrder=desc");
    ASSERT_STR_EQ(in.status, "starting");
    ASSERT_STR_EQ(in.sort_field, "roomName");
    ASSERT_INT_EQ(in.sort_desc, 1);
    gw_rec_list_in_free(&in);
    in = list_ok("status=complete&sortField=duration");
    ASSERT_STR_EQ(in.status, "complete");
    ASSERT_STR_EQ(in.sort_field, "duration");
    gw_rec_list_in_free(&in);

    /* An empty token is none; an empty `fields` projects nothing. */
    in = list_ok("nextPageToken=&fields=&roomName=");
    ASSERT_NULL(in.next_page_token);
    ASSERT_NULL(in.fields);
    ASSERT_UINT_EQ(in.nfields, 0);
    ASSERT_STR_EQ(in.room_name, "");
    gw_rec_list_in_free(&in);

    /* maxItems: coerced, floored, clamped. */
    ASSERT_UINT_EQ(list_max("maxItems=1"), 1);
    ASSERT_UINT_EQ(list_max("maxItems=100"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=101"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=1e9"), 100);
    ASSERT_UINT_EQ(list_max("maxItems=0x10"), 16);
    ASSERT_UINT_EQ(list_max("maxItems=%2012%20"), 12);
    ASSERT_UINT_EQ(list_max("maxItems=0.5"), 0);
    /* One array element: Number(['5']) is 5. */
    ASSERT_UINT_EQ(list_max("maxItems[]=5"), 5);
}

static void test_list_fail(void)
{
    expect_issues(list_fail("roomId="), 1, "roomId",
                  "roomId is required and cannot be empty");
    expect_issues(list_fail("roomId=%21%21"), 1, "roomId",
                  "roomId cannot be empty after sanitization");
    expect_issues(list_fail("roomId=a&roomId=b"), 1, "roomId",
                  "Expected string, received array");
    expect_issues(list_fail("roomId[a]=b"), 1, "roomId",
                  "Expected string, received object");
    expect_issues(list_fail("roomName[]=a"), 1, "roomName",
                  "Expected string, received array");
    expect_issues(list_fail("status=done"), 1, "status",
                  "Invalid enum value. Expected " STATUSES ", received 'done'");
    expect_issues(list_fail("status=ACTIVE"), 1, "status",
                  "Invalid enum value. Expected " STATUSES
                  ", received 'ACTIVE'");
    expect_issues(list_fail("status="), 1, "status",
                  "Invalid enum value. Expected " STATUSES ", received ''");
    expect_issues(list_fail("status=active&status=ending"), 1, "status",
                  "Expected " STATUSES ", received array");
    expect_issues(list_fail("fields[a]=b"), 1, "fields",
                  "Expected string, received object");
    expect_issues(list_fail("maxItems=abc"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems[a]=1"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=1&maxItems=2"), 1, "maxItems",
                  "Expected number, received nan");
    expect_issues(list_fail("maxItems=0"), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems="), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("maxItems=-3"), 1, "maxItems",
                  "maxItems must be a positive number");
    expect_issues(list_fail("nextPageToken[]=a"), 1, "nextPageToken",
                  "Expected string, received array");
    expect_issues(list_fail("sortField=creationDate"), 1, "sortField",
                  "Invalid enum value. Expected " SORT_FIELDS
                  ", received 'creationDate'");
    expect_issues(list_fail("sortField[x]=size"), 1, "sortField",
                  "Expected " SORT_FIELDS ", received object");
    expect_issues(list_fail("sortOrder=ASC"), 1, "sortOrder",
                  "Invalid enum value. Expected 'asc' | 'desc', received "
                  "'ASC'");

    /* Every issue, in the schema's key order whatever the query's. */
    expect_issues(
        list_fail("sortOrder=up&sortField=x&nextPageToken[a]=1&maxItems=no"
                  "&fields[]=a&status=s&roomName[k]=v&roomId=%20"),
        8, "roomId", "roomId cannot be empty after sanitization", "roomName",
        "Expected string, received object", "status",
        "Invalid enum value. Expected " STATUSES ", received 's'", "fields",
        "Expected string, received array", "maxItems",
        "Expected number, received nan", "nextPageToken",
        "Expected string, received object", "sortField",
        "Invalid enum value. Expected " SORT_FIELDS ", received 'x'",
        "sortOrder",
        "Invalid enum value. Expected 'asc' | 'desc', received 'up'");
}

/* ---- recordingIds (§7.4) ---- */

static void ids_ok(const char *raw, size_t max, size_t n, ...)
{
    gw_query_t q;
    char **ids = NULL;
    size_t got = 0, i;
    json_t *d = NULL;
    va_list ap;

    query(raw, &q);
    if (gw_valid_recording_ids(&q, max, &ids, &got, &d) != 0) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("recordingIds %s failed: %s", raw, s);
    }
    ASSERT_NULL(d);
    ASSERT_UINT_EQ(got, n);
    va_start(ap, n);
    for (i = 0; i < n; i++)
        ASSERT_STR_EQ(ids[i], va_arg(ap, const char *));
    va_end(ap);
    for (i = 0; i < got; i++)
        free(ids[i]);
    free(ids);
    gw_query_free(&q);
}

static json_t *ids_fail(const char *raw, size_t max)
{
    gw_query_t q;
    char **ids = (char **)&ids;
    size_t n = 99;
    json_t *d = NULL;

    query(raw, &q);
    ASSERT_INT_EQ(gw_valid_recording_ids(&q, max, &ids, &n, &d), OV_EINVAL);
    ASSERT_NULL(ids);
    ASSERT_UINT_EQ(n, 0);
    gw_query_free(&q);
    return d;
}

static void test_recording_ids(void)
{
    const char *least = "recordingIds must contain at least one item";

    ids_ok("recordingIds=a--EG_1--u", 0, 1, "a--EG_1--u");
    /* Split, trimmed, empty items dropped, sanitised, duplicates kept. */
    ids_ok("recordingIds=%20a--EG_1--u%20,,%20,b%21--EG_2--v,a--EG_1--u,", 0, 3,
           "a--EG_1--u", "b--EG_2--v", "a--EG_1--u");
    ids_ok("recordingIds=my+room--EG_1--u&other=1", 0, 1, "myroom--EG_1--u");
    /* At the limit. */
    ids_ok("recordingIds=a--EG_1--u,b--EG_1--u", 2, 2, "a--EG_1--u",
           "b--EG_1--u");

    expect_issues(ids_fail("", 0), 1, "recordingIds", least);
    expect_issues(ids_fail("recordingIds=", 0), 1, "recordingIds", least);
    expect_issues(ids_fail("recordingIds=%20,%20,", 0), 1, "recordingIds",
                  least);
    /* A repeated or bracketed parameter counts as empty. */
    expect_issues(
        ids_fail("recordingIds=a--EG_1--u&recordingIds=b--EG_1--u", 0), 1,
        "recordingIds", least);
    expect_issues(ids_fail("recordingIds[]=a--EG_1--u", 0), 1, "recordingIds",
                  least);
    expect_issues(ids_fail("recordingIds[0]=a--EG_1--u", 0), 1, "recordingIds",
                  least);
    expect_issues(ids_fail("recordingIds[a]=a--EG_1--u", 0), 1, "recordingIds",
                  least);

    /* Invalid items, indexed among the non-empty ones. */
    expect_issues(
        ids_fail("recordingIds=invalid--recording.id,invalid--EG_111--5678", 0),
        1, "recordingIds.0", FORMAT);
    expect_issues(
        ids_fail("recordingIds=valid--EG_111--5678,invalid--recording.id", 0),
        1, "recordingIds.1", FORMAT);
    expect_issues(ids_fail("recordingIds=,x,%20,a--EG_1--u,,y--EG_--z,z", 0), 3,
                  "recordingIds.0", FORMAT, "recordingIds.2", FORMAT,
                  "recordingIds.3", FORMAT);

    /* Over the limit (only checked once every item is valid). */
    expect_issues(ids_fail("recordingIds=a--EG_1--u,b--EG_1--u,c--EG_1--u", 2),
                  1, "recordingIds",
                  "Too many recordingIds: at most 2 per request");
    expect_issues(ids_fail("recordingIds=a--EG_1--u,b,c--EG_1--u", 2), 1,
                  "recordingIds.1", FORMAT);
}

/* ---- secret, privateAccess ---- */

static void test_secret(void)
{
    gw_query_t q;
    char *secret = (char *)"x";
    json_t *d = NULL;

    query("", &q);
    ASSERT_INT_EQ(gw_valid_rec_secret(&q, &secret, &d), 0);
    ASSERT_NULL(secret);
    ASSERT_NULL(d);
    gw_query_free(&q);

    query("secret=", &q);
    ASSERT_INT_EQ(gw_valid_rec_secret(&q, &secret, &d), 0);
    ASSERT_NULL(secret);
    gw_query_free(&q);

    query("fields=a&secret=ab%2Bc+d", &q);
    ASSERT_INT_EQ(gw_valid_rec_secret(&q, &secret, &d), 0);
    ASSERT_STR_EQ(secret, "ab+c d");
    free(secret);
    gw_query_free(&q);

    query("secret=a&secret=b", &q);
    ASSERT_INT_EQ(gw_valid_rec_secret(&q, &secret, &d), OV_EINVAL);
    ASSERT_NULL(secret);
    expect_issues(d, 1, "query.secret", "Expected string, received array");
    gw_query_free(&q);

    query("secret[k]=a", &q);
    ASSERT_INT_EQ(gw_valid_rec_secret(&q, &secret, &d), OV_EINVAL);
    expect_issues(d, 1, "query.secret", "Expected string, received object");
    gw_query_free(&q);
}

static bool private_ok(const char *raw)
{
    gw_query_t q;
    bool v = true;
    json_t *d = NULL;

    query(raw, &q);
    ASSERT_INT_EQ(gw_valid_private_access(&q, &v, &d), 0);
    ASSERT_NULL(d);
    gw_query_free(&q);
    return v;
}

static json_t *private_fail(const char *raw)
{
    gw_query_t q;
    bool v = true;
    json_t *d = NULL;

    query(raw, &q);
    ASSERT_INT_EQ(gw_valid_private_access(&q, &v, &d), OV_EINVAL);
    ASSERT(!v);
    gw_query_free(&q);
    return d;
}

static void test_private_access(void)
{
    ASSERT(!private_ok(""));
    ASSERT(private_ok("privateAccess=true"));
    ASSERT(private_ok("privateAccess=TRUE"));
    ASSERT(private_ok("privateAccess=tRuE"));
    ASSERT(!private_ok("privateAccess="));
    ASSERT(!private_ok("privateAccess=false"));
    ASSERT(!private_ok("privateAccess=1"));
    ASSERT(!private_ok("privateAccess=yes"));
    ASSERT(!private_ok("privateAccess=true%20"));
    ASSERT(!private_ok("privateAccess=%20true"));
    ASSERT(!private_ok("privateAccess=true%00"));
    ASSERT(!private_ok("privateAccess=truee"));
    expect_issues(private_fail("privateAccess=true&privateAccess=true"), 1,
                  "query.privateAccess", "Expected boolean, received array");
    expect_issues(private_fail("privateAccess[]=true"), 1,
                  "query.privateAccess", "Expected boolean, received array");
    expect_issues(private_fail("privateAccess[a]=b"), 1, "query.privateAccess",
                  "Expected boolean, received object");
}

/* ---- Range (§7.8) ---- */

static void range_ok(const char *h, int64_t start, int64_t end)
{
    bool has = false;
    int64_t s = -7, e = -7;
    json_t *d = NULL;

    if (gw_valid_range(h, &has, &s, &e, &d) != 0)
        TEST__FAIL("range \"%s\" rejected", h);
    ASSERT_NULL(d);
    ASSERT(has);
    ASSERT_INT_EQ(s, start);
    ASSERT_INT_EQ(e, end);
}

static void range_fail(const char *h)
{
    bool has = true;
    int64_t s = -7, e = -7;
    json_t *d = NULL;

    if (gw_valid_range(h, &has, &s, &e, &d) != OV_EINVAL)
        TEST__FAIL("range \"%s\" accepted", h);
    ASSERT(!has);
    expect_issues(d, 1, "headers.range", BAD_RANGE);
}

static void test_range(void)
{
    bool has = true;
    int64_t s = -7, e = -7;
    json_t *d = NULL;

    ASSERT_INT_EQ(gw_valid_range(NULL, &has, &s, &e, &d), 0);
    ASSERT(!has);
    ASSERT_NULL(d);

    range_ok("bytes=0-", 0, -1);
    range_ok("bytes=5-10", 5, 10);
    /* A reversed range is valid syntax (served in full later). */
    range_ok("bytes=10-5", 10, 5);
    range_ok("bytes=0-0", 0, 0);
    range_ok("bytes=007-0010", 7, 10);
    range_ok("bytes=9223372036854775807-9223372036854775807", INT64_MAX,
             INT64_MAX);
    range_ok("bytes=00000000000000000000000001-", 1, -1);

    range_fail("");
    range_fail("bytes=");
    range_fail("bytes=100");
    range_fail("bytes=-5");
    range_fail("bytes=-");
    range_fail("bytes=1-2,3-4");
    range_fail("bytes=1-2,");
    range_fail("Bytes=1-2");
    range_fail("BYTES=1-2");
    range_fail("bytes =1-2");
    range_fail("bytes= 1-2");
    range_fail("bytes=1 -2");
    range_fail("bytes=1-2 ");
    range_fail(" bytes=1-2");
    range_fail("bytes=1-2\n");
    range_fail("bytes=+1-2");
    range_fail("bytes=1--2");
    range_fail("bytes=1-2-");
    range_fail("bytes=1.5-2");
    range_fail("bytes=0x1-2");
    range_fail("items=1-2");
    range_fail("bytes=\xd9\xa1-2"); /* Arabic-Indic one: not \d */
    /* Past INT64_MAX. */
    range_fail("bytes=9223372036854775808-");
    range_fail("bytes=0-9223372036854775808");
    range_fail("bytes=99999999999999999999999999-1");
}

int main(void)
{
    TEST_RUN(test_recording_id_ok);
    TEST_RUN(test_recording_id_long_room);
    TEST_RUN(test_recording_id_fail);
    TEST_RUN(test_recording_id_split);
    TEST_RUN(test_start_ok);
    TEST_RUN(test_start_fail);
    TEST_RUN(test_list_ok);
    TEST_RUN(test_list_fail);
    TEST_RUN(test_recording_ids);
    TEST_RUN(test_secret);
    TEST_RUN(test_private_access);
    TEST_RUN(test_range);
    return 0;
}
