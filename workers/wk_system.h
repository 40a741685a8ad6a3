/*
 * wk_system: handlers of the messages that act on the system database
 * (DIR/system.db), which only the worker started with --system owns. The
 * serve loop's table routes them there and answers OV_EINTERNAL in any other
 * worker.
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

#endif
