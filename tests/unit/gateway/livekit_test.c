/*
 * livekit_test: gw_livekit's webhook verification (every reason for
 * refusal, the clock tolerance, the Bearer prefix) and its WebhookEvent
 * decoder on the LIVEKIT.md §1.8 examples, participant events, int64 and
 * enum spellings, and bodies of the wrong shape.
 */
#include "gw_livekit.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "gw_jwt.h"
#include "test.h"

#define KEY "devkey"
#define SECRET "secret"
#define NOW 1736500017LL

static const char body_room_started[] =
    "{\"event\":\"room_started\",\n"
    " \"room\":{\"sid\":\"RM_hq2Yv8KcPz3d\",\"name\":\"team_sync-"
    "3f9a1c07b2d84e6\","
    "\"emptyTimeout\":20,\"departureTimeout\":20,\n"
    "  \"creationTime\":\"1736500000\",\"creationTimeMs\":\"1736500000412\",\n"
    "  "
    "\"metadata\":\"{\\\"createdBy\\\":\\\"openviduMeet\\\","
    "\\\"roomOptions\\\":"
    "{\\\"roomName\\\":\\\"Team sync\\\",\\\"config\\\":{}}}\"},\n"
    " \"id\":\"EV_n4T7kqB2xW9s\",\"createdAt\":\"1736500000\"}";

static const char body_egress_ended[] =
    "{\"event\":\"egress_ended\",\n"
    " \"room\":{\"sid\":\"RM_hq2Yv8KcPz3d\",\"name\":\"team_sync-"
    "3f9a1c07b2d84e6\"},\n"
    " \"egressInfo\":{\"egressId\":\"EG_Kp4sW9nQz2Lx\",\"roomId\":\"RM_"
    "hq2Yv8KcPz3d\","
    "\"roomName\":\"team_sync-3f9a1c07b2d84e6\",\n"
    "  \"status\":\"EGRESS_COMPLETE\",\"startedAt\":\"1736500012345678901\","
    "\"endedAt\":\"1736500073845678901\",\n"
    "  \"updatedAt\":\"1736500074001000000\",\"details\":\"End reason: "
    "StopEgress API\",\n"
    "  "
    "\"roomComposite\":{\"roomName\":\"team_sync-3f9a1c07b2d84e6\",\"layout\":"
    "\"grid\","
    "\"preset\":\"H264_720P_30\",\n"
    "   "
    "\"fileOutputs\":[{\"filepath\":\"openvidu-meet/recordings/"
    "team_sync-3f9a1c07b2d84e6/"
    "team_sync-3f9a1c07b2d84e6--7c1e9a04bd\",\"disableManifest\":true}]},\n"
    "  "
    "\"fileResults\":[{\"filename\":\"openvidu-meet/recordings/"
    "team_sync-3f9a1c07b2d84e6/"
    "team_sync-3f9a1c07b2d84e6--7c1e9a04bd.mp4\",\n"
    "   "
    "\"startedAt\":\"1736500012345678901\",\"endedAt\":\"1736500073845678901\","
    "\"duration\":\"61500000000\",\"size\":\"7340032\",\n"
    "   "
    "\"location\":\"https://s3.example/openvidu-appdata/openvidu-meet/"
    "recordings/x.mp4\"}]},\n"
    " \"id\":\"EV_c8Qm1Zr5Hy0j\",\"createdAt\":\"1736500074\"}";

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

    if (!v)
        TEST__FAIL("bad test JSON %s: %s", text, err.text);
    return v;
}

/* The standard base64 of SHA-256(body), as LiveKit puts it in "sha256". */
static char *body_sum(const char *body)
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)body, strlen(body), md);
    return gw_b64_encode(md, sizeof(md));
}

/* Signs arbitrary claims (given as JSON text) with `secret`. */
static char *sign_claims(const char *claims_json, const char *secret)
{
    json_t *c = parse(claims_json);
    char *tok = gw_jwt_sign_hs256(c, secret);

    json_decref(c);
    ASSERT_NOT_NULL(tok);
    return tok;
}

/* Signs the usual LiveKit claims with chosen iss/nbf/exp for `body`. */
static char *sign_custom(const char *body, const char *iss, long long nbf,
                         long long exp)
{
    char *sum = body_sum(body);
    char claims[512];

    snprintf(claims, sizeof(claims),
             "{\"iss\":\"%s\",\"nbf\":%lld,\"exp\":%lld,\"sha256\":\"%s\"}",
             iss, nbf, exp, sum);
    free(sum);
    return sign_claims(claims, SECRET);
}

static void expect_verify(const char *auth, const char *body, int64_t now,
                          const char *reason)
{
    char why[128] = "";
    int r = gw_lk_verify(auth, body, body ? strlen(body) : 0, KEY, SECRET, now,
                         why, sizeof(why));

    if (!reason) {
        if (r != 0)
            TEST__FAIL("refused: %s", why);
        return;
    }
    if (r != -1)
        TEST__FAIL("accepted, expected \"%s\"", reason);
    ASSERT_STR_EQ(why, reason);
}

static void test_verify_ok(void)
{
    const char *body = body_room_started;
    char *tok = gw_lk_sign_webhook(body, strlen(body), KEY, SECRET, NOW);
    json_t *claims = NULL;
    char why[64];
    char *sum = body_sum(body);

    ASSERT_NOT_NULL(tok);
    expect_verify(tok, body, NOW, NULL);
    /* The claims are LiveKit's: iss, nbf, exp = nbf + 300, sha256. */
    ASSERT_INT_EQ(gw_jwt_verify_hs256(tok, SECRET, &claims, why, sizeof(why)),
                  0);
    ASSERT_STR_EQ(json_string_value(json_object_get(claims, "iss")), KEY);
    ASSERT_INT_EQ(json_integer_value(json_object_get(claims, "nbf")), NOW);
    ASSERT_INT_EQ(json_integer_value(json_object_get(claims, "exp")),
                  NOW + 300);
    ASSERT_STR_EQ(json_string_value(json_object_get(claims, "sha256")), sum);
    ASSERT_INT_EQ(json_object_size(claims), 4);
    json_decref(claims);
    free(sum);
    free(tok);

    /* An empty body has a hash too. */
    tok = gw_lk_sign_webhook("", 0, KEY, SECRET, NOW);
    expect_verify(tok, "", NOW, NULL);
    ASSERT_INT_EQ(
        gw_lk_verify(tok, NULL, 0, KEY, SECRET, NOW, why, sizeof(why)), 0);
    free(tok);
}

static void test_verify_missing(void)
{
    const char *body = "{}";

    expect_verify(NULL, body, NOW, "authorization header is empty");
    expect_verify("", body, NOW, "authorization header is empty");
    expect_verify("Bearer ", body, NOW, "authorization header is empty");
    expect_verify("Bearer    ", body, NOW, "authorization header is empty");
    expect_verify("garbage", body, NOW, "malformed token");
    expect_verify("a.b.c", body, NOW, "malformed token");
}

static void test_verify_bearer(void)
{
    const char *body = body_room_started;
    char *tok = gw_lk_sign_webhook(body, strlen(body), KEY, SECRET, NOW);
    char buf[1024];

    snprintf(buf, sizeof(buf), "Bearer %s", tok);
    expect_verify(buf, body, NOW, NULL);
    snprintf(buf, sizeof(buf), "bearer %s", tok);
    expect_verify(buf, body, NOW, NULL);
    /* Only the "Bearer " scheme; other schemes are not stripped. */
    snprintf(buf, sizeof(buf), "Basic %s", tok);
    expect_verify(buf, body, NOW, "malformed token");
    snprintf(buf, sizeof(buf), "Bearer%s", tok);
    expect_verify(buf, body, NOW, "malformed token");
    free(tok);
}

static void test_verify_signature(void)
{
    const char *body = body_room_started;
    char *tok =
        gw_lk_sign_webhook(body, strlen(body), KEY, "other-secret", NOW);
    char why[64] = "";

    expect_verify(tok, body, NOW, "bad signature");
    free(tok);
    /* The right token under the wrong configured secret. */
    tok = gw_lk_sign_webhook(body, strlen(body), KEY, SECRET, NOW);
    ASSERT_INT_EQ(gw_lk_verify(tok, body, strlen(body), KEY, "secreT", NOW, why,
                               sizeof(why)),
                  -1);
    ASSERT_STR_EQ(why, "bad signature");
    free(tok);
}

static void test_verify_issuer(void)
{
    const char *body = "{\"event\":\"room_started\"}";
    char *tok = sign_custom(body, "otherkey", NOW, NOW + 300);
    char why[64] = "";

    expect_verify(tok, body, NOW, "wrong issuer");
    free(tok);
    /* Exact match only: no prefix, no case folding. */
    tok = sign_custom(body, "devkey2", NOW, NOW + 300);
    expect_verify(tok, body, NOW, "wrong issuer");
    free(tok);
    tok = sign_custom(body, "DevKey", NOW, NOW + 300);
    expect_verify(tok, body, NOW, "wrong issuer");
    free(tok);
    tok = sign_custom(body, "", NOW, NOW + 300);
    expect_verify(tok, body, NOW, "wrong issuer");
    free(tok);
    /* Missing and non-string iss. */
    {
        char *sum = body_sum(body);
        char claims[256];

        snprintf(claims, sizeof(claims), "{\"sha256\":\"%s\"}", sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "wrong issuer");
        free(tok);
        snprintf(claims, sizeof(claims),
                 "{\"iss\":[\"devkey\"],\"sha256\":\"%s\"}", sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "wrong issuer");
        free(tok);
        free(sum);
    }
    /* The configured key decides. */
    tok = sign_custom(body, "devkey", NOW, NOW + 300);
    ASSERT_INT_EQ(gw_lk_verify(tok, body, strlen(body), "devke", SECRET, NOW,
                               why, sizeof(why)),
                  -1);
    ASSERT_STR_EQ(why, "wrong issuer");
    free(tok);
}

static void test_verify_times(void)
{
    const char *body = "{\"event\":\"room_finished\"}";
    char *tok;

    /* Expired beyond the 10 s tolerance: exp <= now - 10. */
    tok = sign_custom(body, KEY, NOW - 400, NOW - 100);
    expect_verify(tok, body, NOW, "token expired");
    free(tok);
    tok = sign_custom(body, KEY, NOW - 400, NOW - 10);
    expect_verify(tok, body, NOW, "token expired");
    free(tok);
    /* Expired within the tolerance is accepted. */
    tok = sign_custom(body, KEY, NOW - 400, NOW - 9);
    expect_verify(tok, body, NOW, NULL);
    free(tok);
    tok = sign_custom(body, KEY, NOW - 400, NOW);
    expect_verify(tok, body, NOW, NULL);
    free(tok);
    /* A token from gw_lk_sign_webhook lives 300 s (+10). */
    tok = gw_lk_sign_webhook(body, strlen(body), KEY, SECRET, NOW);
    expect_verify(tok, body, NOW + 309, NULL);
    expect_verify(tok, body, NOW + 310, "token expired");
    /* nbf in the future beyond the tolerance, and within it. */
    expect_verify(tok, body, NOW - 10, NULL);
    expect_verify(tok, body, NOW - 11, "token not yet valid");
    free(tok);
    tok = sign_custom(body, KEY, NOW + 3600, NOW + 3900);
    expect_verify(tok, body, NOW, "token not yet valid");
    free(tok);

    /* exp and nbf are optional (jose does not require them). */
    {
        char *sum = body_sum(body);
        char claims[256];

        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"sha256\":\"%s\"}", sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, NULL);
        free(tok);
        /* Not numbers. */
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"exp\":\"%lld\",\"sha256\":\"%s\"}",
                 NOW + 100, sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "bad exp claim");
        free(tok);
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"nbf\":null,\"sha256\":\"%s\"}", sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "bad nbf claim");
        free(tok);
        /* Real numbers are compared as numbers. */
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"exp\":%lld.5,\"sha256\":\"%s\"}",
                 NOW - 10, sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, NULL);
        free(tok);
        /* Huge values do not overflow into the past. */
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"nbf\":9223372036854775807,"
                 "\"sha256\":\"%s\"}",
                 sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "token not yet valid");
        free(tok);
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"exp\":-9223372036854775807,"
                 "\"sha256\":\"%s\"}",
                 sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "token expired");
        free(tok);
        free(sum);
    }
}

static void test_verify_body(void)
{
    const char *body = body_egress_ended;
    char *tok = gw_lk_sign_webhook(body, strlen(body), KEY, SECRET, NOW);
    char *copy = strdup(body);
    size_t i, n = strlen(body);

    ASSERT_NOT_NULL(copy);
    expect_verify(tok, body, NOW, NULL);
    /* A different body. */
    expect_verify(tok, body_room_started, NOW, "body hash mismatch");
    /* One byte changed anywhere, including whitespace only. */
    for (i = 0; i < n; i += 7) {
        char was = copy[i];

        copy[i] = was == ' ' ? '\t' : ' ';
        expect_verify(tok, copy, NOW, "body hash mismatch");
        copy[i] = was;
    }
    expect_verify(tok, copy, NOW, NULL);
    /* One byte more or less. */
    {
        char why[64];

        ASSERT_INT_EQ(
            gw_lk_verify(tok, body, n - 1, KEY, SECRET, NOW, why, sizeof(why)),
            -1);
        ASSERT_STR_EQ(why, "body hash mismatch");
    }
    free(copy);
    free(tok);

    /* sha256 claim absent, not a string, or in another encoding. */
    {
        char claims[256];
        char *sum = body_sum(body);

        tok = sign_claims("{\"iss\":\"devkey\"}", SECRET);
        expect_verify(tok, body, NOW, "bad sha256 claim");
        free(tok);
        tok = sign_claims("{\"iss\":\"devkey\",\"sha256\":42}", SECRET);
        expect_verify(tok, body, NOW, "bad sha256 claim");
        free(tok);
        tok = sign_claims("{\"iss\":\"devkey\",\"sha256\":null}", SECRET);
        expect_verify(tok, body, NOW, "bad sha256 claim");
        free(tok);
        /* Without its padding (a base64url-ish spelling) it mismatches. */
        sum[strlen(sum) - 1] = '\0';
        snprintf(claims, sizeof(claims),
                 "{\"iss\":\"devkey\",\"sha256\":\"%s\"}", sum);
        tok = sign_claims(claims, SECRET);
        expect_verify(tok, body, NOW, "body hash mismatch");
        free(tok);
        tok = sign_claims("{\"iss\":\"devkey\",\"sha256\":\"\"}", SECRET);
        expect_verify(tok, body, NOW, "body hash mismatch");
        free(tok);
        free(sum);
    }
}

static void test_sign_webhook_args(void)
{
    ASSERT_NULL(gw_lk_sign_webhook("{}", 2, NULL, SECRET, NOW));
    ASSERT_NULL(gw_lk_sign_webhook("{}", 2, KEY, "", NOW));
}

static int parse_text(const char *text, gw_lk_event_t *ev)
{
    return gw_lk_event_parse(text, strlen(text), ev);
}

static void test_parse_room_started(void)
{
    gw_lk_event_t ev;

    ASSERT_INT_EQ(parse_text(body_room_started, &ev), 0);
    ASSERT_INT_EQ(ev.kind, GW_LK_ROOM_STARTED);
    ASSERT_STR_EQ(ev.event, "room_started");
    ASSERT_STR_EQ(ev.id, "EV_n4T7kqB2xW9s");
    ASSERT_INT_EQ(ev.created_at, 1736500000);
    ASSERT_STR_EQ(ev.room_name, "team_sync-3f9a1c07b2d84e6");
    ASSERT_STR_EQ(ev.participant, "");
    ASSERT_INT_EQ(ev.participant_standard, 1);
    ASSERT_NULL(ev.egress_info);
    gw_lk_event_free(&ev);
    ASSERT_NULL(ev.event);
    /* Freeing twice is harmless. */
    gw_lk_event_free(&ev);
    gw_lk_event_free(NULL);
}

static void test_parse_egress_ended(void)
{
    gw_lk_event_t ev;
    json_t *fr;

    ASSERT_INT_EQ(parse_text(body_egress_ended, &ev), 0);
    ASSERT_INT_EQ(ev.kind, GW_LK_EGRESS_ENDED);
    ASSERT_STR_EQ(ev.id, "EV_c8Qm1Zr5Hy0j");
    ASSERT_INT_EQ(ev.created_at, 1736500074);
    ASSERT_STR_EQ(ev.room_name, "team_sync-3f9a1c07b2d84e6");
    ASSERT_NOT_NULL(ev.egress_info);
    ASSERT(json_is_object(ev.egress_info));
    ASSERT_STR_EQ(
        json_string_value(json_object_get(ev.egress_info, "egressId")),
        "EG_Kp4sW9nQz2Lx");
    ASSERT_STR_EQ(json_string_value(json_object_get(ev.egress_info, "status")),
                  "EGRESS_COMPLETE");
    fr = json_object_get(ev.egress_info, "fileResults");
    ASSERT_INT_EQ(json_array_size(fr), 1);
    ASSERT_STR_EQ(
        json_string_value(json_object_get(json_array_get(fr, 0), "size")),
        "7340032");
    /* The event holds its own reference: the object outlives the parse. */
    ASSERT_INT_EQ(ev.egress_info->refcount, 1);
    gw_lk_event_free(&ev);

    /* Without a room, the egress names it. */
    ASSERT_INT_EQ(parse_text("{\"event\":\"egress_started\",\"egressInfo\":"
                             "{\"egressId\":\"EG_1\",\"roomName\":\"r1\"}}",
                             &ev),
                  0);
    ASSERT_INT_EQ(ev.kind, GW_LK_EGRESS_STARTED);
    ASSERT_STR_EQ(ev.room_name, "r1");
    ASSERT_STR_EQ(ev.id, "");
    ASSERT_INT_EQ(ev.created_at, 0);
    gw_lk_event_free(&ev);
    /* A room without a name counts as no name. */
    ASSERT_INT_EQ(parse_text("{\"event\":\"egress_updated\",\"room\":{\"sid\":"
                             "\"RM_x\"},\"egressInfo\":{\"roomName\":\"r2\"}}",
                             &ev),
                  0);
    ASSERT_INT_EQ(ev.kind, GW_LK_EGRESS_UPDATED);
    ASSERT_STR_EQ(ev.room_name, "r2");
    gw_lk_event_free(&ev);
    /* The room's name wins over the egress's. */
    ASSERT_INT_EQ(parse_text("{\"event\":\"egress_updated\",\"room\":{\"name\":"
                             "\"a\"},\"egressInfo\":{\"roomName\":\"b\"}}",
                             &ev),
                  0);
    ASSERT_STR_EQ(ev.room_name, "a");
    gw_lk_event_free(&ev);
}

static void test_parse_participants(void)
{
    gw_lk_event_t ev;

    ASSERT_INT_EQ(
        parse_text(
            "{\"event\":\"participant_joined\",\"room\":{\"sid\":\"RM_1\","
            "\"name\":\"room-1\",\"numParticipants\":1},\"participant\":"
            "{\"sid\":\"PA_1\",\"identity\":\"alice\",\"state\":\"ACTIVE\","
            "\"joinedAt\":\"1736500010\",\"name\":\"Alice\",\"permission\":"
            "{\"canPublish\":true}},\"id\":\"EV_1\",\"createdAt\":"
            "\"1736500010\"}",
            &ev),
        0);
    ASSERT_INT_EQ(ev.kind, GW_LK_PARTICIPANT_JOINED);
    ASSERT_STR_EQ(ev.room_name, "room-1");
    ASSERT_STR_EQ(ev.participant, "alice");
    ASSERT_INT_EQ(ev.participant_standard, 1);
    gw_lk_event_free(&ev);

    ASSERT_INT_EQ(
        parse_text(
            "{\"event\":\"participant_left\",\"room\":{\"name\":\"room-1\"},"
            "\"participant\":{\"identity\":\"bob\",\"state\":"
            "\"DISCONNECTED\",\"disconnectReason\":\"CLIENT_INITIATED\","
            "\"kind\":\"STANDARD\"}}",
            &ev),
        0);
    ASSERT_INT_EQ(ev.kind, GW_LK_PARTICIPANT_LEFT);
    ASSERT_STR_EQ(ev.participant, "bob");
    ASSERT_INT_EQ(ev.participant_standard, 1);
    gw_lk_event_free(&ev);

    /* Kinds by name and by number. */
    {
        static const struct {
            const char *kind;
            int standard;
        } cases[] = {
            {"\"EGRESS\"", 0}, {"\"INGRESS\"", 0}, {"\"SIP\"", 0},
            {"\"AGENT\"", 0},  {"\"FUTURE\"", 0},  {"\"standard\"", 0},
            {"0", 1},          {"2", 0},           {"null", 1},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            char body[256];

            snprintf(
                body, sizeof(body),
                "{\"event\":\"participant_joined\",\"room\":{\"name\":"
                "\"r\"},\"participant\":{\"identity\":\"EG_x\",\"kind\":%s}}",
                cases[i].kind);
            ASSERT_INT_EQ(parse_text(body, &ev), 0);
            if (ev.participant_standard != cases[i].standard)
                TEST__FAIL("kind %s: standard %d", cases[i].kind,
                           ev.participant_standard);
            gw_lk_event_free(&ev);
        }
    }
}

static void test_parse_created_at(void)
{
    static const struct {
        const char *text;
        int ok;
        long long want;
    } cases[] = {
        {"\"1736500000\"", 1, 1736500000LL},
        {"1736500000", 1, 1736500000LL},
        {"\"0\"", 1, 0},
        {"0", 1, 0},
        {"\"-5\"", 1, -5},
        {"\"9223372036854775807\"", 1, 9223372036854775807LL},
        {"null", 1, 0},
        {"\"\"", 0, 0},
        {"\"-\"", 0, 0},
        {"\"+5\"", 0, 0},
        {"\" 5\"", 0, 0},
        {"\"5 \"", 0, 0},
        {"\"12a\"", 0, 0},
        {"\"0x10\"", 0, 0},
        {"\"1e9\"", 0, 0},
        {"\"1.5\"", 0, 0},
        {"\"9223372036854775808\"", 0, 0},
        {"\"99999999999999999999999\"", 0, 0},
        {"1.5", 0, 0},
        {"true", 0, 0},
        {"[1]", 0, 0},
        {"{}", 0, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        gw_lk_event_t ev;
        int r;

        snprintf(body, sizeof(body),
                 "{\"event\":\"room_started\",\"createdAt\":%s}",
                 cases[i].text);
        r = parse_text(body, &ev);
        if (cases[i].ok) {
            if (r != 0)
                TEST__FAIL("createdAt %s refused", cases[i].text);
            ASSERT_INT_EQ(ev.created_at, cases[i].want);
            gw_lk_event_free(&ev);
        } else {
            if (r != -1)
                TEST__FAIL("createdAt %s accepted", cases[i].text);
            ASSERT_NULL(ev.event);
        }
    }
}

static void test_parse_kinds_and_unknown(void)
{
    static const struct {
        const char *name;
        gw_lk_kind_t kind;
    } cases[] = {
        {"room_started", GW_LK_ROOM_STARTED},
        {"room_finished", GW_LK_ROOM_FINISHED},
        {"participant_joined", GW_LK_PARTICIPANT_JOINED},
        {"participant_left", GW_LK_PARTICIPANT_LEFT},
        {"egress_started", GW_LK_EGRESS_STARTED},
        {"egress_updated", GW_LK_EGRESS_UPDATED},
        {"egress_ended", GW_LK_EGRESS_ENDED},
        {"participant_connection_aborted", GW_LK_OTHER},
        {"track_published", GW_LK_OTHER},
        {"ingress_started", GW_LK_OTHER},
        {"ROOM_STARTED", GW_LK_OTHER},
        {"room_started ", GW_LK_OTHER},
        {"", GW_LK_OTHER},
    };
    size_t i;
    gw_lk_event_t ev;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];

        snprintf(body, sizeof(body), "{\"event\":\"%s\"}", cases[i].name);
        ASSERT_INT_EQ(parse_text(body, &ev), 0);
        ASSERT_INT_EQ(ev.kind, cases[i].kind);
        ASSERT_STR_EQ(ev.event, cases[i].name);
        gw_lk_event_free(&ev);
    }
    /* No event at all, and an empty object. */
    ASSERT_INT_EQ(parse_text("{}", &ev), 0);
    ASSERT_INT_EQ(ev.kind, GW_LK_OTHER);
    ASSERT_STR_EQ(ev.event, "");
    ASSERT_STR_EQ(ev.room_name, "");
    gw_lk_event_free(&ev);

    /* Unknown keys of any type are ignored, at every level. */
    ASSERT_INT_EQ(
        parse_text(
            "{\"event\":\"room_finished\",\"numDropped\":3,\"future\":"
            "[1,{\"a\":null}],\"track\":{\"sid\":\"TR_1\"},\"room\":"
            "{\"name\":\"r\",\"enabledCodecs\":[{\"mime\":\"video/VP8\"}],"
            "\"whatever\":true},\"ingressInfo\":5,\"participant\":"
            "{\"identity\":\"p\",\"tracks\":[],\"attributes\":{}}}",
            &ev),
        0);
    ASSERT_INT_EQ(ev.kind, GW_LK_ROOM_FINISHED);
    ASSERT_STR_EQ(ev.room_name, "r");
    ASSERT_STR_EQ(ev.participant, "p");
    gw_lk_event_free(&ev);

    /* null is "not set" in proto3 JSON. */
    ASSERT_INT_EQ(parse_text("{\"event\":\"room_started\",\"room\":null,"
                             "\"id\":null,\"egressInfo\":null,"
                             "\"participant\":{\"identity\":null}}",
                             &ev),
                  0);
    ASSERT_STR_EQ(ev.room_name, "");
    ASSERT_STR_EQ(ev.id, "");
    ASSERT_NULL(ev.egress_info);
    gw_lk_event_free(&ev);
}

static void test_parse_bad(void)
{
    static const char *bad[] = {
        "",
        " ",
        "[]",
        "[{\"event\":\"room_started\"}]",
        "\"room_started\"",
        "42",
        "null",
        "{",
        "{\"event\":\"room_started\"",
        "{\"event\":\"room_started\"} x",
        "{\"event\":\"room_started\"}{}",
        "{\"event\":3}",
        "{\"event\":[\"room_started\"]}",
        "{\"event\":true}",
        "{\"event\":\"room_started\",\"room\":5}",
        "{\"event\":\"room_started\",\"room\":\"r\"}",
        "{\"event\":\"room_started\",\"room\":[]}",
        "{\"event\":\"room_started\",\"room\":{\"name\":5}}",
        "{\"event\":\"room_started\",\"room\":{\"name\":{}}}",
        "{\"event\":\"room_started\",\"id\":7}",
        "{\"event\":\"participant_joined\",\"participant\":\"alice\"}",
        "{\"event\":\"participant_joined\",\"participant\":{\"identity\":1}}",
        "{\"event\":\"participant_joined\",\"participant\":{\"kind\":true}}",
        "{\"event\":\"participant_joined\",\"participant\":{\"kind\":1.5}}",
        "{\"event\":\"participant_joined\",\"participant\":{\"kind\":{}}}",
        "{\"event\":\"egress_ended\",\"egressInfo\":[]}",
        "{\"event\":\"egress_ended\",\"egressInfo\":\"x\"}",
        "{\"event\":\"egress_ended\",\"egressInfo\":{\"roomName\":1}}",
        /* Duplicate keys are ambiguous. */
        "{\"event\":\"room_started\",\"event\":\"room_finished\"}",
        "{\"room\":{\"name\":\"a\",\"name\":\"b\"}}",
        /* NUL inside a string. */
        "{\"event\":\"room_\\u0000started\"}",
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_lk_event_t ev;

        if (parse_text(bad[i], &ev) != -1)
            TEST__FAIL("accepted: %s", bad[i]);
        ASSERT_NULL(ev.event);
        ASSERT_NULL(ev.egress_info);
        gw_lk_event_free(&ev);
    }
    /* A body that is not NUL-terminated is read up to `len` only. */
    {
        const char text[] = "{\"event\":\"room_started\"}garbage";
        gw_lk_event_t ev;

        ASSERT_INT_EQ(gw_lk_event_parse(text, 24, &ev), 0);
        ASSERT_INT_EQ(ev.kind, GW_LK_ROOM_STARTED);
        gw_lk_event_free(&ev);
        ASSERT_INT_EQ(gw_lk_event_parse(NULL, 0, &ev), -1);
    }
}

int main(void)
{
    TEST_RUN(test_verify_ok);
    TEST_RUN(test_verify_missing);
    TEST_RUN(test_verify_bearer);
    TEST_RUN(test_verify_signature);
    TEST_RUN(test_verify_issuer);
    TEST_RUN(test_verify_times);
    TEST_RUN(test_verify_body);
    TEST_RUN(test_sign_webhook_args);
    TEST_RUN(test_parse_room_started);
    TEST_RUN(test_parse_egress_ended);
    TEST_RUN(test_parse_participants);
    TEST_RUN(test_parse_created_at);
    TEST_RUN(test_parse_kinds_and_unknown);
    TEST_RUN(test_parse_bad);
    return 0;
}
