/* Unit tests of gw_room_json (room JSON, projections, cursors, order) and
 * gw_url (base URL of a request). */
#include <stdlib.h>
#include <string.h>

#include "gw_room_json.h"
#include "gw_url.h"
#include "test.h"

static ipc_room_t sample_room(void)
{
    ipc_room_t r;
    memset(&r, 0, sizeof(r));
    r.room_id = OV_STR_LIT("my_room-0123456789abcde");
    r.room_name = OV_STR_LIT("My Room");
    r.creation_date = 1735000000000;
    r.has_auto_deletion_date = true;
    r.auto_deletion_date = 1735009999000;
    r.with_meeting = OV_STR_LIT("when_meeting_ends");
    r.with_recordings = OV_STR_LIT("close");
    r.config_json = OV_STR_LIT("{\"chat\":{\"enabled\":true},\"e2ee\":"
                               "{\"enabled\":false}}");
    r.moderator_secret = OV_STR_LIT("9a0c1e2f3b");
    r.speaker_secret = OV_STR_LIT("71d2b3c4e5");
    r.status = OV_STR_LIT("open");
    r.meeting_end_action = OV_STR_LIT("none");
    return r;
}

static void assert_json(json_t *j, const char *expected)
{
    char *s = json_dumps(j, JSON_COMPACT);
    ASSERT_STR_EQ(s, expected);
    free(s);
}

static void test_room_json(void)
{
    ipc_room_t r = sample_room();
    json_t *j = gw_room_to_json(&r, "http://h:1/meet");
    assert_json(j,
                "{\"roomId\":\"my_room-0123456789abcde\",\"roomName\":\"My "
                "Room\",\"creationDate\":1735000000000,\"autoDeletionDate\":"
                "1735009999000,\"autoDeletionPolicy\":{\"withMeeting\":"
                "\"when_meeting_ends\",\"withRecordings\":\"close\"},"
                "\"config\":{\"chat\":{\"enabled\":true},\"e2ee\":"
                "{\"enabled\":false}},\"moderatorUrl\":\"http://h:1/meet/room/"
                "my_room-0123456789abcde?secret=9a0c1e2f3b\",\"speakerUrl\":"
                "\"http://h:1/meet/room/my_room-0123456789abcde?secret="
                "71d2b3c4e5\",\"status\":\"open\",\"meetingEndAction\":"
                "\"none\"}");
    char *fields[] = {"status", "config.e2ee", "config.nope", "nope",
                      "roomName"};
    json_t *p = gw_json_project(j, fields, 5);
    assert_json(p, "{\"roomName\":\"My Room\",\"config\":{\"e2ee\":"
                   "{\"enabled\":false}},\"status\":\"open\"}");
    json_decref(p);
    p = gw_json_project(j, NULL, 0);
    assert_json(p, "{}");
    json_decref(p);
    json_decref(j);

    r.has_auto_deletion_date = false;
    r.auto_deletion_date = 0;
    j = gw_room_to_json(&r, "");
    ASSERT_NULL(json_object_get(j, "autoDeletionDate"));
    json_decref(j);
    r.has_auto_deletion_date = true;
    r.auto_deletion_date = 1735009999000.5;
    j = gw_room_to_json(&r, "");
    ASSERT(json_is_real(json_object_get(j, "autoDeletionDate")));
    json_decref(j);
}

/* The direct writer produces exactly what the jansson tree dumps to. */
static void test_append_json_matches_tree(void)
{
    ipc_room_t r = sample_room();
    const double dates[] = {1735009999000, 1735009999000.5, 0.1};
    const char *names[] = {"My Room", "quote\" back\\ nl\n tab\t \x01",
                           "H\xc3\xa9llo \xe4\xbc\x9a"};
    for (int i = 0; i < 3; i++) {
        r.room_name = ov_str(names[i]);
        r.auto_deletion_date = dates[i];
        r.has_auto_deletion_date = i != 2;
        json_t *j = gw_room_to_json(&r, "http://h:1/meet");
        char *expect = json_dumps(j, JSON_COMPACT);
        ov_buf_t b = OV_BUF_INIT;
        gw_room_append_json(&b, &r, "http://h:1/meet", 15);
        ASSERT_STR_EQ(b.data, expect);
        json_error_t e;
        json_t *back = json_loads(b.data, 0, &e);
        ASSERT(json_equal(back, j));
        json_decref(back);
        ov_buf_free(&b);
        free(expect);
        json_decref(j);
    }
}

static void test_cursor(void)
{
    ipc_room_t r = sample_room();
    const char *fields[] = {"creationDate", "roomName", "autoDeletionDate"};
    for (int f = 0; f < 3; f++) {
        for (int desc = 0; desc < 2; desc++) {
            char *tok = gw_cursor_encode(&r, fields[f], desc);
            ASSERT(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
                               "uvwxyz0123456789-_") == strlen(tok));
            gw_cursor_t c;
            ASSERT_INT_EQ(gw_cursor_decode(tok, fields[f], desc, &c), 0);
            ASSERT_STR_EQ(c.id, "my_room-0123456789abcde");
            ASSERT(c.has_value);
            if (f == 1)
                ASSERT_STR_EQ(c.str, "My Room");
            else if (f == 0)
                ASSERT(c.num == 1735000000000.0);
            gw_cursor_free(&c);
            /* A token is bound to its sort field and order. */
            ASSERT_INT_EQ(gw_cursor_decode(tok, fields[(f + 1) % 3], desc, &c),
                          -1);
            ASSERT_INT_EQ(gw_cursor_decode(tok, fields[f], !desc, &c), -1);
            free(tok);
        }
    }
    r.has_auto_deletion_date = false;
    char *tok = gw_cursor_encode(&r, "autoDeletionDate", false);
    gw_cursor_t c;
    ASSERT_INT_EQ(gw_cursor_decode(tok, "autoDeletionDate", false, &c), 0);
    ASSERT(!c.has_value);
    gw_cursor_free(&c);
    free(tok);
    const char *bad[] = {"", "!!!", "e30", "eyJ4IjoxfQ", "a", "YWJj",
                         "eyJmIjoiY3JlYXRpb25EYXRlIiwibyI6ImFzYyIsInYiOiJ4Iiw"
                         "iaWQiOiJ5In0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_INT_EQ(gw_cursor_decode(bad[i], "creationDate", false, &c), -1);
}

static void test_order(void)
{
    ipc_room_t a = sample_room(), b = sample_room();
    b.room_id = OV_STR_LIT("my_room-1");
    ASSERT(gw_room_cmp(&a, &b, "creationDate") < 0); /* tie: by id */
    b.creation_date--;
    ASSERT(gw_room_cmp(&a, &b, "creationDate") > 0);
    b.room_name = OV_STR_LIT("a");
    ASSERT(gw_room_cmp(&a, &b, "roomName") < 0); /* 'M' < 'a' (binary) */
    b.has_auto_deletion_date = false;
    ASSERT(gw_room_cmp(&a, &b, "autoDeletionDate") > 0); /* none first */
}

static gw_req_t fake_req(gw_header_t *h, size_t n)
{
    gw_req_t r;
    memset(&r, 0, sizeof(r));
    r.headers = h;
    r.nheaders = n;
    return r;
}

static void base_of(const gw_config_t *cfg, gw_req_t *r, const char *expect)
{
    ov_buf_t b = OV_BUF_INIT;
    gw_url_base(cfg, r, &b);
    ASSERT_STR_EQ(b.data, expect);
    ov_buf_free(&b);
}

static void test_base_url(void)
{
    gw_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.base_url = "";
    cfg.base_path = "/meet/";
    cfg.port = 6080;
    cfg.trust_proxy = 1;
    gw_header_t h1[] = {{OV_STR_LIT("Host"), OV_STR_LIT("example.com:8080")}};
    gw_req_t r = fake_req(h1, 1);
    base_of(&cfg, &r, "http://example.com:8080/meet");
    gw_header_t h2[] = {{OV_STR_LIT("Host"), OV_STR_LIT("example.com:80")}};
    r = fake_req(h2, 1);
    base_of(&cfg, &r, "http://example.com/meet");
    gw_header_t h3[] = {{OV_STR_LIT("Host"), OV_STR_LIT("in:1")},
                        {OV_STR_LIT("X-Forwarded-Proto"), OV_STR_LIT("https, http")},
                        {OV_STR_LIT("X-Forwarded-Host"), OV_STR_LIT("pub.example:443")}};
    r = fake_req(h3, 3);
    base_of(&cfg, &r, "https://pub.example/meet");
    cfg.trust_proxy = 0;
    base_of(&cfg, &r, "http://in:1/meet");
    gw_header_t h4[] = {{OV_STR_LIT("Host"), OV_STR_LIT("evil.com/x?y")}};
    r = fake_req(h4, 1);
    base_of(&cfg, &r, "http://localhost:6080/meet");
    r = fake_req(NULL, 0);
    cfg.base_path = "/";
    base_of(&cfg, &r, "http://localhost:6080");
    cfg.base_url = "https://meet.example.com";
    cfg.base_path = "/app/";
    base_of(&cfg, &r, "https://meet.example.com/app");
}

int main(void)
{
    TEST_RUN(test_room_json);
    TEST_RUN(test_append_json_matches_tree);
    TEST_RUN(test_cursor);
    TEST_RUN(test_order);
    TEST_RUN(test_base_url);
    return 0;
}
