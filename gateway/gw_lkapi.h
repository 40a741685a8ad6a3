/*
 * gw_lkapi: the LiveKit server API client (LIVEKIT.md §3.1, §5).
 *
 * Each call is a Twirp JSON POST to
 *   <http form of the configured URL>/twirp/<service>/<method>
 * (ws: -> http:, wss: -> https:, any path of the URL dropped), authorised
 * by a fresh HS256 token {"video":<grant>,"iss":<key>,"exp":now+600,
 * "nbf":0}, sent over gw_curl on the loop. Replies are accepted in either
 * spelling: every object key is turned to lowerCamelCase before the
 * caller sees it, so callers only read camelCase names.
 */
#ifndef GW_LKAPI_H
#define GW_LKAPI_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

typedef struct gw_lkapi_s gw_lkapi_t;

/** The outcome of one call; valid during the callback only. */
typedef struct {
    int err;              /* 0, or OV_ELIVEKIT: no answer (refused, timed
                             out), a non-2xx answer, or a 2xx body that is
                             not a JSON object; OV_ESHUTDOWN: closed first */
    long http_status;     /* 0 without an answer */
    const char *code;     /* Twirp code of a non-2xx answer ("not_found"),
                             "" otherwise */
    const char *msg;      /* Twirp msg, a plain-text error body, or why
                             there was no answer; "" on success */
    const json_t *reply;  /* on success: the answer, keys in lowerCamelCase
                             (borrowed); NULL otherwise */
} gw_lkapi_result_t;

typedef void (*gw_lkapi_cb)(void *data, const gw_lkapi_result_t *res);

/** Creates a client. `url` is ws://, wss://, http:// or https://
 *  host[:port][/path]; `key` and `secret` sign the tokens; one call may
 *  take `timeout_ms`. Returns 0, or OV_EINVAL for a URL of another form. */
int gw_lkapi_new(gw_lkapi_t **out, uv_loop_t *loop, const char *url,
                 const char *key, const char *secret, long timeout_ms);

/** Calls `service`/`method` (e.g. "livekit.Egress", "ListEgress") with
 *  `body` (a JSON object, borrowed) under a token whose "video" claim is
 *  `grant` (borrowed). Returns 0 and `cb` fires exactly once later, or an
 *  ov_err code and it never fires. */
int gw_lkapi_call(gw_lkapi_t *api, const char *service, const char *method,
                  const json_t *grant, const json_t *body, gw_lkapi_cb cb,
                  void *data);

/** Calls still waiting for their answer. */
size_t gw_lkapi_pending(const gw_lkapi_t *api);

/** Fails pending calls (err OV_ESHUTDOWN), frees the client; `cb` (may be
 *  NULL) fires once everything is closed. */
void gw_lkapi_close(gw_lkapi_t *api, void (*cb)(void *), void *data);

/* ---- pure helpers (exposed for tests) -------------------------------- */

/** Returns "http[s]://host[:port]" for a LiveKit URL (new string), or NULL
 *  if it is not ws, wss, http or https with a host. */
char *gw_lkapi_base_url(const char *url);

/** Returns a deep copy of `v` with every object key in lowerCamelCase
 *  ("file_results" -> "fileResults"; keys without '_' unchanged). */
json_t *gw_lkapi_camelize(const json_t *v);

/** The token a call with `grant` would carry (new string). */
char *gw_lkapi_token(const gw_lkapi_t *api, const json_t *grant);

/** What gw_lkapi_answer allocated for a result (free with
 *  gw_lkapi_owned_free). */
typedef struct {
    char *code, *msg;
    json_t *reply;
} gw_lkapi_owned_t;

/** The result a call's callback gets for an HTTP answer `status` with
 *  `body` (`len` bytes): a non-2xx is OV_ELIVEKIT with Twirp's code and
 *  msg (or the text of the body), cleaned of control characters and
 *  bounded; a 2xx must be a JSON object, camelized. `res` points into
 *  `own`. */
void gw_lkapi_answer(long status, const char *body, size_t len,
                     gw_lkapi_result_t *res, gw_lkapi_owned_t *own);
void gw_lkapi_owned_free(gw_lkapi_owned_t *own);

/** 1 if a failed call means "no such thing" (HTTP 404, Twirp not_found, or
 *  a message containing "does not exist"), else 0. */
int gw_lkapi_is_not_found(const gw_lkapi_result_t *res);

#endif
