/*
 * gw_router: method + path matching with path parameters, percent-decoding
 * and query-string parsing.
 *
 * Patterns are literal segments and ":name" parameters
 * ("/rooms/:roomId/config"). Matching ignores ASCII case in literal
 * segments and tolerates one trailing slash, as Express does. Parameter
 * values are percent-decoded.
 */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include <stddef.h>

#include "ov_mem.h"

#define GW_ROUTE_MAX_PARAMS 4

typedef struct gw_route_s {
    const char *method;  /* "GET", ... or "*" for any */
    const char *pattern; /* relative to the mount point, e.g. "/rooms/:id" */
    void *handler;       /* opaque to the router */
    unsigned flags;      /* opaque to the router */
} gw_route_t;

typedef struct {
    const char *name[GW_ROUTE_MAX_PARAMS];  /* borrowed from the pattern... */
    size_t name_len[GW_ROUTE_MAX_PARAMS];   /* ...name is not NUL-terminated */
    char *value[GW_ROUTE_MAX_PARAMS];       /* owned, decoded, NUL-terminated */
    size_t nparams;
} gw_route_match_t;

/** Finds the first route in `routes[0..n)` whose method and pattern match.
 *  On success returns 0, sets *out and fills `m` (release with
 *  gw_route_match_free). Returns OV_ENOPATH if no route matches,
 *  OV_EBADREQ if a parameter has an invalid percent-encoding. */
int gw_route_find(const gw_route_t *routes, size_t n, const char *method,
                  ov_str_t path, const gw_route_t **out, gw_route_match_t *m);

/** Returns the decoded value of parameter `name`, or NULL. */
const char *gw_route_param(const gw_route_match_t *m, const char *name);

void gw_route_match_free(gw_route_match_t *m);

/** Percent-decodes `in` into a new NUL-terminated string (free with free()).
 *  With `plus_is_space`, '+' becomes ' ' (query strings). Returns NULL on an
 *  invalid escape ("%zz", truncated "%"). *out_len receives the length,
 *  which may be shorter than strlen() if the value contains "%00". */
char *gw_pct_decode(ov_str_t in, int plus_is_space, size_t *out_len);

typedef struct {
    char *key;   /* owned, decoded */
    char *value; /* owned, decoded; "" for "key" without '=' */
    size_t value_len;
} gw_query_param_t;

typedef struct {
    gw_query_param_t *items;
    size_t n;
} gw_query_t;

/** Parses a raw query string ("a=1&b=%20x"). Empty pairs are skipped.
 *  Returns 0, or OV_EBADREQ on an invalid escape (then `q` is empty). More
 *  than `max_params` pairs is OV_EBADREQ too. Release with gw_query_free. */
int gw_query_parse(ov_str_t raw, size_t max_params, gw_query_t *q);

/** Returns the first value of `key`, or NULL. */
const char *gw_query_get(const gw_query_t *q, const char *key);
/** Returns how many times `key` occurs. */
size_t gw_query_count(const gw_query_t *q, const char *key);

void gw_query_free(gw_query_t *q);

#endif
