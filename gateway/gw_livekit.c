/*
 * gw_livekit: verification and decoding of LiveKit webhooks (LIVEKIT.md §1).
 *
 * Verification follows the JS SDK's WebhookReceiver, which the reference
 * uses: HS256 with the API secret, iss equal to the API key, nbf/exp with
 * jose's 10 s clock tolerance, then the sha256 claim against the body as
 * received. The body is hashed as raw bytes and never re-serialised,
 * because LiveKit's protojson output has unstable whitespace.
 *
 * Decoding accepts what proto3 JSON allows for the few fields meetd reads
 * (int64 as string or number, enums as name or number, null as absent) and
 * refuses a known key of the wrong JSON type, so that a malformed event is
 * dropped as a whole instead of being half understood.
 */
#include "gw_livekit.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gw_jwt.h"
#include "ov_mem.h"

/* jose's default clock tolerance as the SDK configures it. */
#define GW_LK_LEEWAY_S 10
/* LiveKit signs with exp = nbf + 5 minutes. */
#define GW_LK_TOKEN_TTL_S 300

static int gw_lk_fail(char *why, size_t whylen, const char *reason)
{
    if (why && whylen > 0)
        snprintf(why, whylen, "%s", reason);
    return -1;
}

/* Writes the standard base64 (with padding) of SHA-256 over the body: 44
 * characters and a NUL. */
static void gw_lk_body_hash(const char *body, size_t len, char out[45])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)(body ? body : ""), body ? len : 0, md);
    EVP_EncodeBlock((unsigned char *)out, md, sizeof(md));
}

/* Reads a NumericDate claim. Returns 1 and *v when present, 0 when absent,
 * -1 when it is not a number (jose refuses those too). */
static int gw_lk_time_claim(const json_t *claims, const char *name, double *v)
{
    const json_t *j = json_object_get(claims, name);

    if (!j)
        return 0;
    if (!json_is_number(j))
        return -1;
    *v = json_number_value(j);
    return 1;
}

int gw_lk_verify(const char *authorization, const char *body, size_t len,
                 const char *api_key, const char *api_secret, int64_t now_s,
                 char *why, size_t whylen)
{
    const char *tok = authorization;
    json_t *claims = NULL, *iss, *sum;
    char hash[45];
    double t, now = (double)now_s;
    int r, ok;

    if (!tok || !*tok)
        return gw_lk_fail(why, whylen, "authorization header is empty");
    /* LiveKit sends the bare token; a "Bearer " scheme (any case, as HTTP
     * schemes are case-insensitive) is tolerated. */
    if (strncasecmp(tok, "Bearer ", 7) == 0) {
        tok += 7;
        while (*tok == ' ')
            tok++;
        if (!*tok)
            return gw_lk_fail(why, whylen, "authorization header is empty");
    }
    if (gw_jwt_verify_hs256(tok, api_secret, &claims, why, whylen) != 0)
        return -1;

    iss = json_object_get(claims, "iss");
    if (!api_key || !json_is_string(iss) ||
        json_string_length(iss) != strlen(api_key) ||
        strcmp(json_string_value(iss), api_key) != 0) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "wrong issuer");
    }

    /* The comparisons are jose's: nbf > now + tolerance is too early,
     * exp <= now - tolerance is expired. Doubles hold any realistic epoch
     * second exactly and cannot overflow on hostile values. */
    r = gw_lk_time_claim(claims, "nbf", &t);
    if (r < 0 || (r > 0 && t != t)) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "bad nbf claim");
    }
    if (r > 0 && t > now + GW_LK_LEEWAY_S) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "token not yet valid");
    }
    r = gw_lk_time_claim(claims, "exp", &t);
    if (r < 0 || (r > 0 && t != t)) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "bad exp claim");
    }
    if (r > 0 && t <= now - GW_LK_LEEWAY_S) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "token expired");
    }

    sum = json_object_get(claims, "sha256");
    if (!json_is_string(sum)) {
        json_decref(claims);
        return gw_lk_fail(why, whylen, "bad sha256 claim");
    }
    gw_lk_body_hash(body, len, hash);
    ok = json_string_length(sum) == 44 &&
         CRYPTO_memcmp(json_string_value(sum), hash, 44) == 0;
    json_decref(claims);
    if (!ok)
        return gw_lk_fail(why, whylen, "body hash mismatch");
    return 0;
}

char *gw_lk_sign_webhook(const char *body, size_t len, const char *api_key,
                         const char *api_secret, int64_t now_s)
{
    char hash[45];
    json_t *claims;
    char *tok;

    if (!api_key)
        return NULL;
    gw_lk_body_hash(body, len, hash);
    claims = json_pack("{s:I, s:s, s:I, s:s}", "exp",
                       (json_int_t)(now_s + GW_LK_TOKEN_TTL_S), "iss", api_key,
                       "nbf", (json_int_t)now_s, "sha256", hash);
    if (!claims)
        return NULL;
    tok = gw_jwt_sign_hs256(claims, api_secret);
    json_decref(claims);
    return tok;
}

static const struct {
    const char *name;
    gw_lk_kind_t kind;
} gw_lk_kinds[] = {
    {"room_started", GW_LK_ROOM_STARTED},
    {"room_finished", GW_LK_ROOM_FINISHED},
    {"participant_joined", GW_LK_PARTICIPANT_JOINED},
    {"participant_left", GW_LK_PARTICIPANT_LEFT},
    {"egress_started", GW_LK_EGRESS_STARTED},
    {"egress_updated", GW_LK_EGRESS_UPDATED},
    {"egress_ended", GW_LK_EGRESS_ENDED},
};

/* Looks up `key` in `obj`; proto3 JSON reads null as "not set". */
static json_t *gw_lk_get(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

/* Reads an optional string member into a new copy ("" when absent).
 * Returns 0, or -1 when the member is not a string. */
static int gw_lk_get_string(const json_t *obj, const char *key, char **out)
{
    const json_t *v = obj ? gw_lk_get(obj, key) : NULL;

    if (v && !json_is_string(v))
        return -1;
    *out = ov_xstrdup(v ? json_string_value(v) : "");
    return 0;
}

/* Parses a proto3 JSON int64 given as a decimal string: an optional '-',
 * then 1 to 19 digits, nothing else, within int64 range. */
static int gw_lk_parse_int64(const char *s, int64_t *out)
{
    const char *p = s;
    char *end;
    long long v;

    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Reads participant.kind: absent, "STANDARD" or 0 is a standard
 * participant; any other name or number (INGRESS, EGRESS, SIP, AGENT, ...)
 * is not. Returns 0, or -1 for another JSON type. */
static int gw_lk_participant_standard(const json_t *participant, int *standard)
{
    const json_t *k = participant ? gw_lk_get(participant, "kind") : NULL;

    if (!k)
        *standard = 1;
    else if (json_is_string(k))
        *standard = strcmp(json_string_value(k), "STANDARD") == 0;
    else if (json_is_integer(k))
        *standard = json_integer_value(k) == 0;
    else
        return -1;
    return 0;
}

int gw_lk_event_parse(const char *body, size_t len, gw_lk_event_t *ev)
{
    json_t *root, *room, *participant, *egress, *created;
    json_error_t err;
    char *egress_room = NULL;
    size_t i;

    memset(ev, 0, sizeof(*ev));
    if (!body)
        return -1;
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return -1;
    if (!json_is_object(root))
        goto fail;

    room = gw_lk_get(root, "room");
    participant = gw_lk_get(root, "participant");
    egress = gw_lk_get(root, "egressInfo");
    if ((room && !json_is_object(room)) ||
        (participant && !json_is_object(participant)) ||
        (egress && !json_is_object(egress)))
        goto fail;

    if (gw_lk_get_string(root, "event", &ev->event) != 0 ||
        gw_lk_get_string(root, "id", &ev->id) != 0 ||
        gw_lk_get_string(room, "name", &ev->room_name) != 0 ||
        gw_lk_get_string(participant, "identity", &ev->participant) != 0 ||
        gw_lk_get_string(egress, "roomName", &egress_room) != 0 ||
        gw_lk_participant_standard(participant, &ev->participant_standard) != 0)
        goto fail;

    created = gw_lk_get(root, "createdAt");
    if (json_is_string(created)) {
        if (gw_lk_parse_int64(json_string_value(created), &ev->created_at) != 0)
            goto fail;
    } else if (json_is_integer(created)) {
        ev->created_at = json_integer_value(created);
    } else if (created) {
        goto fail;
    }

    /* Egress events may carry no room at all; the egress names it. */
    if (!*ev->room_name) {
        free(ev->room_name);
        ev->room_name = egress_room;
        egress_room = NULL;
    }
    free(egress_room);

    ev->kind = GW_LK_OTHER;
    for (i = 0; i < sizeof(gw_lk_kinds) / sizeof(gw_lk_kinds[0]); i++) {
        if (strcmp(ev->event, gw_lk_kinds[i].name) == 0) {
            ev->kind = gw_lk_kinds[i].kind;
            break;
        }
    }
    if (egress) {
        json_incref(egress);
        ev->egress_info = egress;
    }
    json_decref(root);
    return 0;

fail:
    free(egress_room);
    gw_lk_event_free(ev);
    json_decref(root);
    return -1;
}

void gw_lk_event_free(gw_lk_event_t *ev)
{
    if (!ev)
        return;
    free(ev->event);
    free(ev->id);
    free(ev->room_name);
    free(ev->participant);
    json_decref(ev->egress_info);
    memset(ev, 0, sizeof(*ev));
}
