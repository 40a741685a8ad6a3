/*
 * lkapi_test: gw_lkapi's pure helpers (the HTTP form of a LiveKit URL, the
 * deep lowerCamelCase of replies, the token's claims, what counts as "not
 * found") and real calls on a libuv loop against a small HTTP server that
 * the test runs on the same loop (127.0.0.1, a port picked by the kernel):
 * the request LiveKit would see, a snake_case answer, Twirp and plain-text
 * errors, a silent server, a refused connection, a 2xx answer that is not
 * JSON, and a close with a call pending. The server is http_test_server.h.
 */
#include "gw_lkapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw_jwt.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"
#include "test.h"

#include "http_test_server.h"

/* Parses JSON written with single quotes for readability (new). */
static json_t *J(const char *text)
{
    char *s = ov_xstrdup(text);
    json_error_t err;
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j)
        TEST__FAIL("bad test JSON: %s: %s", err.text, s);
    free(s);
    return j;
}

static void assert_json_eq(const json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        TEST__FAIL("JSON differs:\n got  %s\n want %s", g ? g : "(null)", w);
    }
    json_decref(want);
}

/* ---- pure helpers ----------------------------------------------------- */

static void check_base(const char *url, const char *want)
{
    char *got = gw_lkapi_base_url(url);
    if (!want) {
        if (got)
            TEST__FAIL("base of \"%s\": \"%s\", expected NULL", url, got);
        return;
    }
    ASSERT_STR_EQ(got, want);
    free(got);
}

static void test_base_url(void)
{
    check_base("ws://lk.example.com", "http://lk.example.com");
    check_base("wss://lk.example.com", "https://lk.example.com");
    check_base("wss://lk.example.com/", "https://lk.example.com");
    check_base("http://127.0.0.1:7880", "http://127.0.0.1:7880");
    check_base("https://lk.example.com/rtc", "https://lk.example.com");
    check_base("wss://lk.example.com:7443/some/path?x=1#f",
               "https://lk.example.com:7443");
    check_base("ws://livekit_server:7880?q=1", "http://livekit_server:7880");
    check_base("http://h#frag", "http://h");
    check_base("WSS://Host.Example", "https://Host.Example");
    check_base("ws://[::1]:7880/x", "http://[::1]:7880");
    check_base("https://[2001:db8::1]", "https://[2001:db8::1]");
    check_base("wss://h:443", "https://h:443");

    check_base(NULL, NULL);
    check_base("", NULL);
    check_base("lk.example.com:7880", NULL);
    check_base("ftp://h", NULL);
    check_base("wsx://h", NULL);
    check_base("ws:/h", NULL);
    check_base("ws://", NULL);
    check_base("ws:///path", NULL);
    check_base("ws://:7880", NULL);
    check_base("ws://h:", "http://h"); /* RFC 3986: an empty port is none */
    check_base("ws://h:0", NULL);
    check_base("ws://h:65536", NULL);
    check_base("ws://h:12a", NULL);
    check_base("ws://h:123456", NULL);
    check_base("ws://user:pw@h", NULL);
    check_base("ws://h h", NULL);
    check_base("ws://[::1", NULL);
    check_base("ws://[zz]", NULL);
}

static void check_camel(const char *in, const char *want)
{
    json_t *v = J(in);
    json_t *copy = json_deep_copy(v);
    json_t *got = gw_lkapi_camelize(v);
    ASSERT_NOT_NULL(got);
    assert_json_eq(got, want);
    /* A copy: the input is left alone and shares nothing. */
    ASSERT(json_equal(v, copy));
    if (json_is_object(got) || json_is_array(got))
        ASSERT(got != v);
    json_decref(got);
    json_decref(copy);
    json_decref(v);
}

static void test_camelize(void)
{
    check_camel("{'egress_id':'EG_1','room_name':'r','status':'EGRESS_ACTIVE'}",
                "{'egressId':'EG_1','roomName':'r','status':'EGRESS_ACTIVE'}");
    /* Objects inside objects and inside arrays (of arrays); values, even
     * snake_case strings, are never touched. */
    check_camel("{'file_results':[{'file_name':'a_b.mp4','size':'5'},3,'s_t',"
                "null,[{'a_b':{'c_d':[true]}}]],'nested':{'inner_obj':"
                "{'deep_key':[[{'x_y':1}]]}}}",
                "{'fileResults':[{'fileName':'a_b.mp4','size':'5'},3,'s_t',"
                "null,[{'aB':{'cD':[true]}}]],'nested':{'innerObj':"
                "{'deepKey':[[{'xY':1}]]}}}");
    /* Keys without '_' stay as they are, whatever their case. */
    check_camel("{'roomId':1,'x':null,'ABC':2,'':3}",
                "{'roomId':1,'x':null,'ABC':2,'':3}");
    /* Leading underscores are dropped without capitalising, trailing ones
     * dropped, a run counts as one; a key of underscores only is kept. */
    check_camel("{'_leading':1,'__two_x':2,'trailing_':3,'double__under':4,"
                "'___':5,'UPPER_CASE':6,'h264_1080p':7,'a_':8}",
                "{'leading':1,'twoX':2,'trailing':3,'doubleUnder':4,"
                "'___':5,'UPPERCASE':6,'h2641080p':7,'a':8}");
    /* Both spellings of one name: the first wins. */
    check_camel("{'room_name':'a','roomName':'b'}", "{'roomName':'a'}");
    /* Not objects at the top. */
    check_camel("[{'a_b':1},{'c_d':[]}]", "[{'aB':1},{'cD':[]}]");
    check_camel("'a_b'", "'a_b'");
    check_camel("5", "5");
    check_camel("{}", "{}");
    ASSERT_NULL(gw_lkapi_camelize(NULL));
}

static void test_token(void)
{
    gw_lkapi_t *api = NULL;
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    ASSERT_INT_EQ(gw_lkapi_new(&api, &loop, "ftp://h", "k", "s", 0), OV_EINVAL);
    ASSERT_NULL(api);
    ASSERT_INT_EQ(gw_lkapi_new(&api, &loop, "ws://h:1", NULL, "s", 0),
                  OV_EINVAL);
    ASSERT_INT_EQ(
        gw_lkapi_new(&api, &loop, "wss://h:1/x", "devkey", "s3cret", 0), 0);
    ASSERT_NOT_NULL(api);

    json_t *grant = J("{'roomAdmin':true,'room':'R'}");
    long long now = (long long)time(NULL);
    char *tok = gw_lkapi_token(api, grant);
    ASSERT_NOT_NULL(tok);
    json_t *claims = NULL;
    char why[128];
    ASSERT_INT_EQ(gw_jwt_verify_hs256(tok, "wrong", &claims, why, sizeof(why)),
                  -1);
    ASSERT_INT_EQ(gw_jwt_verify_hs256(tok, "s3cret", &claims, why, sizeof(why)),
                  0);
    ASSERT_STR_EQ(json_string_value(json_object_get(claims, "iss")), "devkey");
    ASSERT(json_is_integer(json_object_get(claims, "nbf")));
    ASSERT_INT_EQ(json_integer_value(json_object_get(claims, "nbf")), 0);
    json_t *exp = json_object_get(claims, "exp");
    ASSERT(json_is_integer(exp));
    ASSERT(json_integer_value(exp) >= now + 598 &&
           json_integer_value(exp) <= now + 602);
    ASSERT(json_equal(json_object_get(claims, "video"), grant));
    /* Exactly these claims: no "sub" and nothing else. */
    ASSERT_UINT_EQ(json_object_size(claims), 4);
    /* A fresh token per call. */
    char *tok2 = gw_lkapi_token(api, grant);
    json_t *claims2 = NULL;
    ASSERT_INT_EQ(
        gw_jwt_verify_hs256(tok2, "s3cret", &claims2, why, sizeof(why)), 0);
    ASSERT(json_equal(json_object_get(claims2, "video"), grant));
    json_decref(claims2);
    free(tok2);
    json_decref(claims);
    free(tok);
    json_decref(grant);

    /* No close callback: allowed. */
    gw_lkapi_close(api, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

static void test_is_not_found(void)
{
    gw_lkapi_result_t r = {.code = "", .msg = ""};
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 0); /* success */
    r.err = OV_ELIVEKIT;
    r.http_status = 404;
    r.code = "bad_route";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 1);
    r.http_status = 500;
    r.code = "not_found";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 1);
    r.code = "internal";
    r.msg = "egress does not exist";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 1);
    r.http_status = 412;
    r.code = "failed_precondition";
    r.msg = "egress with status EGRESS_COMPLETE cannot be stopped";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 0);
    r.http_status = 0;
    r.code = "";
    r.msg = "Connection refused";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 0);
    r.err = OV_ESHUTDOWN;
    r.msg = "shutting down";
    ASSERT_INT_EQ(gw_lkapi_is_not_found(&r), 0);
}

/* ---- calls ------------------------------------------------------------ */

#define KEY "devkey"
#define SECRET "devsecret-devsecret-devsecret-0123"

typedef struct {
    int fired;
    int err;
    long http_status;
    char code[128];
    char msg[1024];
    json_t *reply; /* a copy */
    int not_found;
} got_t;

static void got_cb(void *data, const gw_lkapi_result_t *res)
{
    got_t *g = data;
    g->fired++;
    g->err = res->err;
    g->http_status = res->http_status;
    ASSERT_NOT_NULL(res->code);
    ASSERT_NOT_NULL(res->msg);
    snprintf(g->code, sizeof(g->code), "%s", res->code);
    snprintf(g->msg, sizeof(g->msg), "%s", res->msg);
    g->reply = res->reply ? json_deep_copy(res->reply) : NULL;
    /* A reply exactly on success. */
    ASSERT_INT_EQ(res->reply != NULL, res->err == 0);
    g->not_found = gw_lkapi_is_not_found(res);
}

static void got_free(got_t *g)
{
    json_decref(g->reply);
    memset(g, 0, sizeof(*g));
}

static int closed;

static void closed_cb(void *data)
{
    (void)data;
    closed++;
}

static void api_close(gw_lkapi_t *api)
{
    closed = 0;
    gw_lkapi_close(api, closed_cb, NULL);
    ASSERT_INT_EQ(closed, 0);
    ASSERT(run_until(&closed, 2000));
    ASSERT_INT_EQ(closed, 1);
}

static void loop_done(void)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_INT_EQ(uv_loop_close(&loop), 0);
}

/* A client of the server `s` (its URL given in the ws form, with a path
 * that must be dropped). */
static gw_lkapi_t *api_for(const srv_t *s, long timeout_ms)
{
    gw_lkapi_t *api;
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/rtc?access_token=x", s->port);
    ASSERT_INT_EQ(gw_lkapi_new(&api, &loop, url, KEY, SECRET, timeout_ms), 0);
    return api;
}

static void test_call_ok(void)
{
    srv_t s;
    got_t g = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    char *reply =
        canned(200, "application/json",
               "{\"items\":[{\"egress_id\":\"EG_1\",\"room_name\":\"r\","
               "\"file_results\":[{\"file_name\":\"a.mp4\",\"size\":\"5\"}],"
               "\"status\":\"EGRESS_ACTIVE\"}],\"next_page_token\":null}");
    srv_start(&s, reply);
    gw_lkapi_t *api = api_for(&s, 5000);
    json_t *grant = J("{'roomRecord':true}");
    json_t *body = J("{'roomName':'r','active':true}");
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress", "ListEgress", grant,
                                body, got_cb, &g),
                  0);
    ASSERT_INT_EQ(g.fired, 0); /* later, on the loop */
    ASSERT_UINT_EQ(gw_lkapi_pending(api), 1);
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_UINT_EQ(gw_lkapi_pending(api), 0);

    /* What LiveKit saw. */
    ASSERT_STR_EQ(s.seen.method, "POST");
    ASSERT_STR_EQ(s.seen.path, "/twirp/livekit.Egress/ListEgress");
    char *ct = header_value(s.seen.head.data, "content-type");
    ASSERT_STR_EQ(ct, "application/json;charset=UTF-8");
    free(ct);
    char *auth = header_value(s.seen.head.data, "authorization");
    ASSERT_NOT_NULL(auth);
    ASSERT(strncmp(auth, "Bearer ", 7) == 0);
    json_t *claims = NULL;
    char why[128];
    ASSERT_INT_EQ(
        gw_jwt_verify_hs256(auth + 7, SECRET, &claims, why, sizeof(why)), 0);
    ASSERT(json_equal(json_object_get(claims, "video"), grant));
    ASSERT_STR_EQ(json_string_value(json_object_get(claims, "iss")), KEY);
    json_decref(claims);
    free(auth);
    json_t *sent = json_loads(s.seen.body.data, 0, NULL);
    ASSERT(json_equal(sent, body));
    json_decref(sent);

    /* What the caller saw: camelCase keys, values as they were. */
    ASSERT_INT_EQ(g.err, 0);
    ASSERT_INT_EQ(g.http_status, 200);
    ASSERT_STR_EQ(g.code, "");
    ASSERT_STR_EQ(g.msg, "");
    ASSERT_INT_EQ(g.not_found, 0);
    assert_json_eq(g.reply, "{'items':[{'egressId':'EG_1','roomName':'r',"
                            "'fileResults':[{'fileName':'a.mp4','size':'5'}],"
                            "'status':'EGRESS_ACTIVE'}],'nextPageToken':null}");
    got_free(&g);

    /* No body: an empty object goes out. */
    json_t *g2 = J("{'roomList':true}");
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.RoomService", "ListRooms", g2,
                                NULL, got_cb, &g),
                  0);
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.err, 0);
    ASSERT_STR_EQ(s.seen.path, "/twirp/livekit.RoomService/ListRooms");
    ASSERT_STR_EQ(s.seen.body.data, "{}");
    got_free(&g);
    json_decref(g2);

    /* Refused at once, and then no callback. */
    json_t *arr = J("[1]");
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress/../x", "ListEgress", grant,
                                body, got_cb, &g),
                  OV_EINVAL);
    ASSERT_INT_EQ(
        gw_lkapi_call(api, "livekit.Egress", "", grant, body, got_cb, &g),
        OV_EINVAL);
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress", "ListEgress", grant, arr,
                                got_cb, &g),
                  OV_EINVAL);
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress", "ListEgress", arr, body,
                                got_cb, &g),
                  OV_EINVAL);
    ASSERT_UINT_EQ(gw_lkapi_pending(api), 0);
    run_until(&g.fired, 100);
    ASSERT_INT_EQ(g.fired, 0);
    json_decref(arr);

    api_close(api);
    srv_stop(&s);
    json_decref(grant);
    json_decref(body);
    free(reply);
    loop_done();
}

/* One call to a server answering `reply` (NULL: never); fills `g`. */
static void call_once(const char *reply, long timeout_ms, got_t *g)
{
    srv_t s;
    memset(g, 0, sizeof(*g));
    srv_start(&s, reply);
    gw_lkapi_t *api = api_for(&s, timeout_ms);
    json_t *grant = J("{'roomRecord':true}");
    json_t *body = J("{'egressId':'EG_x'}");
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress", "StopEgress", grant,
                                body, got_cb, g),
                  0);
    ASSERT(run_until(&g->fired, 5000));
    ASSERT_INT_EQ(g->fired, 1);
    api_close(api);
    srv_stop(&s);
    json_decref(grant);
    json_decref(body);
}

static void test_call_errors(void)
{
    got_t g;
    char *reply;
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);

    /* Twirp's error object. */
    reply = canned(404, "application/json",
                   "{\"code\":\"not_found\",\"msg\":\"egress does not "
                   "exist\",\"meta\":{\"a\":\"b\"}}");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 404);
    ASSERT_STR_EQ(g.code, "not_found");
    ASSERT_STR_EQ(g.msg, "egress does not exist");
    ASSERT_NULL(g.reply);
    ASSERT_INT_EQ(g.not_found, 1);

    reply = canned(412, "application/json",
                   "{\"code\":\"failed_precondition\",\"msg\":\"egress with "
                   "status EGRESS_COMPLETE cannot be stopped\"}");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 412);
    ASSERT_STR_EQ(g.code, "failed_precondition");
    ASSERT_INT_EQ(g.not_found, 0);

    /* A bad token gets plain text; it is trimmed. */
    reply =
        canned(401, "text/plain", "  invalid token: token is expired\r\n\n");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 401);
    ASSERT_STR_EQ(g.code, "");
    ASSERT_STR_EQ(g.msg, "invalid token: token is expired");
    ASSERT_INT_EQ(g.not_found, 0);

    /* A long one is cut, and control characters do not get through. */
    char big[3001];
    memset(big, 'e', 3000);
    big[3000] = '\0';
    big[10] = '\t';
    big[20] = '\x01';
    reply = canned(500, "text/plain", big);
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 500);
    ASSERT(strlen(g.msg) > 0 && strlen(g.msg) <= 512);
    for (const char *p = g.msg; *p; p++)
        ASSERT((unsigned char)*p >= 0x20);

    /* No body at all: the status says it. */
    reply = canned(503, "text/plain", "");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 503);
    ASSERT(strstr(g.msg, "503") != NULL);

    /* 2xx, but not a JSON object. */
    reply = canned(200, "text/plain", "ok");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 200);
    ASSERT_NULL(g.reply);
    ASSERT(g.msg[0] != '\0');
    reply = canned(200, "application/json", "[{\"a_b\":1}]");
    call_once(reply, 5000, &g);
    free(reply);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);

    /* A server that never answers: the call ends within its timeout. */
    uint64_t t0 = uv_hrtime();
    call_once(NULL, 300, &g);
    uint64_t ms = (uv_hrtime() - t0) / 1000000u;
    ASSERT(ms >= 250 && ms < 3000);
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 0);
    ASSERT_STR_EQ(g.code, "");
    ASSERT(g.msg[0] != '\0');
    ASSERT_INT_EQ(g.not_found, 0);

    loop_done();
}

static void test_call_refused(void)
{
    srv_t s;
    got_t g = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    /* A port that was just free: nobody listens there any more. */
    srv_start(&s, NULL);
    gw_lkapi_t *api = api_for(&s, 3000);
    srv_stop(&s);
    json_t *grant = J("{'roomRecord':true}");
    ASSERT_INT_EQ(gw_lkapi_call(api, "livekit.Egress", "ListEgress", grant,
                                NULL, got_cb, &g),
                  0);
    ASSERT(run_until(&g.fired, 5000));
    ASSERT_INT_EQ(g.err, OV_ELIVEKIT);
    ASSERT_INT_EQ(g.http_status, 0);
    ASSERT(g.msg[0] != '\0');
    api_close(api);
    json_decref(grant);
    loop_done();
}

typedef struct {
    gw_lkapi_t *api;
    got_t g;
    int again; /* what a call from the callback returned */
} shut_t;

static void shut_cb(void *data, const gw_lkapi_result_t *res)
{
    shut_t *sh = data;
    got_cb(&sh->g, res);
    sh->again = gw_lkapi_call(sh->api, "livekit.Egress", "ListEgress", NULL,
                              NULL, got_cb, &sh->g);
}

static void test_close_pending(void)
{
    srv_t s;
    shut_t sh = {0};
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);
    srv_start(&s, NULL);
    sh.api = api_for(&s, 5000);
    ASSERT_INT_EQ(gw_lkapi_call(sh.api, "livekit.Egress", "ListEgress", NULL,
                                NULL, shut_cb, &sh),
                  0);
    run_until(&s.nseen, 2000);
    ASSERT_INT_EQ(s.nseen, 1);
    ASSERT_INT_EQ(sh.g.fired, 0);
    closed = 0;
    gw_lkapi_close(sh.api, closed_cb, NULL);
    ASSERT_INT_EQ(sh.g.fired, 1);
    ASSERT_INT_EQ(sh.g.err, OV_ESHUTDOWN);
    ASSERT_INT_EQ(sh.g.http_status, 0);
    ASSERT_NULL(sh.g.reply);
    ASSERT_INT_EQ(sh.again, OV_ESHUTDOWN);
    ASSERT(run_until(&closed, 2000));
    ASSERT_INT_EQ(closed, 1);
    srv_stop(&s);
    loop_done();
}

int main(void)
{
    ov_log_init("lkapi-test", OV_LOG_WARN);
    /* A hung test fails instead of waiting for ctest's timeout. */
    alarm(60);
    TEST_RUN(test_base_url);
    TEST_RUN(test_camelize);
    TEST_RUN(test_token);
    TEST_RUN(test_is_not_found);
    TEST_RUN(test_call_ok);
    TEST_RUN(test_call_errors);
    TEST_RUN(test_call_refused);
    TEST_RUN(test_close_pending);
    return 0;
}
