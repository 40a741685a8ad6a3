/* gw_routes_webhooks: the webhook configuration endpoints (BEHAVIOUR.md
 * §9), served with the API key under /api/v1/config/webhooks (the
 * reference has them on its internal API, for the admin console).
 *
 * Validation reproduces the reference's zod schemas:
 *   {enabled: boolean, url?: string .url("Must be a valid URL")
 *    .regex(/^https?:\/\//, "URL must start with http:// or https://")}
 *   refined with "URL is required when webhooks are enabled" on `url`;
 * the refinement runs only when no field had a type error, as in zod. */
#include <stdlib.h>
#include <string.h>

#include "gw_app.h"
#include "gw_valid.h"
#include "gw_valid_internal.h"
#include "gw_webhooks.h"
#include "ov_err.h"
#include "ov_log.h"

/* Appends the issues of an optional URL string at `field`. Returns 0 when
 * the value had a type error (which stops the refinements). */
static int check_url(json_t *d, const char *field, const json_t *v)
{
    if (!json_is_string(v)) {
        gw__type_issue(d, field, "string", v);
        return 0;
    }
    unsigned bad = gw_webhooks_url_check(json_string_value(v));
    if (bad & GW_WEBHOOK_URL_INVALID)
        gw_valid_issue(d, field, "Must be a valid URL");
    if (bad & GW_WEBHOOK_URL_NOT_HTTP)
        gw_valid_issue(d, field, "URL must start with http:// or https://");
    return 1;
}

/* Answers {"enabled": b, "url": s}, without url when none is stored. */
static void send_config(gw_ctx_t *ctx)
{
    gw_webhooks_t *wh = ctx->app->webhooks;
    json_t *body = json_object();
    json_object_set_new(body, "enabled", json_boolean(gw_webhooks_enabled(wh)));
    const char *url = gw_webhooks_url(wh);
    if (url[0])
        json_object_set_new(body, "url", json_string(url));
    gw_ctx_send_json(ctx, 200, body, NULL);
}

/* After shutdown began the engine may be gone; a request that still
 * arrives on an open connection gets a 503. */
static int engine_gone(gw_ctx_t *ctx)
{
    if (ctx->app->webhooks)
        return 0;
    gw_ctx_send_err(ctx, OV_ESHUTDOWN, NULL);
    return 1;
}

void gw_route_webhooks_get(gw_ctx_t *ctx)
{
    if (!engine_gone(ctx))
        send_config(ctx);
}

static void configured_cb(int err, void *data)
{
    gw_ctx_t *ctx = data;
    if (err == 0) {
        send_config(ctx);
        return;
    }
    if (ov_err_http_status(err) == 503) {
        gw_ctx_send_err(ctx, err, NULL);
        return;
    }
    ov_error("storing the webhook configuration failed: %s", ov_strerror(err));
    gw_ctx_send_error(ctx, 500, "Internal Server Error",
                      "Unexpected error while updating webhooks config", NULL);
}

void gw_route_webhooks_put(gw_ctx_t *ctx)
{
    const json_t *body = ctx->body;
    json_t *d = json_array();
    if (!json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        gw_ctx_send_invalid(ctx, d);
        return;
    }
    const json_t *enabled = json_object_get(body, "enabled");
    const json_t *url = json_object_get(body, "url");
    int typed = 1;
    if (!json_is_boolean(enabled)) {
        gw__type_issue(d, "enabled", "boolean", enabled);
        typed = 0;
    }
    if (url && !check_url(d, "url", url))
        typed = 0;
    const char *url_s = json_is_string(url) ? json_string_value(url) : "";
    if (typed && json_is_true(enabled) && !url_s[0])
        gw_valid_issue(d, "url", "URL is required when webhooks are enabled");
    if (json_array_size(d) > 0) {
        gw_ctx_send_invalid(ctx, d);
        return;
    }
    json_decref(d);
    if (engine_gone(ctx))
        return;
    /* The reference stores the body as given: a configuration without a
     * url forgets the previous one. */
    gw_webhooks_configure(ctx->app->webhooks, json_is_true(enabled), url_s,
                          configured_cb, ctx);
}

typedef struct {
    gw_ctx_t *ctx;
    char *url;
} test_op_t;

static void tested_cb(void *data, int ok, const char *reason)
{
    test_op_t *op = data;
    gw_ctx_t *ctx = op->ctx;
    if (ok) {
        gw_ctx_send_json(ctx, 200,
                         json_pack("{s:s}", "message", "Webhook URL is valid"),
                         NULL);
    } else {
        ov_buf_t msg = OV_BUF_INIT;
        ov_buf_printf(&msg, "Webhook URL '%s' is invalid: %s", op->url,
                      reason ? reason : "unknown error");
        gw_ctx_send_error(ctx, 400, "Webhook Error", msg.data, NULL);
        ov_buf_free(&msg);
    }
    free(op->url);
    free(op);
}

void gw_route_webhooks_test(gw_ctx_t *ctx)
{
    const json_t *body = ctx->body;
    json_t *d = json_array();
    if (!json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        gw_ctx_send_invalid(ctx, d);
        return;
    }
    check_url(d, "url", json_object_get(body, "url"));
    if (json_array_size(d) > 0) {
        gw_ctx_send_invalid(ctx, d);
        return;
    }
    json_decref(d);
    if (engine_gone(ctx))
        return;
    test_op_t *op = ov_xcalloc(1, sizeof(*op));
    op->ctx = ctx;
    op->url = ov_xstrdup(json_string_value(json_object_get(body, "url")));
    gw_webhooks_test(ctx->app->webhooks, op->url, tested_cb, op);
}
