/*
 * valid_helpers: the assertions the validation tests (valid_test,
 * valid_rec_test) share: parsing test JSON, comparing 422 details in order,
 * and comparing JSON text.
 */
#ifndef VALID_HELPERS_H
#define VALID_HELPERS_H

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

static inline json_t *parse(const char *text)
{
    json_error_t err;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

    if (!v)
        TEST__FAIL("bad test JSON %s: %s", text, err.text);
    return v;
}

/* Checks that `d` holds exactly n {field, message} pairs, in order, then
 * releases it. */
static inline void expect_issues(json_t *d, size_t n, ...)
{
    va_list ap;
    size_t i;

    ASSERT_NOT_NULL(d);
    if (json_array_size(d) != n) {
        char *s = json_dumps(d, JSON_COMPACT);

        TEST__FAIL("expected %zu issues, got %s", n, s);
    }
    va_start(ap, n);
    for (i = 0; i < n; i++) {
        json_t *it = json_array_get(d, i);
        const char *field = va_arg(ap, const char *);
        const char *msg = va_arg(ap, const char *);

        ASSERT_UINT_EQ(json_object_size(it), 2);
        ASSERT_STR_EQ(json_string_value(json_object_get(it, "field")), field);
        ASSERT_STR_EQ(json_string_value(json_object_get(it, "message")), msg);
    }
    va_end(ap);
    json_decref(d);
}

static inline void assert_json(const json_t *v, const char *expected)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

    ASSERT_STR_EQ(s, expected);
    free(s);
}

#endif
