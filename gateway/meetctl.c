/*
 * meetctl: sends signed LiveKit webhooks to a meetd, so that meetings can be
 * tried without a media server, and writes pre-signed requests for load
 * tests.
 *
 * The bodies follow what LiveKit sends (LIVEKIT.md §1.5, §1.8): protojson
 * with lowerCamelCase keys, int64 values as decimal strings, zero values
 * omitted, an "EV_" id and createdAt in Unix seconds. Each request carries
 * the token gw_lk_sign_webhook makes, in a bare Authorization header, as
 * LiveKit does it.
 *
 * Exit status: 0 when every request got a 2xx answer, 1 on a failed or
 * refused request or an unreadable input, 2 on bad usage.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_jwt.h"
#include "gw_livekit.h"
#include "ov_log.h"
#include "ov_mem.h"
#include "ov_util.h"

#define MC_DEFAULT_URL "http://localhost:6080"
#define MC_DEFAULT_KEY "devkey"
#define MC_DEFAULT_SECRET "secret"
#define MC_DEFAULT_NAME_ID "openviduMeet"
/* An event file is one WebhookEvent; LiveKit's are a few KiB. */
#define MC_MAX_FILE (4u << 20)
#define MC_MAX_PARTICIPANTS 100000
#define MC_MAX_BENCH_ROOMS 10000000
/* bench-requests tokens must outlast a load test. */
#define MC_BENCH_TTL_S 600
/* At most this much of an error answer is echoed to stderr. */
#define MC_MAX_ECHO 2048

typedef struct {
    const char *url;     /* base URL, without a trailing slash */
    const char *key;     /* LiveKit API key (the token's iss) */
    const char *secret;  /* LiveKit API secret (the HMAC key) */
    const char *name_id; /* createdBy in room metadata (MEET_NAME_ID) */
    CURL *curl;          /* one handle, so that requests share a connection */
    char *endpoint;      /* <url>/livekit/webhook */
} mc_ctx_t;

static void mc_help(FILE *f)
{
    fputs("usage: meetctl [--url URL] [--api-key K] [--api-secret S] COMMAND\n"
          "\n"
          "Sends LiveKit webhooks, signed as LiveKit signs them, to a meetd's\n"
          "POST <url>/livekit/webhook, so that meetings can be tried without\n"
          "a media server.\n"
          "\n"
          "commands:\n"
          "  meeting start ROOM [--participants N]\n"
          "      room_started, then N participant_joined (identities p1..pN)\n"
          "  meeting end ROOM\n"
          "      room_finished\n"
          "  participant join ROOM IDENTITY\n"
          "      participant_joined\n"
          "  participant leave ROOM IDENTITY\n"
          "      participant_left\n"
          "  event FILE.json\n"
          "      sends the WebhookEvent in FILE (- for stdin); \"id\" and\n"
          "      \"createdAt\" are filled in if absent, otherwise the file\n"
          "      is sent byte for byte\n"
          "  bench-requests ROOMS OUT\n"
          "      writes OUT (- for stdout), one line per request,\n"
          "      \"<token> <body>\": a participant_joined (identity p1) for\n"
          "      each of ROOMS rooms bench-1..bench-ROOMS, or for each room\n"
          "      id read from stdin (one per line) if ROOMS is -; the tokens\n"
          "      stay valid for 10 minutes (for wrk load tests)\n"
          "\n"
          "options:\n"
          "  --url URL         meetd base URL\n"
          "                    (MEET_URL, default " MC_DEFAULT_URL ")\n"
          "  --api-key K       LiveKit API key\n"
          "                    (LIVEKIT_API_KEY, default " MC_DEFAULT_KEY ")\n"
          "  --api-secret S    LiveKit API secret\n"
          "                    (LIVEKIT_API_SECRET, default " MC_DEFAULT_SECRET
          ")\n"
          "  -h, --help        this text\n"
          "\n"
          "Room metadata carries createdBy = MEET_NAME_ID "
          "(default\n" MC_DEFAULT_NAME_ID
          "). Each request's HTTP status is printed; the\n"
          "exit status is 0 when all were 2xx, 1 otherwise, 2 on bad usage.\n",
          f);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
mc_usage(const char *fmt, ...)
{
    va_list ap;

    fputs("meetctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'meetctl --help'.\n", stderr);
    exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
mc_die(const char *fmt, ...)
{
    va_list ap;

    fputs("meetctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static const char *mc_env(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

/* Parses a decimal count in [min, max]; exits 2 otherwise. */
static long mc_count(const char *what, const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        mc_usage("%s must be an integer from %ld to %ld, not '%s'", what, min,
                 max, s);
    return v;
}

static const char mc_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* Writes `prefix` and 12 random alphanumerics into `out` (an event id such
 * as "EV_n4T7kqB2xW9s"). Bytes of 248 and above are redrawn, so that every
 * character is equally likely. */
static void mc_random_id(const char *prefix, char *out, size_t outlen)
{
    size_t p = strlen(prefix), i = 0;

    OV_ASSERT(outlen >= p + 13);
    memcpy(out, prefix, p);
    while (i < 12) {
        unsigned char b[16];
        size_t k;

        if (ov_rand_bytes(b, sizeof(b)) != 0)
            mc_die("no randomness available");
        for (k = 0; k < sizeof(b) && i < 12; k++)
            if (b[k] < 248)
                out[p + i++] = mc_alnum[b[k] % 62];
    }
    out[p + 12] = '\0';
}

/* Writes `prefix` and 12 alphanumerics derived from `seed`: a room or
 * participant gets the same sid in every invocation, as it would keep it in
 * LiveKit for the life of a meeting. */
static void mc_derived_id(const char *prefix, const char *seed, char *out,
                          size_t outlen)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t p = strlen(prefix), i;

    OV_ASSERT(outlen >= p + 13);
    SHA256((const unsigned char *)seed, strlen(seed), md);
    memcpy(out, prefix, p);
    for (i = 0; i < 12; i++)
        out[p + i] = mc_alnum[md[i] % 62];
    out[p + 12] = '\0';
}

static json_t *mc_i64_string(int64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return json_string(buf);
}

/* A Room as LiveKit reports it in room and participant events. */
static json_t *mc_room(const mc_ctx_t *c, const char *room, int64_t now_ms,
                       long participants)
{
    char sid[16];
    json_t *r, *meta;
    char *metadata;

    mc_derived_id("RM_", room, sid, sizeof(sid));
    meta = json_pack("{s:s}", "createdBy", c->name_id);
    metadata = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    r = json_pack("{s:s, s:s, s:i, s:i, s:o, s:o, s:s}", "sid", sid, "name",
                  room, "emptyTimeout", 20, "departureTimeout", 20,
                  "creationTime", mc_i64_string(now_ms / 1000),
                  "creationTimeMs", mc_i64_string(now_ms), "metadata",
                  metadata);
    free(metadata);
    if (!r)
        mc_die("cannot build the room JSON (is the room name UTF-8?)");
    /* protojson omits zero values. */
    if (participants > 0)
        json_object_set_new(r, "numParticipants",
                            json_integer((json_int_t)participants));
    return r;
}

/* A ParticipantInfo: ACTIVE when joined, DISCONNECTED when it left. */
static json_t *mc_participant(const char *room, const char *identity,
                              int joined, int64_t now_ms)
{
    char sid[16];
    char *seed;
    size_t n = strlen(room) + strlen(identity) + 2;
    json_t *p;

    seed = ov_xmalloc(n);
    snprintf(seed, n, "%s/%s", room, identity);
    mc_derived_id("PA_", seed, sid, sizeof(sid));
    free(seed);
    p = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:{s:b, s:b, s:b}}", "sid",
                  sid, "identity", identity, "state",
                  joined ? "ACTIVE" : "DISCONNECTED", "joinedAt",
                  mc_i64_string(now_ms / 1000), "joinedAtMs",
                  mc_i64_string(now_ms), "name", identity, "permission",
                  "canSubscribe", 1, "canPublish", 1, "canPublishData", 1);
    if (!p)
        mc_die("cannot build the participant JSON (is the identity UTF-8?)");
    if (!joined)
        json_object_set_new(p, "disconnectReason",
                            json_string("CLIENT_INITIATED"));
    return p;
}

/* Returns a new WebhookEvent body (compact, keys in LiveKit's order):
 * event, room, participant (if any), id, createdAt. Takes ownership of
 * `room` and `participant`. */
static char *mc_event(const char *event, json_t *room, json_t *participant,
                      int64_t now_s)
{
    char id[16];
    json_t *ev = json_object();
    char *body;

    mc_random_id("EV_", id, sizeof(id));
    json_object_set_new(ev, "event", json_string(event));
    json_object_set_new(ev, "room", room);
    if (participant)
        json_object_set_new(ev, "participant", participant);
    json_object_set_new(ev, "id", json_string(id));
    json_object_set_new(ev, "createdAt", mc_i64_string(now_s));
    body = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    if (!body)
        mc_die("cannot serialise the event");
    return body;
}

typedef struct {
    char buf[MC_MAX_ECHO + 1];
    size_t len;
} mc_reply_t;

/* Keeps the start of the answer, to show it when the request failed. */
static size_t mc_write_cb(char *p, size_t size, size_t n, void *arg)
{
    mc_reply_t *r = arg;
    size_t len = size * n, room = MC_MAX_ECHO - r->len;

    if (len < room)
        room = len;
    memcpy(r->buf + r->len, p, room);
    r->len += room;
    r->buf[r->len] = '\0';
    return len;
}

/* POSTs one signed body. Prints "<event> <room>: HTTP <status>". Returns
 * 0 on a 2xx answer, -1 otherwise. */
static int mc_post(mc_ctx_t *c, const char *body, size_t len, const char *label)
{
    struct curl_slist *hdrs = NULL;
    mc_reply_t reply;
    char *tok, *auth;
    long status = 0;
    CURLcode rc;
    size_t n;

    tok = gw_lk_sign_webhook(body, len, c->key, c->secret,
                             ov_time_now_ms() / 1000);
    if (!tok)
        mc_die("cannot sign the webhook (empty API secret?)");
    n = strlen(tok) + sizeof("Authorization: ");
    auth = ov_xmalloc(n);
    snprintf(auth, n, "Authorization: %s", tok);
    free(tok);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/webhook+json");
    hdrs = curl_slist_append(hdrs, auth);
    /* No "Expect: 100-continue" round trip; LiveKit does not send one. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    free(auth);
    if (!hdrs)
        mc_die("out of memory");

    reply.len = 0;
    reply.buf[0] = '\0';
    curl_easy_setopt(c->curl, CURLOPT_URL, c->endpoint);
    curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, mc_write_cb);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &reply);
    rc = curl_easy_perform(c->curl);
    curl_slist_free_all(hdrs);
    if (rc != CURLE_OK) {
        fprintf(stderr, "meetctl: %s: POST %s failed: %s\n", label, c->endpoint,
                curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    printf("%s: HTTP %ld\n", label, status);
    fflush(stdout);
    if (status < 200 || status > 299) {
        if (reply.len > 0)
            fprintf(stderr, "meetctl: %s: %s\n", label, reply.buf);
        return -1;
    }
    return 0;
}

static int mc_send_event(mc_ctx_t *c, const char *event, const char *room,
                         json_t *participant_json, long participants)
{
    int64_t now_ms = ov_time_now_ms();
    char *body = mc_event(event, mc_room(c, room, now_ms, participants),
                          participant_json, now_ms / 1000);
    char *label;
    size_t n = strlen(event) + strlen(room) + 2;
    int r;

    label = ov_xmalloc(n);
    snprintf(label, n, "%s %s", event, room);
    r = mc_post(c, body, strlen(body), label);
    free(label);
    free(body);
    return r;
}

static int mc_meeting_start(mc_ctx_t *c, const char *room, long participants)
{
    long i;

    if (mc_send_event(c, "room_started", room, NULL, 0) != 0)
        return 1;
    for (i = 1; i <= participants; i++) {
        char identity[24];

        snprintf(identity, sizeof(identity), "p%ld", i);
        if (mc_send_event(c, "participant_joined", room,
                          mc_participant(room, identity, 1, ov_time_now_ms()),
                          i) != 0)
            return 1;
    }
    return 0;
}

/* Reads all of `path` ("-" for stdin) up to MC_MAX_FILE bytes. Returns new,
 * NUL-terminated; exits 1 on error. */
static char *mc_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    ov_buf_t b = OV_BUF_INIT;
    char chunk[65536];
    size_t n;

    if (!f)
        mc_die("%s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > MC_MAX_FILE)
            mc_die("%s: larger than %u bytes", path, MC_MAX_FILE);
        ov_buf_append(&b, chunk, n);
    }
    if (ferror(f))
        mc_die("%s: read error", path);
    if (f != stdin)
        fclose(f);
    if (!b.data)
        ov_buf_append(&b, "", 0);
    *len = b.len;
    return b.data;
}

static int mc_event_file(mc_ctx_t *c, const char *path)
{
    size_t len;
    char *raw = mc_read_file(path, &len);
    json_error_t err;
    json_t *ev, *name;
    char *body = raw, *label;
    size_t n;
    int r;

    ev = json_loadb(raw, len, JSON_PRESERVE_ORDER, &err);
    if (!ev)
        mc_die("%s:%d:%d: %s", path, err.line, err.column, err.text);
    if (!json_is_object(ev))
        mc_die("%s: not a JSON object", path);
    /* A complete event goes out untouched, so that exact bytes (odd
     * whitespace, key order, unknown keys) can be tested. */
    if (!json_object_get(ev, "id") || !json_object_get(ev, "createdAt")) {
        if (!json_object_get(ev, "id")) {
            char id[16];

            mc_random_id("EV_", id, sizeof(id));
            json_object_set_new(ev, "id", json_string(id));
        }
        if (!json_object_get(ev, "createdAt"))
            json_object_set_new(ev, "createdAt",
                                mc_i64_string(ov_time_now_ms() / 1000));
        body = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!body)
            mc_die("%s: cannot serialise the event", path);
        len = strlen(body);
        free(raw);
        raw = NULL;
    }
    name = json_object_get(ev, "event");
    n = strlen(path) + 64;
    label = ov_xmalloc(n);
    snprintf(label, n, "%s %s",
             json_is_string(name) ? json_string_value(name) : "event", path);
    json_decref(ev);
    r = mc_post(c, body, len, label);
    free(label);
    free(body);
    return r == 0 ? 0 : 1;
}

/* Appends one "<token> <body>\n" line for a participant_joined in `room`.
 * The token is made here rather than by gw_lk_sign_webhook, whose 5 minute
 * life is too short for a load test that is prepared in advance. */
static void mc_bench_line(const mc_ctx_t *c, FILE *out, const char *room,
                          int64_t now_ms)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    int64_t now_s = now_ms / 1000;
    char *body, *sum, *tok;
    json_t *claims;

    body = mc_event("participant_joined", mc_room(c, room, now_ms, 1),
                    mc_participant(room, "p1", 1, now_ms), now_s);
    SHA256((const unsigned char *)body, strlen(body), md);
    sum = gw_b64_encode(md, sizeof(md));
    claims = json_pack("{s:I, s:s, s:I, s:s}", "exp",
                       (json_int_t)(now_s + MC_BENCH_TTL_S), "iss", c->key,
                       "nbf", (json_int_t)now_s, "sha256", sum);
    free(sum);
    if (!claims)
        mc_die("cannot build the token claims");
    tok = gw_jwt_sign_hs256(claims, c->secret);
    json_decref(claims);
    if (!tok)
        mc_die("cannot sign the webhook (empty API secret?)");
    /* Compact JSON escapes control characters, so the body is one line. */
    if (fprintf(out, "%s %s\n", tok, body) < 0)
        mc_die("write error: %s", strerror(errno));
    free(tok);
    free(body);
}

static int mc_bench_requests(const mc_ctx_t *c, const char *rooms,
                             const char *path)
{
    int64_t now_ms = ov_time_now_ms();
    long count = 0, nrooms = 0;
    FILE *out;

    /* A bad count is a usage error, found before OUT is created. */
    if (strcmp(rooms, "-") != 0)
        nrooms = mc_count("ROOMS", rooms, 1, MC_MAX_BENCH_ROOMS);
    out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!out)
        mc_die("%s: %s", path, strerror(errno));
    if (strcmp(rooms, "-") == 0) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        while ((n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
                             line[n - 1] == ' ' || line[n - 1] == '\t'))
                line[--n] = '\0';
            if (n == 0)
                continue;
            mc_bench_line(c, out, line, now_ms);
            count++;
        }
        free(line);
    } else {
        long i;

        for (i = 1; i <= nrooms; i++) {
            char room[32];

            snprintf(room, sizeof(room), "bench-%ld", i);
            mc_bench_line(c, out, room, now_ms);
            count++;
        }
    }
    if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
        mc_die("%s: %s", path, strerror(errno));
    fprintf(stderr, "meetctl: wrote %ld requests to %s\n", count, path);
    return 0;
}

/* Takes the value of option `name` from "--name=value" or the next
 * argument. */
static const char *mc_optval(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);

    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc)
        mc_usage("%s needs a value", name);
    return argv[++*i];
}

static int mc_is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static void mc_nonempty(const char *what, const char *s)
{
    if (!*s)
        mc_usage("%s must not be empty", what);
}

int main(int argc, char **argv)
{
    mc_ctx_t c;
    const char **pos = ov_xcalloc((size_t)argc + 1, sizeof(*pos));
    const char *participants = NULL;
    long nparticipants;
    size_t url_len;
    char *url;
    int npos = 0, i, only_pos = 0, rc;

    c.url = mc_env("MEET_URL", MC_DEFAULT_URL);
    c.key = mc_env("LIVEKIT_API_KEY", MC_DEFAULT_KEY);
    c.secret = mc_env("LIVEKIT_API_SECRET", MC_DEFAULT_SECRET);
    c.name_id = mc_env("MEET_NAME_ID", MC_DEFAULT_NAME_ID);

    /* Options may come anywhere; "--" ends them, for names that start with
     * a dash. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0)
            pos[npos++] = a;
        else if (strcmp(a, "--") == 0)
            only_pos = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            mc_help(stdout);
            free(pos);
            return 0;
        } else if (mc_is_opt(a, "--url"))
            c.url = mc_optval(argc, argv, &i, "--url");
        else if (mc_is_opt(a, "--api-key"))
            c.key = mc_optval(argc, argv, &i, "--api-key");
        else if (mc_is_opt(a, "--api-secret"))
            c.secret = mc_optval(argc, argv, &i, "--api-secret");
        else if (mc_is_opt(a, "--participants"))
            participants = mc_optval(argc, argv, &i, "--participants");
        else
            mc_usage("unknown option '%s'", a);
    }
    if (npos == 0)
        mc_usage("no command given");
    mc_nonempty("--url", c.url);
    mc_nonempty("--api-key", c.key);
    mc_nonempty("--api-secret", c.secret);

#define MC_CMD(a, b)                                                           \
    (npos >= 2 && strcmp(pos[0], a) == 0 && strcmp(pos[1], b) == 0)
    if (participants && !MC_CMD("meeting", "start"))
        mc_usage("--participants only applies to 'meeting start'");
    if (MC_CMD("meeting", "start") || MC_CMD("meeting", "end")) {
        if (npos != 3)
            mc_usage("usage: meeting %s ROOM", pos[1]);
        mc_nonempty("ROOM", pos[2]);
    } else if (MC_CMD("participant", "join") ||
               MC_CMD("participant", "leave")) {
        if (npos != 4)
            mc_usage("usage: participant %s ROOM IDENTITY", pos[1]);
        mc_nonempty("ROOM", pos[2]);
        mc_nonempty("IDENTITY", pos[3]);
    } else if (strcmp(pos[0], "event") == 0) {
        if (npos != 2)
            mc_usage("usage: event FILE.json");
    } else if (strcmp(pos[0], "bench-requests") == 0) {
        if (npos != 3)
            mc_usage("usage: bench-requests ROOMS OUT");
    } else {
        mc_usage("unknown command '%s%s%s'", pos[0], npos > 1 ? " " : "",
                 npos > 1 ? pos[1] : "");
    }

    /* Counts are checked before anything is sent. */
    nparticipants = participants ? mc_count("--participants", participants, 0,
                                            MC_MAX_PARTICIPANTS)
                                 : 0;
    if (strcmp(pos[0], "bench-requests") == 0) {
        rc = mc_bench_requests(&c, pos[1], pos[2]);
        free(pos);
        return rc;
    }

    url_len = strlen(c.url);
    while (url_len > 0 && c.url[url_len - 1] == '/')
        url_len--;
    url = ov_xstrndup(c.url, url_len);
    c.endpoint = ov_xmalloc(url_len + sizeof("/livekit/webhook"));
    snprintf(c.endpoint, url_len + sizeof("/livekit/webhook"),
             "%s/livekit/webhook", url);
    c.url = url;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        mc_die("curl_global_init() failed");
    c.curl = curl_easy_init();
    if (!c.curl)
        mc_die("curl_easy_init() failed");
    curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c.curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c.curl, CURLOPT_USERAGENT, "meetctl");

    if (MC_CMD("meeting", "start")) {
        rc = mc_meeting_start(&c, pos[2], nparticipants);
    } else if (MC_CMD("meeting", "end")) {
        rc = mc_send_event(&c, "room_finished", pos[2], NULL, 0) == 0 ? 0 : 1;
    } else if (MC_CMD("participant", "join") ||
               MC_CMD("participant", "leave")) {
        int join = strcmp(pos[1], "join") == 0;

        rc = mc_send_event(
                 &c, join ? "participant_joined" : "participant_left", pos[2],
                 mc_participant(pos[2], pos[3], join, ov_time_now_ms()),
                 join ? 1 : 0) == 0
                 ? 0
                 : 1;
    } else {
        rc = mc_event_file(&c, pos[1]);
    }
#undef MC_CMD

    curl_easy_cleanup(c.curl);
    curl_global_cleanup();
    free(c.endpoint);
    free(url);
    free(pos);
    return rc;
}
