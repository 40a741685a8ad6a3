/*
 * router_test: gw_route_find, gw_pct_decode and gw_query_parse, without
 * sockets.
 */
#include "gw_router.h"

#include <stdlib.h>

#include "ov_err.h"
#include "test.h"

static int h_list, h_get, h_cfg, h_any, h_root, h_del;

static const gw_route_t routes[] = {
    {"GET", "/rooms", &h_list, 1},
    {"GET", "/rooms/:roomId", &h_get, 2},
    {"DELETE", "/rooms/:roomId", &h_del, 3},
    {"GET", "/rooms/:roomId/config", &h_cfg, 4},
    {"*", "/any/:a/:b", &h_any, 5},
    {"GET", "/", &h_root, 6},
    {"GET", "/rooms/special", &h_list, 7}, /* shadowed by /rooms/:roomId */
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static int find(const char *method, const char *path, const gw_route_t **r,
                gw_route_match_t *m)
{
    return gw_route_find(routes, NROUTES, method, ov_str(path), r, m);
}

static void test_match_literal(void)
{
    const gw_route_t *r = NULL;
    gw_route_match_t m;

    ASSERT_INT_EQ(find("GET", "/rooms", &r, &m), 0);
    ASSERT(r == &routes[0]);
    ASSERT_UINT_EQ(m.nparams, 0);
    gw_route_match_free(&m);

    ASSERT_INT_EQ(find("GET", "/", &r, &m), 0);
    ASSERT(r == &routes[5]);
    gw_route_match_free(&m);
}

static void test_match_params(void)
{
    const gw_route_t *r = NULL;
    gw_route_match_t m;

    ASSERT_INT_EQ(find("GET", "/rooms/abc-123", &r, &m), 0);
    ASSERT(r == &routes[1]);
    ASSERT_UINT_EQ(m.nparams, 1);
    ASSERT_STR_EQ(gw_route_param(&m, "roomId"), "abc-123");
    ASSERT_NULL(gw_route_param(&m, "room"));
    ASSERT_NULL(gw_route_param(&m, "roomIdx"));
    gw_route_match_free(&m);

    ASSERT_INT_EQ(find("GET", "/rooms/a%20b%2Fc/config", &r, &m), 0);
    ASSERT(r == &routes[3]);
    ASSERT_STR_EQ(gw_route_param(&m, "roomId"), "a b/c");
    gw_route_match_free(&m);

    /* '+' is not a space in a path. */
    ASSERT_INT_EQ(find("GET", "/rooms/a+b", &r, &m), 0);
    ASSERT_STR_EQ(gw_route_param(&m, "roomId"), "a+b");
    gw_route_match_free(&m);

    ASSERT_INT_EQ(find("PATCH", "/any/x/y", &r, &m), 0);
    ASSERT(r == &routes[4]);
    ASSERT_UINT_EQ(m.nparams, 2);
    ASSERT_STR_EQ(gw_route_param(&m, "a"), "x");
    ASSERT_STR_EQ(gw_route_param(&m, "b"), "y");
    gw_route_match_free(&m);

    /* First match wins. */
    ASSERT_INT_EQ(find("GET", "/rooms/special", &r, &m), 0);
    ASSERT(r == &routes[1]);
    ASSERT_STR_EQ(gw_route_param(&m, "roomId"), "special");
    gw_route_match_free(&m);
}

static void test_case_and_slash(void)
{
    const gw_route_t *r = NULL;
    gw_route_match_t m;

    ASSERT_INT_EQ(find("GET", "/ROOMS", &r, &m), 0);
    ASSERT(r == &routes[0]);
    gw_route_match_free(&m);

    ASSERT_INT_EQ(find("GET", "/Rooms/AbC/CONFIG/", &r, &m), 0);
    ASSERT(r == &routes[3]);
    /* Parameter values keep their case. */
    ASSERT_STR_EQ(gw_route_param(&m, "roomId"), "AbC");
    gw_route_match_free(&m);

    ASSERT_INT_EQ(find("GET", "/rooms/", &r, &m), 0);
    ASSERT(r == &routes[0]);
    gw_route_match_free(&m);

    /* Only one trailing slash. */
    ASSERT_INT_EQ(find("GET", "/rooms//", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "/rooms/x//", &r, &m), OV_ENOPATH);
}

static void test_no_match(void)
{
    const gw_route_t *r = NULL;
    gw_route_match_t m;

    ASSERT_INT_EQ(find("GET", "/nope", &r, &m), OV_ENOPATH);
    ASSERT_UINT_EQ(m.nparams, 0);
    ASSERT_INT_EQ(find("GET", "", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "rooms", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "/rooms/a/b", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "/roomsx", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "/room", &r, &m), OV_ENOPATH);
    /* An empty parameter does not match. */
    ASSERT_INT_EQ(find("GET", "/rooms//config", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("GET", "/any/x", &r, &m), OV_ENOPATH);
    /* Method mismatch on a matching path is no match. */
    ASSERT_INT_EQ(find("POST", "/rooms", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("PUT", "/rooms/abc", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("DELETE", "/rooms/abc", &r, &m), 0);
    ASSERT(r == &routes[2]);
    gw_route_match_free(&m);
}

static void test_bad_escape(void)
{
    const gw_route_t *r = NULL;
    gw_route_match_t m;

    ASSERT_INT_EQ(find("GET", "/rooms/%zz", &r, &m), OV_EBADREQ);
    ASSERT_UINT_EQ(m.nparams, 0);
    ASSERT_INT_EQ(find("GET", "/rooms/ab%4", &r, &m), OV_EBADREQ);
    ASSERT_INT_EQ(find("GET", "/any/ok/%", &r, &m), OV_EBADREQ);
    /* A bad escape on a path no route takes is still a 404. */
    ASSERT_INT_EQ(find("GET", "/nope/%zz", &r, &m), OV_ENOPATH);
    ASSERT_INT_EQ(find("POST", "/rooms/%zz", &r, &m), OV_ENOPATH);
}

static void test_pct_decode(void)
{
    size_t len = 99;
    char *s;

    s = gw_pct_decode(OV_STR_LIT("%41b%63"), 0, &len);
    ASSERT_STR_EQ(s, "Abc");
    ASSERT_UINT_EQ(len, 3);
    free(s);

    s = gw_pct_decode(OV_STR_LIT("%4a%4A"), 0, &len);
    ASSERT_STR_EQ(s, "JJ");
    free(s);

    ASSERT_NULL(gw_pct_decode(OV_STR_LIT("%4"), 0, &len));
    ASSERT_NULL(gw_pct_decode(OV_STR_LIT("ab%"), 0, &len));
    ASSERT_NULL(gw_pct_decode(OV_STR_LIT("%zz"), 0, &len));
    ASSERT_NULL(gw_pct_decode(OV_STR_LIT("%g0"), 1, &len));
    ASSERT_NULL(gw_pct_decode(OV_STR_LIT("%0g"), 1, &len));

    s = gw_pct_decode(OV_STR_LIT("a+b%2B"), 1, &len);
    ASSERT_STR_EQ(s, "a b+");
    free(s);
    s = gw_pct_decode(OV_STR_LIT("a+b"), 0, &len);
    ASSERT_STR_EQ(s, "a+b");
    free(s);

    s = gw_pct_decode(OV_STR_LIT("a%00b"), 0, &len);
    ASSERT_NOT_NULL(s);
    ASSERT_UINT_EQ(len, 3);
    ASSERT_UINT_EQ(strlen(s), 1);
    ASSERT(memcmp(s, "a\0b", 4) == 0);
    free(s);

    s = gw_pct_decode(OV_STR_LIT(""), 1, &len);
    ASSERT_STR_EQ(s, "");
    ASSERT_UINT_EQ(len, 0);
    free(s);

    /* UTF-8 bytes go through as they are. */
    s = gw_pct_decode(OV_STR_LIT("%C3%A9"), 0, NULL);
    ASSERT_STR_EQ(s, "\xc3\xa9");
    free(s);
}

static void test_query(void)
{
    gw_query_t q;

    ASSERT_INT_EQ(gw_query_parse(
                      OV_STR_LIT("a=1&b=%20x&a=2&c&&d=&e=x=y&f+g=h+i"), 16, &q),
                  0);
    ASSERT_UINT_EQ(q.n, 7);
    ASSERT_STR_EQ(q.items[0].key, "a");
    ASSERT_STR_EQ(q.items[0].value, "1");
    ASSERT_STR_EQ(q.items[1].key, "b");
    ASSERT_STR_EQ(q.items[1].value, " x");
    ASSERT_STR_EQ(q.items[2].value, "2");
    ASSERT_STR_EQ(gw_query_get(&q, "a"), "1");
    ASSERT_UINT_EQ(gw_query_count(&q, "a"), 2);
    ASSERT_UINT_EQ(gw_query_count(&q, "zz"), 0);
    ASSERT_NULL(gw_query_get(&q, "zz"));
    ASSERT_STR_EQ(gw_query_get(&q, "c"), "");
    ASSERT_UINT_EQ(q.items[3].value_len, 0);
    ASSERT_STR_EQ(gw_query_get(&q, "d"), "");
    ASSERT_STR_EQ(gw_query_get(&q, "e"), "x=y");
    ASSERT_STR_EQ(gw_query_get(&q, "f g"), "h i");
    gw_query_free(&q);
    ASSERT_UINT_EQ(q.n, 0);
    ASSERT_NULL(q.items);

    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT(""), 4, &q), 0);
    ASSERT_UINT_EQ(q.n, 0);
    gw_query_free(&q);

    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("&&&"), 0, &q), 0);
    ASSERT_UINT_EQ(q.n, 0);
    gw_query_free(&q);

    /* "%00" in a value: value_len tells the real length. */
    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("k=a%00b"), 4, &q), 0);
    ASSERT_UINT_EQ(q.n, 1);
    ASSERT_UINT_EQ(q.items[0].value_len, 3);
    ASSERT(memcmp(q.items[0].value, "a\0b", 4) == 0);
    gw_query_free(&q);

    /* Bad escapes in keys or values. */
    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("a=1&b=%zz"), 4, &q), OV_EBADREQ);
    ASSERT_UINT_EQ(q.n, 0);
    ASSERT_NULL(q.items);
    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("a%4=1"), 4, &q), OV_EBADREQ);
    ASSERT_UINT_EQ(q.n, 0);

    /* Too many parameters (empty pairs do not count). */
    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("a=1&&b=2&c=3"), 3, &q), 0);
    ASSERT_UINT_EQ(q.n, 3);
    gw_query_free(&q);
    ASSERT_INT_EQ(gw_query_parse(OV_STR_LIT("a=1&b=2&c=3&d=4"), 3, &q),
                  OV_EBADREQ);
    ASSERT_UINT_EQ(q.n, 0);
    ASSERT_NULL(q.items);
}

int main(void)
{
    TEST_RUN(test_match_literal);
    TEST_RUN(test_match_params);
    TEST_RUN(test_case_and_slash);
    TEST_RUN(test_no_match);
    TEST_RUN(test_bad_escape);
    TEST_RUN(test_pct_decode);
    TEST_RUN(test_query);
    return 0;
}
