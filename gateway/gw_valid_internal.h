/*
 * gw_valid_internal: the helpers gw_valid.c shares with the other
 * validators of the gateway (gw_valid_rec.c): zod-like issues, JavaScript
 * string semantics, enums and query values with Express' qs semantics.
 * Not part of the gateway's public surface; see gw_valid.c for the
 * conventions they follow.
 */
#ifndef GW_VALID_INTERNAL_H
#define GW_VALID_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

#include "gw_router.h"

/* ------------------------------------------------------------------ */
/* Issues and JavaScript-like helpers                                  */
/* ------------------------------------------------------------------ */

/** Appends {"field": field, "message": <formatted>} to `details`. */
void gw__issuef(json_t *details, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** zod's invalid_type issue for JSON value `v` ("Required" when `v` is
 *  NULL, else "Expected <expected>, received <type of v>"). */
void gw__type_issue(json_t *d, const char *field, const char *expected,
                    const json_t *v);

/** The length JavaScript reports for s[0..len) (UTF-16 code units). */
size_t gw__js_length(const char *s, size_t len);

/** JavaScript's trim(): returns the view of s[0..*len) without leading and
 *  trailing whitespace, *len updated (view, `s` must outlive it). */
const char *gw__js_trim(const char *s, size_t *len);

/** The roomId character rule: returns new s[0..len) keeping only
 *  [A-Za-z0-9_-], free with free(). */
char *gw__sanitize_id(const char *s, size_t len);

/** Hands `d` (non-empty) to the caller as *details; returns OV_EINVAL. */
int gw__fail(json_t *d, json_t **details);

/* ------------------------------------------------------------------ */
/* Enums                                                               */
/* ------------------------------------------------------------------ */

typedef struct {
    const char *const *values;
    size_t n;
    int native; /* z.nativeEnum: numbers are compared, not type errors */
} gw__enum_t;

#define GW__ENUM(arr, native)                                                  \
    {                                                                          \
        arr, sizeof(arr) / sizeof(arr[0]), native                              \
    }

/** The recording layouts (native): grid, speaker, single-speaker. */
extern const gw__enum_t gw__layout;

/** Returns the static value equal to s[0..len), or NULL. */
const char *gw__enum_find(const gw__enum_t *e, const char *s, size_t len);

/** "Invalid enum value. Expected 'a' | 'b', received '<received>'". */
void gw__enum_value_issue(json_t *d, const char *field, const gw__enum_t *e,
                          const char *received);

/** "Expected 'a' | 'b', received <received>" (a non-string value). */
void gw__enum_type_issue(json_t *d, const char *field, const gw__enum_t *e,
                         const char *received);

/** Validates a JSON enum value; absent is "Required". Returns the static
 *  value, or NULL after adding the issue. */
const char *gw__enum_json(const json_t *v, const gw__enum_t *e,
                          const char *field, json_t *d);

/* ------------------------------------------------------------------ */
/* Query values with qs semantics                                      */
/* ------------------------------------------------------------------ */

enum { GW__Q_ABSENT, GW__Q_STRING, GW__Q_ARRAY, GW__Q_OBJECT };

/** Classifies parameter `name` as qs would build it (GW__Q_*); for a
 *  string, *item is its only item (borrowed from `q`). */
int gw__qs_kind(const gw_query_t *q, const char *name,
                const gw_query_param_t **item);

/** "array" or "object", the zod type name of a GW__Q_ARRAY / _OBJECT. */
const char *gw__qs_kind_name(int kind);

/** A z.string().optional() query parameter reported under field `name`.
 *  Returns 0 and sets *out (new, or NULL when absent), or -1 after adding
 *  the issue. */
int gw__qs_string(const gw_query_t *q, const char *name, char **out, json_t *d);

/** An optional enum query parameter with a default (may be NULL). Returns
 *  the static value, or NULL after adding the issue. */
const char *gw__qs_enum(const gw_query_t *q, const char *name,
                        const gw__enum_t *e, const char *dflt, json_t *d);

/** Calls fn(value, len, arg) for every element of an array-kind parameter,
 *  in query order. */
void gw__qs_each(const gw_query_t *q, const char *name,
                 void (*fn)(const char *, size_t, void *), void *arg);

/** The `maxItems` rule of the list endpoints (§6.2): default 10, coerced
 *  as JavaScript's Number(), positive, floored, clamped to 100. Returns 0,
 *  or -1 after adding the issue at field "maxItems". */
int gw__max_items(const gw_query_t *q, unsigned *out, json_t *d);

#endif
