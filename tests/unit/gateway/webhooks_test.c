/* Unit tests of gw_webhooks' pure helpers: the delivery body, the
 * signature and the URL checks of the configuration endpoints. */
#include <stdlib.h>
#include <string.h>

#include "gw_webhooks.h"
#include "test.h"

static void test_body_room(void)
{
    ipc_outbox_t e;
    memset(&e, 0, sizeof(e));
    e.seq = 7;
    e.room_id = OV_STR_LIT("r-0123456789abcde");
    e.event = OV_STR_LIT("meetingStarted");
    e.creation_date = 1735000000123;
    e.room.room_id = e.room_id;
    e.room.room_name = OV_STR_LIT("R");
    e.room.creation_date = 1735000000000;
    e.room.with_meeting = OV_STR_LIT("when_meeting_ends");
    e.room.with_recordings = OV_STR_LIT("close");
    e.room.config_json = OV_STR_LIT("{\"chat\":{\"enabled\":true}}");
    e.room.moderator_secret = OV_STR_LIT("aaaaaaaaaa");
    e.room.speaker_secret = OV_STR_LIT("bbbbbbbbbb");
    e.room.status = OV_STR_LIT("active_meeting");
    e.room.meeting_end_action = OV_STR_LIT("none");
    ov_buf_t b = OV_BUF_INIT;
    const char *base = "http://h:1/meet";
    gw_webhooks_body(&b, &e, base, strlen(base));
    ov_buf_append(&b, "", 1);
    ASSERT_STR_EQ(
        b.data,
        "{\"event\":\"meetingStarted\",\"creationDate\":1735000000123,\"data\":"
        "{\"roomId\":\"r-0123456789abcde\",\"roomName\":\"R\",\"creationDate\":"
        "1735000000000,\"autoDeletionPolicy\":{\"withMeeting\":"
        "\"when_meeting_ends\",\"withRecordings\":\"close\"},\"config\":"
        "{\"chat\":{\"enabled\":true}},\"moderatorUrl\":\"http://h:1/meet/"
        "room/r-0123456789abcde?secret=aaaaaaaaaa\",\"speakerUrl\":"
        "\"http://h:1/meet/room/r-0123456789abcde?secret=bbbbbbbbbb\","
        "\"status\":\"active_meeting\",\"meetingEndAction\":\"none\"}}");
    ov_buf_free(&b);
}

static void test_body_recording(void)
{
    ipc_outbox_t e;
    memset(&e, 0, sizeof(e));
    e.event = OV_STR_LIT("recordingEnded");
    e.creation_date = 5;
    e.has_rec = true;
    e.rec.recording_id = OV_STR_LIT("r--EG_x--u");
    e.rec.room_id = OV_STR_LIT("r");
    e.rec.room_name = OV_STR_LIT("R");
    e.rec.layout = OV_STR_LIT("grid");
    e.rec.encoding_json = OV_STR_LIT("\"H264_720P_30\"");
    e.rec.status = OV_STR_LIT("complete");
    e.rec.filename = OV_STR_LIT("r--u.mp4");
    e.rec.start_date = 1000;
    e.rec.end_date = 2500.5;
    e.rec.duration = 1.5;
    e.rec.size = 42;
    ov_buf_t b = OV_BUF_INIT;
    gw_webhooks_body(&b, &e, "", 0);
    ov_buf_append(&b, "", 1);
    ASSERT_STR_EQ(b.data,
                  "{\"event\":\"recordingEnded\",\"creationDate\":5,\"data\":"
                  "{\"recordingId\":\"r--EG_x--u\",\"roomId\":\"r\","
                  "\"roomName\":\"R\",\"layout\":\"grid\",\"encoding\":"
                  "\"H264_720P_30\",\"status\":\"complete\",\"filename\":"
                  "\"r--u.mp4\",\"startDate\":1000,\"endDate\":2500.5,"
                  "\"duration\":1.5,\"size\":42}}");
    ov_buf_free(&b);
}

static void test_sign(void)
{
    /* Python: hmac.new(b"k3y", b'1735000000000.{"a":1}',
     * hashlib.sha256).hexdigest() */
    char sig[65];
    gw_webhooks_sign("k3y", 1735000000000, "{\"a\":1}", 7, sig);
    ASSERT_STR_EQ(sig, "7a987c5ba4bd543027fc690ae2cef152f498e9316b1edf8edc24"
                       "1a7ccc70a9dc");
}

static void test_url_check(void)
{
    const unsigned I = GW_WEBHOOK_URL_INVALID, H = GW_WEBHOOK_URL_NOT_HTTP;
    static const struct {
        const char *url;
        unsigned want;
    } cases[] = {
        {"http://example.com/hook", 0},
        {"https://example.com:8443/a?b=c#d", 0},
        {"http://127.0.0.1:9/x", 0},
        {"http://[::1]:8080/x", 0},
        {"http://user:pw@host/x", 0},
        {"ftp://example.com/x", H},
        {"mailto:someone@example.com", H},
        {"HTTP://example.com/", H},
        {"", I | H},
        {"example.com", I | H},
        {"not a url", I | H},
        {"http://", I},
        {"http://host:99999/", I},
        {"http://exa mple.com/", I},
        {"1http://x", I | H},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned got = gw_webhooks_url_check(cases[i].url);
        if (got != cases[i].want)
            fprintf(stderr, "url %s\n", cases[i].url);
        ASSERT_UINT_EQ(got, cases[i].want);
    }
}

int main(void)
{
    TEST_RUN(test_body_room);
    TEST_RUN(test_body_recording);
    TEST_RUN(test_sign);
    TEST_RUN(test_url_check);
    return 0;
}
