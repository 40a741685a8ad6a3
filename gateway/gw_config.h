/*
 * gw_config: meetd's configuration, from environment variables and
 * command-line flags.
 *
 * Every setting is one row of GW_CONFIG_MAP: the field, its environment
 * variable (the reference's name where one exists), its flag, its type,
 * its default and its help text. Flags override the environment. Invalid
 * values are reported with the variable's name and the rule it broke, so
 * that meetd fails at start instead of misbehaving later.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Types: STR (string, may be empty), INT (integer within [min, max]),
 * SIZE (bytes, with optional k/m/g suffix, within [min, max]),
 * BOOL ("true"/"false"/"1"/"0"/"yes"/"no"). */

/* XX(field, type, env, flag, default, min, max, help) */
#define GW_CONFIG_MAP(XX)                                                      \
    XX(port, INT, "SERVER_PORT", "port", "6080", 0, 65535,                     \
       "TCP port to listen on (0 picks a free port)")                          \
    XX(host, STR, "SERVER_HOST", "host", "0.0.0.0", 0, 0,                      \
       "address to listen on")                                                 \
    XX(base_url, STR, "MEET_BASE_URL", "base-url", "", 0, 0,                   \
       "public scheme://host[:port] used in URLs; empty: taken from each "     \
       "request's Host header")                                                \
    XX(base_path, STR, "MEET_BASE_PATH", "base-path", "/meet", 0, 0,           \
       "path prefix of the API (also served under /api/v1)")                   \
    XX(trust_proxy, BOOL, "SERVER_TRUST_PROXY", "trust-proxy", "true", 0, 0,  \
       "honour X-Forwarded-Proto/X-Forwarded-Host when building URLs")        \
    XX(initial_api_key, STR, "MEET_INITIAL_API_KEY", "initial-api-key", "",    \
       0, 0,                                                                   \
       "API key stored on first start; empty: one is generated and printed")   \
    XX(data_dir, STR, "MEET_DATA_DIR", "data-dir", "./data", 0, 0,             \
       "data directory (created with mode 0700)")                              \
    XX(workers, INT, "MEET_WORKERS", "workers", "0", 0, 256,                   \
       "number of shard workers when the data directory is created; 0: "       \
       "number of CPUs, at least 2")                                           \
    XX(worker_bin, STR, "MEET_WORKER_BIN", "worker-bin", "", 0, 0,             \
       "path of the meetd-worker executable; empty: beside meetd")             \
    XX(sandbox, STR, "MEET_SANDBOX", "sandbox", "seccomp", 0, 0,               \
       "worker sandbox: seccomp or none (debugging only)")                     \
    XX(max_body_size, SIZE, "MEET_MAX_BODY_SIZE", "max-body-size", "1m",       \
       1024, 1073741824, "largest request body accepted (413 above)")          \
    XX(max_connections, INT, "MEET_MAX_CONNECTIONS", "max-connections",        \
       "10000", 1, 1000000, "open client connections accepted at once")        \
    XX(header_timeout_ms, INT, "MEET_HEADER_TIMEOUT_MS", "header-timeout-ms",  \
       "10000", 10, 3600000, "time allowed to send a request's headers")       \
    XX(body_timeout_ms, INT, "MEET_BODY_TIMEOUT_MS", "body-timeout-ms",        \
       "30000", 10, 3600000, "time allowed to send a request's body")          \
    XX(idle_timeout_ms, INT, "MEET_IDLE_TIMEOUT_MS", "idle-timeout-ms",        \
       "60000", 10, 3600000, "idle keep-alive connections close after this")   \
    XX(ipc_timeout_ms, INT, "MEET_IPC_TIMEOUT_MS", "ipc-timeout-ms", "10000",  \
       10, 600000,                                                             \
       "a shard that does not answer within this is restarted (503)")          \
    XX(shutdown_timeout_ms, INT, "MEET_SHUTDOWN_TIMEOUT_MS",                   \
       "shutdown-timeout-ms", "10000", 0, 600000,                              \
       "on SIGTERM, time allowed for requests in flight to finish")            \
    XX(initial_webhook_enabled, BOOL, "MEET_INITIAL_WEBHOOK_ENABLED",          \
       "initial-webhook-enabled", "false", 0, 0,                               \
       "webhooks enabled on first start (needs MEET_INITIAL_API_KEY)")         \
    XX(initial_webhook_url, STR, "MEET_INITIAL_WEBHOOK_URL",                   \
       "initial-webhook-url", "", 0, 0,                                        \
       "webhook receiver URL on first start (http:// or https://)")            \
    XX(webhook_attempts, INT, "MEET_WEBHOOK_ATTEMPTS", "webhook-attempts", "6", \
       1, 100, "delivery attempts of one webhook before it is kept as dead")   \
    XX(webhook_timeout_ms, INT, "MEET_WEBHOOK_TIMEOUT_MS",                     \
       "webhook-timeout-ms", "5000", 100, 600000,                              \
       "time allowed for one webhook delivery")                                \
    XX(webhook_backoff_ms, INT, "MEET_WEBHOOK_BACKOFF_MS",                     \
       "webhook-backoff-ms", "300", 1, 3600000,                                \
       "wait before the first retry; doubled after each failure")              \
    XX(recording_backend, STR, "MEET_RECORDING_BACKEND", "recording-backend",  \
       "local", 0, 0,                                                          \
       "local: ffmpeg records a synthetic test pattern; livekit: LiveKit "   \
       "egresses record the meetings")                                         \
    XX(ffmpeg, STR, "MEET_FFMPEG", "ffmpeg", "ffmpeg", 0, 0,                   \
       "ffmpeg executable of the local recording backend")                     \
    XX(recording_start_timeout_ms, INT, "MEET_RECORDING_START_TIMEOUT_MS",     \
       "recording-start-timeout-ms", "20000", 100, 600000,                     \
       "a recording not active within this fails with 503")                    \
    XX(gc_interval_ms, INT, "MEET_GC_INTERVAL_MS", "gc-interval-ms", "60000",  \
       100, 86400000,                                                          \
       "how often expired rooms are processed (also once at start)")           \
    XX(log_level, STR, "MEET_LOG_LEVEL", "log-level", "info", 0, 0,            \
       "debug, info, warn or error")                                           \
    XX(log_format, STR, "MEET_LOG_FORMAT", "log-format", "logfmt", 0, 0,      \
       "request log lines: logfmt or json")                                    \
    XX(metrics_token, STR, "MEET_METRICS_TOKEN", "metrics-token", "", 0, 0,    \
       "bearer token required by GET /metrics; empty: no auth")                \
    XX(cors_origin, STR, "SERVER_CORS_ORIGIN", "cors-origin", "*", 0, 0,       \
       "CORS allowed origin; *: the request's Origin is reflected")            \
    XX(livekit_url, STR, "LIVEKIT_URL", "livekit-url", "ws://localhost:7880",  \
       0, 0, "LiveKit URL handed to clients")                                  \
    XX(livekit_url_private, STR, "LIVEKIT_URL_PRIVATE", "livekit-url-private", \
       "", 0, 0, "LiveKit URL for server API calls; empty: LIVEKIT_URL")       \
    XX(livekit_api_key, STR, "LIVEKIT_API_KEY", "livekit-api-key", "devkey",   \
       0, 0, "LiveKit API key (webhook verification, API calls)")              \
    XX(livekit_api_secret, STR, "LIVEKIT_API_SECRET", "livekit-api-secret",    \
       "secret", 0, 0, "LiveKit API secret")                                  \
    XX(livekit_timeout_ms, INT, "MEET_LIVEKIT_TIMEOUT_MS",                     \
       "livekit-timeout-ms", "10000", 100, 600000,                            \
       "time allowed for one LiveKit server API call")                        \
    XX(egress_dir, STR, "MEET_EGRESS_DIR", "egress-dir", "", 0, 0,             \
       "livekit backend: directory the egress writes its files under (shared "\
       "with it); empty: <data dir>/egress")                                   \
    XX(s3_subbucket, STR, "MEET_S3_SUBBUCKET", "s3-subbucket",                 \
       "openvidu-meet", 0, 0,                                                  \
       "first segment of egress file paths: <subbucket>/recordings/<room>/")  \
    XX(log_file, STR, "MEET_LOG_FILE", "log-file", "", 0, 0,                   \
       "append log lines (workers' too) to this file, reopened on SIGHUP; "    \
       "empty: stderr")

#define GW__CFG_CT_STR char *
#define GW__CFG_CT_INT int64_t
#define GW__CFG_CT_SIZE int64_t
#define GW__CFG_CT_BOOL int

typedef struct {
#define GW__CFG_FIELD(field, type, env, flag, def, min, max, help)             \
    GW__CFG_CT_##type field;
    GW_CONFIG_MAP(GW__CFG_FIELD)
#undef GW__CFG_FIELD
    int show_api_key; /* --show-api-key: print the accepted key at start */
    int check_only;   /* --check-config: validate and exit */
} gw_config_t;

typedef enum {
    GW_CONFIG_RUN = 0,  /* configuration valid: run */
    GW_CONFIG_EXIT = 1, /* --help or --version was printed: exit 0 */
} gw_config_action_t;

/** Fills `cfg` from the defaults, then `envp` (NULL-terminated
 *  "NAME=value" strings), then argv[1..argc). Returns 0 and sets *action,
 *  or -1 with a one-line message in errbuf. --help and --version print to
 *  stdout. Strings are owned by `cfg`; release with gw_config_free. */
int gw_config_load(gw_config_t *cfg, int argc, char **argv, char **envp,
                   gw_config_action_t *action, char *errbuf, size_t errlen);

void gw_config_free(gw_config_t *cfg);

/** For --check-config: the checks that look at the file system without
 *  changing it (the data directory and the log file can be written or
 *  created, their parents exist). Returns 0, or -1 with a message. */
int gw_config_check_paths(const gw_config_t *cfg, char *errbuf, size_t errlen);

/** Writes the --help text to `f` (a FILE *). */
void gw_config_print_help(void *f);

#endif
