/* meetd: the gateway process.
 *
 * Start-up order: configuration → data directory (0700) and its shard
 * count → worker pool (every shard READY) → API key from the system shard
 * → webhook configuration (workers told whether to record events) → jobs
 * → listen. SIGTERM/SIGINT stop accepting, let requests in flight finish
 * (bounded by MEET_SHUTDOWN_TIMEOUT_MS), stop the workers and exit 0.
 * SIGHUP reopens MEET_LOG_FILE (log rotation). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "gw_app.h"
#include "gw_auth.h"
#include "gw_datadir.h"
#include "gw_jobs.h"
#include "gw_metrics.h"
#include "gw_recordings.h"
#include "gw_version.h"
#include "gw_webhooks.h"
#include "ov_err.h"
#include "ov_log.h"

extern char **environ;

typedef struct {
    uv_loop_t *loop;
    gw_config_t cfg;
    gw_app_t app;
    gw_pool_t *pool;
    gw_http_server_t *http;
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t drain_timer;
    uint64_t drain_deadline_ns;
    char *worker_bin;
    char generated_key[64];
    int exit_code;
    int shutting_down;
    int jobs_started;
    int key_created; /* the API key was stored by this start */
} gw_main_t;

static void begin_shutdown(gw_main_t *m, int code);

static void http_closed_cb(void *data)
{
    gw_main_t *m = data;
    m->http = NULL;
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
    uv_close((uv_handle_t *)&m->sighup, NULL);
    uv_close((uv_handle_t *)&m->drain_timer, NULL);
}

static void pool_stopped_cb(void *data)
{
    gw_main_t *m = data;
    m->pool = NULL;
    if (m->http)
        gw_http_server_close(m->http, http_closed_cb, m);
    else
        http_closed_cb(m);
}

static void webhooks_closed_cb(void *data)
{
    gw_main_t *m = data;
    m->app.webhooks = NULL;
    if (m->pool)
        gw_pool_stop(m->pool, 5000, pool_stopped_cb, m);
    else
        pool_stopped_cb(m);
}

/* Webhooks close before the pool: their last outcomes still reach the
 * shards. */
static void recordings_closed_cb(void *data)
{
    gw_main_t *m = data;
    gw_webhooks_close(m->app.webhooks, webhooks_closed_cb, m);
}

static void drain_timer_cb(uv_timer_t *t)
{
    gw_main_t *m = t->data;
    int overdue = uv_hrtime() > m->drain_deadline_ns;
    if (m->http && gw_http_server_inflight(m->http) > 0 && !overdue)
        return;
    if (m->http && overdue && gw_http_server_inflight(m->http) > 0)
        ov_warn("shutdown: %zu request(s) still in flight after %lld ms; "
                "closing",
                gw_http_server_inflight(m->http),
                (long long)m->cfg.shutdown_timeout_ms);
    uv_timer_stop(t);
    /* Running recordings end cleanly first: their last events still reach
     * the shards before the workers stop. */
    gw_recordings_close(&m->app, recordings_closed_cb, m);
}

static void begin_shutdown(gw_main_t *m, int code)
{
    if (m->shutting_down)
        return;
    m->shutting_down = 1;
    m->exit_code = code;
    ov_info("shutting down");
    if (m->jobs_started)
        gw_jobs_stop(&m->app, NULL);
    if (m->http)
        gw_http_server_stop_accepting(m->http);
    m->drain_deadline_ns =
        uv_hrtime() + (uint64_t)m->cfg.shutdown_timeout_ms * 1000000u;
    uv_timer_start(&m->drain_timer, drain_timer_cb, 0, 20);
}

static void signal_cb(uv_signal_t *s, int signum)
{
    gw_main_t *m = s->data;
    ov_info("received signal %d", signum);
    begin_shutdown(m, 0);
}

/* Log rotation: the rotated file was renamed, so the same path is opened
 * anew. Workers write to the descriptor they inherited, i.e. the old file,
 * until they are restarted; only the gateway's own lines move at once. */
static void sighup_cb(uv_signal_t *s, int signum)
{
    gw_main_t *m = s->data;
    if (m->cfg.log_file[0] == '\0') {
        ov_info("received SIGHUP; no MEET_LOG_FILE to reopen");
        return;
    }
    int rc = ov_log_file_open(m->cfg.log_file);
    if (rc != 0) {
        ov_error("SIGHUP: cannot reopen log file %s: %s; still writing to "
                 "the old one",
                 m->cfg.log_file, strerror(-rc));
        return;
    }
    ov_info("received SIGHUP: reopened log file %s", m->cfg.log_file);
}

static void start_listening(gw_main_t *m)
{
    gw_http_limits_t lim;
    gw_http_limits_default(&lim);
    lim.max_body_bytes = (size_t)m->cfg.max_body_size;
    lim.max_connections = (unsigned)m->cfg.max_connections;
    lim.header_timeout_ms = (unsigned)m->cfg.header_timeout_ms;
    lim.body_timeout_ms = (unsigned)m->cfg.body_timeout_ms;
    lim.idle_timeout_ms = (unsigned)m->cfg.idle_timeout_ms;
    gw_http_server_new(&m->http, m->loop, &lim, gw_app_handle, &m->app);
    gw_http_server_set_hooks(m->http, gw_app_cors_headers, &m->app,
                             gw_metrics_request_done);
    int rc = gw_http_server_listen(m->http, m->cfg.host, (int)m->cfg.port);
    if (rc < 0) {
        ov_error("cannot listen on %s:%lld: %s", m->cfg.host,
                 (long long)m->cfg.port, uv_strerror(rc));
        begin_shutdown(m, 1);
        return;
    }
    int port = gw_http_server_port(m->http);
    const char *shown = strcmp(m->cfg.host, "0.0.0.0") == 0 ||
                                strcmp(m->cfg.host, "::") == 0
                            ? "localhost"
                            : m->cfg.host;
    /* This line is on stdout so that scripts can read the port. */
    printf("meetd listening on http://%s:%d (API at %sapi/v1 and /api/v1)\n",
           shown, port, m->cfg.base_path);
    if (m->cfg.show_api_key)
        printf("meetd API key (send it as X-API-KEY): %s\n", m->app.api_key);
    fflush(stdout);
}

static void webhooks_started_cb(int err, void *data);

static void apikey_cb(int err, const ipc_apikey_ensure_reply_t *reply,
                      void *data)
{
    gw_main_t *m = data;
    if (err != 0) {
        ov_error("cannot load the API key from the system shard: %s",
                 ov_strerror(err));
        begin_shutdown(m, 1);
        return;
    }
    m->app.api_key = ov_xstrndup(reply->key.ptr, reply->key.len);
    m->key_created = reply->created;
    /* Workers must know whether to record webhook events before the jobs
     * or any request can cause one. */
    gw_webhooks_start(m->app.webhooks, webhooks_started_cb, m);
}

static void webhooks_started_cb(int err, void *data)
{
    gw_main_t *m = data;
    if (m->shutting_down)
        return;
    if (err != 0) {
        ov_error("cannot load the webhook configuration from the system "
                 "shard: %s",
                 ov_strerror(err));
        begin_shutdown(m, 1);
        return;
    }
    gw_jobs_start(&m->app);
    m->jobs_started = 1;
    if (m->key_created && m->generated_key[0] &&
        strcmp(m->app.api_key, m->generated_key) == 0) {
        /* Printed once, when it is created; it is kept in the system
         * database of the data directory. */
        printf("meetd generated an API key (stored in %s): %s\n",
               m->cfg.data_dir, m->app.api_key);
        fflush(stdout);
    }
    start_listening(m);
}

static void pool_ready_cb(int err, void *data)
{
    gw_main_t *m = data;
    if (err != 0) {
        ov_error("shard workers failed to start; see the messages above");
        begin_shutdown(m, 1);
        return;
    }
    ipc_apikey_ensure_t req;
    memset(&req, 0, sizeof(req));
    if (m->cfg.initial_api_key[0]) {
        req.candidate = ov_str(m->cfg.initial_api_key);
    } else {
        if (gw_auth_generate_key(m->generated_key, sizeof(m->generated_key)) != 0)
            ov_fatalx("cannot generate an API key: no randomness");
        req.candidate = ov_str(m->generated_key);
    }
    int rc = gw_shard_apikey_ensure(m->pool, 0, &req, apikey_cb, m);
    if (rc != 0)
        apikey_cb(rc, NULL, m);
}

/* Returns the worker executable: MEET_WORKER_BIN, or meetd-worker beside
 * this executable. Returns new, free with free(). */
static char *resolve_worker_bin(const gw_config_t *cfg)
{
    if (cfg->worker_bin[0])
        return ov_xstrdup(cfg->worker_bin);
    char exe[PATH_MAX];
    size_t len = sizeof(exe);
    if (uv_exepath(exe, &len) != 0)
        ov_fatalx("cannot find the meetd executable's path");
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    ov_buf_t b = OV_BUF_INIT;
    ov_buf_printf(&b, "%s/meetd-worker", exe);
    return b.data;
}

int main(int argc, char **argv)
{
    static gw_main_t m;
    char err[512];
    gw_config_action_t action;

    signal(SIGPIPE, SIG_IGN);
    if (gw_config_load(&m.cfg, argc, argv, environ, &action, err,
                       sizeof(err)) != 0) {
        fprintf(stderr, "meetd: %s\n", err);
        return 2;
    }
    if (action == GW_CONFIG_EXIT)
        return 0;
    ov_log_level_t level;
    ov_log_level_parse(m.cfg.log_level, &level);
    ov_log_init("gateway", level);
    gw_log_format_t log_format = GW_LOGFMT_LOGFMT;
    gw_metrics_log_format_parse(m.cfg.log_format, &log_format);
    gw_metrics_configure(log_format, level <= OV_LOG_INFO);

    m.worker_bin = resolve_worker_bin(&m.cfg);
    if (access(m.worker_bin, X_OK) != 0) {
        fprintf(stderr, "meetd: worker executable %s: %s\n", m.worker_bin,
                strerror(errno));
        return 2;
    }
    if (m.cfg.check_only) {
        if (gw_config_check_paths(&m.cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "meetd: %s\n", err);
            return 2;
        }
        printf("configuration is valid\n");
        return 0;
    }
    /* On fd 2, so that the workers spawned below inherit it. */
    if (m.cfg.log_file[0]) {
        int lrc = ov_log_file_open(m.cfg.log_file);
        if (lrc != 0) {
            fprintf(stderr, "meetd: cannot open MEET_LOG_FILE %s: %s\n",
                    m.cfg.log_file, strerror(-lrc));
            return 1;
        }
    }

    uint32_t nshards;
    if (gw_datadir_prepare(m.cfg.data_dir, (uint32_t)m.cfg.workers, &nshards,
                           err, sizeof(err)) != 0) {
        fprintf(stderr, "meetd: %s\n", err);
        return 1;
    }
    ov_info("%s starting: data directory %s, %u shards", gw_version(),
            m.cfg.data_dir, nshards);

    m.loop = uv_default_loop();
    m.app.cfg = &m.cfg;
    m.app.loop = m.loop;
    m.app.webhooks = gw_webhooks_new(&m.app);
    gw_pool_opts_t po = {
        .worker_bin = m.worker_bin,
        .data_dir = m.cfg.data_dir,
        .sandbox = m.cfg.sandbox,
        .log_level = m.cfg.log_level,
        .nshards = nshards,
        .ipc_timeout_ms = (unsigned)m.cfg.ipc_timeout_ms,
        .ready_timeout_ms = 15000,
        .on_ready = gw_webhooks_on_ready,
        .on_ready_data = m.app.webhooks,
    };
    gw_pool_new(&m.pool, m.loop, &po);
    m.app.pool = m.pool;

    uv_signal_init(m.loop, &m.sigterm);
    uv_signal_init(m.loop, &m.sigint);
    uv_signal_init(m.loop, &m.sighup);
    m.sigterm.data = m.sigint.data = m.sighup.data = &m;
    uv_signal_start(&m.sighup, sighup_cb, SIGHUP);
    uv_signal_start(&m.sigterm, signal_cb, SIGTERM);
    uv_signal_start(&m.sigint, signal_cb, SIGINT);
    uv_timer_init(m.loop, &m.drain_timer);
    m.drain_timer.data = &m;

    int erc = gw_recordings_init(&m.app);
    if (erc != 0) {
        fprintf(stderr, "meetd: cannot start the recording backend: %s\n",
                ov_strerror(erc));
        return 1;
    }
    gw_pool_start(m.pool, pool_ready_cb, &m);
    uv_run(m.loop, UV_RUN_DEFAULT);

    int rc = uv_loop_close(m.loop);
    if (rc != 0)
        ov_warn("event loop closed with handles still open");
    free(m.app.api_key);
    free(m.worker_bin);
    gw_config_free(&m.cfg);
    ov_info("stopped");
    return m.exit_code;
}
