/*
 * egress_test: gw_egress_map_info on the LIVEKIT.md §1.8 egress_ended
 * example and its variants (status spellings, encodings and their
 * defaults, int64 as strings or numbers, non-recording egresses), and the
 * local backend with the real ffmpeg on a libuv loop: a recording stopped
 * cleanly (event order, file, ffprobe's view of it), one killed with
 * SIGKILL (failed, yet a readable fragmented MP4), start failures, media
 * path rejections and gw_egress_close with an egress running.
 */
#include "gw_egress.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gw_livekit.h"
#include "ov_err.h"
#include "ov_log.h"
#include "test.h"

#define FFMPEG "/usr/bin/ffmpeg"
#define FFPROBE "/usr/bin/ffprobe"

/* ---- gw_egress_map_info ------------------------------------------------ */

/* Parses JSON written with single quotes for readability. */
static json_t *J(const char *text)
{
    char *s = strdup(text);
    json_error_t err;
    json_t *j;

    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    j = json_loads(s, JSON_DECODE_ANY, &err);
    if (!j)
        TEST__FAIL("bad test JSON: %s: %s", err.text, s);
    free(s);
    return j;
}

static char *S(ov_str_t s)
{
    static char buf[4][1024];
    static int i;
    char *b = buf[i++ % 4];

    snprintf(b, sizeof(buf[0]), "%.*s", (int)s.len, s.ptr ? s.ptr : "");
    return b;
}

#define EXAMPLE_INFO                                                           \
    "{'egressId':'EG_Kp4sW9nQz2Lx','roomId':'RM_hq2Yv8KcPz3d',"                \
    "'roomName':'team_sync-3f9a1c07b2d84e6',"                                  \
    "'status':'EGRESS_COMPLETE','startedAt':'1736500012345678901',"            \
    "'endedAt':'1736500073845678901','updatedAt':'1736500074001000000',"       \
    "'details':'End reason: StopEgress API',"                                  \
    "'roomComposite':{'roomName':'team_sync-3f9a1c07b2d84e6',"                 \
    "'layout':'grid','preset':'H264_720P_30',"                                 \
    "'fileOutputs':[{'filepath':'openvidu-meet/recordings/"                    \
    "team_sync-3f9a1c07b2d84e6/team_sync-3f9a1c07b2d84e6--7c1e9a04bd',"        \
    "'disableManifest':true}]},"                                               \
    "'fileResults':[{'filename':'openvidu-meet/recordings/"                    \
    "team_sync-3f9a1c07b2d84e6/team_sync-3f9a1c07b2d84e6--7c1e9a04bd.mp4',"    \
    "'startedAt':'1736500012345678901','endedAt':'1736500073845678901',"       \
    "'duration':'61500000000','size':'7340032',"                               \
    "'location':'https://s3.example/x.mp4'}]}"

static void test_map_example(void)
{
    json_t *info = J(EXAMPLE_INFO);
    ipc_rec_t rec;
    uint32_t kind = 0;
    char *scratch = NULL;

    ASSERT_INT_EQ(
        gw_egress_map_info(info, GW_LK_EGRESS_ENDED, &kind, &rec, &scratch), 0);
    ASSERT_UINT_EQ(kind, IPC_REC_EV_ENDED);
    ASSERT_STR_EQ(S(rec.recording_id),
                  "team_sync-3f9a1c07b2d84e6--EG_Kp4sW9nQz2Lx--7c1e9a04bd");
    ASSERT_STR_EQ(S(rec.room_id), "team_sync-3f9a1c07b2d84e6");
    ASSERT_STR_EQ(S(rec.egress_id), "EG_Kp4sW9nQz2Lx");
    ASSERT_STR_EQ(S(rec.room_name), "");
    ASSERT_STR_EQ(S(rec.layout), "grid");
    ASSERT_STR_EQ(S(rec.encoding_json), "\"H264_720P_30\"");
    ASSERT_STR_EQ(S(rec.status), "complete");
    ASSERT_STR_EQ(S(rec.filename), "team_sync-3f9a1c07b2d84e6--7c1e9a04bd.mp4");
    /* The reference's JavaScript value, fraction included. */
    ASSERT(rec.start_date == 1736500012345.679);
    ASSERT(rec.end_date == 1736500073845.679);
    ASSERT(rec.updated_at == 1736500074001.0);
    ASSERT(rec.duration == 61.5);
    ASSERT_INT_EQ(rec.size, 7340032);
    ASSERT_INT_EQ(rec.error_code, 0);
    ASSERT_STR_EQ(S(rec.error), "");
    ASSERT_STR_EQ(S(rec.details), "End reason: StopEgress API");
    ASSERT_STR_EQ(S(rec.public_secret), "");
    free(scratch);
    json_decref(info);
}

/* Maps `text` for `event_kind`; returns the status of the call and leaves
 * the record in `rec` (scratch in *scratch, JSON in *info). */
static int map(const char *text, int event_kind, uint32_t *kind, ipc_rec_t *rec,
               char **scratch, json_t **info)
{
    *info = J(text);
    return gw_egress_map_info(*info, event_kind, kind, rec, scratch);
}

static void test_map_starting(void)
{
    /* egress_started: no status key (STARTING is the zero value), no
     * startedAt, so startDate falls back to updatedAt; int64 as numbers. */
    const char *t =
        "{'egressId':'EG_a','roomName':'r-1','updatedAt':1736500000000000000,"
        "'roomComposite':{'roomName':'r-1','layout':'speaker'},"
        "'fileResults':[{'filename':'r-1--0a1b2c3d4e.mp4','size':0}]}";
    json_t *info;
    ipc_rec_t rec;
    uint32_t kind;
    char *scratch;

    ASSERT_INT_EQ(map(t, GW_LK_EGRESS_STARTED, &kind, &rec, &scratch, &info),
                  0);
    ASSERT_UINT_EQ(kind, IPC_REC_EV_STARTED);
    ASSERT_STR_EQ(S(rec.status), "starting");
    ASSERT_STR_EQ(S(rec.recording_id), "r-1--EG_a--0a1b2c3d4e");
    ASSERT_STR_EQ(S(rec.filename), "r-1--0a1b2c3d4e.mp4");
    ASSERT_STR_EQ(S(rec.layout), "speaker");
    /* A room composite without options records the default preset. */
    ASSERT_STR_EQ(S(rec.encoding_json), "\"H264_720P_30\"");
    ASSERT(rec.start_date == 1736500000000.0);
    ASSERT(rec.updated_at == 1736500000000.0);
    ASSERT(rec.end_date == 0);
    ASSERT(rec.duration == 0);
    ASSERT_INT_EQ(rec.size, 0);
    free(scratch);
    json_decref(info);
}

static void test_map_status(void)
{
    static const struct {
        const char *status; /* JSON value text */
        const char *want;
    } cases[] = {
        {"'EGRESS_STARTING'", "starting"},
        {"'EGRESS_ACTIVE'", "active"},
        {"'EGRESS_ENDING'", "ending"},
        {"'EGRESS_COMPLETE'", "complete"},
        {"'EGRESS_FAILED'", "failed"},
        {"'EGRESS_ABORTED'", "aborted"},
        {"'EGRESS_LIMIT_REACHED'", "limit_reached"},
        {"'EGRESS_SOMETHING_NEW'", "failed"},
        {"1", "active"},
        {"6", "limit_reached"},
        {"42", "failed"},
        {"true", "failed"},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *info;
        ipc_rec_t rec;
        uint32_t kind;
        char *scratch;

        snprintf(text, sizeof(text),
                 "{'egressId':'EG_a','roomName':'r','status':%s,"
                 "'fileResults':[{'filename':'r--u.mp4'}]}",
                 cases[i].status);
        ASSERT_INT_EQ(
            map(text, GW_LK_EGRESS_UPDATED, &kind, &rec, &scratch, &info), 0);
        ASSERT_UINT_EQ(kind, IPC_REC_EV_UPDATED);
        ASSERT_STR_EQ(S(rec.status), cases[i].want);
        /* Not a room composite: no layout, default encoding. */
        ASSERT_STR_EQ(S(rec.layout), "");
        ASSERT_STR_EQ(S(rec.encoding_json), "\"H264_720P_30\"");
        free(scratch);
        json_decref(info);
    }
}

static void test_map_encoding(void)
{
    static const struct {
        const char *rc; /* roomComposite members */
        const char *layout, *encoding;
    } cases[] = {
        {"'layout':'grid','preset':'H264_1080P_60'", "grid",
         "\"H264_1080P_60\""},
        {"'layout':'single-speaker','preset':'PORTRAIT_H264_720P_60'",
         "single-speaker", "\"PORTRAIT_H264_720P_60\""},
        {"'layout':'mosaic','preset':2", "grid", "\"H264_1080P_30\""},
        {"'preset':7", "grid", "\"PORTRAIT_H264_1080P_60\""},
        {"'preset':'H265_4K'", "grid", "\"H264_720P_30\""},
        {"'preset':99", "grid", "\"H264_720P_30\""},
        /* Advanced: given values kept (keyFrameInterval may be fractional),
         * codec enums by name or number. */
        {"'layout':'speaker','advanced':{'width':640,'height':360,"
         "'framerate':15,'videoCodec':'H264_HIGH','videoBitrate':'300',"
         "'keyFrameInterval':1.5,'depth':24,'audioCodec':2,"
         "'audioBitrate':64,'audioFrequency':48000}",
         "speaker",
         "{\"video\":{\"width\":640,\"height\":360,\"framerate\":15,"
         "\"codec\":\"H264_HIGH\",\"bitrate\":300,\"keyFrameInterval\":1.5,"
         "\"depth\":24},\"audio\":{\"codec\":\"AAC\",\"bitrate\":64,"
         "\"frequency\":48000}}"},
        /* Advanced with everything zero or absent: the converter's
         * defaults; DEFAULT_VC reads back as H264_MAIN, AC_MP3 as OPUS. */
        {"'advanced':{'width':0,'videoCodec':'DEFAULT_VC',"
         "'audioCodec':'AC_MP3'}",
         "grid",
         "{\"video\":{\"width\":1920,\"height\":1080,\"framerate\":30,"
         "\"codec\":\"H264_MAIN\",\"bitrate\":128,\"keyFrameInterval\":4,"
         "\"depth\":24},\"audio\":{\"codec\":\"OPUS\",\"bitrate\":128,"
         "\"frequency\":44100}}"},
        {"'advanced':{'videoCodec':4,'audioCodec':'OPUS'}", "grid",
         "{\"video\":{\"width\":1920,\"height\":1080,\"framerate\":30,"
         "\"codec\":\"VP8\",\"bitrate\":128,\"keyFrameInterval\":4,"
         "\"depth\":24},\"audio\":{\"codec\":\"OPUS\",\"bitrate\":128,"
         "\"frequency\":44100}}"},
        {"'advanced':{'videoCodec':'AV1','audioCodec':'FLAC'}", "grid",
         "{\"video\":{\"width\":1920,\"height\":1080,\"framerate\":30,"
         "\"codec\":\"H264_MAIN\",\"bitrate\":128,\"keyFrameInterval\":4,"
         "\"depth\":24},\"audio\":{\"codec\":\"OPUS\",\"bitrate\":128,"
         "\"frequency\":44100}}"},
    };
    char text[1024];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *info;
        ipc_rec_t rec;
        uint32_t kind;
        char *scratch;

        snprintf(text, sizeof(text),
                 "{'egressId':'EG_a','roomName':'r','status':'EGRESS_ACTIVE',"
                 "'roomComposite':{%s},"
                 "'fileResults':[{'filename':'a/b/r--u.mp4'}]}",
                 cases[i].rc);
        ASSERT_INT_EQ(
            map(text, GW_LK_EGRESS_UPDATED, &kind, &rec, &scratch, &info), 0);
        ASSERT_STR_EQ(S(rec.layout), cases[i].layout);
        ASSERT_STR_EQ(S(rec.encoding_json), cases[i].encoding);
        ASSERT_STR_EQ(S(rec.recording_id), "r--EG_a--u");
        /* The encoding is valid JSON. */
        {
            json_t *j = json_loadb(rec.encoding_json.ptr, rec.encoding_json.len,
                                   JSON_DECODE_ANY, NULL);
            ASSERT_NOT_NULL(j);
            json_decref(j);
        }
        free(scratch);
        json_decref(info);
    }
}

static void test_map_numbers(void)
{
    /* Numbers as JSON numbers, fractional milliseconds, errors copied. */
    const char *t =
        "{'egressId':'EG_b','roomName':'r','status':'EGRESS_FAILED',"
        "'startedAt':1000000001500000,'endedAt':'1000000002000001',"
        "'updatedAt':'1000000002500000','errorCode':'412',"
        "'error':'pipeline frozen','details':'End reason: Failure',"
        "'fileResults':[{'filename':'r--abc.def.mp4','duration':1500000000,"
        "'size':123.0}],'streamResults':[]}";
    json_t *info;
    ipc_rec_t rec;
    uint32_t kind;
    char *scratch;

    ASSERT_INT_EQ(map(t, GW_LK_EGRESS_ENDED, &kind, &rec, &scratch, &info), 0);
    ASSERT_STR_EQ(S(rec.status), "failed");
    /* uid stops at the first '.'. */
    ASSERT_STR_EQ(S(rec.recording_id), "r--EG_b--abc");
    ASSERT_STR_EQ(S(rec.filename), "r--abc.def.mp4");
    ASSERT(rec.start_date == 1000000001.5);
    ASSERT(rec.end_date == 1000000002.000001);
    ASSERT(rec.updated_at == 1000000002.5);
    ASSERT(rec.duration == 1.5);
    ASSERT_INT_EQ(rec.size, 123);
    ASSERT_INT_EQ(rec.error_code, 412);
    ASSERT_STR_EQ(S(rec.error), "pipeline frozen");
    ASSERT_STR_EQ(S(rec.details), "End reason: Failure");
    free(scratch);
    json_decref(info);

    /* Malformed numbers read as unset. */
    ASSERT_INT_EQ(
        map("{'egressId':'EG_c','roomName':'r','updatedAt':'12x',"
            "'errorCode':'many','fileResults':[{'filename':'r--u.mp4',"
            "'size':'-','duration':[1]}]}",
            GW_LK_EGRESS_UPDATED, &kind, &rec, &scratch, &info),
        0);
    ASSERT(rec.start_date == 0 && rec.updated_at == 0 && rec.duration == 0);
    ASSERT_INT_EQ(rec.size, 0);
    ASSERT_INT_EQ(rec.error_code, 0);
    free(scratch);
    json_decref(info);
}

static void test_map_rejects(void)
{
    static const char *const bad[] = {
        /* stream outputs: not a recording */
        "{'egressId':'EG_a','roomName':'r','fileResults':[{'filename':"
        "'r--u.mp4'}],'streamResults':[{'url':'rtmp://x'}]}",
        /* no files */
        "{'egressId':'EG_a','roomName':'r'}",
        "{'egressId':'EG_a','roomName':'r','fileResults':[]}",
        "{'egressId':'EG_a','roomName':'r','fileResults':{}}",
        /* no ids */
        "{'roomName':'r','fileResults':[{'filename':'r--u.mp4'}]}",
        "{'egressId':'EG_a','fileResults':[{'filename':'r--u.mp4'}]}",
        "{'egressId':'','roomName':'r','fileResults':[{'filename':'r--u.mp4'}]"
        "}",
        /* filenames without a uid */
        "{'egressId':'EG_a','roomName':'r','fileResults':[{'filename':"
        "'r-u.mp4'}]}",
        "{'egressId':'EG_a','roomName':'r','fileResults':[{'filename':"
        "'r--.mp4'}]}",
        "{'egressId':'EG_a','roomName':'r','fileResults':[{'filename':"
        "'dir--x/'}]}",
        "{'egressId':'EG_a','roomName':'r','fileResults':[{}]}",
        "{'egressId':'EG_a','roomName':'r','fileResults':[{'filename':7}]}",
        "[]",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *info;
        ipc_rec_t rec;
        uint32_t kind;
        char *scratch = (char *)1;

        if (map(bad[i], GW_LK_EGRESS_ENDED, &kind, &rec, &scratch, &info) != -1)
            TEST__FAIL("accepted: %s", bad[i]);
        ASSERT_NULL(scratch);
        json_decref(info);
    }

    /* Not an egress event. */
    {
        json_t *info = J(EXAMPLE_INFO);
        ipc_rec_t rec;
        uint32_t kind;
        char *scratch;

        ASSERT_INT_EQ(
            gw_egress_map_info(info, GW_LK_ROOM_STARTED, &kind, &rec, &scratch),
            -1);
        json_decref(info);
    }
}

/* ---- local backend ----------------------------------------------------- */

typedef struct {
    uint32_t kind;
    char status[32];
    char recording_id[256];
    char egress_id[32];
    char room_id[64];
    char layout[32];
    char encoding[512];
    char filename[128];
    char error[128];
    char details[128];
    double start_date, end_date, updated_at, duration;
    int64_t size;
} ev_t;

static ev_t events[64];
static size_t nevents;
static uv_loop_t loop;
static int in_start; /* set around gw_egress_start */

static void copy(char *dst, size_t cap, ov_str_t s)
{
    ASSERT(s.len < cap);
    memcpy(dst, s.ptr ? s.ptr : "", s.len);
    dst[s.len] = '\0';
}

static void on_event(void *data, uint32_t kind, const ipc_rec_t *rec)
{
    ev_t *ev;

    (void)data;
    ASSERT(nevents < sizeof(events) / sizeof(events[0]));
    ev = &events[nevents++];
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    copy(ev->status, sizeof(ev->status), rec->status);
    copy(ev->recording_id, sizeof(ev->recording_id), rec->recording_id);
    copy(ev->egress_id, sizeof(ev->egress_id), rec->egress_id);
    copy(ev->room_id, sizeof(ev->room_id), rec->room_id);
    copy(ev->layout, sizeof(ev->layout), rec->layout);
    copy(ev->encoding, sizeof(ev->encoding), rec->encoding_json);
    copy(ev->filename, sizeof(ev->filename), rec->filename);
    copy(ev->error, sizeof(ev->error), rec->error);
    copy(ev->details, sizeof(ev->details), rec->details);
    ev->start_date = rec->start_date;
    ev->end_date = rec->end_date;
    ev->updated_at = rec->updated_at;
    ev->duration = rec->duration;
    ev->size = rec->size;
    /* STARTED is emitted inside gw_egress_start, every other event from
     * the loop. */
    ASSERT_INT_EQ(in_start, kind == IPC_REC_EV_STARTED);
}

/* The last event of `egress_id` (NULL if none). */
static const ev_t *last_event(const char *egress_id)
{
    for (size_t i = nevents; i > 0; i--)
        if (strcmp(events[i - 1].egress_id, egress_id) == 0)
            return &events[i - 1];
    return NULL;
}

static int has_event(const char *egress_id, uint32_t kind, const char *status)
{
    for (size_t i = 0; i < nevents; i++)
        if (strcmp(events[i].egress_id, egress_id) == 0 &&
            events[i].kind == kind && strcmp(events[i].status, status) == 0)
            return 1;
    return 0;
}

static void tick_cb(uv_timer_t *t)
{
    (void)t;
}

/* Runs the loop until pred(arg) holds or `ms` have passed; returns
 * whether pred held. A ticking timer wakes the loop to re-check. */
static int run_until(int (*pred)(const void *), const void *arg, int ms)
{
    uv_timer_t tick;
    uint64_t deadline;
    int ok = 0;

    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, tick_cb, 20, 20);
    uv_update_time(&loop);
    deadline = uv_now(&loop) + (uint64_t)ms;
    for (;;) {
        if (pred && pred(arg)) {
            ok = 1;
            break;
        }
        uv_update_time(&loop);
        if (uv_now(&loop) >= deadline)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return ok;
}

static int is_active(const void *id)
{
    return has_event(id, IPC_REC_EV_UPDATED, "active");
}

static int is_ended(const void *id)
{
    const ev_t *ev = last_event(id);

    return ev && ev->kind == IPC_REC_EV_ENDED;
}

static int flag_set(const void *p)
{
    return *(const int *)p;
}

static void set_flag(void *p)
{
    *(int *)p = 1;
}

typedef struct {
    int width, height;
    double duration;
    int streams;
} probe_t;

/* Reads a file with ffprobe: its duration and first video stream size.
 * Returns 0 when ffprobe could read it. */
static int probe(const char *path, probe_t *out)
{
    char cmd[1024], line[256];
    FILE *f;
    int rc;

    memset(out, 0, sizeof(*out));
    out->duration = -1;
    snprintf(cmd, sizeof(cmd),
             FFPROBE " -v error -show_entries "
                     "stream=codec_type,width,height:format=duration "
                     "-of default=noprint_wrappers=1 '%s'",
             path);
    f = popen(cmd, "r");
    ASSERT_NOT_NULL(f);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "width=%d", &out->width) == 1 && out->height == 0)
            continue;
        if (sscanf(line, "height=%d", &out->height) == 1)
            continue;
        if (sscanf(line, "duration=%lf", &out->duration) == 1)
            continue;
        if (strncmp(line, "codec_type=", 11) == 0)
            out->streams++;
    }
    rc = pclose(f);
    return rc == 0 ? 0 : -1;
}

/* The pid of the ffmpeg child writing `filename`, found through /proc. */
static pid_t find_ffmpeg(const char *filename)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t found = -1;

    ASSERT_NOT_NULL(d);
    while ((de = readdir(d)) != NULL && found < 0) {
        char path[300], buf[8192];
        size_t n;
        FILE *f;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, "ffmpeg") && strstr(buf, filename))
            found = (pid_t)atoi(de->d_name);
    }
    closedir(d);
    return found;
}

static char tmpdir[256];

static gw_egress_t *new_backend(const char *ffmpeg)
{
    gw_egress_t *e = NULL;
    char dir[300];

    snprintf(dir, sizeof(dir), "%s/recordings/", tmpdir);
    ASSERT_INT_EQ(gw_egress_local_new(&e, &loop, dir, ffmpeg, on_event, NULL),
                  0);
    return e;
}

static void close_backend(gw_egress_t *e)
{
    int closed = 0;

    gw_egress_close(e, set_flag, &closed);
    ASSERT_INT_EQ(closed, 0); /* never from inside gw_egress_close */
    ASSERT(run_until(flag_set, &closed, 15000));
}

static json_t *small_encoding(void)
{
    return J("{'video':{'width':640,'height':360,'framerate':15,"
             "'codec':'H264_BASELINE','bitrate':300,'keyFrameInterval':1,"
             "'depth':24},'audio':{'codec':'OPUS','bitrate':64,"
             "'frequency':48000}}");
}

/* The local backend answers at once: these wrap its callbacks. */
typedef struct {
    int called, err;
    gw_egress_status_t st;
    size_t n;
    char id[32], rid[256], first[32];
} sync_t;

static void sync_start_cb(void *data, int err, const char *egress_id,
                          const char *recording_id)
{
    sync_t *s = data;
    s->called++;
    s->err = err;
    if (err == 0) {
        snprintf(s->id, sizeof(s->id), "%s", egress_id);
        snprintf(s->rid, sizeof(s->rid), "%s", recording_id);
    }
}

static void sync_status_cb(void *data, int err, gw_egress_status_t st)
{
    sync_t *s = data;
    s->called++;
    s->err = err;
    s->st = st;
}

static void sync_stop_cb(void *data, int err, const ipc_rec_t *rec)
{
    sync_t *s = data;
    s->called++;
    s->err = err;
    ASSERT(rec == NULL); /* the local backend emits its events itself */
}

static void sync_list_cb(void *data, int err, size_t n, const char *const *ids,
                         const char *const *rooms)
{
    sync_t *s = data;
    (void)rooms;
    s->called++;
    s->err = err;
    s->n = n;
    if (n > 0)
        snprintf(s->first, sizeof(s->first), "%s", ids[0]);
}

static gw_egress_status_t egress_status(gw_egress_t *e, const char *room,
                                        const char *id)
{
    sync_t s = {0};
    gw_egress_status(e, room, id, sync_status_cb, &s);
    ASSERT_INT_EQ(s.called, 1);
    ASSERT_INT_EQ(s.err, 0);
    return s.st;
}

static int egress_stop(gw_egress_t *e, const char *room, const char *id)
{
    sync_t s = {0};
    gw_egress_stop(e, room, id, sync_stop_cb, &s);
    ASSERT_INT_EQ(s.called, 1);
    return s.err;
}

/* How many egresses run; the first one's id goes to `first` if given. */
static size_t egress_running(gw_egress_t *e, char *first)
{
    sync_t s = {0};
    gw_egress_list_running(e, NULL, sync_list_cb, &s);
    ASSERT_INT_EQ(s.called, 1);
    ASSERT_INT_EQ(s.err, 0);
    if (first)
        strcpy(first, s.first);
    return s.n;
}

static int start(gw_egress_t *e, const char *room, const char *layout,
                 json_t *enc, char *egress_id, char *recording_id)
{
    gw_egress_request_t req = {room, layout, enc};
    sync_t s = {0};

    in_start = 1;
    gw_egress_start(e, &req, sync_start_cb, &s);
    in_start = 0;
    ASSERT_INT_EQ(s.called, 1);
    if (s.err == 0) {
        strcpy(egress_id, s.id);
        strcpy(recording_id, s.rid);
    }
    return s.err;
}

static void test_local_record(void)
{
    gw_egress_t *e = new_backend(FFMPEG);
    json_t *enc = small_encoding();
    char id[32], rid[256], dir[300], want[700], *path, *encjson;
    char running[32];
    const ev_t *ev;
    size_t first = nevents, mine[8], n = 0;
    struct stat st;
    probe_t p;

    /* The trailing '/' of the configured directory is dropped. */
    snprintf(dir, sizeof(dir), "%s/recordings", tmpdir);
    ASSERT_STR_EQ(gw_egress_dir(e), dir);

    ASSERT_INT_EQ(start(e, "demo-0123456789abcde", "speaker", enc, id, rid), 0);
    ASSERT_INT_EQ(strlen(id), 15);
    ASSERT(strncmp(id, "EG_", 3) == 0);
    for (size_t i = 3; i < 15; i++)
        ASSERT(isalnum((unsigned char)id[i]));
    /* <roomId>--<egressId>--<10 hex> */
    ASSERT_INT_EQ(strlen(rid), strlen("demo-0123456789abcde--") + 15 + 12);
    ASSERT(strncmp(rid, "demo-0123456789abcde--", 22) == 0);
    ASSERT(strncmp(rid + 22, id, 15) == 0);
    ASSERT(strncmp(rid + 37, "--", 2) == 0);
    for (size_t i = 39; i < 49; i++)
        ASSERT(isxdigit((unsigned char)rid[i]) &&
               !isupper((unsigned char)rid[i]));

    /* STARTED was emitted before gw_egress_start returned. */
    ASSERT_INT_EQ(nevents, first + 1);
    ev = &events[first];
    ASSERT_UINT_EQ(ev->kind, IPC_REC_EV_STARTED);
    ASSERT_STR_EQ(ev->status, "starting");
    ASSERT_STR_EQ(ev->recording_id, rid);
    ASSERT_STR_EQ(ev->egress_id, id);
    ASSERT_STR_EQ(ev->room_id, "demo-0123456789abcde");
    ASSERT_STR_EQ(ev->layout, "speaker");
    encjson = json_dumps(enc, JSON_COMPACT);
    ASSERT_STR_EQ(ev->encoding, encjson);
    free(encjson);
    snprintf(want, sizeof(want), "demo-0123456789abcde--%.10s.mp4", rid + 39);
    ASSERT_STR_EQ(ev->filename, want);
    ASSERT(ev->start_date > 1.7e12 && ev->updated_at >= ev->start_date);
    ASSERT(ev->end_date == 0 && ev->duration == 0 && ev->size == 0);
    ASSERT_INT_EQ(egress_status(e, "demo-0123456789abcde", id),
                  GW_EGRESS_STARTING);
    ASSERT_UINT_EQ(egress_running(e, running), 1);
    ASSERT_STR_EQ(running, id);
    ASSERT_UINT_EQ(egress_running(e, NULL), 1);

    ASSERT(run_until(is_active, id, 10000));
    ASSERT_INT_EQ(egress_status(e, "demo-0123456789abcde", id),
                  GW_EGRESS_ACTIVE);
    /* Another room never sees it. */
    ASSERT_INT_EQ(egress_status(e, "other-room", id), GW_EGRESS_UNKNOWN);
    ASSERT_INT_EQ(egress_status(e, "demo-0123456789abcde", "EG_nope"),
                  GW_EGRESS_UNKNOWN);

    run_until(NULL, NULL, 2000);

    ASSERT_INT_EQ(egress_stop(e, "demo-0123456789abcde", id), 0);
    ev = last_event(id);
    ASSERT_UINT_EQ(ev->kind, IPC_REC_EV_UPDATED);
    ASSERT_STR_EQ(ev->status, "ending");
    ASSERT_INT_EQ(egress_status(e, "demo-0123456789abcde", id),
                  GW_EGRESS_ENDING);
    /* Stopping twice is harmless and emits nothing more. */
    n = nevents;
    ASSERT_INT_EQ(egress_stop(e, "demo-0123456789abcde", id), 0);
    ASSERT_UINT_EQ(nevents, n);
    ASSERT_INT_EQ(egress_stop(e, "demo-0123456789abcde", "EG_unknown"), OV_ENOREC);

    ASSERT(run_until(is_ended, id, 10000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "complete");
    ASSERT_STR_EQ(ev->details, "End reason: StopEgress API");
    ASSERT_STR_EQ(ev->error, "");
    ASSERT_STR_EQ(ev->recording_id, rid);
    ASSERT(ev->duration > 1.5 && ev->duration < 6);
    ASSERT(ev->size > 0);
    ASSERT(ev->end_date >= ev->start_date + 1500);

    /* The order: STARTED, UPDATED active, UPDATED ending, ENDED. */
    n = 0;
    for (size_t i = first; i < nevents; i++)
        if (strcmp(events[i].egress_id, id) == 0 && n < 8)
            mine[n++] = i;
    ASSERT_UINT_EQ(n, 4);
    ASSERT_UINT_EQ(events[mine[0]].kind, IPC_REC_EV_STARTED);
    ASSERT_UINT_EQ(events[mine[1]].kind, IPC_REC_EV_UPDATED);
    ASSERT_STR_EQ(events[mine[1]].status, "active");
    ASSERT_UINT_EQ(events[mine[2]].kind, IPC_REC_EV_UPDATED);
    ASSERT_STR_EQ(events[mine[2]].status, "ending");
    ASSERT_UINT_EQ(events[mine[3]].kind, IPC_REC_EV_ENDED);
    for (size_t i = 1; i < 4; i++)
        ASSERT(events[mine[i]].start_date == events[mine[0]].start_date);

    /* Ended: known as such, no longer running, not stoppable. */
    ASSERT_INT_EQ(egress_status(e, "demo-0123456789abcde", id),
                  GW_EGRESS_ENDED);
    ASSERT_UINT_EQ(egress_running(e, NULL), 0);
    ASSERT_INT_EQ(egress_stop(e, "demo-0123456789abcde", id), OV_ENOREC);

    path = gw_egress_media_path(e, "demo-0123456789abcde", ev->filename);
    ASSERT_NOT_NULL(path);
    snprintf(want, sizeof(want), "%s/demo-0123456789abcde/%s", dir,
             ev->filename);
    ASSERT_STR_EQ(path, want);
    ASSERT_INT_EQ(stat(path, &st), 0);
    ASSERT_INT_EQ(st.st_size, ev->size);
    ASSERT_INT_EQ(probe(path, &p), 0);
    ASSERT_INT_EQ(p.width, 640);
    ASSERT_INT_EQ(p.height, 360);
    ASSERT_INT_EQ(p.streams, 2);
    if (fabs(p.duration - ev->duration) > 1.0)
        TEST__FAIL("ffprobe says %.3f s, the event %.3f s", p.duration,
                   ev->duration);
    free(path);
    json_decref(enc);
    close_backend(e);
}

static void test_local_killed(void)
{
    /* By name: resolved through PATH. */
    gw_egress_t *e = new_backend("ffmpeg");
    json_t *enc = small_encoding();
    char id[32], rid[256], *path;
    const ev_t *ev;
    pid_t pid;
    probe_t p;

    ASSERT_INT_EQ(start(e, "crash-room", "grid", enc, id, rid), 0);
    ASSERT(run_until(is_active, id, 10000));
    /* Past a few key frames (one a second), so fragments are on disk. */
    run_until(NULL, NULL, 2200);
    ev = last_event(id);
    pid = find_ffmpeg(ev->filename);
    ASSERT(pid > 0);
    ASSERT_INT_EQ(kill(pid, SIGKILL), 0);

    ASSERT(run_until(is_ended, id, 10000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "failed");
    ASSERT_STR_EQ(ev->error, "killed by signal 9");
    ASSERT_STR_EQ(ev->details, "End reason: Failure");
    ASSERT(ev->size > 0);
    ASSERT(ev->duration > 0);
    ASSERT(!has_event(id, IPC_REC_EV_UPDATED, "ending"));
    ASSERT_INT_EQ(egress_status(e, "crash-room", id), GW_EGRESS_ENDED);

    /* The fragments written before the kill still play. */
    path = gw_egress_media_path(e, "crash-room", ev->filename);
    ASSERT_NOT_NULL(path);
    ASSERT_INT_EQ(probe(path, &p), 0);
    ASSERT_INT_EQ(p.width, 640);
    ASSERT_INT_EQ(p.height, 360);
    ASSERT(p.duration >= 1.0);
    free(path);
    json_decref(enc);
    close_backend(e);
}

static void test_local_start_fails(void)
{
    gw_egress_t *e = new_backend("/nonexistent/ffmpeg");
    json_t *enc = json_string("H264_720P_30");
    char id[32], rid[256];
    size_t n = nevents;

    /* No executable: OV_EEGRESS and no event. */
    ASSERT_INT_EQ(start(e, "room-a", "grid", enc, id, rid), OV_EEGRESS);
    /* Room ids that would leave the recordings directory. */
    ASSERT_INT_EQ(start(e, "a/b", "grid", enc, id, rid), OV_EEGRESS);
    ASSERT_INT_EQ(start(e, "..", "grid", enc, id, rid), OV_EEGRESS);
    ASSERT_INT_EQ(start(e, "", "grid", enc, id, rid), OV_EEGRESS);
    ASSERT_UINT_EQ(nevents, n);
    ASSERT_UINT_EQ(egress_running(e, NULL), 0);
    json_decref(enc);
    close_backend(e);
}

static void test_media_path(void)
{
    gw_egress_t *e = new_backend("/nonexistent/ffmpeg");
    static const char *const bad[][2] = {
        {"", "r--u.mp4"},     {"r", ""},
        {"..", "r--u.mp4"},   {"a/b", "r--u.mp4"},
        {"r", "../r--u.mp4"}, {"r", "x/r--u.mp4"},
        {"r", "/etc/passwd"}, {"r", "r--u.mkv"},
        {"r", ".mp4"},        {"r", "r--u.mp4.txt"},
        {".", "r--u.mp4"},    {"r", "r..u.mp4"},
        {"r..", "r--u.mp4"},  {"r", "r--u.MP4"},
    };
    char want[400];
    char *p;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = gw_egress_media_path(e, bad[i][0], bad[i][1]);
        if (p)
            TEST__FAIL("accepted %s / %s: %s", bad[i][0], bad[i][1], p);
    }
    {
        gw_egress_t *x = NULL;

        ASSERT_INT_EQ(
            gw_egress_local_new(&x, &loop, "", FFMPEG, on_event, NULL),
            OV_EINTERNAL);
        ASSERT_INT_EQ(gw_egress_local_new(&x, &loop, "/proc/none/recordings",
                                          FFMPEG, on_event, NULL),
                      OV_ESTORAGE);
        ASSERT_NULL(x);
    }
    p = gw_egress_media_path(e, "r-1", "r-1--0a1b2c3d4e.mp4");
    snprintf(want, sizeof(want), "%s/recordings/r-1/r-1--0a1b2c3d4e.mp4",
             tmpdir);
    ASSERT_STR_EQ(p, want);
    free(p);
    close_backend(e);
}

static void test_local_close_running(void)
{
    gw_egress_t *e = new_backend(FFMPEG);
    json_t *enc = json_string("PORTRAIT_H264_720P_30");
    char id[32], rid[256], path[600];
    const ev_t *ev;
    probe_t p;

    ASSERT_INT_EQ(start(e, "closing-room", "single-speaker", enc, id, rid), 0);
    ASSERT_STR_EQ(last_event(id)->encoding, "\"PORTRAIT_H264_720P_30\"");
    ASSERT(run_until(is_active, id, 10000));
    run_until(NULL, NULL, 600);

    /* Close stops it as a stop would, and finishes once it has exited. */
    close_backend(e);
    ASSERT(has_event(id, IPC_REC_EV_UPDATED, "ending"));
    ev = last_event(id);
    ASSERT_UINT_EQ(ev->kind, IPC_REC_EV_ENDED);
    ASSERT_STR_EQ(ev->status, "complete");
    ASSERT(ev->size > 0);

    snprintf(path, sizeof(path), "%s/recordings/closing-room/%s", tmpdir,
             ev->filename);
    ASSERT_INT_EQ(probe(path, &p), 0);
    ASSERT_INT_EQ(p.width, 720);
    ASSERT_INT_EQ(p.height, 1280);
    json_decref(enc);

    /* A backend closed while a start is still in STARTING also ends it. */
    e = new_backend(FFMPEG);
    enc = small_encoding();
    ASSERT_INT_EQ(start(e, "closing-room", "grid", enc, id, rid), 0);
    close_backend(e);
    ev = last_event(id);
    ASSERT_UINT_EQ(ev->kind, IPC_REC_EV_ENDED);
    ASSERT(has_event(id, IPC_REC_EV_UPDATED, "ending"));
    json_decref(enc);
}

/* ---- the local backend with fake ffmpegs ------------------------------- */

void gw__egress_local_timeouts(gw_egress_t *e, unsigned stop_ms,
                               unsigned kill_ms, unsigned eof_ms);

/* Writes an executable shell script standing in for ffmpeg: it finds the
 * output path (the last argument), writes its arguments next to it as
 * <path>.args and a few bytes into it, then runs `body`. Returns its path
 * (static storage). */
static const char *fake_ffmpeg(const char *name, const char *body)
{
    static char path[400];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    ASSERT_NOT_NULL(f);
    fprintf(f,
            "#!/bin/sh\n"
            "for out; do :; done\n"
            "echo \"$*\" > \"$out.args\"\n"
            "printf 'fake' > \"$out\"\n"
            "%s\n",
            body);
    ASSERT_INT_EQ(fclose(f), 0);
    ASSERT_INT_EQ(chmod(path, 0755), 0);
    return path;
}

#define PROGRESS "echo out_time_us=1250000; echo progress=continue\n"

/* Reads the arguments the fake ffmpeg of `filename` received. */
static char *fake_args(const char *room, const char *filename)
{
    static char args[4096];
    char path[600];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/recordings/%s/%s.args", tmpdir, room,
             filename);
    f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    n = fread(args, 1, sizeof(args) - 1, f);
    fclose(f);
    args[n] = '\0';
    return args;
}

#define ASSERT_HAS(hay, needle)                                                \
    do {                                                                       \
        if (!strstr((hay), (needle)))                                          \
            TEST__FAIL("\"%s\" not in \"%s\"", (needle), (hay));               \
    } while (0)

/* The encoding reaches ffmpeg as documented in gw_egress_local.c. */
static void test_local_command_line(void)
{
    static const struct {
        const char *encoding; /* JSON text, or NULL for none */
        const char *layout;
        const char *want[8];
    } cases[] = {
        {"'H264_1080P_60'",
         "grid",
         {"-re -f lavfi -i testsrc2=size=1920x1080:rate=60 ",
          "-re -f lavfi -i sine=frequency=440:sample_rate=44100 ",
          "-c:v libx264 -preset ultrafast -tune zerolatency -profile:v main ",
          "-b:v 6000k -maxrate 6000k -bufsize 12000k -g 240 -keyint_min 240 ",
          "-c:a aac -b:a 128k -ar 44100 -ac 2 ",
          "-movflags +frag_keyframe+empty_moov+default_base_moof "
          "-flush_packets 1 -f mp4 -y ",
          "-hide_banner -nostats -loglevel error -progress pipe:1 ", NULL}},
        {"'PORTRAIT_H264_720P_30'",
         "speaker",
         {"smptebars=size=720x1280:rate=30 ", "-b:v 3000k ", "-g 120 ", NULL}},
        {"'NOT_A_PRESET'", "grid", {"testsrc2=size=1280x720:rate=30 ", NULL}},
        {NULL, "", {"testsrc2=size=1280x720:rate=30 ", NULL}},
        {"{'video':{'width':641,'height':99999,'framerate':29.97,"
         "'codec':'H264_HIGH','bitrate':2500,'keyFrameInterval':2,"
         "'depth':24},'audio':{'codec':'AAC','bitrate':96,"
         "'frequency':47000}}",
         "single-speaker",
         {"smptebars=size=640x4096:rate=29.97 ", "-profile:v high ",
          "-b:v 2500k ", "-g 60 -keyint_min 60 ", "-b:a 96k -ar 48000 ",
          "sample_rate=48000 ", NULL}},
        {"{'video':{'width':320,'height':240,'framerate':10,"
         "'codec':'VP8','bitrate':100,'keyFrameInterval':0.01,"
         "'depth':24},'audio':{'codec':'OPUS','bitrate':2,"
         "'frequency':1}}",
         "grid",
         {"size=320x240:rate=10 ", "-profile:v main ", "-g 1 ",
          "-b:a 8k -ar 8000 ", NULL}},
        {"{'video':{'width':320,'height':240,'framerate':10,"
         "'codec':'H264_BASELINE','bitrate':100,'keyFrameInterval':1,"
         "'depth':24},'audio':{'codec':'OPUS','bitrate':64,"
         "'frequency':44100}}",
         "grid",
         {"-profile:v baseline ", NULL}},
    };
    gw_egress_t *e = new_backend(fake_ffmpeg("ff-args", PROGRESS "exit 0"));
    char longroom[240];

    /* A room id whose recording id would not fit 256 bytes. */
    memset(longroom, 'r', sizeof(longroom) - 1);
    longroom[sizeof(longroom) - 1] = '\0';
    {
        char id[32], rid[256];
        size_t n = nevents;

        ASSERT_INT_EQ(start(e, longroom, "grid", NULL, id, rid), OV_EEGRESS);
        ASSERT_UINT_EQ(nevents, n);
    }

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *enc = cases[i].encoding ? J(cases[i].encoding) : NULL;
        char id[32], rid[256], want[600];
        const ev_t *ev;
        char *args;

        ASSERT_INT_EQ(start(e, "args-room", cases[i].layout, enc, id, rid), 0);
        ev = last_event(id);
        ASSERT_STR_EQ(ev->layout, *cases[i].layout ? cases[i].layout : "grid");
        if (!enc)
            ASSERT_STR_EQ(ev->encoding, "\"H264_720P_30\"");
        ASSERT(run_until(is_ended, id, 5000));
        ev = last_event(id);
        /* Exit 0 without a stop: the source ended by itself. */
        ASSERT_STR_EQ(ev->status, "complete");
        ASSERT_STR_EQ(ev->details, "End reason: Source closed");
        ASSERT(ev->duration == 1.25);
        ASSERT_INT_EQ(ev->size, 4);
        args = fake_args("args-room", ev->filename);
        for (size_t k = 0; cases[i].want[k]; k++)
            ASSERT_HAS(args, cases[i].want[k]);
        snprintf(want, sizeof(want), "-y %s/recordings/args-room/%s\n", tmpdir,
                 ev->filename);
        ASSERT_HAS(args, want);
        json_decref(enc);
    }
    close_backend(e);
}

/* A child that fails on its own: failed, with its exit status. */
static void test_local_exit_status(void)
{
    gw_egress_t *e = new_backend(fake_ffmpeg(
        "ff-exit3", PROGRESS "echo 'Conversion failed!' >&2\nexit 3"));
    json_t *enc = small_encoding();
    char id[32], rid[256];
    const ev_t *ev;

    ASSERT_INT_EQ(start(e, "fail-room", "grid", enc, id, rid), 0);
    ASSERT(run_until(is_ended, id, 5000));
    ASSERT(has_event(id, IPC_REC_EV_UPDATED, "active"));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "failed");
    ASSERT_STR_EQ(ev->error, "ffmpeg exited with status 3");
    ASSERT_STR_EQ(ev->details, "End reason: Failure");
    ASSERT_INT_EQ(ev->size, 4);
    ASSERT(ev->duration == 1.25);
    json_decref(enc);
    close_backend(e);
}

/* Stops that "q" does not finish escalate: SIGINT (ffmpeg's reaction,
 * exit 255, is still a clean end), then SIGKILL (failed). */
static void test_local_escalation(void)
{
    gw_egress_t *e;
    json_t *enc = small_encoding();
    char id[32], rid[256];
    const ev_t *ev;

    e = new_backend(
        fake_ffmpeg("ff-int255", PROGRESS
                    "trap 'exit 255' INT\nwhile :; do sleep 0.05; done"));
    gw__egress_local_timeouts(e, 150, 150, 2000);
    ASSERT_INT_EQ(start(e, "deaf-room", "grid", enc, id, rid), 0);
    ASSERT(run_until(is_active, id, 5000));
    ASSERT_INT_EQ(egress_stop(e, "deaf-room", id), 0);
    ASSERT(run_until(is_ended, id, 5000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "complete");
    ASSERT_STR_EQ(ev->details, "End reason: StopEgress API");
    close_backend(e);

    e = new_backend(
        fake_ffmpeg("ff-deaf", PROGRESS "trap '' INT\nexec sleep 30"));
    gw__egress_local_timeouts(e, 150, 150, 2000);
    ASSERT_INT_EQ(start(e, "deaf-room", "grid", enc, id, rid), 0);
    ASSERT(run_until(is_active, id, 5000));
    ASSERT_INT_EQ(egress_stop(e, "deaf-room", id), 0);
    ASSERT(run_until(is_ended, id, 5000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "failed");
    ASSERT_STR_EQ(ev->error, "killed by signal 9");
    close_backend(e);

    /* Never active: it stays "starting" until stopped. */
    e = new_backend(fake_ffmpeg("ff-silent", "exec sleep 30"));
    gw__egress_local_timeouts(e, 150, 150, 2000);
    ASSERT_INT_EQ(start(e, "silent-room", "grid", enc, id, rid), 0);
    run_until(NULL, NULL, 300);
    ASSERT_INT_EQ(egress_status(e, "silent-room", id), GW_EGRESS_STARTING);
    ASSERT_INT_EQ(egress_stop(e, "silent-room", id), 0);
    ASSERT_STR_EQ(last_event(id)->status, "ending");
    ASSERT(run_until(is_ended, id, 5000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "failed");
    ASSERT_STR_EQ(ev->error, "killed by signal 2");
    ASSERT(!has_event(id, IPC_REC_EV_UPDATED, "active"));
    close_backend(e);

    /* A child whose stdout outlives it (a grandchild holds the pipe): the
     * end is reported after the EOF grace. */
    e = new_backend(fake_ffmpeg("ff-linger", PROGRESS "sleep 3 &\nexit 0"));
    gw__egress_local_timeouts(e, 150, 150, 200);
    ASSERT_INT_EQ(start(e, "linger-room", "grid", enc, id, rid), 0);
    ASSERT(run_until(is_ended, id, 2000));
    ev = last_event(id);
    ASSERT_STR_EQ(ev->status, "complete");
    ASSERT_STR_EQ(ev->details, "End reason: Source closed");
    close_backend(e);
    json_decref(enc);
}

/* A gateway that dies without stopping its egresses (here a forked child
 * that _exits) leaves no ffmpeg behind: under setpriv --pdeathsig INT the
 * orphan is told to finish, and its file stays readable. */
static void test_local_parent_dies(void)
{
    int fds[2];
    char filename[128] = "", path[600];
    ssize_t n;
    pid_t child, ff = -1;
    int status;
    probe_t p;

    if (access("/usr/bin/setpriv", X_OK) != 0) {
        printf("# skipped: no /usr/bin/setpriv\n");
        return;
    }
    ASSERT_INT_EQ(pipe(fds), 0);
    fflush(NULL);
    child = fork();
    ASSERT(child >= 0);
    if (child == 0) {
        /* A loop of its own: the parent's epoll instance is shared. */
        gw_egress_t *e;
        json_t *enc = small_encoding();
        char id[32], rid[256];
        const ev_t *ev;

        close(fds[0]);
        memset(&loop, 0, sizeof(loop));
        ASSERT_INT_EQ(uv_loop_init(&loop), 0);
        e = new_backend(FFMPEG);
        ASSERT_INT_EQ(start(e, "orphan-room", "grid", enc, id, rid), 0);
        ASSERT(run_until(is_active, id, 10000));
        run_until(NULL, NULL, 1200);
        ev = last_event(id);
        ASSERT(write(fds[1], ev->filename, strlen(ev->filename)) > 0);
        _exit(0);
    }
    close(fds[1]);
    n = read(fds[0], filename, sizeof(filename) - 1);
    close(fds[0]);
    ASSERT(n > 0);
    filename[n] = '\0';
    ASSERT_INT_EQ(waitpid(child, &status, 0), child);
    ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    for (int i = 0; i < 100; i++) {
        ff = find_ffmpeg(filename);
        if (ff < 0)
            break;
        usleep(50000);
    }
    ASSERT_INT_EQ(ff, -1);
    snprintf(path, sizeof(path), "%s/recordings/orphan-room/%s", tmpdir,
             filename);
    ASSERT_INT_EQ(probe(path, &p), 0);
    ASSERT(p.duration >= 1.0);
}

static void rm_rf(const char *path)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    ASSERT_INT_EQ(system(cmd), 0);
}

int main(void)
{
    struct stat st;

    signal(SIGPIPE, SIG_IGN);
    ov_log_init("egress-test", OV_LOG_WARN);

    TEST_RUN(test_map_example);
    TEST_RUN(test_map_starting);
    TEST_RUN(test_map_status);
    TEST_RUN(test_map_encoding);
    TEST_RUN(test_map_numbers);
    TEST_RUN(test_map_rejects);

    if (stat(FFMPEG, &st) != 0 || stat(FFPROBE, &st) != 0) {
        printf("ok - local backend skipped: no %s or %s\n", FFMPEG, FFPROBE);
        return 0;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/meetd-egress-test-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
    ASSERT_INT_EQ(uv_loop_init(&loop), 0);

    TEST_RUN(test_media_path);
    TEST_RUN(test_local_start_fails);
    TEST_RUN(test_local_command_line);
    TEST_RUN(test_local_exit_status);
    TEST_RUN(test_local_escalation);
    TEST_RUN(test_local_record);
    TEST_RUN(test_local_killed);
    TEST_RUN(test_local_close_running);
    TEST_RUN(test_local_parent_dies);

    /* Every handle and child is gone. */
    uv_run(&loop, UV_RUN_NOWAIT);
    ASSERT_INT_EQ(uv_loop_close(&loop), 0);
    ASSERT_INT_EQ(stat(tmpdir, &st), 0);
    ASSERT_INT_EQ(st.st_mode & 0777, 0700);
    snprintf(tmpdir + strlen(tmpdir), sizeof(tmpdir) - strlen(tmpdir),
             "/recordings");
    ASSERT_INT_EQ(stat(tmpdir, &st), 0);
    ASSERT_INT_EQ(st.st_mode & 0777, 0700);
    tmpdir[strlen(tmpdir) - strlen("/recordings")] = '\0';
    rm_rf(tmpdir);
    return 0;
}
