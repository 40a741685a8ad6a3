/*
 * fuzz_livekit: LiveKit webhooks as POST /livekit/webhook receives them.
 * The input is "<Authorization value>\n<body>". gw_lk_verify checks the
 * pair with a fixed key and secret; when the first byte says so the body
 * is signed correctly first, so that verification succeeds and the body
 * reaches the event parser with mutated contents. gw_lk_event_parse runs
 * on every body, and gw_egress_map_info on every JSON object found (the
 * body, its egressInfo and the decoded event's egress_info) for each
 * egress event kind.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_egress.h"
#include "gw_livekit.h"

#define KEY "fuzzkey"
#define SECRET "fuzzsecret-0123456789abcdef0123456789"
#define NOW_S INT64_C(1767225600)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    size_t alen = nl ? (size_t)(nl - (const char *)data) : 0;
    const char *body = nl ? nl + 1 : (const char *)data;
    size_t blen = size - (size_t)(body - (const char *)data);
    char *auth, *bodyz, why[128];
    gw_lk_event_t ev;
    int rc;

    auth = malloc(alen + 1);
    bodyz = malloc(blen + 1);
    if (auth == NULL || bodyz == NULL)
        abort();
    memcpy(auth, data, alen);
    auth[alen] = '\0';
    memcpy(bodyz, body, blen);
    bodyz[blen] = '\0';

    rc = gw_lk_verify(auth, bodyz, blen, KEY, SECRET, NOW_S, why, sizeof(why));
    (void)rc;
    if (size > 0 && (data[0] & 7) == 0) {
        /* A correct signature of the mutated body must verify. */
        char *tok = gw_lk_sign_webhook(bodyz, blen, KEY, SECRET, NOW_S);
        FUZZ_CHECK(tok != NULL);
        rc = gw_lk_verify(tok, bodyz, blen, KEY, SECRET, NOW_S, why,
                          sizeof(why));
        FUZZ_CHECK(rc == 0);
        free(tok);
    }

    memset(&ev, 0, sizeof(ev));
    if (gw_lk_event_parse(bodyz, blen, &ev) == 0) {
        FUZZ_CHECK(ev.event && ev.id && ev.room_name && ev.participant);
        fuzz_map_info(ev.egress_info);
        gw_lk_event_free(&ev);
    }

    json_error_t jerr;
    json_t *j = json_loadb(bodyz, blen, JSON_DECODE_ANY, &jerr);
    if (json_is_object(j)) {
        fuzz_map_info(j);
        fuzz_map_info(json_object_get(j, "egressInfo"));
    }
    json_decref(j);
    free(auth);
    free(bodyz);
    return 0;
}
