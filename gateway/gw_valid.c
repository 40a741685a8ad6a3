/*
 * gw_valid: the rooms endpoints' input validation (BEHAVIOUR.md §4, §5.1,
 * §6), reproducing what the reference's zod 3 schemas report.
 *
 * The order of the issues is part of the contract, so every validator walks
 * its input in the order zod walks the schema: the keys of an object schema
 * in their declared order, the checks of one value in the order they were
 * chained. A zod type error on a value stops the checks of that value, but
 * a failed refinement does not, which is why some fields can yield two
 * issues. Messages follow zod's built-in forms:
 *   - missing value:  "Required"
 *   - wrong type:     "Expected <type>, received <type>"
 *   - enum value:     "Invalid enum value. Expected 'a' | 'b', received 'v'"
 *   - enum, non-string (or, for a native enum, non-number) value:
 *                     "Expected 'a' | 'b', received <type>"
 *
 * Query values follow Express' "extended" parser (qs): a repeated key or a
 * `key[]` / `key[<n>]` key is an array, a `key[name]` key is an object.
 */
#include "gw_valid.h"
#include "gw_valid_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

#include "ov_err.h"
#include "ov_log.h"
#include "ov_mem.h"

/* ------------------------------------------------------------------ */
/* Issues and JavaScript-like helpers                                  */
/* ------------------------------------------------------------------ */

void gw_valid_issue(json_t *details, const char *field, const char *message)
{
    json_t *o = json_object();

    json_object_set_new(o, "field", json_string(field));
    json_object_set_new(o, "message", json_string(message));
    json_array_append_new(details, o);
}

void gw__issuef(json_t *details, const char *field, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    OV_ASSERT(n >= 0);
    msg = ov_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gw_valid_issue(details, field, msg);
    free(msg);
}

/* Returns new "a.b", or a copy of the non-empty one: zod joins the issue
 * path with '.', and the root has an empty path. */
static char *gw__join(const char *a, const char *b)
{
    ov_buf_t buf = OV_BUF_INIT;

    ov_buf_appends(&buf, a);
    if (*a && *b)
        ov_buf_appends(&buf, ".");
    ov_buf_appends(&buf, b);
    if (!buf.data)
        return ov_xstrdup("");
    return buf.data;
}

/* The name zod gives the type of a JSON value (its ZodParsedType). */
static const char *gw__js_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_ARRAY:
        return "array";
    case JSON_NULL:
        return "null";
    case JSON_OBJECT:
    default:
        return "object";
    }
}

/* zod's invalid_type issue: "Required" when the value is absent. */
void gw__type_issue(json_t *d, const char *field, const char *expected,
                    const json_t *v)
{
    if (!v)
        gw_valid_issue(d, field, "Required");
    else
        gw__issuef(d, field, "Expected %s, received %s", expected,
                   gw__js_type(v));
}

/* JavaScript truthiness of a JSON value. */
static int gw__js_truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_number(v))
        return json_number_value(v) != 0;
    return 1;
}

/* Formats `v` as JavaScript's Number.prototype.toString() does: the
 * shortest digits that round-trip, fixed notation for exponents in
 * [-7, 21), exponent notation ("1e+21") otherwise. */
static void gw__js_num_str(double v, char *out, size_t outsz)
{
    char tmp[40], digits[24];
    int prec, exp10, k, n, i;
    char *e;
    ov_buf_t b = OV_BUF_INIT;

    if (isnan(v)) {
        snprintf(out, outsz, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, outsz, "%s", v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (v == 0) {
        snprintf(out, outsz, "0");
        return;
    }
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp is "[-]d[.ddd]e±XX". */
    e = strchr(tmp, 'e');
    exp10 = atoi(e + 1);
    k = 0;
    for (i = (tmp[0] == '-'); tmp + i < e; i++)
        if (tmp[i] != '.')
            digits[k++] = tmp[i];
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    n = exp10 + 1;
    if (v < 0)
        ov_buf_appends(&b, "-");
    if (k <= n && n <= 21) {
        ov_buf_appends(&b, digits);
        for (i = 0; i < n - k; i++)
            ov_buf_appends(&b, "0");
    } else if (0 < n && n <= 21) {
        ov_buf_append(&b, digits, (size_t)n);
        ov_buf_appends(&b, ".");
        ov_buf_appends(&b, digits + n);
    } else if (-6 < n && n <= 0) {
        ov_buf_appends(&b, "0.");
        for (i = 0; i < -n; i++)
            ov_buf_appends(&b, "0");
        ov_buf_appends(&b, digits);
    } else {
        ov_buf_append(&b, digits, 1);
        if (k > 1) {
            ov_buf_appends(&b, ".");
            ov_buf_appends(&b, digits + 1);
        }
        ov_buf_printf(&b, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    snprintf(out, outsz, "%s", b.data);
    ov_buf_free(&b);
}

/* JavaScript's WhiteSpace and LineTerminator code points: what `\s`
 * matches and what String.prototype.trim() removes. */
static int gw__js_space(ucs4_t c)
{
    return c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D ||
           c == 0x20 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

/* Decodes one code point; an invalid byte counts as one (replacement)
 * character so that the walk always progresses. */
static size_t gw__next_cp(const char *s, size_t len, ucs4_t *c)
{
    int n = u8_mbtouc(c, (const uint8_t *)s, len);

    return n > 0 ? (size_t)n : 1;
}

/* The length JavaScript reports (UTF-16 code units). */
size_t gw__js_length(const char *s, size_t len)
{
    size_t i = 0, units = 0;
    ucs4_t c;

    while (i < len) {
        i += gw__next_cp(s + i, len - i, &c);
        units += c >= 0x10000 ? 2 : 1;
    }
    return units;
}

/* JavaScript's trim(): returns the view of s[0..*len) without leading and
 * trailing whitespace. */
const char *gw__js_trim(const char *s, size_t *len)
{
    size_t i = 0, end = 0, n;
    int seen = 0;
    ucs4_t c;

    /* The end is the byte after the last non-space code point. */
    while (i < *len) {
        n = gw__next_cp(s + i, *len - i, &c);
        if (!gw__js_space(c)) {
            if (!seen) {
                seen = 1;
                s += i;
                *len -= i;
                i = 0;
            }
            end = i + n;
        }
        i += n;
    }
    if (!seen) {
        *len = 0;
        return s;
    }
    *len = end;
    return s;
}

/* ------------------------------------------------------------------ */
/* Enums                                                               */
/* ------------------------------------------------------------------ */

static const char *const gw__with_meeting_v[] = {"force", "when_meeting_ends",
                                                 "fail"};
static const char *const gw__with_recordings_v[] = {"force", "close", "fail"};
static const char *const gw__layout_v[] = {"grid", "speaker", "single-speaker"};
static const char *const gw__access_v[] = {"admin", "admin_moderator",
                                           "admin_moderator_speaker"};
static const char *const gw__status_put_v[] = {"open", "closed"};
static const char *const gw__status_list_v[] = {"open", "active_meeting",
                                                "closed"};
static const char *const gw__sort_field_v[] = {"creationDate", "roomName",
                                               "autoDeletionDate"};
static const char *const gw__sort_order_v[] = {"asc", "desc"};
static const char *const gw__vcodec_v[] = {"DEFAULT_VC", "H264_BASELINE",
                                           "H264_MAIN", "H264_HIGH", "VP8"};
static const char *const gw__acodec_v[] = {"DEFAULT_AC", "OPUS", "AAC",
                                           "AC_MP3"};

static const gw__enum_t gw__with_meeting = GW__ENUM(gw__with_meeting_v, 1);
static const gw__enum_t gw__with_recordings =
    GW__ENUM(gw__with_recordings_v, 1);
const gw__enum_t gw__layout = GW__ENUM(gw__layout_v, 1);
static const gw__enum_t gw__access = GW__ENUM(gw__access_v, 1);
static const gw__enum_t gw__status_put = GW__ENUM(gw__status_put_v, 0);
static const gw__enum_t gw__status_list = GW__ENUM(gw__status_list_v, 1);
static const gw__enum_t gw__sort_field = GW__ENUM(gw__sort_field_v, 0);
static const gw__enum_t gw__sort_order = GW__ENUM(gw__sort_order_v, 0);
static const gw__enum_t gw__vcodec = GW__ENUM(gw__vcodec_v, 1);
static const gw__enum_t gw__acodec = GW__ENUM(gw__acodec_v, 1);

static const char *const gw__presets[] = {
    "H264_720P_30",           "H264_720P_60",          "H264_1080P_30",
    "H264_1080P_60",          "PORTRAIT_H264_720P_30", "PORTRAIT_H264_720P_60",
    "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60"};
#define GW__NPRESETS (sizeof(gw__presets) / sizeof(gw__presets[0]))

/* zod's util.joinValues: "'a' | 'b' | 'c'". */
static void gw__enum_join(const gw__enum_t *e, ov_buf_t *b)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        ov_buf_printf(b, "%s'%s'", i ? " | " : "", e->values[i]);
}

/* Returns the static value equal to s[0..len), or NULL. Length-aware so
 * that a value with an embedded NUL never matches. */
const char *gw__enum_find(const gw__enum_t *e, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < e->n; i++)
        if (strlen(e->values[i]) == len && memcmp(e->values[i], s, len) == 0)
            return e->values[i];
    return NULL;
}

void gw__enum_value_issue(json_t *d, const char *field, const gw__enum_t *e,
                          const char *received)
{
    ov_buf_t b = OV_BUF_INIT;

    ov_buf_appends(&b, "Invalid enum value. Expected ");
    gw__enum_join(e, &b);
    ov_buf_printf(&b, ", received '%s'", received);
    gw_valid_issue(d, field, b.data);
    ov_buf_free(&b);
}

void gw__enum_type_issue(json_t *d, const char *field, const gw__enum_t *e,
                         const char *received)
{
    ov_buf_t b = OV_BUF_INIT;

    ov_buf_appends(&b, "Expected ");
    gw__enum_join(e, &b);
    ov_buf_printf(&b, ", received %s", received);
    gw_valid_issue(d, field, b.data);
    ov_buf_free(&b);
}

/* Validates a JSON enum value; absent is "Required" (callers check for
 * optional values first). Returns the static value, or NULL after adding
 * the issue. */
const char *gw__enum_json(const json_t *v, const gw__enum_t *e,
                          const char *field, json_t *d)
{
    const char *hit;
    char num[40];

    if (!v) {
        gw_valid_issue(d, field, "Required");
        return NULL;
    }
    if (json_is_string(v)) {
        hit = gw__enum_find(e, json_string_value(v), json_string_length(v));
        if (!hit)
            gw__enum_value_issue(d, field, e, json_string_value(v));
        return hit;
    }
    if (e->native && json_is_number(v)) {
        /* A native string enum holds no numbers, so this always fails, and
         * zod prints the number as JavaScript does. */
        gw__js_num_str(json_number_value(v), num, sizeof(num));
        gw__enum_value_issue(d, field, e, num);
        return NULL;
    }
    gw__enum_type_issue(d, field, e, gw__js_type(v));
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Query values with qs semantics                                      */
/* ------------------------------------------------------------------ */

/* How qs sees item key `k` relative to parameter `name`: 0 unrelated, 1
 * the plain key, 2 an array element (`name[]`, `name[<0..20>]`), 3 an
 * object member (any other `name[...]`). qs splits the key before the first
 * complete bracket pair, so "name[a" is an unrelated key. */
static int gw__qs_key_class(const char *k, const char *name)
{
    size_t n = strlen(name), i;
    const char *close;

    if (strncmp(k, name, n) != 0)
        return 0;
    if (k[n] == '\0')
        return 1;
    if (k[n] != '[' || n == 0)
        return 0;
    close = strchr(k + n + 1, ']');
    if (!close)
        return 0;
    for (i = n + 1; k + i < close; i++)
        if (k[i] == '[')
            return 0;
    if (close[1] != '\0')
        return 3; /* nested brackets build an object */
    if (close == k + n + 1)
        return 2;
    /* qs keeps an index as an array index only up to arrayLimit (20) and
     * only if it is written canonically. */
    if (close - (k + n + 1) <= 2) {
        char idx[3] = {0};
        int v;

        memcpy(idx, k + n + 1, (size_t)(close - (k + n + 1)));
        v = atoi(idx);
        if ((idx[0] >= '0' && idx[0] <= '9') &&
            (idx[1] == '\0' || (idx[1] >= '0' && idx[1] <= '9'))) {
            char canon[4];

            snprintf(canon, sizeof(canon), "%d", v);
            if (strcmp(canon, idx) == 0 && v <= 20)
                return 2;
        }
    }
    return 3;
}

/* Classifies parameter `name`; for a string, *item is its only item. */
int gw__qs_kind(const gw_query_t *q, const char *name,
                const gw_query_param_t **item)
{
    size_t i, plain = 0, arr = 0, obj = 0;

    *item = NULL;
    if (!q)
        return GW__Q_ABSENT;
    for (i = 0; i < q->n; i++) {
        switch (gw__qs_key_class(q->items[i].key, name)) {
        case 1:
            if (!*item)
                *item = &q->items[i];
            plain++;
            break;
        case 2:
            arr++;
            break;
        case 3:
            obj++;
            break;
        default:
            break;
        }
    }
    if (obj)
        /* qs merges a string with an object into an array, and an array
         * with an object into an object. */
        return plain ? GW__Q_ARRAY : GW__Q_OBJECT;
    if (arr || plain > 1)
        return GW__Q_ARRAY;
    return plain ? GW__Q_STRING : GW__Q_ABSENT;
}

const char *gw__qs_kind_name(int kind)
{
    return kind == GW__Q_ARRAY ? "array" : "object";
}

/* A z.string().optional() query parameter. Returns 0 and sets *out (new,
 * or NULL when absent), or -1 after adding the issue. */
int gw__qs_string(const gw_query_t *q, const char *name, char **out, json_t *d)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, name, &it);

    *out = NULL;
    if (kind == GW__Q_ABSENT)
        return 0;
    if (kind != GW__Q_STRING) {
        gw__issuef(d, name, "Expected string, received %s",
                   gw__qs_kind_name(kind));
        return -1;
    }
    *out = ov_xstrndup(it->value, it->value_len);
    return 0;
}

/* An optional enum query parameter with a default. Returns the static
 * value, or NULL after adding the issue. */
const char *gw__qs_enum(const gw_query_t *q, const char *name,
                        const gw__enum_t *e, const char *dflt, json_t *d)
{
    const gw_query_param_t *it;
    const char *hit;
    int kind = gw__qs_kind(q, name, &it);

    if (kind == GW__Q_ABSENT)
        return dflt;
    if (kind != GW__Q_STRING) {
        gw__enum_type_issue(d, name, e, gw__qs_kind_name(kind));
        return NULL;
    }
    hit = gw__enum_find(e, it->value, it->value_len);
    if (!hit)
        gw__enum_value_issue(d, name, e, it->value);
    return hit;
}

/* Calls fn(value, len, arg) for every element of an array-kind parameter,
 * in query order. */
void gw__qs_each(const gw_query_t *q, const char *name,
                 void (*fn)(const char *, size_t, void *), void *arg)
{
    size_t i;
    int c;

    for (i = 0; i < q->n; i++) {
        c = gw__qs_key_class(q->items[i].key, name);
        if (c == 1 || c == 2)
            fn(q->items[i].value, q->items[i].value_len, arg);
    }
}

/* ------------------------------------------------------------------ */
/* JavaScript Number() of a string                                     */
/* ------------------------------------------------------------------ */

static int gw__digit_in(char c, int base)
{
    int v;

    if (c >= '0' && c <= '9')
        v = c - '0';
    else if (c >= 'a' && c <= 'z')
        v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
        v = c - 'A' + 10;
    else
        return -1;
    return v < base ? v : -1;
}

/* Number(s) per ECMAScript's StringToNumber: whitespace trimmed, "" is 0,
 * 0x/0o/0b integers, [+-]Infinity, decimal literals; NaN otherwise. The
 * grammar is checked here because strtod() accepts more ("inf", "nan",
 * hexadecimal floats). */
static double gw__js_number(const char *s, size_t len)
{
    size_t i = 0, ndig = 0;
    int base = 0, sign = 1;
    double v = 0;
    char *copy;

    s = gw__js_trim(s, &len);
    if (len == 0)
        return 0;
    if (len > 2 && s[0] == '0') {
        char p = s[1];

        base = (p == 'x' || p == 'X')   ? 16
               : (p == 'o' || p == 'O') ? 8
               : (p == 'b' || p == 'B') ? 2
                                        : 0;
    }
    if (base) {
        for (i = 2; i < len; i++) {
            int dv = gw__digit_in(s[i], base);

            if (dv < 0)
                return NAN;
            v = v * base + dv;
        }
        return v;
    }
    if (s[0] == '+' || s[0] == '-') {
        sign = s[0] == '-' ? -1 : 1;
        i = 1;
    }
    if (len - i == 8 && memcmp(s + i, "Infinity", 8) == 0)
        return sign * INFINITY;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, ndig++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, ndig++;
    }
    if (ndig == 0)
        return NAN;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t edig = 0;

        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, edig++;
        if (edig == 0)
            return NAN;
    }
    if (i != len)
        return NAN;
    copy = ov_xstrndup(s, len);
    v = strtod(copy, NULL);
    free(copy);
    return v;
}

struct gw__join_arg {
    ov_buf_t buf;
    int first;
};

static void gw__join_cb(const char *v, size_t len, void *arg)
{
    struct gw__join_arg *a = arg;

    if (!a->first)
        ov_buf_append(&a->buf, ",", 1);
    a->first = 0;
    ov_buf_append(&a->buf, v, len);
}

/* ------------------------------------------------------------------ */
/* Identifiers and names                                               */
/* ------------------------------------------------------------------ */

static int gw__id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* MeetRoomHelper.sanitizeRoomId: keeps [A-Za-z0-9_-]. Every byte of a
 * multi-byte character is >= 0x80, so byte-wise filtering drops whole
 * characters. */
char *gw__sanitize_id(const char *s, size_t len)
{
    char *out = ov_xmalloc(len + 1);
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (gw__id_char((unsigned char)s[i]))
            out[n++] = s[i];
    out[n] = '\0';
    return out;
}

/* MeetRoomHelper.sanitizeRoomName: trim, then each whitespace run becomes
 * one space. */
static char *gw__sanitize_name(const char *s, size_t len)
{
    ov_buf_t b = OV_BUF_INIT;
    size_t i = 0, n;
    int pending = 0;
    ucs4_t c;

    s = gw__js_trim(s, &len);
    while (i < len) {
        n = gw__next_cp(s + i, len - i, &c);
        if (gw__js_space(c)) {
            pending = 1;
        } else {
            if (pending)
                ov_buf_append(&b, " ", 1);
            pending = 0;
            ov_buf_append(&b, s + i, n);
        }
        i += n;
    }
    return b.data ? b.data : ov_xstrdup("");
}

int gw_valid_room_id(const char *value, const char *field, char **out,
                     json_t **details)
{
    size_t len, units;
    char *id;

    *out = NULL;
    *details = NULL;
    if (!value) {
        *details = json_array();
        gw_valid_issue(*details, field, "Required");
        return OV_EINVAL;
    }
    len = strlen(value);
    units = gw__js_length(value, len);
    if (units < 1 || units > 100) {
        *details = json_array();
        if (units < 1)
            gw__issuef(*details, field, "%s is required and cannot be empty",
                       field);
        else
            gw__issuef(*details, field, "%s cannot exceed 100 characters",
                       field);
        return OV_EINVAL;
    }
    id = gw__sanitize_id(value, len);
    if (*id == '\0') {
        free(id);
        *details = json_array();
        gw__issuef(*details, field, "%s cannot be empty after sanitization",
                   field);
        return OV_EINVAL;
    }
    *out = id;
    return 0;
}

char *gw_room_id_prefix(const char *room_name)
{
    size_t len = strlen(room_name), nlen = 0, i = 0, n;
    uint8_t *nfd;
    const char *s;
    ov_buf_t b = OV_BUF_INIT;
    char *out;
    ucs4_t c;

    /* NFD splits "é" into "e" + U+0301 so the base letter survives the
     * [a-z0-9_] filter; without a decomposition (ø) the letter is lost, as
     * in the reference. */
    nfd =
        u8_normalize(UNINORM_NFD, (const uint8_t *)room_name, len, NULL, &nlen);
    s = nfd ? (const char *)nfd : room_name;
    if (!nfd)
        nlen = len;
    while (i < nlen) {
        n = gw__next_cp(s + i, nlen - i, &c);
        i += n;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c == '-' || gw__js_space(c))
            c = '_';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            continue;
        /* Collapse runs of '_' and drop leading ones. */
        if (c == '_' && (b.len == 0 || b.data[b.len - 1] == '_'))
            continue;
        ov_buf_append(&b, &(char){(char)c}, 1);
    }
    free(nfd);
    if (b.len > 0 && b.data[b.len - 1] == '_')
        b.data[--b.len] = '\0';
    if (b.len == 0) {
        ov_buf_free(&b);
        return ov_xstrdup("room");
    }
    out = b.data;
    return out;
}

/* ------------------------------------------------------------------ */
/* Encoding (§4.1)                                                     */
/* ------------------------------------------------------------------ */

static const char *const gw__video_keys[] = {
    "width",   "height",           "framerate", "codec",
    "bitrate", "keyFrameInterval", "depth"};
static const char *const gw__audio_keys[] = {"codec", "bitrate", "frequency"};

/* JavaScript `typeof v === 'object' && v !== null`. */
static int gw__js_object(const json_t *v)
{
    return json_is_object(v) || json_is_array(v);
}

/* The custom "required fields are missing" check: `k in value`, which an
 * array fails for every named key. */
static void gw__missing_keys(const json_t *obj, const char *const *keys,
                             size_t n, const char *what, const char *field,
                             json_t *d)
{
    ov_buf_t b = OV_BUF_INIT;
    size_t i;

    for (i = 0; i < n; i++) {
        if (json_is_object(obj) && json_object_get(obj, keys[i]))
            continue;
        ov_buf_printf(&b, "%s%s", b.len ? ", " : "", keys[i]);
    }
    if (b.len)
        gw__issuef(d, field,
                   "When %s encoding is provided, required fields are "
                   "missing: %s",
                   what, b.data);
    ov_buf_free(&b);
}

/* The structural pass (EncodingOptionsSchema) over one of video / audio. */
static void gw__encoding_struct(const json_t *obj, const char *const *keys,
                                size_t n, const gw__enum_t *codec,
                                const char *label, const char *field, json_t *d)
{
    size_t i;
    char *f;
    const json_t *v;

    if (!json_is_object(obj)) {
        gw__type_issue(d, field, "object", obj);
        return;
    }
    for (i = 0; i < n; i++) {
        v = json_object_get(obj, keys[i]);
        f = gw__join(field, keys[i]);
        if (strcmp(keys[i], "codec") == 0)
            gw__enum_json(v, codec, f, d);
        else if (!json_is_number(v))
            gw__type_issue(d, f, "number", v);
        else if (!(json_number_value(v) > 0))
            gw__issuef(d, f, "%s %s must be a positive number", label, keys[i]);
        free(f);
    }
}

size_t gw_valid_encoding(const json_t *encoding, const char *prefix,
                         json_t *details)
{
    size_t before = json_array_size(details), i;
    const json_t *video, *audio;
    ov_buf_t b = OV_BUF_INIT;
    char *fv, *fa;

    if (!encoding)
        return 0;
    if (json_is_string(encoding)) {
        for (i = 0; i < GW__NPRESETS; i++)
            if (strlen(gw__presets[i]) == json_string_length(encoding) &&
                strcmp(gw__presets[i], json_string_value(encoding)) == 0)
                return 0;
        ov_buf_appends(&b, "Invalid encoding preset. Must be one of: ");
        for (i = 0; i < GW__NPRESETS; i++)
            ov_buf_printf(&b, "%s%s", i ? ", " : "", gw__presets[i]);
        gw_valid_issue(details, prefix, b.data);
        ov_buf_free(&b);
        return json_array_size(details) - before;
    }
    if (!gw__js_object(encoding)) {
        gw_valid_issue(details, prefix,
                       "Encoding must be either a preset string or an "
                       "encoding configuration object");
        return json_array_size(details) - before;
    }
    video =
        json_is_object(encoding) ? json_object_get(encoding, "video") : NULL;
    audio =
        json_is_object(encoding) ? json_object_get(encoding, "audio") : NULL;
    if (!gw__js_truthy(video) || !gw__js_truthy(audio)) {
        gw_valid_issue(details, prefix,
                       "Both video and audio configuration must be provided "
                       "when using encoding options");
        return json_array_size(details) - before;
    }
    if (!gw__js_object(video)) {
        gw_valid_issue(details, prefix,
                       "Video encoding must be a valid object");
        return json_array_size(details) - before;
    }
    if (!gw__js_object(audio)) {
        gw_valid_issue(details, prefix,
                       "Audio encoding must be a valid object");
        return json_array_size(details) - before;
    }
    fv = gw__join(prefix, "video");
    fa = gw__join(prefix, "audio");
    gw__missing_keys(video, gw__video_keys, 7, "video", fv, details);
    gw__missing_keys(audio, gw__audio_keys, 3, "audio", fa, details);
    gw__encoding_struct(video, gw__video_keys, 7, &gw__vcodec, "Video", fv,
                        details);
    gw__encoding_struct(audio, gw__audio_keys, 3, &gw__acodec, "Audio", fa,
                        details);
    free(fv);
    free(fa);
    return json_array_size(details) - before;
}

/* ------------------------------------------------------------------ */
/* Room config                                                         */
/* ------------------------------------------------------------------ */

/* Validation order (the reference's schema order) and canonical output
 * order differ: the stored config lists chat first. */
static const char *const gw__sections_schema[] = {
    "recording", "chat", "virtualBackground", "e2ee", "captions"};
static const char *const gw__sections_out[] = {
    "chat", "recording", "virtualBackground", "e2ee", "captions"};
#define GW__NSECTIONS 5

static int gw__section_default_enabled(const char *s)
{
    return strcmp(s, "e2ee") != 0;
}

/* Validates one present section at `field` ("config.<s>"). Returns 0 if it
 * is valid. */
static int gw__section_check(const char *name, const json_t *sec,
                             const char *field, json_t *d)
{
    size_t before = json_array_size(d);
    const json_t *v;
    char *f;

    if (!json_is_object(sec)) {
        gw__type_issue(d, field, "object", sec);
        return -1;
    }
    v = json_object_get(sec, "enabled");
    if (!json_is_boolean(v)) {
        f = gw__join(field, "enabled");
        gw__type_issue(d, f, "boolean", v);
        free(f);
    }
    if (strcmp(name, "recording") == 0) {
        if ((v = json_object_get(sec, "layout"))) {
            f = gw__join(field, "layout");
            gw__enum_json(v, &gw__layout, f, d);
            free(f);
        }
        f = gw__join(field, "encoding");
        gw_valid_encoding(json_object_get(sec, "encoding"), f, d);
        free(f);
        if ((v = json_object_get(sec, "allowAccessTo"))) {
            f = gw__join(field, "allowAccessTo");
            gw__enum_json(v, &gw__access, f, d);
            free(f);
        }
    }
    return json_array_size(d) == before ? 0 : -1;
}

/* Builds the output of one valid section: only the known keys, with the
 * recording defaults when `defaults` is set. */
static json_t *gw__section_build(const char *name, const json_t *sec,
                                 int defaults)
{
    json_t *o = json_object();
    const json_t *v;

    json_object_set_new(
        o, "enabled",
        json_boolean(json_is_true(json_object_get(sec, "enabled"))));
    if (strcmp(name, "recording") != 0)
        return o;
    if ((v = json_object_get(sec, "layout")))
        json_object_set_new(o, "layout", json_deep_copy(v));
    else if (defaults)
        json_object_set_new(o, "layout", json_string("grid"));
    /* The encoding validator passes its input through untouched, so an
     * encoding object keeps unknown keys. */
    if ((v = json_object_get(sec, "encoding")))
        json_object_set_new(o, "encoding", json_deep_copy(v));
    else if (defaults)
        json_object_set_new(o, "encoding", json_string("H264_720P_30"));
    if ((v = json_object_get(sec, "allowAccessTo")))
        json_object_set_new(o, "allowAccessTo", json_deep_copy(v));
    else if (defaults)
        json_object_set_new(o, "allowAccessTo",
                            json_string("admin_moderator_speaker"));
    return o;
}

static json_t *gw__section_default(const char *name)
{
    json_t *o = json_object();

    json_object_set_new(o, "enabled",
                        json_boolean(gw__section_default_enabled(name)));
    if (strcmp(name, "recording") == 0) {
        json_object_set_new(o, "layout", json_string("grid"));
        json_object_set_new(o, "encoding", json_string("H264_720P_30"));
        json_object_set_new(o, "allowAccessTo",
                            json_string("admin_moderator_speaker"));
    }
    return o;
}

/* Validates a config object (present, at field "config"). With `create`,
 * absent sections and recording keys get their defaults. Returns the new
 * canonical object, or NULL when issues were added. */
static json_t *gw__config_parse(const json_t *cfg, int create, json_t *d)
{
    size_t before = json_array_size(d), i;
    const json_t *sec;
    json_t *out, *rec, *e2ee;
    char *f;

    if (!json_is_object(cfg)) {
        gw__type_issue(d, "config", "object", cfg);
        return NULL;
    }
    for (i = 0; i < GW__NSECTIONS; i++) {
        sec = json_object_get(cfg, gw__sections_schema[i]);
        if (!sec)
            continue;
        f = gw__join("config", gw__sections_schema[i]);
        gw__section_check(gw__sections_schema[i], sec, f, d);
        free(f);
    }
    if (json_array_size(d) != before)
        return NULL;

    out = json_object();
    for (i = 0; i < GW__NSECTIONS; i++) {
        const char *name = gw__sections_out[i];

        sec = json_object_get(cfg, name);
        if (sec)
            json_object_set_new(out, name,
                                gw__section_build(name, sec, create));
        else if (create)
            json_object_set_new(out, name, gw__section_default(name));
    }
    /* End-to-end encryption and recording exclude each other; the
     * reference silently disables recording. */
    rec = json_object_get(out, "recording");
    e2ee = json_object_get(out, "e2ee");
    if (rec && e2ee && json_is_true(json_object_get(e2ee, "enabled")) &&
        json_is_true(json_object_get(rec, "enabled")))
        json_object_set_new(rec, "enabled", json_false());
    return out;
}

/* ------------------------------------------------------------------ */
/* Bodies                                                              */
/* ------------------------------------------------------------------ */

int gw__fail(json_t *d, json_t **details)
{
    *details = d;
    return OV_EINVAL;
}

int gw_valid_room_create(const json_t *body, int64_t now_ms,
                         gw_room_create_in_t *out, json_t **details)
{
    json_t *d = json_array();
    const json_t *v, *pol;
    int name_empty = 0;
    const char *wm = NULL, *wr = NULL;
    double date;

    memset(out, 0, sizeof(*out));
    *details = NULL;
    /* Express hands an absent body to the validator as {}. */
    if (body && !json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        return gw__fail(d, details);
    }

    v = body ? json_object_get(body, "roomName") : NULL;
    if (!v) {
        out->room_name = ov_xstrdup("Room");
    } else if (!json_is_string(v)) {
        gw__type_issue(d, "roomName", "string", v);
    } else if (gw__js_length(json_string_value(v), json_string_length(v)) >
               50) {
        gw_valid_issue(d, "roomName", "roomName cannot exceed 50 characters");
    } else {
        out->room_name =
            gw__sanitize_name(json_string_value(v), json_string_length(v));
        name_empty = out->room_name[0] == '\0';
    }

    v = body ? json_object_get(body, "autoDeletionDate") : NULL;
    if (v && !json_is_number(v)) {
        gw__type_issue(d, "autoDeletionDate", "number", v);
    } else if (v) {
        /* A refinement still runs after a failed check, so both messages
         * can appear. */
        date = json_number_value(v);
        if (!(date > 0))
            gw_valid_issue(d, "autoDeletionDate",
                           "autoDeletionDate must be a positive integer");
        if (!(date >= (double)now_ms + 3600000.0))
            gw_valid_issue(d, "autoDeletionDate",
                           "autoDeletionDate must be at least 1h in the "
                           "future");
        out->has_auto_deletion_date = 1;
        out->auto_deletion_date = date;
    }

    pol = body ? json_object_get(body, "autoDeletionPolicy") : NULL;
    if (!pol) {
        wm = "when_meeting_ends";
        wr = "close";
    } else if (!json_is_object(pol)) {
        gw__type_issue(d, "autoDeletionPolicy", "object", pol);
    } else {
        wm = gw__enum_json(json_object_get(pol, "withMeeting"),
                           &gw__with_meeting, "autoDeletionPolicy.withMeeting",
                           d);
        wr = gw__enum_json(json_object_get(pol, "withRecordings"),
                           &gw__with_recordings,
                           "autoDeletionPolicy.withRecordings", d);
        /* The "no fail" refinements run only on a parsed object, and both
         * run. */
        if (wm && wr) {
            if (strcmp(wm, "fail") == 0)
                gw_valid_issue(d, "autoDeletionPolicy.withMeeting",
                               "FAIL policy is not allowed for withMeeting "
                               "auto-deletion policy");
            if (strcmp(wr, "fail") == 0)
                gw_valid_issue(d, "autoDeletionPolicy.withRecordings",
                               "FAIL policy is not allowed for "
                               "withRecordings auto-deletion policy");
        }
    }
    out->with_meeting = wm;
    out->with_recordings = wr;

    v = body ? json_object_get(body, "config") : NULL;
    if (v) {
        out->config = gw__config_parse(v, 1, d);
    } else {
        json_t *empty = json_object();

        out->config = gw__config_parse(empty, 1, d);
        json_decref(empty);
    }

    /* The reference accepts a name that sanitises to "" and then fails in
     * its store with a 500. We answer 422 instead, but only when nothing
     * else is wrong, so that every 422 the reference gives is reproduced
     * unchanged. */
    if (json_array_size(d) == 0 && name_empty)
        gw_valid_issue(d, "roomName", "roomName cannot be empty");

    if (json_array_size(d) > 0) {
        gw_room_create_in_free(out);
        return gw__fail(d, details);
    }
    json_decref(d);
    return 0;
}

void gw_room_create_in_free(gw_room_create_in_t *in)
{
    free(in->room_name);
    json_decref(in->config);
    memset(in, 0, sizeof(*in));
}

int gw_valid_room_config_patch(const json_t *body, json_t **patch,
                               json_t **details)
{
    json_t *d = json_array();
    const json_t *cfg;

    *patch = NULL;
    *details = NULL;
    if (body && !json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        return gw__fail(d, details);
    }
    cfg = body ? json_object_get(body, "config") : NULL;
    if (!cfg) {
        gw_valid_issue(d, "config", "Required");
        return gw__fail(d, details);
    }
    *patch = gw__config_parse(cfg, 0, d);
    if (!*patch)
        return gw__fail(d, details);
    json_decref(d);
    return 0;
}

int gw_valid_room_status(const json_t *body, const char **status,
                         json_t **details)
{
    json_t *d = json_array();

    *status = NULL;
    *details = NULL;
    if (body && !json_is_object(body)) {
        gw__type_issue(d, "", "object", body);
        return gw__fail(d, details);
    }
    *status = gw__enum_json(body ? json_object_get(body, "status") : NULL,
                            &gw__status_put, "status", d);
    if (!*status)
        return gw__fail(d, details);
    json_decref(d);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

int gw_valid_delete_policies(const gw_query_t *q, const char **with_meeting,
                             const char **with_recordings, json_t **details)
{
    json_t *d = json_array();

    *details = NULL;
    *with_meeting = gw__qs_enum(q, "withMeeting", &gw__with_meeting, "fail", d);
    *with_recordings =
        gw__qs_enum(q, "withRecordings", &gw__with_recordings, "fail", d);
    if (json_array_size(d) > 0) {
        *with_meeting = *with_recordings = NULL;
        return gw__fail(d, details);
    }
    json_decref(d);
    return 0;
}

size_t gw_fields_parse(const char *value, char ***out)
{
    size_t n = 0, cap = 0, len;
    const char *p = value, *comma, *item;
    char **v = NULL;

    *out = NULL;
    if (!value)
        return 0;
    for (;;) {
        comma = strchr(p, ',');
        len = comma ? (size_t)(comma - p) : strlen(p);
        item = gw__js_trim(p, &len);
        if (len > 0) {
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                v = ov_xrealloc(v, cap * sizeof(*v));
            }
            v[n++] = ov_xstrndup(item, len);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = v;
    return n;
}

void gw_fields_free(char **fields, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(fields[i]);
    free(fields);
}

/* maxItems: z.coerce.number().positive().transform(floor, clamp 100)
 * .default(10). Coercion is JavaScript's Number(), which turns an array into
 * its comma-joined string and an object into NaN. */
int gw__max_items(const gw_query_t *q, unsigned *out, json_t *d)
{
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "maxItems", &it);
    double v;

    *out = 10;
    if (kind == GW__Q_ABSENT)
        return 0;
    if (kind == GW__Q_STRING) {
        v = gw__js_number(it->value, it->value_len);
    } else if (kind == GW__Q_ARRAY) {
        struct gw__join_arg a = {OV_BUF_INIT, 1};

        gw__qs_each(q, "maxItems", gw__join_cb, &a);
        v = gw__js_number(a.buf.data ? a.buf.data : "", a.buf.len);
        ov_buf_free(&a.buf);
    } else {
        v = NAN;
    }
    if (isnan(v)) {
        gw_valid_issue(d, "maxItems", "Expected number, received nan");
        return -1;
    }
    if (!(v > 0)) {
        gw_valid_issue(d, "maxItems", "maxItems must be a positive number");
        return -1;
    }
    v = floor(v);
    *out = v > 100 ? 100 : (unsigned)v;
    return 0;
}

int gw_valid_room_list(const gw_query_t *q, gw_room_list_in_t *out,
                       json_t **details)
{
    json_t *d = json_array();
    const gw_query_param_t *it;
    char *fields = NULL;
    const char *order;
    int kind;

    memset(out, 0, sizeof(*out));
    *details = NULL;
    gw__qs_string(q, "roomName", &out->room_name, d);
    kind = gw__qs_kind(q, "status", &it);
    if (kind != GW__Q_ABSENT)
        out->status = gw__qs_enum(q, "status", &gw__status_list, NULL, d);
    gw__qs_string(q, "fields", &fields, d);
    gw__max_items(q, &out->max_items, d);
    gw__qs_string(q, "nextPageToken", &out->next_page_token, d);
    /* The reference tests the token for truthiness: an empty one is none
     * (a "%00" is not empty, and fails to decode later). */
    const gw_query_param_t *tok_param = NULL;
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->items[i].key, "nextPageToken") == 0)
            tok_param = &q->items[i];
    if (out->next_page_token && tok_param && tok_param->value_len == 0) {
        free(out->next_page_token);
        out->next_page_token = NULL;
    }
    out->sort_field =
        gw__qs_enum(q, "sortField", &gw__sort_field, "creationDate", d);
    order = gw__qs_enum(q, "sortOrder", &gw__sort_order, "desc", d);
    out->sort_desc = !order || strcmp(order, "desc") == 0;

    if (json_array_size(d) > 0) {
        free(fields);
        gw_room_list_in_free(out);
        return gw__fail(d, details);
    }
    /* A `fields` value naming nothing ("", " , ") projects nothing, like an
     * absent one: the reference tests the value for truthiness. */
    if (fields)
        out->nfields = gw_fields_parse(fields, &out->fields);
    free(fields);
    json_decref(d);
    return 0;
}

void gw_room_list_in_free(gw_room_list_in_t *in)
{
    free(in->room_name);
    gw_fields_free(in->fields, in->nfields);
    free(in->next_page_token);
    memset(in, 0, sizeof(*in));
}

/* ------------------------------------------------------------------ */
/* roomIds (§6.6)                                                      */
/* ------------------------------------------------------------------ */

struct gw__ids {
    char **v;
    size_t n, cap;
};

/* Sanitises one candidate and appends it unless empty or already seen
 * (first occurrence wins, as with the reference's Set). */
static void gw__ids_add(const char *s, size_t len, void *arg)
{
    struct gw__ids *ids = arg;
    char *id;
    size_t i;

    if (len == 0)
        return;
    id = gw__sanitize_id(s, len);
    if (*id == '\0') {
        free(id);
        return;
    }
    for (i = 0; i < ids->n; i++) {
        if (strcmp(ids->v[i], id) == 0) {
            free(id);
            return;
        }
    }
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 8;
        ids->v = ov_xrealloc(ids->v, ids->cap * sizeof(*ids->v));
    }
    ids->v[ids->n++] = id;
}

int gw_valid_room_ids(const gw_query_t *q, size_t max_ids, char ***ids,
                      size_t *n, json_t **details)
{
    struct gw__ids acc = {NULL, 0, 0};
    const gw_query_param_t *it;
    int kind = gw__qs_kind(q, "roomIds", &it);
    const char *p, *comma, *item;
    size_t len;
    char msg[96];

    *ids = NULL;
    *n = 0;
    *details = NULL;
    if (kind == GW__Q_STRING) {
        /* Only a single string is split on ','; array items are taken
         * whole (and not trimmed). */
        p = it->value;
        for (;;) {
            comma = memchr(p, ',', it->value_len - (size_t)(p - it->value));
            len = comma ? (size_t)(comma - p)
                        : it->value_len - (size_t)(p - it->value);
            item = gw__js_trim(p, &len);
            gw__ids_add(item, len, &acc);
            if (!comma)
                break;
            p = comma + 1;
        }
    } else if (kind == GW__Q_ARRAY) {
        gw__qs_each(q, "roomIds", gw__ids_add, &acc);
    }

    if (acc.n == 0 || (max_ids > 0 && acc.n > max_ids)) {
        *details = json_array();
        if (acc.n == 0) {
            gw_valid_issue(*details, "roomIds",
                           "At least one valid roomId is required after "
                           "sanitization");
        } else {
            snprintf(msg, sizeof(msg),
                     "Too many roomIds: at most %zu per request", max_ids);
            gw_valid_issue(*details, "roomIds", msg);
        }
        gw_fields_free(acc.v, acc.n);
        return OV_EINVAL;
    }
    *ids = acc.v;
    *n = acc.n;
    return 0;
}
