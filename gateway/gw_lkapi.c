/* gw_lkapi: see gw_lkapi.h.
 *
 * A call is one gw_curl POST; its small state (the caller's callback) rides
 * along as the request's data. The client keeps no list of calls: on close,
 * gw_curl ends every pending request with shutdown set, which is where the
 * callers get OV_ESHUTDOWN, and the client is freed once gw_curl has closed
 * its handles. */
#include "gw_lkapi.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "gw_curl.h"
#include "gw_jwt.h"
#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"

#define DEFAULT_TIMEOUT_MS 60000 /* the JS SDK's client timeout */
#define MAX_REPLY (4u << 20)
#define TOKEN_TTL_S 600
#define MAX_MSG 512 /* bytes of an error message kept */
#define MAX_CODE 64 /* bytes of a Twirp code kept */

/* Every string here is the client's own copy. */
struct gw_lkapi_s {
    gw_curl_t *curl;
    char *base; /* "http[s]://host[:port]" */
    char *key;
    char *secret;
    long timeout_ms;
    int closing;
    void (*close_cb)(void *);
    void *close_data;
};

typedef struct {
    gw_lkapi_cb cb;
    void *data;
} call_t;

/* ---- base URL --------------------------------------------------------- */

/* Maps a LiveKit scheme to the HTTP one; NULL for any other. */
static const char *http_scheme(const char *s, size_t n)
{
    static const struct {
        const char *in, *out;
    } map[] = {
        {"ws", "http"}, {"http", "http"}, {"wss", "https"}, {"https", "https"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strlen(map[i].in) == n && strncasecmp(s, map[i].in, n) == 0)
            return map[i].out;
    return NULL;
}

/* Returns part `what` of `u` (new, free with curl_free), or NULL. */
static char *url_part(CURLU *u, CURLUPart what)
{
    char *v = NULL;
    if (curl_url_get(u, what, &v, 0) != CURLUE_OK) {
        curl_free(v);
        return NULL;
    }
    return v;
}

char *gw_lkapi_base_url(const char *url)
{
    if (!url || !*url)
        return NULL;
    /* curl's URL parser checks the form (host, port range, no spaces);
     * we then keep only scheme, host and port, and refuse user info,
     * which has no place in a server URL. */
    CURLU *u = curl_url();
    if (!u)
        ov_fatalx("curl_url() failed");
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
    char *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
        CURLUE_OK) {
        scheme = url_part(u, CURLUPART_SCHEME);
        host = url_part(u, CURLUPART_HOST);
        port = url_part(u, CURLUPART_PORT);
        user = url_part(u, CURLUPART_USER);
    }
    const char *http = scheme ? http_scheme(scheme, strlen(scheme)) : NULL;
    /* curl also accepts "ws:/h", "ws:///h" and "h" (a guessed scheme);
     * only the spelled-out "scheme://host" form is a LiveKit URL. */
    const char *sep = strstr(url, "://");
    if (http && host && host[0] && !user && sep &&
        strcspn(url, ":") == (size_t)(sep - url) && sep[3] != '/' &&
        (!port || atol(port) > 0)) {
        ov_buf_t b = OV_BUF_INIT;
        ov_buf_printf(&b, "%s://%s%s%s", http, host, port ? ":" : "",
                      port ? port : "");
        out = b.data;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_url_cleanup(u);
    return out;
}

/* ---- camelCase -------------------------------------------------------- */

/* Appends the lowerCamelCase form of key `k` (n bytes) to `out`: every '_'
 * is dropped and the character after a run of them is upper-cased, unless
 * the run starts the key ("_id" -> "id"). A key made only of underscores is
 * kept as it is, so that it does not turn into "". */
static void camel_key(ov_buf_t *out, const char *k, size_t n)
{
    size_t i = 0;
    while (i < n && k[i] == '_')
        i++;
    if (i == n) {
        ov_buf_append(out, k, n);
        return;
    }
    int upper = 0;
    for (; i < n; i++) {
        if (k[i] == '_') {
            upper = 1;
            continue;
        }
        char ch = upper ? (char)toupper((unsigned char)k[i]) : k[i];
        ov_buf_append(out, &ch, 1);
        upper = 0;
    }
}

json_t *gw_lkapi_camelize(const json_t *v)
{
    if (!v)
        return NULL;
    if (json_is_array(v)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(v); i++)
            json_array_append_new(a, gw_lkapi_camelize(json_array_get(v, i)));
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *o = json_object();
    ov_buf_t k = OV_BUF_INIT;
    const char *key;
    size_t klen;
    json_t *val;
    /* json_object_keylen_foreach wants a non-const object; it only reads. */
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        ov_buf_reset(&k);
        camel_key(&k, key, klen);
        /* "room_name" and "roomName" in one object: the first one wins,
         * whichever spelling it has. */
        if (json_object_getn(o, k.data ? k.data : "", k.len))
            continue;
        json_object_setn_new(o, k.data ? k.data : "", k.len,
                             gw_lkapi_camelize(val));
    }
    ov_buf_free(&k);
    return o;
}

/* ---- tokens ----------------------------------------------------------- */

char *gw_lkapi_token(const gw_lkapi_t *api, const json_t *grant)
{
    json_t *claims = json_object();
    json_object_set_new(claims, "video",
                        grant ? json_deep_copy(grant) : json_object());
    json_object_set_new(claims, "iss", json_string(api->key));
    json_object_set_new(claims, "exp",
                        json_integer((json_int_t)time(NULL) + TOKEN_TTL_S));
    json_object_set_new(claims, "nbf", json_integer(0));
    char *tok = gw_jwt_sign_hs256(claims, api->secret);
    json_decref(claims);
    return tok;
}

/* ---- results ---------------------------------------------------------- */

/* Copies at most `max` bytes of `s` into `out` (new, NUL-terminated) with
 * control characters turned to spaces and surrounding white space trimmed:
 * error text from the network ends up in logs and in API answers. A cut
 * never splits a UTF-8 sequence. */
static char *clean_text(const char *s, size_t n, size_t max)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    char *out = ov_xstrndup(s, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            out[i] = ' ';
    return out;
}

/* Fills code and msg (both new) from a non-2xx answer: Twirp's
 * {"code","msg"} object if the body is one, else the body as plain text,
 * else the bare status. */
static void error_of(long status, const char *body, size_t len, char **code,
                     char **msg)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *c = json_string_value(json_object_get(j, "code"));
    const char *m = json_string_value(json_object_get(j, "msg"));
    if (json_is_object(j) && (c || m)) {
        *code = clean_text(c ? c : "", c ? strlen(c) : 0, MAX_CODE);
        *msg = clean_text(m ? m : "", m ? strlen(m) : 0, MAX_MSG);
    } else {
        *code = ov_xstrdup("");
        *msg = clean_text(body, len, MAX_MSG);
    }
    json_decref(j);
    if (!(*msg)[0]) {
        free(*msg);
        ov_buf_t b = OV_BUF_INIT;
        ov_buf_printf(&b, "HTTP status %ld", status);
        *msg = b.data;
    }
}

void gw_lkapi_answer(long status, const char *body, size_t len,
                     gw_lkapi_result_t *res, gw_lkapi_owned_t *own)
{
    memset(own, 0, sizeof(*own));
    memset(res, 0, sizeof(*res));
    res->code = "";
    res->msg = "";
    res->http_status = status;
    if (status < 200 || status > 299) {
        res->err = OV_ELIVEKIT;
        error_of(status, body, len, &own->code, &own->msg);
        res->code = own->code;
        res->msg = own->msg;
        return;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    if (json_is_object(j)) {
        own->reply = gw_lkapi_camelize(j);
        res->reply = own->reply;
    } else {
        res->err = OV_ELIVEKIT;
        res->msg = "the answer is not a JSON object";
    }
    json_decref(j);
}

void gw_lkapi_owned_free(gw_lkapi_owned_t *own)
{
    free(own->code);
    free(own->msg);
    json_decref(own->reply);
    memset(own, 0, sizeof(*own));
}

static void call_done_cb(void *data, const gw_curl_result_t *cr)
{
    call_t *call = data;
    gw_lkapi_result_t res = {.code = "", .msg = ""};
    gw_lkapi_owned_t own = {0};
    if (cr->shutdown) {
        res.err = OV_ESHUTDOWN;
        res.msg = cr->error;
    } else if (!cr->ok) {
        res.err = OV_ELIVEKIT;
        res.msg = cr->error;
    } else {
        gw_lkapi_answer(cr->status, cr->body, cr->body_len, &res, &own);
    }
    call->cb(call->data, &res);
    gw_lkapi_owned_free(&own);
    free(call);
}

int gw_lkapi_is_not_found(const gw_lkapi_result_t *res)
{
    if (res->err == 0)
        return 0;
    return res->http_status == 404 ||
           (res->code && strcmp(res->code, "not_found") == 0) ||
           (res->msg && strstr(res->msg, "does not exist") != NULL);
}

/* ---- calls ------------------------------------------------------------ */

/* Service and method names go into the path as they are, so they are
 * limited to what Twirp names are made of. */
static int is_name(const char *s)
{
    if (!s || !s[0])
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_')
            return 0;
    return 1;
}

int gw_lkapi_call(gw_lkapi_t *api, const char *service, const char *method,
                  const json_t *grant, const json_t *body, gw_lkapi_cb cb,
                  void *data)
{
    if (api->closing)
        return OV_ESHUTDOWN;
    if (!is_name(service) || !is_name(method) || !cb ||
        (grant && !json_is_object(grant)) || (body && !json_is_object(body)))
        return OV_EINVAL;
    char *json = body ? json_dumps(body, JSON_COMPACT) : ov_xstrdup("{}");
    if (!json)
        return OV_EINTERNAL;
    char *token = gw_lkapi_token(api, grant);
    ov_buf_t url = OV_BUF_INIT, auth = OV_BUF_INIT;
    ov_buf_printf(&url, "%s/twirp/%s/%s", api->base, service, method);
    ov_buf_printf(&auth, "Authorization: Bearer %s", token);
    const char *hdrs[] = {"Content-Type: application/json;charset=UTF-8",
                          auth.data, NULL};
    call_t *call = ov_xcalloc(1, sizeof(*call));
    call->cb = cb;
    call->data = data;
    gw_curl_req_t *r =
        gw_curl_post(api->curl, url.data, hdrs, json, strlen(json),
                     api->timeout_ms, MAX_REPLY, call_done_cb, call);
    ov_buf_free(&url);
    ov_buf_free(&auth);
    free(token);
    free(json);
    if (!r) {
        free(call);
        return OV_ELIVEKIT;
    }
    return 0;
}

size_t gw_lkapi_pending(const gw_lkapi_t *api)
{
    return gw_curl_pending(api->curl);
}

int gw_lkapi_new(gw_lkapi_t **out, uv_loop_t *loop, const char *url,
                 const char *key, const char *secret, long timeout_ms)
{
    *out = NULL;
    char *base = gw_lkapi_base_url(url);
    if (!base || !key || !secret) {
        free(base);
        return OV_EINVAL;
    }
    gw_lkapi_t *api = ov_xcalloc(1, sizeof(*api));
    int rc = gw_curl_new(&api->curl, loop);
    if (rc != 0) {
        free(base);
        free(api);
        return rc;
    }
    api->base = base;
    api->key = ov_xstrdup(key);
    api->secret = ov_xstrdup(secret);
    api->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
    *out = api;
    return 0;
}

static void curl_closed_cb(void *data)
{
    gw_lkapi_t *api = data;
    void (*cb)(void *) = api->close_cb;
    void *cb_data = api->close_data;
    free(api->base);
    free(api->key);
    free(api->secret);
    free(api);
    if (cb)
        cb(cb_data);
}

void gw_lkapi_close(gw_lkapi_t *api, void (*cb)(void *), void *data)
{
    OV_ASSERT(!api->closing);
    api->closing = 1;
    api->close_cb = cb;
    api->close_data = data;
    gw_curl_close(api->curl, curl_closed_cb, api);
}
