/*
 * gw_livekit: LiveKit webhooks as meetd receives them (LIVEKIT.md §1):
 * verification of the signed request and decoding of the WebhookEvent JSON
 * (protojson: lowerCamelCase keys, int64 as strings or numbers, enums as
 * names or numbers, zero values omitted, unknown keys ignored).
 */
#ifndef GW_LIVEKIT_H
#define GW_LIVEKIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/** Verifies a webhook request: `authorization` is the Authorization header
 *  (the bare JWT; a "Bearer " prefix is also accepted), `body` the raw
 *  bytes. Checks HS256 with `api_secret`, iss == `api_key`, nbf and exp
 *  against `now_s` with a 10 s tolerance, and the sha256 claim against the
 *  standard base64 of SHA-256(body), compared in constant time. Returns 0,
 *  or -1 with the reason in `why`. */
int gw_lk_verify(const char *authorization, const char *body, size_t len,
                 const char *api_key, const char *api_secret, int64_t now_s,
                 char *why, size_t whylen);

typedef enum {
    GW_LK_OTHER = 0, /* any event meetd does not act on */
    GW_LK_ROOM_STARTED,
    GW_LK_ROOM_FINISHED,
    GW_LK_PARTICIPANT_JOINED,
    GW_LK_PARTICIPANT_LEFT,
    GW_LK_EGRESS_STARTED,
    GW_LK_EGRESS_UPDATED,
    GW_LK_EGRESS_ENDED,
} gw_lk_kind_t;

/** A decoded WebhookEvent; strings are owned ("" when absent). */
typedef struct {
    gw_lk_kind_t kind;
    char *event;        /* the event name as sent */
    char *id;           /* event id (EV_...) */
    int64_t created_at; /* seconds; 0 when absent */
    char *room_name;    /* room.name, or egressInfo.roomName */
    char *participant;  /* participant.identity */
    int participant_standard; /* participant.kind absent or STANDARD */
    json_t *egress_info; /* egressInfo object (new reference) or NULL */
} gw_lk_event_t;

/** Decodes a verified body. Returns 0, or -1 if it is not a JSON object
 *  whose known keys have the right types. Release with gw_lk_event_free. */
int gw_lk_event_parse(const char *body, size_t len, gw_lk_event_t *ev);
void gw_lk_event_free(gw_lk_event_t *ev);

/** Returns a new signed webhook token for `body` (what LiveKit would send
 *  in Authorization): iss api_key, nbf now_s, exp now_s + 300, sha256 of
 *  the body. Used by meetctl and the tests. Free with free(). */
char *gw_lk_sign_webhook(const char *body, size_t len, const char *api_key,
                         const char *api_secret, int64_t now_s);

#endif
