/*
 * gw_egress_local: the `local` recording backend, which records a
 * synthetic test pattern with ffmpeg. It knows every answer at once, so
 * its asynchronous entry points call back before they return.
 *
 * Each egress is one ffmpeg child spawned on the gateway's
 * loop (no threads) with three pipes:
 *   stdin   we write "q" to it to stop: ffmpeg then flushes and exits 0;
 *   stdout  `-progress pipe:1`: key=value lines in blocks ending with
 *           "progress=continue" (about every 0.5 s) or "progress=end";
 *           the first "continue" means media flows (ACTIVE), out_time_us
 *           gives the recorded duration;
 *   stderr  read and dropped (kept as a last line for the failure log), so
 *           ffmpeg never writes to the gateway's terminal.
 * The command line (see gw_egl_argv) is
 *   ffmpeg -hide_banner -nostats -loglevel error -progress pipe:1
 *     -re -f lavfi -i testsrc2=size=WxH:rate=FPS     (smptebars unless grid)
 *     -re -f lavfi -i sine=frequency=440:sample_rate=AR
 *     -map 0:v:0 -map 1:a:0
 *     -c:v libx264 -preset ultrafast -tune zerolatency -profile:v PROFILE
 *     -pix_fmt yuv420p -b:v VBk -maxrate VBk -bufsize 2*VBk
 *     -g GOP -keyint_min GOP -sc_threshold 0
 *     -c:a aac -b:a ABk -ar AR -ac 2
 *     -movflags +frag_keyframe+empty_moov+default_base_moof -flush_packets 1
 *     -f mp4 -y PATH
 * `-re` keeps it real-time (and cheap); the fragmented MP4 stays playable
 * up to its last complete fragment if ffmpeg dies.
 *
 * Encoding mapping (the record keeps the encoding exactly as requested):
 *   presets       H264_720P_30 1280x720@30 3000 kbps, H264_720P_60 4500,
 *                 H264_1080P_30 1920x1080@30 4500, H264_1080P_60 6000;
 *                 PORTRAIT_* swap width and height; key frames every 4 s;
 *                 audio 128 kbps at 44100 Hz (LiveKit's preset values).
 *   advanced      video width/height/framerate/bitrate(kbps)/
 *                 keyFrameInterval(s), audio bitrate(kbps)/frequency; zero
 *                 or missing numbers take LiveKit's defaults (1920, 1080,
 *                 30, 128, 4; 128, 44100).
 *   video codec   H264_BASELINE/H264_MAIN/H264_HIGH -> libx264 with that
 *                 profile; DEFAULT_VC -> main; VP8 -> libx264 main (VP8 in
 *                 MP4 plays poorly; logged).
 *   audio codec   every codec (OPUS, AAC, AC_MP3, DEFAULT_AC) -> AAC, the
 *                 codec MP4 players expect; the frequency snaps to the
 *                 nearest rate AAC supports.
 *   limits        sizes are clamped to 16..4096 and made even (yuv420p),
 *                 frame rates to 1..120, video bitrates to 16..100000 kbps,
 *                 audio to 8..512 kbps, so that no request can make the
 *                 synthetic source allocate unbounded frames.
 *
 * Lifecycle of one egress: STARTING (spawned; STARTED emitted) -> ACTIVE
 * (first progress block; UPDATED "active") -> ENDING (stop; UPDATED
 * "ending", "q" written, SIGINT after GW_EGL_STOP_GRACE_MS, SIGKILL after
 * GW_EGL_KILL_GRACE_MS more) -> ENDED once the process has exited and its
 * stdout reached EOF (so the final out_time_us is known); then ENDED is
 * emitted and the handles close; the entry is freed by the last close
 * callback.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "gw_egress_internal.h"
#include "gw_json.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"
#include "ov_util.h"

/* ------------------------------------------------------------------------
 * Local backend
 * ------------------------------------------------------------------------ */

#define GW_EGL_STOP_GRACE_MS 5000 /* "q" to SIGINT */
#define GW_EGL_KILL_GRACE_MS 3000 /* SIGINT to SIGKILL */
#define GW_EGL_REAP_GRACE_MS 2000 /* SIGKILL to giving up on the process */
#define GW_EGL_EOF_GRACE_MS 2000  /* exit to giving up on stdout's EOF */
#define GW_EGL_ENDED_MAX 256      /* ended egresses remembered for status */
#define GW_EGL_LINE_MAX 4096      /* longest progress or stderr line kept */
#define GW_EGL_SETPRIV "/usr/bin/setpriv"

typedef struct gw_egl_s gw_egl_t;

typedef struct {
    char *ffmpeg; /* as configured */
    /* ffmpeg's resolved path when it runs under setpriv(1), else NULL;
     * see gw_egl_resolve. */
    char *ffmpeg_abs;
    /* Escalation delays (GW_EGL_*_GRACE_MS unless a test shortens them). */
    uint64_t stop_ms, kill_ms, reap_ms, eof_ms;
    gw_egl_t *head; /* every egress whose handles are not yet closed */
    size_t nlive;   /* entries of `head`, plus failed starts closing */
    int done;       /* the backend's close has begun its final step */
    /* Never started: closing it at the very end makes the close callback
     * fire from the loop even when nothing was running. */
    uv_timer_t final;
    /* Recently ended egresses, so that status() can tell "ended" from
     * "unknown" as LiveKit's ListEgress does; a ring of "room\0id". */
    char *ended[GW_EGL_ENDED_MAX];
    size_t ended_next;
} gw_egl_backend_t;

struct gw_egl_s {
    gw_egress_t *owner;
    gw_egl_t *next;
    uv_process_t proc;
    uv_pipe_t in, out, err;
    uv_timer_t timer; /* stop escalation, then the exit-to-EOF guard */
    uv_write_t wreq;
    int nhandles; /* open handles; the entry is freed when it drops to 0 */
    int listed;   /* on the backend's list (spawned) */

    gw_egress_status_t state;
    int stop_requested;
    int signals; /* escalation step: 0 "q" only, 1 SIGINT, 2 SIGKILL */
    int exited, out_eof, abandoned;
    int64_t exit_status;
    int term_signal;
    int64_t out_time_us; /* last out_time_us reported, -1 before any */
    double start_date;

    char egress_id[16];
    char uid[11];
    char recording_id[256];
    char *room_id, *layout, *encoding_json, *filename, *path;

    ov_buf_t outline; /* partial stdout line */
    ov_buf_t errline; /* partial stderr line */
    char errlast[256];
    char outraw[2048], errraw[1024];
};

/* Encoding parameters as ffmpeg gets them. */
typedef struct {
    int width, height;
    double fps;
    const char *profile;
    int vkbps;
    double key_s;
    int akbps;
    int arate;
} gw_egl_enc_t;

static gw_egl_backend_t *gw_egl_backend(gw_egress_t *e)
{
    return e->impl;
}

static void gw_egl_finish(gw_egl_t *g);

/* ---- encoding ---------------------------------------------------------- */

static double gw_egl_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Reads a positive number member, or `def` when absent, zero or not a
 * number. */
static double gw_egl_num(const json_t *obj, const char *key, double def)
{
    const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    double d = json_is_number(v) ? json_number_value(v) : 0;

    return (isfinite(d) && d > 0) ? d : def;
}

static int gw_egl_even(double v)
{
    int n = (int)lround(gw_egl_clamp(v, 16, 4096));

    return n & ~1;
}

/* The sample rate AAC accepts that is nearest to `hz`. */
static int gw_egl_aac_rate(double hz)
{
    static const int rates[] = {8000,  11025, 12000, 16000, 22050, 24000,
                                32000, 44100, 48000, 64000, 88200, 96000};
    int best = 44100;
    double bestd = INFINITY;

    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        double d = fabs(hz - rates[i]);
        if (d < bestd) {
            bestd = d;
            best = rates[i];
        }
    }
    return best;
}

static void gw_egl_encoding(const json_t *enc, const char *egress_id,
                            gw_egl_enc_t *out)
{
    static const struct {
        const char *name;
        int w, h, fps, kbps;
    } presets[] = {
        {"H264_720P_30", 1280, 720, 30, 3000},
        {"H264_720P_60", 1280, 720, 60, 4500},
        {"H264_1080P_30", 1920, 1080, 30, 4500},
        {"H264_1080P_60", 1920, 1080, 60, 6000},
    };
    const json_t *video, *audio, *codec;
    const char *name;

    *out = (gw_egl_enc_t){1280, 720, 30, "main", 3000, 4, 128, 44100};
    if (json_is_string(enc)) {
        name = json_string_value(enc);
        int portrait = strncmp(name, "PORTRAIT_", 9) == 0;
        if (portrait)
            name += 9;
        for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
            if (strcmp(name, presets[i].name) != 0)
                continue;
            out->width = portrait ? presets[i].h : presets[i].w;
            out->height = portrait ? presets[i].w : presets[i].h;
            out->fps = presets[i].fps;
            out->vkbps = presets[i].kbps;
        }
        return;
    }
    if (!json_is_object(enc))
        return;

    video = json_object_get(enc, "video");
    audio = json_object_get(enc, "audio");
    out->width = gw_egl_even(gw_egl_num(video, "width", 1920));
    out->height = gw_egl_even(gw_egl_num(video, "height", 1080));
    out->fps = gw_egl_clamp(gw_egl_num(video, "framerate", 30), 1, 120);
    out->vkbps =
        (int)lround(gw_egl_clamp(gw_egl_num(video, "bitrate", 128), 16, 1e5));
    out->key_s =
        gw_egl_clamp(gw_egl_num(video, "keyFrameInterval", 4), 0.1, 3600);
    out->akbps =
        (int)lround(gw_egl_clamp(gw_egl_num(audio, "bitrate", 128), 8, 512));
    out->arate = gw_egl_aac_rate(gw_egl_num(audio, "frequency", 44100));

    codec = json_is_object(video) ? json_object_get(video, "codec") : NULL;
    name = json_is_string(codec) ? json_string_value(codec) : "";
    if (strcmp(name, "H264_BASELINE") == 0) {
        out->profile = "baseline";
    } else if (strcmp(name, "H264_HIGH") == 0) {
        out->profile = "high";
    } else if (strcmp(name, "VP8") == 0) {
        ov_info("egress %s: VP8 requested, recording H.264 (main) into MP4",
                egress_id);
    }
}

/* ---- argv -------------------------------------------------------------- */

typedef struct {
    char *v[64];
    size_t n;
    ov_buf_t owned[16]; /* formatted arguments */
    size_t nowned;
} gw_egl_argv_t;

static void gw_egl_arg(gw_egl_argv_t *a, const char *s)
{
    OV_ASSERT(a->n + 1 < sizeof(a->v) / sizeof(a->v[0]));
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
}

static void gw_egl_argf(gw_egl_argv_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void gw_egl_argf(gw_egl_argv_t *a, const char *fmt, ...)
{
    ov_buf_t *b;
    char tmp[512];
    va_list ap;

    OV_ASSERT(a->nowned < sizeof(a->owned) / sizeof(a->owned[0]));
    b = &a->owned[a->nowned++];
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    *b = (ov_buf_t)OV_BUF_INIT;
    ov_buf_appends(b, tmp);
    gw_egl_arg(a, b->data);
}

static void gw_egl_argv_free(gw_egl_argv_t *a)
{
    for (size_t i = 0; i < a->nowned; i++)
        ov_buf_free(&a->owned[i]);
}

static void gw_egl_argv(gw_egl_argv_t *a, const gw_egl_backend_t *b,
                        const char *layout, const gw_egl_enc_t *enc,
                        const char *path)
{
    int gop = (int)lround(enc->fps * enc->key_s);

    if (gop < 1)
        gop = 1;
    memset(a, 0, sizeof(*a));
    if (b->ffmpeg_abs) {
        gw_egl_arg(a, GW_EGL_SETPRIV);
        gw_egl_arg(a, "--pdeathsig");
        gw_egl_arg(a, "INT");
        gw_egl_arg(a, "--");
        gw_egl_arg(a, b->ffmpeg_abs);
    } else {
        gw_egl_arg(a, b->ffmpeg);
    }
    gw_egl_arg(a, "-hide_banner");
    gw_egl_arg(a, "-nostats");
    gw_egl_arg(a, "-loglevel");
    gw_egl_arg(a, "error");
    gw_egl_arg(a, "-progress");
    gw_egl_arg(a, "pipe:1");
    /* Both inputs read in real time, or the tone would run ahead and be
     * buffered by the muxer. */
    gw_egl_arg(a, "-re");
    gw_egl_arg(a, "-f");
    gw_egl_arg(a, "lavfi");
    gw_egl_arg(a, "-i");
    gw_egl_argf(a, "%s=size=%dx%d:rate=%g",
                strcmp(layout, "grid") == 0 ? "testsrc2" : "smptebars",
                enc->width, enc->height, enc->fps);
    gw_egl_arg(a, "-re");
    gw_egl_arg(a, "-f");
    gw_egl_arg(a, "lavfi");
    gw_egl_arg(a, "-i");
    gw_egl_argf(a, "sine=frequency=440:sample_rate=%d", enc->arate);
    gw_egl_arg(a, "-map");
    gw_egl_arg(a, "0:v:0");
    gw_egl_arg(a, "-map");
    gw_egl_arg(a, "1:a:0");
    gw_egl_arg(a, "-c:v");
    gw_egl_arg(a, "libx264");
    gw_egl_arg(a, "-preset");
    gw_egl_arg(a, "ultrafast");
    gw_egl_arg(a, "-tune");
    gw_egl_arg(a, "zerolatency");
    gw_egl_arg(a, "-profile:v");
    gw_egl_arg(a, enc->profile);
    gw_egl_arg(a, "-pix_fmt");
    gw_egl_arg(a, "yuv420p");
    gw_egl_arg(a, "-b:v");
    gw_egl_argf(a, "%dk", enc->vkbps);
    gw_egl_arg(a, "-maxrate");
    gw_egl_argf(a, "%dk", enc->vkbps);
    gw_egl_arg(a, "-bufsize");
    gw_egl_argf(a, "%dk", 2 * enc->vkbps);
    /* Regular key frames: each one starts a fragment, which bounds what a
     * crash can lose. */
    gw_egl_arg(a, "-g");
    gw_egl_argf(a, "%d", gop);
    gw_egl_arg(a, "-keyint_min");
    gw_egl_argf(a, "%d", gop);
    gw_egl_arg(a, "-sc_threshold");
    gw_egl_arg(a, "0");
    gw_egl_arg(a, "-c:a");
    gw_egl_arg(a, "aac");
    gw_egl_arg(a, "-b:a");
    gw_egl_argf(a, "%dk", enc->akbps);
    gw_egl_arg(a, "-ar");
    gw_egl_argf(a, "%d", enc->arate);
    gw_egl_arg(a, "-ac");
    gw_egl_arg(a, "2");
    gw_egl_arg(a, "-movflags");
    gw_egl_arg(a, "+frag_keyframe+empty_moov+default_base_moof");
    /* Without it each finished fragment waits in ffmpeg's I/O buffer, and
     * a crash seconds into a recording leaves only the 28-byte ftyp. */
    gw_egl_arg(a, "-flush_packets");
    gw_egl_arg(a, "1");
    gw_egl_arg(a, "-f");
    gw_egl_arg(a, "mp4");
    gw_egl_arg(a, "-y");
    gw_egl_arg(a, path);
}

/* ---- events ------------------------------------------------------------ */

/* Emits one event with the record as LiveKit's mapping would give it. The
 * end fields (`end`) are filled for ENDED only. */
static void gw_egl_emit(gw_egl_t *g, uint32_t kind, const char *status, int end,
                        const char *error, const char *details)
{
    gw_egress_t *e = g->owner;
    ipc_rec_t rec;
    struct stat st;
    double now = (double)ov_time_now_ms();

    memset(&rec, 0, sizeof(rec));
    rec.recording_id = ov_str(g->recording_id);
    rec.room_id = ov_str(g->room_id);
    rec.egress_id = ov_str(g->egress_id);
    rec.layout = ov_str(g->layout);
    rec.encoding_json = ov_str(g->encoding_json);
    rec.status = ov_str(status);
    rec.filename = ov_str(g->filename);
    rec.start_date = g->start_date;
    rec.updated_at = now;
    if (end) {
        rec.end_date = now;
        if (g->out_time_us > 0)
            rec.duration = (double)g->out_time_us / 1e6;
        if (stat(g->path, &st) == 0)
            rec.size = (int64_t)st.st_size;
    }
    rec.error = ov_str(error ? error : "");
    rec.details = ov_str(details ? details : "");
    e->cb(e->data, kind, &rec);
}

/* ---- handles ----------------------------------------------------------- */

/* Frees an entry whose handles are closed or were never initialised. */
static void gw_egl_discard(gw_egl_t *g)
{
    free(g->room_id);
    free(g->layout);
    free(g->encoding_json);
    free(g->filename);
    free(g->path);
    ov_buf_free(&g->outline);
    ov_buf_free(&g->errline);
    free(g);
}

static void gw_egl_free(gw_egl_t *g)
{
    gw_egress_t *e = g->owner;
    gw_egl_backend_t *b = gw_egl_backend(e);

    gw_egl_discard(g);
    OV_ASSERT(b->nlive > 0);
    b->nlive--;
    if (e->closing)
        e->ops->close(e);
}

static void gw_egl_handle_closed(uv_handle_t *h)
{
    gw_egl_t *g = h->data;

    if (--g->nhandles == 0)
        gw_egl_free(g);
}

static void gw_egl_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, gw_egl_handle_closed);
}

/* Closes every handle of `g`; it is unlisted and freed by the last close
 * callback. */
static void gw_egl_close_all(gw_egl_t *g)
{
    gw_egl_backend_t *b = gw_egl_backend(g->owner);

    if (g->listed) {
        for (gw_egl_t **pp = &b->head; *pp; pp = &(*pp)->next) {
            if (*pp == g) {
                *pp = g->next;
                break;
            }
        }
        g->listed = 0;
    }
    gw_egl_close_handle((uv_handle_t *)&g->proc);
    gw_egl_close_handle((uv_handle_t *)&g->in);
    gw_egl_close_handle((uv_handle_t *)&g->out);
    gw_egl_close_handle((uv_handle_t *)&g->err);
    gw_egl_close_handle((uv_handle_t *)&g->timer);
}

/* ---- progress and stderr ----------------------------------------------- */

static void gw_egl_progress_line(gw_egl_t *g, const char *line)
{
    if (strncmp(line, "out_time_us=", 12) == 0) {
        char *end;
        long long v = strtoll(line + 12, &end, 10);
        /* "N/A" until the first packet is muxed. */
        if (end != line + 12 && *end == '\0' && v >= 0)
            g->out_time_us = v;
    } else if (strcmp(line, "progress=continue") == 0 &&
               g->state == GW_EGRESS_STARTING) {
        g->state = GW_EGRESS_ACTIVE;
        ov_info("egress %s: active", g->egress_id);
        gw_egl_emit(g, IPC_REC_EV_UPDATED, "active", 0, NULL, NULL);
    }
}

/* Splits what arrived into lines and hands each complete one to `fn`.
 * A line longer than GW_EGL_LINE_MAX is dropped whole. */
static void gw_egl_lines(gw_egl_t *g, ov_buf_t *acc, const char *p, size_t n,
                         void (*fn)(gw_egl_t *, const char *))
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' || p[i] == '\r') {
            if (acc->len > 0 && acc->len <= GW_EGL_LINE_MAX)
                fn(g, acc->data);
            ov_buf_reset(acc);
            continue;
        }
        if (acc->len <= GW_EGL_LINE_MAX)
            ov_buf_append(acc, &p[i], 1);
    }
}

static void gw_egl_stderr_line(gw_egl_t *g, const char *line)
{
    ov_debug("egress %s: ffmpeg: %s", g->egress_id, line);
    snprintf(g->errlast, sizeof(g->errlast), "%s", line);
}

static void gw_egl_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    gw_egl_t *g = h->data;

    (void)suggested;
    if (h == (uv_handle_t *)&g->out)
        *buf = uv_buf_init(g->outraw, sizeof(g->outraw));
    else
        *buf = uv_buf_init(g->errraw, sizeof(g->errraw));
}

static void gw_egl_out_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    gw_egl_t *g = s->data;

    if (n > 0) {
        gw_egl_lines(g, &g->outline, buf->base, (size_t)n,
                     gw_egl_progress_line);
        return;
    }
    if (n == 0)
        return;
    /* EOF or an error: either way no more progress will come. */
    uv_read_stop(s);
    g->out_eof = 1;
    if (g->exited)
        gw_egl_finish(g);
}

static void gw_egl_err_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    gw_egl_t *g = s->data;

    if (n > 0)
        gw_egl_lines(g, &g->errline, buf->base, (size_t)n, gw_egl_stderr_line);
    else if (n < 0)
        uv_read_stop(s);
}

/* ---- exit and end ------------------------------------------------------ */

/* Emits ENDED from how the process ended and closes the handles. Runs once,
 * when the process has exited and stdout is drained (or a guard gave up on
 * either). */
static void gw_egl_finish(gw_egl_t *g)
{
    gw_egl_backend_t *b = gw_egl_backend(g->owner);
    char error[96] = "";
    const char *status = "failed";
    const char *details = "End reason: Failure";
    size_t rl;

    if (g->state == GW_EGRESS_ENDED)
        return;
    g->state = GW_EGRESS_ENDED;
    uv_timer_stop(&g->timer);

    if (g->abandoned) {
        snprintf(error, sizeof(error), "ffmpeg did not exit after SIGKILL");
    } else if (g->term_signal != 0) {
        snprintf(error, sizeof(error), "killed by signal %d", g->term_signal);
    } else if (g->exit_status == 0 ||
               (g->exit_status == 255 && g->stop_requested)) {
        /* 255 is ffmpeg's status after a SIGINT it handled: it still
         * closed the file, and only a stop escalates to SIGINT. */
        status = "complete";
        details = g->stop_requested ? "End reason: StopEgress API"
                                    : "End reason: Source closed";
    } else {
        snprintf(error, sizeof(error), "ffmpeg exited with status %lld",
                 (long long)g->exit_status);
    }
    if (*error) {
        ov_warn("egress %s failed: %s%s%s", g->egress_id, error,
                *g->errlast ? "; ffmpeg: " : "", g->errlast);
    } else {
        ov_info("egress %s: complete (%.1f s)", g->egress_id,
                g->out_time_us > 0 ? (double)g->out_time_us / 1e6 : 0.0);
    }

    /* Remember the id before the event, so that a callback asking for the
     * status already sees it ended. */
    rl = strlen(g->room_id);
    free(b->ended[b->ended_next]);
    b->ended[b->ended_next] = ov_xmalloc(rl + 1 + strlen(g->egress_id) + 1);
    memcpy(b->ended[b->ended_next], g->room_id, rl + 1);
    strcpy(b->ended[b->ended_next] + rl + 1, g->egress_id);
    b->ended_next = (b->ended_next + 1) % GW_EGL_ENDED_MAX;

    gw_egl_emit(g, IPC_REC_EV_ENDED, status, 1, *error ? error : NULL, details);
    gw_egl_close_all(g);
}

static void gw_egl_timer_cb(uv_timer_t *t)
{
    gw_egl_t *g = t->data;
    gw_egl_backend_t *b = gw_egl_backend(g->owner);

    if (g->exited) {
        /* stdout never reached EOF (something else holds the pipe). */
        gw_egl_finish(g);
        return;
    }
    switch (g->signals) {
    case 0:
        ov_warn("egress %s: ffmpeg ignored \"q\", sending SIGINT",
                g->egress_id);
        g->signals = 1;
        uv_process_kill(&g->proc, SIGINT);
        uv_timer_start(&g->timer, gw_egl_timer_cb, b->kill_ms, 0);
        break;
    case 1:
        ov_warn("egress %s: ffmpeg ignored SIGINT, sending SIGKILL",
                g->egress_id);
        g->signals = 2;
        uv_process_kill(&g->proc, SIGKILL);
        uv_timer_start(&g->timer, gw_egl_timer_cb, b->reap_ms, 0);
        break;
    default:
        /* Unkillable (stuck in the kernel): end the record anyway so that
         * close stays bounded; closing the handle stops libuv from
         * waiting for this child. */
        ov_error("egress %s: ffmpeg (pid %d) did not exit after SIGKILL",
                 g->egress_id, g->proc.pid);
        g->abandoned = 1;
        gw_egl_finish(g);
        break;
    }
}

static void gw_egl_exit_cb(uv_process_t *p, int64_t exit_status,
                           int term_signal)
{
    gw_egl_t *g = p->data;
    gw_egl_backend_t *b = gw_egl_backend(g->owner);

    g->exited = 1;
    g->exit_status = exit_status;
    g->term_signal = term_signal;
    gw_egl_close_handle((uv_handle_t *)&g->in);
    if (g->out_eof) {
        gw_egl_finish(g);
        return;
    }
    uv_timer_start(&g->timer, gw_egl_timer_cb, b->eof_ms, 0);
}

static void gw_egl_write_cb(uv_write_t *req, int status)
{
    gw_egl_t *g = req->data;

    if (status < 0 && status != UV_ECANCELED)
        ov_debug("egress %s: writing \"q\" failed: %s", g->egress_id,
                 uv_strerror(status));
}

/* Asks ffmpeg to finish: "q" on stdin, with SIGINT and SIGKILL as
 * fallbacks. The caller has set ENDING. */
static void gw_egl_request_stop(gw_egl_t *g)
{
    static char q[] = "q";
    gw_egl_backend_t *b = gw_egl_backend(g->owner);
    uv_buf_t buf = uv_buf_init(q, 1);
    int rc;

    g->stop_requested = 1;
    if (g->exited)
        return;
    g->wreq.data = g;
    rc = uv_is_closing((uv_handle_t *)&g->in)
             ? UV_EPIPE
             : uv_write(&g->wreq, (uv_stream_t *)&g->in, &buf, 1,
                        gw_egl_write_cb);
    if (rc < 0) {
        /* No stdin to write to: go straight to SIGINT. */
        g->signals = 1;
        uv_process_kill(&g->proc, SIGINT);
        uv_timer_start(&g->timer, gw_egl_timer_cb, b->kill_ms, 0);
        return;
    }
    uv_timer_start(&g->timer, gw_egl_timer_cb, b->stop_ms, 0);
}

/* ---- ops --------------------------------------------------------------- */

static gw_egl_t *gw_egl_find(gw_egl_backend_t *b, const char *egress_id)
{
    for (gw_egl_t *g = b->head; g; g = g->next)
        if (g->state != GW_EGRESS_ENDED && strcmp(g->egress_id, egress_id) == 0)
            return g;
    return NULL;
}

/* "EG_" and 12 characters of [0-9A-Za-z], unbiased (bytes >= 248 are
 * drawn again, 248 being the largest multiple of 62 below 256). */
static int gw_egl_egress_id(char out[16])
{
    static const char abc[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char r[32];
    size_t n = 0;

    memcpy(out, "EG_", 3);
    while (n < 12) {
        if (ov_rand_bytes(r, sizeof(r)) != 0)
            return -1;
        for (size_t i = 0; i < sizeof(r) && n < 12; i++)
            if (r[i] < 248)
                out[3 + n++] = abc[r[i] % 62];
    }
    out[15] = '\0';
    return 0;
}

static int gw_egl_spawn(gw_egress_t *e, const gw_egress_request_t *req,
                        char *egress_id, char *recording_id)
{
    gw_egl_backend_t *b = gw_egl_backend(e);
    uv_process_options_t opts;
    uv_stdio_container_t stdio[3];
    gw_egl_argv_t argv;
    gw_egl_enc_t enc;
    const char *layout = req->layout && *req->layout ? req->layout : "grid";
    char *roomdir;
        gw_egl_t *g;
    ov_buf_t tmp = OV_BUF_INIT;
    int rc;

    if (!gw_egress_safe_segment(req->room_id)) {
        ov_warn("egress: invalid room id for a recording");
        return OV_EEGRESS;
    }
    /* "<roomId>--EG_<12>--<10 hex>" must fit the caller's 256 bytes. */
    if (strlen(req->room_id) + 2 + 15 + 2 + 10 >= 256) {
        ov_warn("egress: room id too long for a recording id");
        return OV_EEGRESS;
    }
    if (b->ffmpeg_abs && access(b->ffmpeg_abs, X_OK) != 0) {
        /* Under setpriv a missing ffmpeg would only show as an exit
         * status; refuse now, as uv_spawn would without the wrapper. */
        ov_error("access(%s) failed: %s", b->ffmpeg_abs, strerror(errno));
        return OV_EEGRESS;
    }
    g = ov_xcalloc(1, sizeof(*g));
    g->owner = e;
    g->out_time_us = -1;
    if (gw_egl_egress_id(g->egress_id) != 0) {
        ov_error("egress: no randomness for an egress id");
        gw_egl_discard(g);
        return OV_EEGRESS;
    }

    ov_buf_printf(&tmp, "%s/%s", e->dir, req->room_id);
    roomdir = tmp.data;
    tmp = (ov_buf_t)OV_BUF_INIT;
    if (mkdir(roomdir, 0700) != 0 && errno != EEXIST) {
        ov_error("mkdir(%s) failed: %s", roomdir, strerror(errno));
        free(roomdir);
        gw_egl_discard(g);
        return OV_EEGRESS;
    }
    if (gw_egress_new_uid(e, req->room_id, g->uid) != 0) {
        ov_error("egress: cannot choose a file name in %s", roomdir);
        free(roomdir);
        gw_egl_discard(g);
        return OV_EEGRESS;
    }
    ov_buf_printf(&tmp, "%s/%s--%s.mp4", roomdir, req->room_id, g->uid);
    free(roomdir);
    snprintf(g->recording_id, sizeof(g->recording_id), "%s--%s--%s",
             req->room_id, g->egress_id, g->uid);
    g->path = tmp.data;
    g->filename = ov_xstrdup(strrchr(g->path, '/') + 1);
    g->room_id = ov_xstrdup(req->room_id);
    g->layout = ov_xstrdup(layout);
    g->encoding_json =
        req->encoding
            ? json_dumps(req->encoding, GW_JSON_CONFIG_FLAGS | JSON_ENCODE_ANY)
            : NULL;
    if (!g->encoding_json)
        g->encoding_json = ov_xstrdup("\"H264_720P_30\"");
    gw_egl_encoding(req->encoding, g->egress_id, &enc);
    gw_egl_argv(&argv, b, layout, &enc, g->path);

    /* Every handle is initialised before the spawn so that both outcomes
     * release them the same way. */
    b->nlive++;
    g->nhandles = 5;
    uv_pipe_init(e->loop, &g->in, 0);
    uv_pipe_init(e->loop, &g->out, 0);
    uv_pipe_init(e->loop, &g->err, 0);
    uv_timer_init(e->loop, &g->timer);
    g->proc.data = g->in.data = g->out.data = g->err.data = g->timer.data = g;

    memset(&opts, 0, sizeof(opts));
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&g->in;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&g->out;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&g->err;
    opts.file = argv.v[0];
    opts.args = argv.v;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    opts.exit_cb = gw_egl_exit_cb;
    rc = uv_spawn(e->loop, &g->proc, &opts);
    gw_egl_argv_free(&argv);
    if (rc != 0) {
        ov_error("uv_spawn(%s) failed: %s", b->ffmpeg, uv_strerror(rc));
        g->state = GW_EGRESS_ENDED;
        gw_egl_close_all(g);
        return OV_EEGRESS;
    }
    g->proc.data = g;
    uv_read_start((uv_stream_t *)&g->out, gw_egl_alloc_cb, gw_egl_out_read_cb);
    uv_read_start((uv_stream_t *)&g->err, gw_egl_alloc_cb, gw_egl_err_read_cb);

    g->state = GW_EGRESS_STARTING;
    g->start_date = (double)ov_time_now_ms();
    g->next = b->head;
    b->head = g;
    g->listed = 1;
    ov_info("egress %s: started for room %s (pid %d, %dx%d@%g) -> %s",
            g->egress_id, g->room_id, g->proc.pid, enc.width, enc.height,
            enc.fps, g->path);

    /* The ids go out before the event: its callback may stop or even
     * close the backend, which frees nothing before the loop turns. */
    snprintf(egress_id, 32, "%s", g->egress_id);
    snprintf(recording_id, 256, "%s", g->recording_id);
    gw_egl_emit(g, IPC_REC_EV_STARTED, "starting", 0, NULL, NULL);
    return 0;
}

static void gw_egl_start(gw_egress_t *e, const gw_egress_request_t *req,
                         gw_egress_start_cb cb, void *data)
{
    char egress_id[32], recording_id[256];
    int rc = gw_egl_spawn(e, req, egress_id, recording_id);

    cb(data, rc, rc == 0 ? egress_id : NULL, rc == 0 ? recording_id : NULL);
}

static gw_egress_status_t gw_egl_state(gw_egress_t *e, const char *room_id,
                                       const char *egress_id)
{
    gw_egl_backend_t *b = gw_egl_backend(e);
    gw_egl_t *g = gw_egl_find(b, egress_id);

    if (g)
        return strcmp(g->room_id, room_id) == 0 ? g->state : GW_EGRESS_UNKNOWN;
    for (size_t i = 0; i < GW_EGL_ENDED_MAX; i++) {
        const char *k = b->ended[i];
        if (k && strcmp(k, room_id) == 0 &&
            strcmp(k + strlen(k) + 1, egress_id) == 0)
            return GW_EGRESS_ENDED;
    }
    return GW_EGRESS_UNKNOWN;
}

static void gw_egl_status(gw_egress_t *e, const char *room_id,
                          const char *egress_id, gw_egress_status_cb cb,
                          void *data)
{
    cb(data, 0, gw_egl_state(e, room_id, egress_id));
}

/* Stops one egress: ENDING is emitted now, ENDED once ffmpeg has exited.
 * Returns 0, or OV_ENOREC if it is unknown or has ended. */
static int gw_egl_stop_one(gw_egress_t *e, const char *egress_id)
{
    gw_egl_t *g = gw_egl_find(gw_egl_backend(e), egress_id);

    if (!g || g->state == GW_EGRESS_ENDED)
        return OV_ENOREC;
    if (g->state == GW_EGRESS_ENDING)
        return 0;
    g->state = GW_EGRESS_ENDING;
    ov_info("egress %s: stopping", g->egress_id);
    gw_egl_request_stop(g);
    gw_egl_emit(g, IPC_REC_EV_UPDATED, "ending", 0, NULL, NULL);
    return 0;
}

static void gw_egl_stop(gw_egress_t *e, const char *room_id,
                        const char *egress_id, gw_egress_stop_cb cb,
                        void *data)
{
    int rc = gw_egl_state(e, room_id, egress_id) == GW_EGRESS_UNKNOWN
                 ? OV_ENOREC
                 : gw_egl_stop_one(e, egress_id);

    if (cb)
        cb(data, rc, NULL);
}

static void gw_egl_list_running(gw_egress_t *e, const char *room_id,
                                gw_egress_list_cb cb, void *data)
{
    size_t n = 0, cap = 16;
    const char **ids = ov_xcalloc(cap, sizeof(*ids));
    const char **rooms = ov_xcalloc(cap, sizeof(*rooms));

    for (gw_egl_t *g = gw_egl_backend(e)->head; g; g = g->next) {
        if (g->state == GW_EGRESS_ENDED ||
            (room_id && strcmp(g->room_id, room_id) != 0))
            continue;
        if (n == cap) {
            cap *= 2;
            ids = ov_xrealloc(ids, cap * sizeof(*ids));
            rooms = ov_xrealloc(rooms, cap * sizeof(*rooms));
        }
        ids[n] = g->egress_id;
        rooms[n] = g->room_id;
        n++;
    }
    cb(data, 0, n, ids, rooms);
    free(ids);
    free(rooms);
}

static size_t gw_egl_processes(const gw_egress_t *e)
{
    size_t n = 0;

    for (gw_egl_t *g = ((gw_egl_backend_t *)e->impl)->head; g; g = g->next)
        n += g->state != GW_EGRESS_ENDED;
    return n;
}

static void gw_egl_final_closed(uv_handle_t *h)
{
    gw_egress_t *e = h->data;
    gw_egl_backend_t *b = gw_egl_backend(e);

    for (size_t i = 0; i < GW_EGL_ENDED_MAX; i++)
        free(b->ended[i]);
    free(b->ffmpeg);
    free(b->ffmpeg_abs);
    free(b);
    gw_egress_closed(e);
}

/* Runs at gw_egress_close and again whenever an egress is freed while
 * closing: stops what still runs, and finishes once nothing is left. */
static void gw_egl_close(gw_egress_t *e)
{
    gw_egl_backend_t *b = gw_egl_backend(e);
    gw_egl_t *g, *next;

    if (b->done)
        return;
    /* gw_egl_stop emits an event whose callback may not unlist anything
     * (ENDED is always asynchronous), but take `next` first anyway. */
    for (g = b->head; g; g = next) {
        next = g->next;
        if (g->state == GW_EGRESS_STARTING || g->state == GW_EGRESS_ACTIVE)
            gw_egl_stop_one(e, g->egress_id);
    }
    if (b->nlive > 0)
        return;
    b->done = 1;
    uv_close((uv_handle_t *)&b->final, gw_egl_final_closed);
}

static const gw_egress_ops_t gw_egl_ops = {
    .start = gw_egl_start,
    .status = gw_egl_status,
    .stop = gw_egl_stop,
    .list_running = gw_egl_list_running,
    .processes = gw_egl_processes,
    .close = gw_egl_close,
};

/* ffmpeg ignores SIGPIPE and an EOF on stdin, so a gateway that dies
 * without stopping its egresses (SIGKILL, a crash) would leave them
 * recording forever. When util-linux's setpriv is installed, ffmpeg runs
 * as `setpriv --pdeathsig INT -- <ffmpeg>`: the kernel then sends it
 * SIGINT when the gateway dies, and ffmpeg closes its file and exits.
 * setpriv execs ffmpeg (same pid) and needs its path, so the configured
 * name is resolved through PATH here. Returns the path (new, free with
 * free()), or NULL to run ffmpeg directly. */
static char *gw_egl_resolve(const char *ffmpeg)
{
    const char *path = getenv("PATH");
    ov_buf_t b = OV_BUF_INIT;

    if (access(GW_EGL_SETPRIV, X_OK) != 0)
        return NULL;
    if (strchr(ffmpeg, '/'))
        return ov_xstrdup(ffmpeg);
    while (path && *path) {
        size_t n = strcspn(path, ":");

        ov_buf_reset(&b);
        ov_buf_printf(&b, "%.*s/%s", (int)n, n ? path : ".", ffmpeg);
        if (access(b.data, X_OK) == 0)
            return b.data;
        path += n + (path[n] == ':');
    }
    ov_buf_free(&b);
    return NULL;
}

int gw_egress_local_new(gw_egress_t **out, uv_loop_t *loop,
                        const char *recordings_dir, const char *ffmpeg,
                        gw_egress_event_cb cb, void *data)
{
    gw_egress_t *e;
    gw_egl_backend_t *b;

    if (!ffmpeg || !*ffmpeg)
        return OV_EINTERNAL;
    int rc = gw_egress_base_new(&e, &gw_egl_ops, loop, recordings_dir, cb,
                                data);
    if (rc != 0)
        return rc;
    b = ov_xcalloc(1, sizeof(*b));
    e->impl = b;
    b->ffmpeg = ov_xstrdup(ffmpeg);
    b->ffmpeg_abs = gw_egl_resolve(ffmpeg);
    b->stop_ms = GW_EGL_STOP_GRACE_MS;
    b->kill_ms = GW_EGL_KILL_GRACE_MS;
    b->reap_ms = GW_EGL_REAP_GRACE_MS;
    b->eof_ms = GW_EGL_EOF_GRACE_MS;
    uv_timer_init(loop, &b->final);
    b->final.data = e;
    *out = e;
    return 0;
}

/* Test hook, deliberately absent from gw_egress.h (tests declare it):
 * shortens the delays of a local backend's stop escalation ("q" to
 * SIGINT, SIGINT to SIGKILL, SIGKILL to giving up) and of the wait for
 * stdout's EOF after an exit, so that children deaf to "q" are testable in
 * milliseconds. */
void gw__egress_local_timeouts(gw_egress_t *e, unsigned stop_ms,
                               unsigned kill_ms, unsigned eof_ms);

void gw__egress_local_timeouts(gw_egress_t *e, unsigned stop_ms,
                               unsigned kill_ms, unsigned eof_ms)
{
    gw_egl_backend_t *b = gw_egl_backend(e);

    OV_ASSERT(e->ops == &gw_egl_ops);
    b->stop_ms = stop_ms;
    b->kill_ms = kill_ms;
    b->reap_ms = kill_ms;
    b->eof_ms = eof_ms;
}
