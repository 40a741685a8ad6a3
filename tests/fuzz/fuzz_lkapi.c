/*
 * fuzz_lkapi: answers of LiveKit's server API as gw_lkapi hands them to
 * the livekit recording backend. The first byte picks the HTTP status
 * (a 2xx, a Twirp error status or an odd one), the rest is the body.
 * gw_lkapi_answer turns it into a result; an error's code and message must
 * come out bounded and free of control characters, a success's reply is
 * camelized, and every object in it that could be an EgressInfo (the
 * reply, its items[], each item's fields) goes through
 * gw_egress_map_info for every egress event kind.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_egress.h"
#include "gw_lkapi.h"
#include "ov_err.h"

static const long statuses[] = {200, 201, 204, 299, 400, 401, 403, 404,
                                409, 412, 429, 500, 501, 503, 100, 302};

static void check_text(const char *s, size_t max)
{
    size_t n = strlen(s);
    FUZZ_CHECK(n <= max);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    long status = statuses[data[0] % (sizeof(statuses) / sizeof(statuses[0]))];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    gw_lkapi_result_t res;
    gw_lkapi_owned_t own;

    gw_lkapi_answer(status, body, len, &res, &own);
    FUZZ_CHECK(res.http_status == status);
    if (res.err != 0) {
        FUZZ_CHECK(res.err == OV_ELIVEKIT && res.reply == NULL);
        check_text(res.code, 64);
        check_text(res.msg, 512);
        (void)gw_lkapi_is_not_found(&res);
    } else {
        FUZZ_CHECK(json_is_object(res.reply));
        fuzz_map_info(res.reply);
        size_t i;
        const json_t *it;
        json_array_foreach(json_object_get(res.reply, "items"), i, it)
            fuzz_map_info(it);
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)res.reply, key, v) {
            fuzz_map_info(v);
            /* Only a key made of underscores alone keeps one. */
            FUZZ_CHECK(!strchr(key, '_') || strspn(key, "_") == strlen(key));
        }
    }
    gw_lkapi_owned_free(&own);
    return 0;
}
