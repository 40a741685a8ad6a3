/*
 * fuzz_valid: the request validators of every endpoint on one input,
 * taken three ways: as a JSON body (any value) for the body validators, as
 * a raw query string (gw_query_parse) for the query validators, and as a
 * path parameter for the roomId and recordingId rules. The contract of
 * gw_valid.h is checked: 0, or OV_EINVAL with a non-empty details array;
 * what a validator returns is released as the routes release it, so a leak
 * on any path is a finding.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "gw_valid.h"
#include "gw_valid_rec.h"
#include "ov_err.h"

#define NOW_MS INT64_C(1767225600000) /* 2026-01-01 */
#define MAX_QUERY_PARAMS 256          /* as gw_app.c */
#define MAX_IDS 1000                  /* as the bulk routes */

/* Checks the validator contract and drops the details. */
static void check(int rc, json_t *details)
{
    if (rc == 0) {
        FUZZ_CHECK(details == NULL);
        return;
    }
    FUZZ_CHECK(rc == OV_EINVAL);
    FUZZ_CHECK(json_is_array(details) && json_array_size(details) > 0);
    json_decref(details);
}

static void fuzz_body(const json_t *body)
{
    json_t *d = NULL;
    int rc;

    gw_room_create_in_t rc_in;
    rc = gw_valid_room_create(body, NOW_MS, &rc_in, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(rc_in.room_name && json_is_object(rc_in.config));
        gw_room_create_in_free(&rc_in);
    }
    if (body == NULL)
        return;

    json_t *patch = NULL;
    d = NULL;
    rc = gw_valid_room_config_patch(body, &patch, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(json_is_object(patch));
        json_decref(patch);
    }

    const char *status = NULL;
    d = NULL;
    rc = gw_valid_room_status(body, &status, &d);
    check(rc, d);
    if (rc == 0)
        FUZZ_CHECK(status && (!strcmp(status, "open") ||
                              !strcmp(status, "closed")));

    gw_rec_start_in_t rs;
    d = NULL;
    rc = gw_valid_rec_start(body, &rs, &d);
    check(rc, d);
    if (rc == 0)
        gw_rec_start_in_free(&rs);
}

static void fuzz_query(const gw_query_t *q)
{
    json_t *d = NULL;
    int rc;

    gw_room_list_in_t rl;
    rc = gw_valid_room_list(q, &rl, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(rl.max_items <= 100); /* 0 < maxItems < 1 floors to 0 */
        gw_room_list_in_free(&rl);
    }

    gw_rec_list_in_t rcl;
    d = NULL;
    rc = gw_valid_rec_list(q, &rcl, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(rcl.max_items <= 100);
        gw_rec_list_in_free(&rcl);
    }

    char **ids = NULL;
    size_t n = 0;
    d = NULL;
    rc = gw_valid_room_ids(q, MAX_IDS, &ids, &n, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(n >= 1 && n <= MAX_IDS);
        gw_fields_free(ids, n);
    }

    ids = NULL;
    n = 0;
    d = NULL;
    rc = gw_valid_recording_ids(q, MAX_IDS, &ids, &n, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(n >= 1 && n <= MAX_IDS);
        gw_fields_free(ids, n);
    }

    const char *wm = NULL, *wr = NULL;
    d = NULL;
    rc = gw_valid_delete_policies(q, &wm, &wr, &d);
    check(rc, d);
    if (rc == 0)
        FUZZ_CHECK(wm && wr);

    char *secret = NULL;
    d = NULL;
    rc = gw_valid_rec_secret(q, &secret, &d);
    check(rc, d);
    free(secret);

    bool priv = false;
    d = NULL;
    rc = gw_valid_private_access(q, &priv, &d);
    check(rc, d);
}

static void fuzz_ids(const char *s)
{
    json_t *d = NULL;
    char *out = NULL, *room = NULL, *egress = NULL;
    int rc;

    rc = gw_valid_room_id(s, "roomId", &out, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(out && out[0] != '\0');
        free(out);
    }
    out = NULL;
    d = NULL;
    rc = gw_valid_recording_id(s, "recordingId", &out, &room, &egress, &d);
    check(rc, d);
    if (rc == 0) {
        FUZZ_CHECK(out && room && egress);
        free(out);
        free(room);
        free(egress);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *body;
    gw_query_t q;
    char *s;

    body = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    fuzz_body(body); /* NULL: an absent body */
    json_decref(body);

    if (gw_query_parse((ov_str_t){(const char *)data, size}, MAX_QUERY_PARAMS,
                       &q) == 0) {
        fuzz_query(&q);
        gw_query_free(&q);
    } else {
        FUZZ_CHECK(q.n == 0);
    }

    s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    fuzz_ids(s);
    free(s);
    return 0;
}
