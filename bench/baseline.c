/* meetd-baseline: the ceiling for one event loop on this machine.
 *
 * A minimal libuv + llhttp server that answers every request with the same
 * ~600-byte JSON body, keep-alive, pipelining-safe. `make bench` measures it
 * beside meetd in the same run, so that meetd's figures can be read as
 * ratios of what one loop can do at all. */
#include <llhttp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct {
    uv_tcp_t tcp;
    llhttp_t parser;
    int keep_alive;
    unsigned pending; /* responses to send after this read */
} conn_t;

static llhttp_settings_t settings;
static char response[1024];
static size_t response_len;

static void on_close(uv_handle_t *h)
{
    free(h);
}

static int on_message_complete(llhttp_t *p)
{
    conn_t *c = p->data;
    c->pending++;
    c->keep_alive = llhttp_should_keep_alive(p);
    return 0;
}

typedef struct {
    uv_write_t req;
    char *buf;
} wr_t;

static void on_write(uv_write_t *req, int status)
{
    wr_t *w = (wr_t *)req;
    (void)status;
    free(w->buf);
    free(w);
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
    static char slab[65536];
    (void)h;
    (void)sz;
    b->base = slab;
    b->len = sizeof(slab);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    conn_t *c = (conn_t *)s;
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (n == 0)
        return;
    if (llhttp_execute(&c->parser, b->base, (size_t)n) != HPE_OK) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (c->pending) {
        wr_t *w = malloc(sizeof(*w));
        w->buf = malloc(response_len * c->pending);
        for (unsigned i = 0; i < c->pending; i++)
            memcpy(w->buf + i * response_len, response, response_len);
        uv_buf_t out = uv_buf_init(w->buf, (unsigned)(response_len * c->pending));
        c->pending = 0;
        uv_write(&w->req, s, &out, 1, on_write);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    conn_t *c = calloc(1, sizeof(*c));
    uv_tcp_init(server->loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 6090;
    char body[700];
    int blen = snprintf(
        body, sizeof(body),
        "{\"roomId\":\"benchmark_room-0123456789abcde\",\"roomName\":"
        "\"Benchmark Room\",\"creationDate\":1735000000000,"
        "\"autoDeletionPolicy\":{\"withMeeting\":\"when_meeting_ends\","
        "\"withRecordings\":\"close\"},\"config\":{\"chat\":{\"enabled\":"
        "true},\"recording\":{\"enabled\":true,\"layout\":\"grid\","
        "\"encoding\":\"H264_720P_30\",\"allowAccessTo\":"
        "\"admin_moderator_speaker\"},\"virtualBackground\":{\"enabled\":"
        "true},\"e2ee\":{\"enabled\":false},\"captions\":{\"enabled\":true}},"
        "\"moderatorUrl\":\"http://localhost:6080/meet/room/benchmark_room-"
        "0123456789abcde?secret=9a0c1e2f3b\",\"speakerUrl\":\"http://"
        "localhost:6080/meet/room/benchmark_room-0123456789abcde?secret="
        "71d2b3c4e5\",\"status\":\"open\",\"meetingEndAction\":\"none\"}");
    response_len = (size_t)snprintf(
        response, sizeof(response),
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; "
        "charset=utf-8\r\nContent-Length: %d\r\n\r\n%s",
        blen, body);
    llhttp_settings_init(&settings);
    settings.on_message_complete = on_message_complete;

    uv_loop_t *loop = uv_default_loop();
    uv_tcp_t server;
    struct sockaddr_in addr;
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", port, &addr);
    if (uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&server, 1024, on_connection) != 0) {
        fprintf(stderr, "meetd-baseline: cannot listen on port %d\n", port);
        return 1;
    }
    printf("meetd-baseline listening on http://127.0.0.1:%d\n", port);
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
