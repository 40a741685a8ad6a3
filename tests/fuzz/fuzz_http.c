/*
 * fuzz_http: bytes from a client through the gateway's real request path.
 * gw__http_fuzz_feed (gw_http.c, built with MEET_FUZZ) serves the input on
 * a connection bound to a socketpair, through the same llhttp callbacks,
 * limits, chunked decoding, pipelining and write path as a TCP client
 * gets; each complete request goes to gw_app_handle, which routes it over
 * the API route table, parses its query and body and checks the API key,
 * and (MEET_FUZZ, no worker pool) answers 200 where a handler would run.
 *
 * Input: byte 0 is the read size (0: one read of everything), the rest is
 * what the client sends. The limits are small so that they are reachable.
 */
#include <string.h>
#include <uv.h>

#include "fuzz.h"
#include "gw_app.h"
#include "gw_http.h"
#include "ov_log.h"

static uv_loop_t loop;
static gw_config_t cfg;
static gw_app_t app;
static gw_http_server_t *server;

static void setup(void)
{
    gw_http_limits_t l;
    static char base_path[] = "/meet/", cors[] = "*", token[] = "",
                key[] = "fuzzkey";

    uv_loop_init(&loop);
    cfg.base_path = base_path;
    cfg.cors_origin = cors;
    cfg.metrics_token = token;
    app.cfg = &cfg;
    app.api_key = key;
    app.loop = &loop;
    gw_http_limits_default(&l);
    l.max_url_bytes = 512;
    l.max_header_bytes = 2048;
    l.max_headers = 16;
    l.max_body_bytes = 4096;
    l.max_pipeline = 4;
    gw_http_server_new(&server, &loop, &l, gw_app_handle, &app);
    gw_http_server_set_hooks(server, gw_app_cors_headers, &app, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (server == NULL)
        setup();
    if (size < 1)
        return 0;
    gw__http_fuzz_feed(server, (const char *)data + 1, size - 1, data[0]);
    FUZZ_CHECK(gw_http_server_connections(server) == 0);
    FUZZ_CHECK(gw_http_server_inflight(server) == 0);
    return 0;
}
