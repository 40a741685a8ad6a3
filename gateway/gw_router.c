/*
 * gw_router: method + path matching, percent-decoding and query parsing
 * (see gw_router.h).
 *
 * Literal segments are compared raw (not decoded), as Express compares its
 * route regexes against the raw path; only parameter values are decoded,
 * after the whole path has matched, so that a bad escape in a path that
 * belongs to no route is still a 404 rather than a 400.
 */
#include "gw_router.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ov_err.h"

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

char *gw_pct_decode(ov_str_t in, int plus_is_space, size_t *out_len)
{
    char *out = ov_xmalloc(in.len + 1);
    size_t o = 0;

    for (size_t i = 0; i < in.len; i++) {
        char ch = in.ptr[i];
        if (ch == '%') {
            int hi, lo;
            if (i + 2 >= in.len) {
                free(out);
                return NULL;
            }
            hi = hexval(in.ptr[i + 1]);
            lo = hexval(in.ptr[i + 2]);
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

void gw_route_match_free(gw_route_match_t *m)
{
    for (size_t i = 0; i < m->nparams; i++)
        free(m->value[i]);
    memset(m, 0, sizeof(*m));
}

/* Returns the next segment of `s` starting at *pos (which is just after a
 * '/'), and advances *pos past the segment and its following '/'. */
static ov_str_t next_segment(ov_str_t s, size_t *pos, int *more)
{
    size_t start = *pos, end = start;

    while (end < s.len && s.ptr[end] != '/')
        end++;
    *more = end < s.len;
    *pos = end + 1;
    return (ov_str_t){s.ptr + start, end - start};
}

/* Matches `path` against `pattern`. Returns 1 on a match (with the raw
 * parameter views in `raw`), 0 otherwise. */
static int pattern_match(const char *pattern, ov_str_t path, ov_str_t *raw,
                         gw_route_match_t *m)
{
    ov_str_t pat = ov_str(pattern);
    size_t pp = 1, sp = 1;
    int pmore = 1, smore = 1;

    m->nparams = 0;
    if (pat.len == 0 || pat.ptr[0] != '/' || path.len == 0 ||
        path.ptr[0] != '/')
        return 0;
    /* One trailing slash is tolerated. */
    if (path.len > 1 && path.ptr[path.len - 1] == '/')
        path.len--;
    while (pmore && smore) {
        ov_str_t ps = next_segment(pat, &pp, &pmore);
        ov_str_t ss = next_segment(path, &sp, &smore);
        if (ps.len > 0 && ps.ptr[0] == ':') {
            if (ss.len == 0 || m->nparams >= GW_ROUTE_MAX_PARAMS)
                return 0;
            m->name[m->nparams] = ps.ptr + 1;
            m->name_len[m->nparams] = ps.len - 1;
            raw[m->nparams] = ss;
            m->nparams++;
        } else if (ps.len != ss.len ||
                   (ps.len > 0 && strncasecmp(ps.ptr, ss.ptr, ps.len) != 0)) {
            return 0;
        }
    }
    return !pmore && !smore;
}

int gw_route_find(const gw_route_t *routes, size_t n, const char *method,
                  ov_str_t path, const gw_route_t **out, gw_route_match_t *m)
{
    ov_str_t raw[GW_ROUTE_MAX_PARAMS];

    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < n; i++) {
        const gw_route_t *r = &routes[i];
        size_t np;

        if (strcmp(r->method, "*") != 0 && strcmp(r->method, method) != 0)
            continue;
        if (!pattern_match(r->pattern, path, raw, m)) {
            m->nparams = 0;
            continue;
        }
        np = m->nparams;
        for (size_t k = 0; k < np; k++) {
            m->value[k] = gw_pct_decode(raw[k], 0, NULL);
            if (m->value[k] == NULL) {
                m->nparams = k;
                gw_route_match_free(m);
                return OV_EBADREQ;
            }
        }
        *out = r;
        return 0;
    }
    memset(m, 0, sizeof(*m));
    return OV_ENOPATH;
}

const char *gw_route_param(const gw_route_match_t *m, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; i < m->nparams; i++)
        if (m->name_len[i] == len && memcmp(m->name[i], name, len) == 0)
            return m->value[i];
    return NULL;
}

void gw_query_free(gw_query_t *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->items[i].key);
        free(q->items[i].value);
    }
    free(q->items);
    q->items = NULL;
    q->n = 0;
}

int gw_query_parse(ov_str_t raw, size_t max_params, gw_query_t *q)
{
    size_t pos = 0, cap = 0;

    q->items = NULL;
    q->n = 0;
    while (pos < raw.len) {
        const char *start = raw.ptr + pos;
        const char *amp = memchr(start, '&', raw.len - pos);
        size_t plen = amp ? (size_t)(amp - start) : raw.len - pos;
        const char *eq;
        ov_str_t k, v;
        gw_query_param_t *it;

        pos += plen + 1;
        if (plen == 0)
            continue;
        if (q->n >= max_params) {
            gw_query_free(q);
            return OV_EBADREQ;
        }
        eq = memchr(start, '=', plen);
        if (eq) {
            k = (ov_str_t){start, (size_t)(eq - start)};
            v = (ov_str_t){eq + 1, plen - k.len - 1};
        } else {
            k = (ov_str_t){start, plen};
            v = (ov_str_t){"", 0};
        }
        if (q->n == cap) {
            cap = cap ? cap * 2 : 8;
            q->items = ov_xrealloc(q->items, cap * sizeof(*q->items));
        }
        it = &q->items[q->n];
        it->key = gw_pct_decode(k, 1, NULL);
        it->value = gw_pct_decode(v, 1, &it->value_len);
        if (it->key == NULL || it->value == NULL) {
            free(it->key);
            free(it->value);
            gw_query_free(q);
            return OV_EBADREQ;
        }
        q->n++;
    }
    return 0;
}

const char *gw_query_get(const gw_query_t *q, const char *key)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->items[i].key, key) == 0)
            return q->items[i].value;
    return NULL;
}

size_t gw_query_count(const gw_query_t *q, const char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->items[i].key, key) == 0)
            n++;
    return n;
}
