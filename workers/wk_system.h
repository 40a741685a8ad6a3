/*
 * wk_system: handlers of the messages that act on the system database
 * (DIR/system.db), which only the worker started with --system owns: the
 * API keys and the global webhook configuration. The serve loop's table
 * routes them there and answers OV_EINTERNAL in any other worker.
 */
#ifndef WK_SYSTEM_H
#define WK_SYSTEM_H

#include "wk_serve.h"

/**
 * APIKEY_ENSURE: if api_keys is empty, stores `candidate` with the current
 * time and replies {0, candidate, created = true}; otherwise replies
 * {0, stored key, false}. Errors: OV_EINVAL for an empty candidate when no
 * key is stored, OV_ESTORAGE if SQLite fails, OV_EPROTO for a malformed
 * body. A wk_handler_fn.
 */
int wk_system_apikey_ensure(wk_ctx_t *ctx, wk_db_t *db, const ipc_frame_t *f,
                            ov_buf_t *out);

/** Longest stored webhook URL, in bytes. */
#define WK_WEBHOOK_MAX_URL 8192

/**
 * WEBHOOK_CONFIG_GET: replies WEBHOOK_CONFIG_REPLY {0, enabled, url} with
 * the stored configuration, or {0, false, ""} if none was ever stored.
 * Errors: OV_ESTORAGE if SQLite fails. A wk_handler_fn.
 */
int wk_system_webhook_config_get(wk_ctx_t *ctx, wk_db_t *db,
                                 const ipc_frame_t *f, ov_buf_t *out);

/**
 * WEBHOOK_CONFIG_SET: stores {enabled, url}, or with `init` only if no
 * configuration is stored yet (the first start's MEET_INITIAL_WEBHOOK_*,
 * which must not undo a later change through the API). Replies
 * WEBHOOK_CONFIG_REPLY with the configuration stored afterwards. The
 * gateway validates the URL (http(s), required when enabled); the worker
 * only bounds it. Errors: OV_EINVAL for a url that is not UTF-8 text
 * within WK_WEBHOOK_MAX_URL; OV_ESTORAGE. A wk_handler_fn.
 */
int wk_system_webhook_config_set(wk_ctx_t *ctx, wk_db_t *db,
                                 const ipc_frame_t *f, ov_buf_t *out);

#endif
